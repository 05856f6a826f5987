#!/bin/bash
# Stops the PostgreSQL that postgres-up.sh started in STATE and removes its data.
# Usage: postgres-down.sh STATE_DIR
set -uo pipefail
STATE=${1:?usage: postgres-down.sh STATE_DIR}
DIR=$STATE/postgres
BIN=${SEAU_PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
run_as=()
if [ "$(id -u)" = 0 ] && [ -d "$DIR" ]; then
  run_as=(runuser -u "$(stat -c %U "$DIR")" --)
fi
if [ -f "$DIR/data/postmaster.pid" ]; then
  "${run_as[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast -w stop >/dev/null 2>&1 || true
fi
rm -rf "$DIR" "$STATE/postgres.env"
exit 0
