#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the lab tests: `start FOLDER` creates
# one in a fresh temporary folder (a short path: the unix socket lives
# there) and writes FOLDER/conninfo; `stop FOLDER` stops it and removes it.
# It listens on its unix socket only, never on TCP. initdb refuses root, so
# as root the cluster belongs to the unprivileged user postgres.
set -euo pipefail
action=${1:?usage: postgres_cluster.sh start|stop FOLDER}
folder=${2:?usage: postgres_cluster.sh start|stop FOLDER}

bindir=$(pg_config --bindir 2>/dev/null || true)
if [ ! -x "$bindir/initdb" ]; then
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fi
if [ ! -x "$bindir/initdb" ]; then
  echo "postgres_cluster.sh: no initdb; install the server: apt-get install postgresql" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

case "$action" in
  start)
    if [ -f "$folder/conninfo" ] && as_owner "$bindir/pg_ctl" -D "$(cat "$folder/socket_dir")/data" status >/dev/null 2>&1; then
      echo "postgres_cluster.sh: already running ($(cat "$folder/conninfo"))"
      exit 0
    fi
    mkdir -p "$folder"
    socket_dir=$(mktemp -d /tmp/hil-pg.XXXXXX)
    if [ "$(id -u)" = 0 ]; then chown postgres "$socket_dir"; fi
    as_owner "$bindir/initdb" -D "$socket_dir/data" -A trust -U hil -E UTF8 --locale=C --no-sync >"$socket_dir/initdb.log" 2>&1 ||
      { cat "$socket_dir/initdb.log" >&2; exit 1; }
    # Durability is not what these tests are about: fsync off.
    as_owner "$bindir/pg_ctl" -D "$socket_dir/data" -l "$socket_dir/server.log" -w -t 60 \
      -o "-k $socket_dir -c listen_addresses='' -c fsync=off -c max_connections=300" start >/dev/null ||
      { cat "$socket_dir/server.log" >&2; exit 1; }
    echo "$socket_dir" >"$folder/socket_dir"
    echo "host=$socket_dir user=hil dbname=postgres" >"$folder/conninfo"
    echo "postgres_cluster.sh: started ($(cat "$folder/conninfo"))"
    ;;
  stop)
    [ -f "$folder/socket_dir" ] || exit 0
    socket_dir=$(cat "$folder/socket_dir")
    as_owner "$bindir/pg_ctl" -D "$socket_dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$socket_dir" "$folder/socket_dir" "$folder/conninfo"
    echo "postgres_cluster.sh: stopped"
    ;;
  *) echo "postgres_cluster.sh: start or stop, not '$action'" >&2; exit 2 ;;
esac
