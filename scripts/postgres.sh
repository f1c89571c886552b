#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests of the back-office adapter (pipelines/sources/backoffice.py).
#
#   scripts/postgres.sh start    install PostgreSQL from Debian's packages if missing, create the server under
#                                .pg/ (git-ignored) and start it; prints the DSN. Does nothing if it runs already.
#   scripts/postgres.sh stop     stop the server and remove .pg/. Does nothing if there is none.
#   scripts/postgres.sh status   exit 0 if the server runs, 1 if not.
#   scripts/postgres.sh dsn      print the DSN of the running server (exit 1 if there is none).
#
# The server listens on 127.0.0.1 only (first free port from 55432; its Unix socket is in its data directory),
# with password authentication over TCP; the password is made at random on creation and is part of the DSN.
# Durability is switched off (fsync, synchronous_commit): the data are thrown away anyway.
# PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user that Debian's
# package creates. Messages go to stderr; stdout carries only the DSN.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PGROOT=${TRANSPARENCY_PG_DIR:-$ROOT/.pg}
FIRST_PORT=${TRANSPARENCY_PG_PORT:-55432}
DATABASE=transparency_test
SUPERUSER=postgres

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# One invocation at a time (parallel test workers may all ask for a server): lock this script file itself.
exec 9<"$0"
flock -w 120 9 || die "another scripts/postgres.sh did not finish within 120 s"

bindir() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/postgres" ]; then echo "$dir"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/postgres" ]; then pg_config --bindir; return; fi
  if command -v postgres >/dev/null; then dirname "$(command -v postgres)"; return; fi
  return 1
}

install_postgres() {
  local sudo=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null \
      || die "PostgreSQL is not installed, and there is no sudo to install it with (apt-get install postgresql)"
    sudo="sudo -n"
  fi
  say "installing PostgreSQL from Debian's packages"
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 \
    && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
    || die "could not install PostgreSQL (apt-get install postgresql failed)"
}

# Run a command as the server's user: `postgres` when we are root, ourselves otherwise.
as_server() {
  if [ "$(id -u)" = 0 ]; then runuser -u "$SUPERUSER" -- "$@"; else "$@"; fi
}

running() {
  [ -f "$PGROOT/ready" ] && [ -f "$PGROOT/dsn" ] || return 1
  as_server "$BIN/pg_ctl" -D "$(cat "$PGROOT/datadir")" status >/dev/null 2>&1
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

free_port() {
  local port=$FIRST_PORT
  while port_in_use "$port"; do
    port=$((port + 1))
    [ "$port" -lt $((FIRST_PORT + 100)) ] || die "no free port in $FIRST_PORT-$((FIRST_PORT + 99))"
  done
  echo "$port"
}

create() {
  rm -rf "$PGROOT"
  mkdir -p "$PGROOT"
  chmod 700 "$PGROOT"
  local data=$PGROOT/data
  if [ "$(id -u)" = 0 ]; then
    id "$SUPERUSER" >/dev/null 2>&1 || die "there is no '$SUPERUSER' system user to run the server as"
    chown "$SUPERUSER:" "$PGROOT"
    # The server's user must reach the data directory; where a parent directory bars it, use one under /tmp.
    if ! runuser -u "$SUPERUSER" -- test -w "$PGROOT"; then
      data=$(mktemp -d /tmp/transparency-pg.XXXXXX)
      chown "$SUPERUSER:" "$data"
    fi
  fi
  echo "$data" >"$PGROOT/datadir"
  local password
  password=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
  umask 077
  echo "$password" >"$PGROOT/password"
  [ "$(id -u)" = 0 ] && chown "$SUPERUSER:" "$PGROOT/password"
  as_server "$BIN/initdb" -D "$data" -U "$SUPERUSER" --pwfile="$PGROOT/password" -E UTF8 --no-locale \
    --auth-local=trust --auth-host=scram-sha-256 --no-sync >"$PGROOT/initdb.log" 2>&1 \
    || { cat "$PGROOT/initdb.log" >&2; die "initdb failed"; }
  local port
  port=$(free_port)
  as_server tee -a "$data/postgresql.conf" >/dev/null <<EOF
# scripts/postgres.sh: a throw-away test server
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$data'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 50
timezone = 'UTC'
EOF
  echo "$port" >"$PGROOT/port"
  start_server
  as_server "$BIN/createdb" -h "$data" -p "$port" -U "$SUPERUSER" "$DATABASE" \
    || die "createdb failed (see $PGROOT/server.log)"
  echo "postgresql://$SUPERUSER:$password@127.0.0.1:$port/$DATABASE" >"$PGROOT/dsn"
  touch "$PGROOT/ready"
}

start_server() {
  local data port
  data=$(cat "$PGROOT/datadir")
  port=$(cat "$PGROOT/port")
  # 9<&-: the server must not inherit (and so hold for ever) the lock of this script.
  as_server "$BIN/pg_ctl" -D "$data" -l "$data/server.log" -w -t 60 start >/dev/null 2>&1 9<&- || {
    tail -n 20 "$data/server.log" >&2 2>/dev/null || true
    die "the server did not start on 127.0.0.1:$port (log: $data/server.log)"
  }
}

cmd=${1:-}
case "$cmd" in
  start)
    BIN=$(bindir) || { install_postgres; BIN=$(bindir) || die "PostgreSQL's programs are not found after installing"; }
    if running; then
      :
    elif [ -f "$PGROOT/ready" ] && [ -d "$(cat "$PGROOT/datadir")" ] && ! port_in_use "$(cat "$PGROOT/port")"; then
      start_server  # created before, stopped since (a restarted machine): start it again
    else
      create
    fi
    cat "$PGROOT/dsn"
    ;;
  stop)
    if [ -f "$PGROOT/datadir" ]; then
      data=$(cat "$PGROOT/datadir")
      if BIN=$(bindir) && [ -f "$data/postmaster.pid" ]; then
        as_server "$BIN/pg_ctl" -D "$data" -m immediate -w stop >/dev/null 2>&1 || true
      fi
      case "$data" in "$PGROOT"/*) ;; *) rm -rf "$data" ;; esac
    fi
    rm -rf "$PGROOT"
    ;;
  status)
    BIN=$(bindir) || exit 1
    running || exit 1
    ;;
  dsn)
    BIN=$(bindir) || die "PostgreSQL is not installed"
    running || die "no server runs (scripts/postgres.sh start)"
    cat "$PGROOT/dsn"
    ;;
  *)
    echo "usage: $0 start|stop|status|dsn" >&2
    exit 2
    ;;
esac
