#!/usr/bin/env bash
# `make cluster`: the production shape on one machine, on loopback: PostgreSQL, two gunicorn
# instances, two db_workers and nginx balancing between the instances. State (pids, logs, the SMS
# outbox, a generated SECRET_KEY) lives in var/cluster/; `make cluster-stop` stops what this started.
# Settings come from the environment like any deployment (e.g. OTP_RESEND_COOLDOWN_SECONDS=0).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/var/cluster
port=${CLUSTER_PORT:-8100}
web_ports=(${CLUSTER_WEB_PORTS:-8101 8102})
mkdir -p "$dir"

if ! command -v nginx >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq nginx >/dev/null
fi
test -s "$dir/secret-key" || .venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))' >"$dir/secret-key"

export DATABASE_URL=${CLUSTER_DATABASE_URL:-$(scripts/postgres.sh "${CLUSTER_DB:-ehealth_cluster}")}
export DJANGO_SETTINGS_MODULE=config.settings DEBUG=false SECRET_KEY=$(cat "$dir/secret-key")
export ALLOWED_HOSTS=127.0.0.1,localhost SMS_BACKEND=${SMS_BACKEND:-file}
export SMS_FILE_PATH=${SMS_FILE_PATH:-$dir/sms-outbox.jsonl} TASKS_BACKEND=django_tasks_db.DatabaseBackend
env | grep -E '^(DATABASE_URL|DJANGO_SETTINGS_MODULE|DEBUG|SECRET_KEY|ALLOWED_HOSTS|SMS_[A-Z_]*|OTP_[A-Z_]*|TASKS_BACKEND)=' >"$dir/env"

.venv/bin/python manage.py migrate --no-input -v 0
.venv/bin/python manage.py collectstatic --no-input -v 0

start() {  # start NAME COMMAND...: in the background, its pid in var/cluster/NAME.pid
  local name=$1; shift
  if test -s "$dir/$name.pid" && kill -0 "$(cat "$dir/$name.pid")" 2>/dev/null; then return; fi
  nohup "$@" >>"$dir/$name.log" 2>&1 &
  echo $! >"$dir/$name.pid"
}
upstreams=""
for web_port in "${web_ports[@]}"; do
  # each instance counts its workers' requests in a metrics folder of its own (config/gunicorn.py)
  start "web-$web_port" env PROMETHEUS_MULTIPROC_DIR="$dir/metrics-$web_port" \
    .venv/bin/gunicorn config.wsgi -c config/gunicorn.py --bind "127.0.0.1:$web_port" \
    --workers "${CLUSTER_WEB_WORKERS:-2}" --timeout 30
  upstreams+="server 127.0.0.1:$web_port max_fails=1 fail_timeout=2s; "
done
for n in 1 2; do
  start "worker-$n" .venv/bin/python manage.py db_worker --no-reload --interval 0.2 --worker-id "cluster-$n" \
    --threads "${CLUSTER_WORKER_THREADS:-4}"
done

sed -e "s|@DIR@|$dir|g" -e "s|@PORT@|$port|g" -e "s|@UPSTREAMS@|$upstreams|" deploy/nginx.conf.template >"$dir/nginx.conf"
if ! (test -s "$dir/nginx.pid" && kill -0 "$(cat "$dir/nginx.pid")" 2>/dev/null); then
  nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx-error.log"
fi

for _ in $(seq 60); do
  curl -fsS -o /dev/null "http://127.0.0.1:$port/api/health" 2>/dev/null && break
  sleep 0.5
done
curl -fsS "http://127.0.0.1:$port/api/health" >/dev/null
echo "cluster up: http://127.0.0.1:$port/ (nginx) -> ${web_ports[*]} (gunicorn), 2 db_workers; state in var/cluster/"
echo "metrics: /metrics of each gunicorn instance on its own port (${web_ports[*]}); nginx refuses it"
