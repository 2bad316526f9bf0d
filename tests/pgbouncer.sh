#!/usr/bin/env bash
# PgBouncer in transaction mode in front of the test PostgreSQL, for the pooler tests.
#   tests/pgbouncer.sh start   starts it on 127.0.0.1:6432 and prints the URL to export
#   tests/pgbouncer.sh stop    stops it (by its pid)
# Needs Debian's `pgbouncer` package. Each database of the server is reachable through it
# under its own name; a pool of 2 server connections per database, so that the clients
# of a test really share them.
# Usage:  eval "$(tests/pgbouncer.sh start)"
set -euo pipefail
dir=${PGBOUNCER_DIR:-/tmp/migraph-pgbouncer}
port=${PGBOUNCER_PORT:-6432}
case "${1:-}" in
  start)
    mkdir -p "$dir"
    cat >"$dir/pgbouncer.ini" <<INI
[databases]
* = host=127.0.0.1 port=5432 user=postgres

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $port
unix_socket_dir =
auth_type = trust
auth_file = $dir/userlist.txt
pool_mode = transaction
default_pool_size = 2
max_client_conn = 500
ignore_startup_parameters = extra_float_digits,options
pidfile = $dir/pgbouncer.pid
logfile = $dir/pgbouncer.log
INI
    echo '"postgres" ""' >"$dir/userlist.txt"
    # PgBouncer will not run as root: as the `postgres` user when started by root.
    if [ "$(id -u)" = 0 ]; then
      chown -R postgres "$dir"
      runas=(-u postgres)
    else
      runas=()
    fi
    if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
      pgbouncer -d "${runas[@]}" "$dir/pgbouncer.ini" >&2
      for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null && break; sleep 0.2; done
    fi
    pg_isready -q -h 127.0.0.1 -p "$port" || { echo "pgbouncer did not start; see $dir/pgbouncer.log" >&2; exit 1; }
    echo "export MIGRATIONS_TEST_PGBOUNCER_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$dir/pgbouncer.pid" ]; then
      kill "$(cat "$dir/pgbouncer.pid")" 2>/dev/null || true
      rm -f "$dir/pgbouncer.pid"
    fi
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
