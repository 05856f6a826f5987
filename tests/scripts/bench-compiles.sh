#!/bin/sh
# The C programs under bench/ still compile against the library's headers:
# they are not built by make test, so an API change would otherwise break
# them unseen until someone runs a benchmark. Syntax and types only (the
# benchmarks link the release library, bench/cc-bench). TAP-style counts.
# Usage: bench-compiles.sh REPO_ROOT
set -u
ROOT=$1
modules=$(awk '/pkg_check_modules\(DEPS/ {on = 1; next}
    on {line = $0; last = sub(/\).*/, "", line); printf "%s ", line; if (last) exit}' "$ROOT/CMakeLists.txt")
pass=0
fail=0
for f in "$ROOT"/bench/*.c; do
    gnu=-D_GNU_SOURCE # as bench/cc-bench, unless the program defines it itself
    grep -q '^#define _GNU_SOURCE' "$f" && gnu=
    # shellcheck disable=SC2046,SC2086 # the module list and pkg-config's flags are word lists
    if out=$(cc -fsyntax-only -std=c17 $gnu -Wall -Werror -I"$ROOT/src" \
        $(pkg-config --cflags $modules) "$f" 2>&1); then
        pass=$((pass + 1)); echo "ok - bench/$(basename "$f") compiles"
    else
        fail=$((fail + 1)); echo "not ok - bench/$(basename "$f") compiles"
        printf '%s\n' "$out" | head -n 20 | sed 's/^/#   /'
    fi
done
echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
