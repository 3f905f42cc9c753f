#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests and benchmarks: Debian's `postgresql` package, a
# fresh cluster in a temporary folder, listening on a free port of 127.0.0.1 only, password
# (SCRAM) authentication, no Unix socket outside that folder.
#
#   scripts/pg.sh run CMD...   # start, run CMD with COUNTERSIGN_TEST_POSTGRES_URL set, stop
#   eval "$(scripts/pg.sh start)"   # start; sets COUNTERSIGN_TEST_POSTGRES_URL and COUNTERSIGN_PG_DIR
#   scripts/pg.sh stop "$COUNTERSIGN_PG_DIR"   # stop it and delete its folder
#
# PostgreSQL refuses to run as root: as root, the server runs as the unprivileged `nobody`.
# Durability is off (fsync=off) unless COUNTERSIGN_PG_FSYNC=on: the cluster is thrown away.
set -euo pipefail

pg_bin() {
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$dir/initdb" && -x "$dir/pg_ctl" ]] && { echo "$dir"; return 0; }
  done
  echo "pg.sh: no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)" >&2
  return 1
}

# Runs a PostgreSQL binary as the cluster's owner.
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u nobody -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

start() {
  local bin dir password port user=countersign db=countersign
  bin="$(pg_bin)"
  dir="$(mktemp -d -t countersign-pg.XXXXXX)"
  password="$(python3 -c 'import secrets; print(secrets.token_hex(16))')"
  printf '%s\n' "$password" >"$dir/pwfile"
  mkdir "$dir/data"
  if [[ $(id -u) == 0 ]]; then
    chown -R nobody:nogroup "$dir"
  fi
  chmod 700 "$dir"
  as_owner "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" \
    --auth-host=scram-sha-256 --auth-local=scram-sha-256 -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
  rm -f "$dir/pwfile"
  local fsync="${COUNTERSIGN_PG_FSYNC:-off}" attempt
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start -o \
      "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c max_connections=400 -c fsync=$fsync -c synchronous_commit=$fsync -c full_page_writes=$fsync" \
      >/dev/null 2>&1; then
      break
    fi
    port=""
  done
  if [[ -z "$port" ]]; then
    echo "pg.sh: PostgreSQL did not start; its log:" >&2
    cat "$dir/server.log" >&2 || true
    return 1
  fi
  PGPASSWORD="$password" "$bin/psql" -h 127.0.0.1 -p "$port" -U "$user" -d postgres -qAt \
    -c "CREATE DATABASE $db" >/dev/null
  echo "export COUNTERSIGN_PG_DIR='$dir'"
  echo "export COUNTERSIGN_TEST_POSTGRES_URL='postgres://$user:$password@127.0.0.1:$port/$db'"
  echo "pg.sh: PostgreSQL $("$bin/pg_ctl" --version | awk '{print $3}') on 127.0.0.1:$port (folder $dir)" >&2
}

stop() {
  local dir="${1:?pg.sh stop DIR}" bin
  bin="$(pg_bin)"
  [[ -d "$dir/data" ]] || { echo "pg.sh: $dir is not a cluster folder" >&2; return 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  run)
    shift
    (($#)) || { echo "pg.sh run CMD..." >&2; exit 2; }
    eval "$(start)"
    trap 'stop "$COUNTERSIGN_PG_DIR"' EXIT
    trap 'exit 130' INT TERM
    "$@"
    ;;
  *)
    echo "usage: pg.sh start | stop DIR | run CMD..." >&2
    exit 2
    ;;
esac
