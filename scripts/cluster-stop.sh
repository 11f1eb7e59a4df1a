#!/usr/bin/env bash
# `make cluster-stop`: stop what `make cluster` started (by the pids it recorded), PostgreSQL stays up.
set -uo pipefail
cd "$(dirname "$0")/.."
dir=$PWD/var/cluster
test -s "$dir/nginx.pid" && nginx -c "$dir/nginx.conf" -p "$dir" -e "$dir/nginx-error.log" -s quit 2>/dev/null
for pidfile in "$dir"/web-*.pid "$dir"/worker-*.pid; do
  test -s "$pidfile" || continue
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null && for _ in $(seq 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  rm -f "$pidfile"
done
echo "cluster stopped"
