#!/usr/bin/env bash
# Run a command with a throw-away PostgreSQL on 127.0.0.1 (TEST_DATABASE_URL set for it).
# If PostgreSQL cannot be installed or started, the command runs without it and the
# PostgreSQL tests skip with a message saying why.
set -uo pipefail
if [ -n "${TEST_DATABASE_URL:-}" ]; then exec "$@"; fi
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >/dev/null 2>&1 || true
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$PGBIN" ]; then
  echo "with-postgres: PostgreSQL is not installed; PostgreSQL tests will be skipped" >&2
  exec "$@"
fi
run_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if [ "$(id -u)" = 0 ]; then id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql postgres; fi
PGPORT=${PGPORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
PGTMP=$(mktemp -d /tmp/pgci.XXXXXX)
[ "$(id -u)" = 0 ] && chown postgres:postgres "$PGTMP"
chmod 700 "$PGTMP"
pg_stop() { run_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -m fast -w stop >/dev/null 2>&1 || true; rm -rf "$PGTMP"; }
trap pg_stop EXIT
run_pg "$PGBIN/initdb" -D "$PGTMP/data" -U postgres -A trust -E UTF8 --locale=C.UTF-8 --no-sync >/dev/null
if ! run_pg "$PGBIN/pg_ctl" -D "$PGTMP/data" -l "$PGTMP/server.log" -w -t 60 \
  -o "-c listen_addresses=127.0.0.1 -p $PGPORT -k $PGTMP -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" start >/dev/null; then
  cat "$PGTMP/server.log" >&2; exit 1
fi
psql "postgresql://postgres@127.0.0.1:$PGPORT/postgres" -qAtc "CREATE DATABASE tercel_test" >/dev/null
export TEST_DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:$PGPORT/tercel_test"
"$@"
