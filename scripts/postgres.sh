#!/usr/bin/env bash
# Install (Debian's package) and start a local PostgreSQL cluster on loopback, make sure the role
# `ehealth` and the database named by $1 exist, and print its DATABASE_URL. Needs root (apt, su).
# Used by CI (.ci/run) and the benchmark (make bench).
set -euo pipefail
db_name=${1:-ehealth}

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >/dev/null
fi

version=$(ls /usr/lib/postgresql | sort -n | tail -1)
pg_lsclusters -h | grep -q "^$version main" || pg_createcluster "$version" main >/dev/null
pg_ctlcluster "$version" main start >/dev/null 2>&1 || true
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 30); do pg_isready -q -h 127.0.0.1 -p "$port" && break; sleep 1; done

psql_admin() { su postgres -c "psql -q -v ON_ERROR_STOP=1 -p $port $*"; }
psql_admin <<SQL >&2
DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'ehealth') THEN
    CREATE ROLE ehealth LOGIN PASSWORD 'ehealth' CREATEDB;
  END IF;
END \$\$;
SQL
psql_admin "-tc \"SELECT 1 FROM pg_database WHERE datname = '$db_name'\"" | grep -q 1 \
  || su postgres -c "createdb -p $port -O ehealth $db_name"

echo "postgres://ehealth:ehealth@127.0.0.1:$port/$db_name"
