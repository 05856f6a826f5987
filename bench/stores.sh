# shellcheck shell=sh
# Sourced by the benchmarks that compare Seau's two stores (bench/run,
# bench/files-api, bench/search, bench/cluster); POSIX sh.
#
# BENCH_STORES: the stores to measure, in order ("sqlite postgres" by default
# when PostgreSQL 15's server binaries are installed, else "sqlite").
# PostgreSQL is the tests' throw-away server (tests/peers/postgres-up.sh:
# loopback, fsync=off, synchronous_commit=off), on BENCH_PG_PORT or a free
# port, in a folder under the caller's temporary folder; each Seau or bench
# program gets a fresh database of its own.

# bench_root: the repository (the caller may set it; else from $0).
bench_root=${bench_root:-$(cd "$(dirname "$0")/.." && pwd)}
bench_pg_bin=${SEAU_PG_BIN:-/usr/lib/postgresql/15/bin}
if [ -z "${BENCH_STORES:-}" ]; then
    BENCH_STORES=sqlite
    [ -x "$bench_pg_bin/initdb" ] && BENCH_STORES="sqlite postgres"
fi
for bench_store in $BENCH_STORES; do
    case $bench_store in
    sqlite | postgres) ;;
    *) echo "bench: BENCH_STORES: unknown store '$bench_store' (sqlite, postgres)" >&2; exit 2 ;;
    esac
done

bench_free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# bench_pg_up DIR: starts PostgreSQL with its state in DIR; sets bench_pg_url
# (the maintenance database) and bench_pg_state. bench_pg_down stops it.
bench_pg_state=
bench_pg_up() {
    bench_pg_state=$1
    # The server runs as `postgres` when we are root: it must reach the folder.
    chmod o+x "$(dirname "$bench_pg_state")"
    SEAU_TEST_PG_PORT=${BENCH_PG_PORT:-$(bench_free_port)} \
        "$bench_root/tests/peers/postgres-up.sh" "$bench_pg_state" >"$bench_pg_state.log" 2>&1 ||
        { cat "$bench_pg_state.log" >&2; echo "bench: PostgreSQL did not start" >&2; exit 1; }
    bench_pg_url=$(sed -n 's/^export SEAU_TEST_DATABASE_URL=//p' "$bench_pg_state/postgres.env")
}
bench_pg_down() {
    [ -z "$bench_pg_state" ] || "$bench_root/tests/peers/postgres-down.sh" "$bench_pg_state" >/dev/null 2>&1 || true
    bench_pg_state=
}

# bench_pg_db NAME: creates database NAME and prints its URL.
bench_pg_db() {
    psql -q -X -v ON_ERROR_STOP=1 "$bench_pg_url" -c "CREATE DATABASE \"$1\"" >/dev/null
    printf '%s\n' "${bench_pg_url%/*}/$1"
}
