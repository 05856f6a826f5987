#!/bin/sh
# `make run`'s script (scripts/run) on a clean slate: it starts the local S3
# server and Seau, the printed admin can sign in, readiness sees S3, the demo
# bucket takes uploads and answers the browser's CORS preflight, and both
# processes stop when the script is told to. TAP-style counts at the end.
# Usage: run.sh REPO_ROOT
set -u
ROOT=$1
"$ROOT/scripts/require" python3 curl || exit 1
work=$(mktemp -d)
pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
port=$(free_port)
s3port=$(free_port)
cleanup() {
    kill -TERM "$pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

env -u SEAU_S3_ENDPOINT -u AWS_ENDPOINT_URL_S3 -u SEAU_BUCKETS -u SEAU_ADMIN_EMAIL \
    -u SEAU_ADMIN_PASSWORD SEAU_LISTEN="127.0.0.1:$port" SEAU_LOCAL_S3_PORT="$s3port" \
    SEAU_LOCAL_S3_DIR="$work/s3" SEAU_DATABASE_URL="sqlite:$work/db/seau.db" \
    "$ROOT/scripts/run" >"$work/out" 2>"$work/err" &
pid=$!
base="http://127.0.0.1:$port"
for _ in $(seq 150); do curl -s -o /dev/null "$base/api/health" && break; sleep 0.1; done

curl -sf "$base/api/health" | grep -q '"status":"ok"' && ok "health answers" || not_ok "health answers"
password=$(sed -n 's/^ *password: *//p' "$work/out")
token=$(curl -s -H 'Content-Type: application/json' \
    -d "{\"email\":\"admin@localhost\",\"password\":\"$password\"}" "$base/api/auth/login" |
    python3 -c 'import json,sys; print(json.load(sys.stdin).get("token",""))' 2>/dev/null)
[ -n "$password" ] && [ -n "$token" ] && ok "the printed admin can sign in" ||
    not_ok "the printed admin can sign in"
curl -s "$base/api/ready" | grep -q '"s3":"ok"' && ok "readiness sees the local S3" ||
    not_ok "readiness sees the local S3"
printf 'demo' >"$work/f"
SEAU_S3_ENDPOINT="http://127.0.0.1:$s3port" SEAU_BUCKETS=seau-demo AWS_ACCESS_KEY_ID=S3RVER \
    AWS_SECRET_ACCESS_KEY=S3RVER "$ROOT/build/seau" s3 put "$work/f" hello.txt >/dev/null 2>&1 &&
    [ -f "$(find "$work/s3" -path '*seau-demo*' -name 'hello.txt*' | head -n 1)" ] &&
    ok "the demo bucket stores files under SEAU_LOCAL_S3_DIR" ||
    not_ok "the demo bucket stores files under SEAU_LOCAL_S3_DIR"
preflight() { # preflight ORIGIN: the status of a PUT preflight from ORIGIN
    curl -s -o /dev/null -w '%{http_code}' -X OPTIONS -H "Origin: $1" \
        -H 'Access-Control-Request-Method: PUT' "http://127.0.0.1:$s3port/seau-demo/upload.bin"
}
exposed=$(curl -s -D - -o /dev/null -H "Origin: $base" "http://127.0.0.1:$s3port/seau-demo/hello.txt")
[ "$(preflight "$base")" = 200 ] && [ "$(preflight http://evil.example)" = 403 ] &&
    printf '%s' "$exposed" | grep -qi "access-control-allow-origin: $base" &&
    printf '%s' "$exposed" | grep -qi 'access-control-expose-headers:.*etag' &&
    ok "the demo bucket lets the console's origin (only) upload and read ETags" ||
    not_ok "the demo bucket lets the console's origin (only) upload and read ETags"

kill -TERM "$pid"
for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$pid" 2>/dev/null && ! curl -s -o /dev/null "$base/api/health" &&
    ! curl -s -o /dev/null "http://127.0.0.1:$s3port/"; then
    ok "Seau and the local S3 stop together"
else
    not_ok "Seau and the local S3 stop together"
fi
echo "# pass $pass"
echo "# fail $fail"
[ "$fail" -eq 0 ]
