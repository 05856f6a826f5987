#!/bin/bash
# Starts the servers the C integration tests (tests/s3/) run against, and
# writes one env file per server for tests/peers/with-env.sh:
#   STATE/rgw.env     Ceph RGW (../shared/peers/radosgw-up.sh): checks signatures
#   STATE/s3rver.env  s3rver from npm (tests/peers/node_modules): breadth only
#   STATE/sqs.env     fauxqs from npm: SQS in the AWS JSON protocol
# Each holds S3_PEER, S3_ENDPOINT (SQS_ENDPOINT for fauxqs), AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_REGION. Stop them with s3-peers-down.sh STATE.
#
# Usage: s3-peers-up.sh STATE_DIR
# Ports (loopback only; override to run two clusters at once):
#   SEAU_TEST_RGW_PORT (17480), SEAU_TEST_MON_PORT (17481, and +1),
#   SEAU_TEST_MS_PORTS (17500-17539), SEAU_TEST_S3RVER_PORT (17490),
#   SEAU_TEST_FAUXQS_PORT (17495)
# A missing server is an error, never a skip: run scripts/setup first.
set -euo pipefail
STATE=${1:?usage: s3-peers-up.sh STATE_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${SEAU_SHARED_PEERS:-$ROOT/../shared/peers}
RGW_PORT=${SEAU_TEST_RGW_PORT:-17480}
MON_PORT=${SEAU_TEST_MON_PORT:-17481}
MS_PORTS=${SEAU_TEST_MS_PORTS:-17500-17539}
S3RVER_PORT=${SEAU_TEST_S3RVER_PORT:-17490}
FAUXQS_PORT=${SEAU_TEST_FAUXQS_PORT:-17495}
# Every program the peers need, checked first: one line naming the missing
# package, never a timeout. (radosgw-up.sh also needs ceph-authtool,
# monmaptool and radosgw-admin, which come with ceph-mon and radosgw.)
"$ROOT/scripts/require" node radosgw ceph-mon ceph-osd uuidgen bc curl
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)

# s3rver first: it starts in well under a second and runs while RGW boots.
S3RVER=$HERE/node_modules/.bin/s3rver
[ -x "$S3RVER" ] || { echo "s3rver is not installed: run scripts/setup" >&2; exit 1; }
if [ -f "$STATE/s3rver.pid" ] && kill -0 "$(cat "$STATE/s3rver.pid")" 2>/dev/null; then
  kill "$(cat "$STATE/s3rver.pid")" 2>/dev/null || true
fi
rm -rf "$STATE/s3rver"
mkdir -p "$STATE/s3rver"
# The OpenSSL flag: without it s3rver 3.7 fails every truncated listing
# (see ../shared/peers/README.md).
NODE_OPTIONS=--openssl-legacy-provider setsid "$S3RVER" -d "$STATE/s3rver" -a 127.0.0.1 \
  -p "$S3RVER_PORT" --configure-bucket seau-cors "$HERE/s3rver-cors.xml" --silent \
  >"$STATE/s3rver.log" 2>&1 </dev/null &
echo $! >"$STATE/s3rver.pid"
if [ -f "$STATE/fauxqs.pid" ] && kill -0 "$(cat "$STATE/fauxqs.pid")" 2>/dev/null; then
  kill "$(cat "$STATE/fauxqs.pid")" 2>/dev/null || true
fi
FAUXQS_PORT=$FAUXQS_PORT setsid node "$HERE/fauxqs-loopback.mjs" >"$STATE/fauxqs.log" 2>&1 </dev/null &
echo $! >"$STATE/fauxqs.pid"

# S3 keys are up to 1024 bytes; RGW stores a key in a RADOS object name of the
# bucket marker and the key, which the shared script's 460-byte OSD limit
# (osd max object name len) refuses with a 500. Ceph daemons read CEPH_ARGS
# after their config file, so the limit is raised here without touching it.
CEPH_ARGS="--osd_max_object_name_len=2048" \
CEPH_DIR=$STATE/rgw RGW_PORT=$RGW_PORT MON_PORT=$MON_PORT MS_PORT_MIN=${MS_PORTS%-*} \
  MS_PORT_MAX=${MS_PORTS#*-} "$PEERS/radosgw-up.sh" >"$STATE/rgw-up.log" 2>&1 \
  || { tail -20 "$STATE/rgw-up.log" >&2; exit 1; }
. "$STATE/rgw/s3.env"
cat >"$STATE/rgw.env" <<ENV
export S3_PEER=rgw
export S3_ENDPOINT=$S3_ENDPOINT
export AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export AWS_REGION=us-east-1
ENV

for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$S3RVER_PORT/" && break
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$S3RVER_PORT/" \
  || { echo "s3rver is not answering on $S3RVER_PORT" >&2; cat "$STATE/s3rver.log" >&2; exit 1; }
cat >"$STATE/s3rver.env" <<ENV
export S3_PEER=s3rver
export S3_ENDPOINT=http://127.0.0.1:$S3RVER_PORT
export AWS_ACCESS_KEY_ID=S3RVER
export AWS_SECRET_ACCESS_KEY=S3RVER
export AWS_REGION=us-east-1
export S3_CORS_BUCKET=seau-cors
ENV
for _ in $(seq 1 100); do
  curl -s -o /dev/null "http://127.0.0.1:$FAUXQS_PORT/" && break
  sleep 0.1
done
curl -s -o /dev/null "http://127.0.0.1:$FAUXQS_PORT/" \
  || { echo "fauxqs is not answering on $FAUXQS_PORT" >&2; cat "$STATE/fauxqs.log" >&2; exit 1; }
cat >"$STATE/sqs.env" <<ENV
export S3_PEER=fauxqs
export SQS_ENDPOINT=http://127.0.0.1:$FAUXQS_PORT
export AWS_ACCESS_KEY_ID=FAUXQS
export AWS_SECRET_ACCESS_KEY=FAUXQS
export AWS_REGION=us-east-1
ENV
echo "S3 peers up: RGW $S3_ENDPOINT, s3rver http://127.0.0.1:$S3RVER_PORT," \
  "fauxqs http://127.0.0.1:$FAUXQS_PORT (env files in $STATE)"
