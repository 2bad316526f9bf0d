#!/usr/bin/env bash
# A PostgreSQL server of its own (initdb) with pg_stat_statements loaded, on loopback, so
# that the benchmark can count the statements each tool sends from the server's side.
#   bench/pgss.sh start   starts it (127.0.0.1:5443) and prints the URL to export as the
#                         benchmark's PostgreSQL server
#   bench/pgss.sh stop    stops it and removes its data
# Needs the PostgreSQL server binaries (Debian's postgresql package).
# Usage:  eval "$(bench/pgss.sh start)"
set -euo pipefail
dir=${PGSS_DIR:-/tmp/migraph-pgss}
port=${PGSS_PORT:-5443}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
# The server will not run as root: as the `postgres` user when started by root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi
}
case "${1:-}" in
  start)
    if ! pg_isready -q -h 127.0.0.1 -p "$port" 2>/dev/null; then
      "$0" stop
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      as_pg "$bin/initdb -D $dir/data -A trust -U postgres" >/dev/null
      opts="-p $port -k $dir -c listen_addresses=127.0.0.1 -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=top -c pg_stat_statements.max=20000"
      as_pg "$bin/pg_ctl -D $dir/data -o '$opts' -l $dir/server.log -w start" >&2
    fi
    echo "export MIGRATIONS_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      as_pg "$bin/pg_ctl -D $dir/data -m fast -w stop" >&2 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
