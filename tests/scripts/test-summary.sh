#!/bin/sh
# scripts/test-summary, which turns a verbose CTest log into make test's
# summary line and, with --failures, into what CI shows of a failed run:
# the counts add up across cmocka and node:test, a crash after passing
# cases still counts as a failure, and a failed case far from the end of a
# long output is still shown with its diagnostics.
# TAP-style counts at the end.
# Usage: test-summary.sh REPO_ROOT
set -u
SUMMARY=$1/scripts/test-summary
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

# Three CTest tests: cmocka passing, node:test with one failed case early
# in a long output, and a test that crashed after its cases passed.
{
    echo "1: [==========] Running 3 test(s)."
    echo "1: [  PASSED  ] 3 test(s)."
    echo "  1/3 Test  #1: unit_a ...........   Passed    0.10 sec"
    echo "2: ok 1 - first"
    echo "2: not ok 2 - the early failure"
    echo "2:   ---"
    echo "2:   error: 'expected 200, got 503'"
    echo "2:   ..."
    i=0
    while [ $i -lt 400 ]; do echo "2: # a line of server log number $i"; i=$((i + 1)); done
    echo "2: # pass 1"
    echo "2: # fail 1"
    echo "  2/3 Test  #2: integration ......***Failed   12.00 sec"
    echo "3: ok 1 - all fine"
    echo "3: ==1==ERROR: AddressSanitizer: heap-use-after-free"
    echo "3: # pass 1"
    echo "3: # fail 0"
    echo "  3/3 Test  #3: crashed ..........***Failed    1.00 sec"
} >"$work/log"

check "the summary adds the cases and counts a crash as a failure" sh -c \
    "out=\$('$SUMMARY' '$work/log'); [ \"\$out\" = '5 passed, 2 failed' ] || { echo \"\$out\"; exit 1; }"
check "the summary exits non-zero when a case failed" sh -c "! '$SUMMARY' '$work/log'"
check "--failures shows the early failed case with its error" sh -c \
    "'$SUMMARY' --failures '$work/log' | sed -n '/integration: the failed cases/,/^\$/p' | grep -q \"error: 'expected 200, got 503'\""
check "--failures shows the end of a crashed test's output" sh -c \
    "'$SUMMARY' --failures '$work/log' | grep -q 'AddressSanitizer: heap-use-after-free'"
check "--failures leaves out the tests that passed" sh -c \
    "! '$SUMMARY' --failures '$work/log' | grep -q unit_a"
check "a log without tests is a failure" sh -c \
    "echo nothing >'$work/empty'; out=\$('$SUMMARY' '$work/empty'); [ \"\$out\" = '0 passed, 1 failed' ]"

echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ]
