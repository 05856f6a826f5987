#!/bin/sh
# Usage: run.sh FUZZER CORPUS_DIR SECONDS
# Replays every seed in CORPUS_DIR, then fuzzes for SECONDS from it. New
# inputs go to a scratch folder so the committed corpus only grows on purpose.
set -eu
fuzzer=$1 corpus=$2 seconds=$3
"$fuzzer" -runs=0 "$corpus"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$scratch/" "$scratch" "$corpus" 2>&1 | tail -n 12
# The pipe hides the fuzzer's status: a crash leaves an artifact behind.
if ls "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-* >/dev/null 2>&1; then
    echo "fuzzer found a failing input:"; ls "$scratch"
    cp "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* "$scratch"/oom-* . 2>/dev/null || true
    exit 1
fi
