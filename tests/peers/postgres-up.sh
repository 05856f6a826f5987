#!/bin/bash
# Starts a throw-away PostgreSQL for the tests that run the store on it, and
# writes STATE/postgres.env with SEAU_TEST_DATABASE_URL (the server's
# maintenance database: each test creates and drops its own database there).
# Stop it with postgres-down.sh STATE.
#
# Usage: postgres-up.sh STATE_DIR
# Port: SEAU_TEST_PG_PORT (17432), loopback only; the socket lives in STATE.
# PostgreSQL refuses to run as root, so when the tests run as root the
# cluster belongs to the `postgres` system user (else `nobody`).
# A missing server is an error, never a skip: run scripts/setup first.
set -euo pipefail
STATE=${1:?usage: postgres-up.sh STATE_DIR}
PORT=${SEAU_TEST_PG_PORT:-17432}
BIN=${SEAU_PG_BIN:-}
if [ -z "${SEAU_PG_BIN:-}" ]; then
  "$(dirname "$0")/../../scripts/require" /usr/lib/postgresql/15/bin/initdb /usr/lib/postgresql/15/bin/pg_ctl || exit 1
  BIN=/usr/lib/postgresql/15/bin
fi
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
DIR=$STATE/postgres

run_as=()
if [ "$(id -u)" = 0 ]; then
  owner=postgres
  id "$owner" >/dev/null 2>&1 || owner=nobody
  run_as=(runuser -u "$owner" --)
fi

# A server left by an earlier run is stopped first: each run starts empty.
if [ -f "$DIR/data/postmaster.pid" ]; then
  "${run_as[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$DIR"
mkdir -p "$DIR"
[ ${#run_as[@]} -eq 0 ] || chown "$owner" "$DIR"
# The state folder must be reachable by the cluster's owner.
chmod o+x "$STATE" 2>/dev/null || true

"${run_as[@]}" "$BIN/initdb" -D "$DIR/data" -N -U seau --auth=trust -E UTF8 --locale=C \
  >"$DIR/initdb.log" 2>&1 || { cat "$DIR/initdb.log" >&2; exit 1; }
# Throw-away data: no durability needed, which makes each CREATE DATABASE fast.
"${run_as[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 30 \
  -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
  start >"$DIR/pg_ctl.log" 2>&1 || { cat "$DIR/pg_ctl.log" "$DIR/server.log" >&2; exit 1; }

cat >"$STATE/postgres.env" <<ENV
export SEAU_TEST_DATABASE_URL=postgres://seau@127.0.0.1:$PORT/postgres
ENV
echo "PostgreSQL up on 127.0.0.1:$PORT (env file $STATE/postgres.env)"
