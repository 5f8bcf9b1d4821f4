#!/usr/bin/env bash
# IGNY8 Bridge: a private PostgreSQL 15 server for the hosted sidecar's store (issue #16), the way wp-runtime.sh runs
# MariaDB: Debian's binaries (/usr/lib/postgresql/15/bin), a private data dir, 127.0.0.1 only, its own process group,
# never the system service. scram-sha-256 auth with a generated password (the data dir and password file are 0700/0600).
#
#   bash scripts/pg-runtime.sh deps    apt-get install postgresql-15 when it is missing (its service is kept off)
#   bash scripts/pg-runtime.sh start   initdb (first time) + start on 127.0.0.1:$PG_PORT, waits until it accepts connections
#   bash scripts/pg-runtime.sh stop    fast shutdown of this instance's server
#   bash scripts/pg-runtime.sh reset   stop + delete the data dir
#   bash scripts/pg-runtime.sh url     prints the connection URL (postgres://igny8:…@127.0.0.1:$PG_PORT/igny8)
#
# Environment: PG_PORT (5433)   PG_STATE_DIR ($TMPDIR/igny8-pg-$PG_PORT)
#   PG_SERVER_OPTS  more server options for start, e.g. "-c shared_preload_libraries=pg_stat_statements" (the hosted
#                   bench counts statements per job with it); a server already running keeps the options it has
set -euo pipefail
umask 077

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/.." && pwd)"
PG_PORT="${PG_PORT:-5433}"
# Default under /tmp: as root the server runs as `postgres`, which may not get through the checkout's parents.
STATE="${PG_STATE_DIR:-${TMPDIR:-/tmp}/igny8-pg-$PG_PORT}"
case "$STATE" in /*) ;; *) STATE="$(pwd)/$STATE" ;; esac
BIN=/usr/lib/postgresql/15/bin
DATA="$STATE/data"
SOCK="$STATE/sock"
LOG="$STATE/postgres.log"
PWFILE="$STATE/password"

say() { printf '[pg] %s\n' "$*"; }
die() { printf '[pg] ERROR: %s\n' "$*" >&2; exit 1; }
[[ "$PG_PORT" =~ ^[0-9]+$ ]] || die "PG_PORT must be a number (got '$PG_PORT')"
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
# PostgreSQL refuses to run as root: as root the server runs as the Debian package's `postgres` user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

deps() {
  [ -x "$BIN/postgres" ] && return 0
  say "deps: installing postgresql-15 (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  local apt=(apt-get -q -y -o DPkg::Lock::Timeout=300) policy_created="" rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then   # the package's postinst must not start the system cluster
    as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d'
    policy_created=1
  fi
  mkdir -p "$ROOT/.igny8"
  { as_root "${apt[@]}" update && as_root "${apt[@]}" install --no-install-recommends postgresql-15; } >"$ROOT/.igny8/apt-pg.log" 2>&1 || rc=$?
  [ -z "$policy_created" ] || as_root rm -f /usr/sbin/policy-rc.d
  [ $rc -eq 0 ] || { tail -n 20 "$ROOT/.igny8/apt-pg.log" >&2; die "apt-get install postgresql-15 failed"; }
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -d igny8 -U igny8 >/dev/null 2>&1; }

start() {
  deps
  mkdir -p "$STATE"
  # Two starts of one instance at once (parallel test runs): the second waits, then finds the server ready. The server
  # must not inherit the lock (fd 9), or every later start of a running instance would wait for it in vain.
  exec 9>"${TMPDIR:-/tmp}/igny8-pg-$PG_PORT.lock"; flock -w 120 9 || die "another start of port $PG_PORT holds its lock"
  if [ ! -s "$DATA/PG_VERSION" ]; then
    rm -rf "$DATA"; mkdir -p "$DATA" "$SOCK"
    [ -s "$PWFILE" ] || head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$PWFILE"
    [ "$(id -u)" != 0 ] || chown -R postgres: "$STATE"
    as_pg "$BIN/initdb" -D "$DATA" -U igny8 --pwfile="$PWFILE" --auth=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$STATE/initdb.log" 2>&1 \
      || { tail -n 20 "$STATE/initdb.log" >&2; die "initdb failed"; }
  fi
  if ready; then return 0; fi
  [ "$(id -u)" != 0 ] || chown -R postgres: "$STATE"
  as_pg "$BIN/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-p $PG_PORT -c listen_addresses=127.0.0.1 -k $SOCK -c max_connections=200 -c fsync=on ${PG_SERVER_OPTS:-}" start >/dev/null 9>&- \
    || { tail -n 20 "$LOG" >&2; die "postgres did not start (log: $LOG)"; }
  if ! PGPASSWORD="$(cat "$PWFILE")" "$BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U igny8 -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'igny8'" | grep 1 >/dev/null; then
    PGPASSWORD="$(cat "$PWFILE")" "$BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U igny8 igny8
  fi
  say "postgres on 127.0.0.1:$PG_PORT (data $DATA)"
}

stop() {
  [ -s "$DATA/postmaster.pid" ] || return 0
  as_pg "$BIN/pg_ctl" -D "$DATA" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  deps) deps ;;
  start) start ;;
  stop) stop ;;
  reset) stop; rm -rf "$STATE" ;;
  url) [ -s "$PWFILE" ] || die "no instance at $STATE (run start)"; echo "postgres://igny8:$(cat "$PWFILE")@127.0.0.1:$PG_PORT/igny8" ;;
  *) die "usage: pg-runtime.sh deps|start|stop|reset|url" ;;
esac
