#!/usr/bin/env bash
# A PostgreSQL primary and a hot standby streaming from it, both of their own (initdb), on
# loopback, for the replica test.
#   tests/replica.sh start   starts them (primary 127.0.0.1:5441, standby :5442) and
#                            prints the URLs to export
#   tests/replica.sh stop    stops them and removes their data
# Needs the PostgreSQL server binaries (Debian's postgresql package).
# Usage:  eval "$(tests/replica.sh start)"
set -euo pipefail
dir=${REPLICA_DIR:-/tmp/migraph-replica}
primary=${REPLICA_PRIMARY_PORT:-5441}
standby=${REPLICA_STANDBY_PORT:-5442}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
# The server will not run as root: as the `postgres` user when started by root.
as_pg() {
  if [ "$(id -u)" = 0 ]; then su postgres -c "$*"; else bash -c "$*"; fi
}
up() { pg_isready -q -h 127.0.0.1 -p "$1" 2>/dev/null; }
case "${1:-}" in
  start)
    if ! up "$primary" || ! up "$standby"; then
      "$0" stop
      mkdir -p "$dir"
      [ "$(id -u)" = 0 ] && chown postgres "$dir"
      opts="-k $dir -c listen_addresses=127.0.0.1"
      as_pg "$bin/initdb -D $dir/primary -A trust -U postgres" >/dev/null
      echo "host replication all 127.0.0.1/32 trust" >>"$dir/primary/pg_hba.conf"
      as_pg "$bin/pg_ctl -D $dir/primary -o '-p $primary $opts' -l $dir/primary.log -w start" >&2
      as_pg "$bin/pg_basebackup -h 127.0.0.1 -p $primary -U postgres -D $dir/standby -R -X stream" >&2
      as_pg "$bin/pg_ctl -D $dir/standby -o '-p $standby $opts' -l $dir/standby.log -w start" >&2
    fi
    echo "export MIGRATIONS_TEST_REPLICA_PRIMARY_URL=postgres://postgres@127.0.0.1:$primary/postgres"
    echo "export MIGRATIONS_TEST_REPLICA_URL=postgres://postgres@127.0.0.1:$standby/postgres"
    ;;
  stop)
    for node in standby primary; do
      if [ -f "$dir/$node/postmaster.pid" ]; then
        as_pg "$bin/pg_ctl -D $dir/$node -m fast -w stop" >&2 || true
      fi
    done
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
