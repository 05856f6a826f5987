#!/bin/bash
# Stops what s3-peers-up.sh STATE_DIR started (s3rver, fauxqs, Ceph), by the
# PIDs it recorded, and
# deletes the servers' data. Safe to run twice.
set -u
STATE=${1:?usage: s3-peers-down.sh STATE_DIR}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PEERS=${SEAU_SHARED_PEERS:-$ROOT/../shared/peers}
for name in s3rver fauxqs; do
  [ -f "$STATE/$name.pid" ] || continue
  pid=$(cat "$STATE/$name.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$STATE/$name.pid"
done
rm -rf "$STATE/s3rver" "$STATE/rgw.env" "$STATE/s3rver.env" "$STATE/sqs.env"
[ -d "$STATE/rgw" ] && CEPH_DIR=$STATE/rgw WIPE=1 "$PEERS/radosgw-down.sh" >/dev/null
echo "S3 peers down"
exit 0
