#!/bin/sh
# `seau s3` against a live S3 server (the env of tests/peers/with-env.sh):
# every subcommand, odd keys, a multipart-sized file both ways, presigned
# URLs used by curl, and the errors an operator sees. Prints TAP-style
# "# pass N" / "# fail N" so scripts/test-summary counts the cases.
# Usage: cli.sh SEAU_BINARY
set -u
SEAU=$1
: "${S3_ENDPOINT:?run through tests/peers/with-env.sh}"
"$(dirname "$0")/../../scripts/require" python3 curl || exit 1
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
check() { # check NAME COMMAND...: passes when COMMAND succeeds
    name=$1
    shift
    if "$@" >"$work/out" 2>&1; then ok "$name"; else not_ok "$name"; sed 's/^/    /' "$work/out"; fi
}

bucket="cli-$(date +%s)-$$"
# The bucket is made by curl's own SigV4 signer: an independent client.
curl -sf -o /dev/null --aws-sigv4 "aws:amz:${AWS_REGION:-us-east-1}:s3" \
    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
    -H "x-amz-content-sha256: e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
    -X PUT "$S3_ENDPOINT/$bucket" || { echo "cannot create bucket $bucket"; echo "# fail 1"; exit 1; }
export SEAU_S3_ENDPOINT=$S3_ENDPOINT SEAU_BUCKETS=$bucket SEAU_LOG_LEVEL=warn

key='docs/ré sumé+50%~.txt'
printf 'hello, seau\n' >"$work/small"
check "put a small file under an odd key" "$SEAU" s3 put "$work/small" "$key"
check "ls lists the folder" sh -c "'$SEAU' s3 ls | grep -q 'PRE docs/'"
check "ls PREFIX lists the key, decoded" sh -c "'$SEAU' s3 ls docs/ | grep -qF '$key'"
check "get returns the same bytes" sh -c "'$SEAU' s3 get '$key' '$work/back' && cmp '$work/small' '$work/back'"
check "presigned GET works with curl" sh -c \
    "curl -sf \"\$('$SEAU' s3 presign '$key' --expires 60)\" | cmp - '$work/small'"
printf 'via presigned put\n' >"$work/put-body"
check "presigned PUT works with curl" sh -c \
    "curl -sf -T '$work/put-body' \"\$('$SEAU' s3 presign put-target --method PUT)\" &&
     '$SEAU' s3 get put-target '$work/put-back' && cmp '$work/put-body' '$work/put-back'"

# Past 64 MiB: parallel multipart upload, parallel ranged download.
head -c $((70 * 1024 * 1024 + 12345)) /dev/urandom >"$work/big"
check "put of 70 MiB (multipart)" "$SEAU" s3 put "$work/big" big/file.bin
check "get of 70 MiB (ranged parts) is identical" sh -c \
    "'$SEAU' s3 get big/file.bin '$work/big-back' && cmp '$work/big' '$work/big-back'"
check "no partial file is left beside the target" sh -c "! ls '$work' | grep -q seau-"

check "rm deletes" sh -c "'$SEAU' s3 rm '$key' && ! '$SEAU' s3 get '$key' '$work/gone' 2>/dev/null"
check "get of a missing key fails with S3's answer" sh -c \
    "! '$SEAU' s3 get nope '$work/x' 2>'$work/err'; grep -q '404' '$work/err' && [ ! -e '$work/x' ]"
check "an invalid key is refused before any request" sh -c \
    "'$SEAU' s3 put '$work/small' '../up' 2>/dev/null; [ \$? -eq 2 ]"
check "no bucket configured is a clear usage error" sh -c \
    "SEAU_BUCKETS= '$SEAU' s3 ls 2>&1 | grep -q 'no bucket'"
if [ "${S3_PEER:-}" = rgw ]; then
    # Only a server that checks signatures can refuse a wrong secret.
    check "a wrong secret is refused, and the secret is not printed" sh -c \
        "! AWS_SECRET_ACCESS_KEY=wrongwrongwrongwrong '$SEAU' s3 ls 2>'$work/err' &&
         grep -q 'SignatureDoesNotMatch' '$work/err' && ! grep -q wrongwrong '$work/err'"
fi
# seau check and /api/ready reach the storage, and name what is missing.
check "seau check reaches the bucket" sh -c "'$SEAU' check | grep -q 'bucket $bucket: reachable'"
check "seau check names a missing bucket and fails" sh -c \
    "! SEAU_BUCKETS='$bucket,missing-$bucket' '$SEAU' check >/dev/null 2>'$work/err' &&
     grep -q 'missing-$bucket does not exist' '$work/err'"
ready() { # ready BUCKETS: starts serve, prints /api/ready's status and body, stops it
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    SEAU_BUCKETS=$1 SEAU_LISTEN=127.0.0.1:$port SEAU_DATABASE_URL="sqlite:$work/db-$port/seau.db" \
        SEAU_ADMIN_EMAIL=a@example.com SEAU_ADMIN_PASSWORD=a-long-password \
        "$SEAU" serve >"$work/serve.out" 2>&1 &
    pid=$!
    for _ in $(seq 100); do curl -s "http://127.0.0.1:$port/api/health" >/dev/null && break; sleep 0.1; done
    curl -s -w ' %{http_code}' "http://127.0.0.1:$port/api/ready"
    kill -TERM $pid
    wait $pid
}
out=$(ready "$bucket")
case "$out" in *'"s3":"ok"'*' 200') ok "/api/ready is 200 with s3 ok" ;; *) not_ok "/api/ready is 200 with s3 ok: $out" ;; esac
out=$(ready "$bucket,missing-$bucket")
case "$out" in *'"s3":"failed"'*' 503') ok "/api/ready is 503 naming S3 when a bucket is missing" ;;
*) not_ok "/api/ready is 503 naming S3 when a bucket is missing: $out" ;; esac

"$SEAU" s3 rm put-target >/dev/null
"$SEAU" s3 rm big/file.bin >/dev/null
echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ]
