#!/bin/sh
# The one dependency list (scripts/dependencies) holds its promises: it is
# well formed and names each package once, every npm folder it names has a
# lock, every program of the base group is installed (so scripts/setup,
# which CI runs first, installed all it lists), and scripts/require fails at
# once with one line naming the package and the command that installs it.
# TAP-style counts at the end.
# Usage: dependencies.sh REPO_ROOT
set -u
ROOT=$1
deps=$ROOT/scripts/dependencies
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() { # DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@" >"$work/out" 2>&1; then
        pass=$((pass + 1)); echo "ok - $d"
    else
        fail=$((fail + 1)); echo "not ok - $d"; sed 's/^/#   /' "$work/out"
    fi
}

check "every line is deb|npm|ext NAME PROGRAM GROUP why" sh -c \
    "! grep -vE '^(#|\$)' '$deps' | awk '!(\$1 ~ /^(deb|npm|ext)\$/ && NF >= 5 && \$4 ~ /^[a-z]+\$/)' | grep ."
check "no package or folder is listed twice" sh -c \
    "! grep -E '^(deb|npm) ' '$deps' | awk '{print \$2}' | sort | uniq -d | grep ."
check "every npm folder has its package-lock.json" sh -c \
    "for d in \$(awk '\$1 == \"npm\" {print \$2}' '$deps'); do [ -f '$ROOT'/\$d/package-lock.json ] || { echo \"\$d\"; exit 1; }; done"
check "every base program is installed (scripts/setup did its job)" sh -c \
    "'$ROOT/scripts/require' \$(awk '(\$1 == \"deb\" || \$1 == \"ext\") && \$4 == \"base\" && \$3 != \"-\" {gsub(\",\", \" \", \$3); print \$3}' '$deps')"
check "every base library package is installed" sh -c \
    "for p in \$(awk '\$1 == \"deb\" && \$4 == \"base\" && \$3 == \"-\" {print \$2}' '$deps'); do dpkg-query -W -f='\${Status}' \$p 2>/dev/null | grep -q 'install ok installed' || { echo \"\$p is not installed\"; exit 1; }; done"

# scripts/require against a list naming a program that cannot exist.
mkdir -p "$work/scripts"
cp "$ROOT/scripts/require" "$work/scripts/"
printf 'deb  seau-fake-pkg  /nonexistent/seau-fake  base  a test\ndeb  seau-fake-bench  seau-fake-bench-prog  bench  a test\next  seau-fake-ext  seau-fake-ext-prog  base  a test\n' >"$work/scripts/dependencies"
check "require passes for programs that are there" "$work/scripts/require" sh /bin/sh
check "require fails for a missing program, naming its package and setup" sh -c \
    "! '$work/scripts/require' sh /nonexistent/seau-fake 2>'$work/err' &&
     [ \$(wc -l <'$work/err') -eq 1 ] &&
     grep -qx 'missing: /nonexistent/seau-fake (Debian package seau-fake-pkg): run scripts/setup, or apt-get install seau-fake-pkg' '$work/err'"
check "require names the group's setup command for a benchmark tool" sh -c \
    "! '$work/scripts/require' seau-fake-bench-prog 2>'$work/err' && grep -q 'run scripts/setup bench,' '$work/err'"
check "require says when no registry provides a missing program" sh -c \
    "! '$work/scripts/require' seau-fake-ext-prog 2>'$work/err' && grep -q 'which no Debian or npm package provides' '$work/err'"
check "require names a program the list lacks" sh -c \
    "! '$work/scripts/require' seau-unlisted 2>'$work/err' && grep -q 'does not list' '$work/err'"
# The harnesses call it before starting a peer.
check "clamd, Chromium and the S3 peers are checked before they start" sh -c \
    "grep -q 'requirePrograms(CLAMD)' '$ROOT/tests/integration/clamd.ts' &&
     grep -q 'requirePrograms(CHROMIUM)' '$ROOT/tests/browser/console.ts' &&
     grep -q 'scripts/require\" node radosgw' '$ROOT/tests/peers/s3-peers-up.sh'"

echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ]
