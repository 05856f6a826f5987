#!/bin/sh
# Usage: with-env.sh ENV_FILE COMMAND [ARG...]
# Runs COMMAND with the variables of an env file written by s3-peers-up.sh.
set -eu
env_file=$1
shift
[ -f "$env_file" ] || { echo "no $env_file: the s3_peers_up fixture did not run or failed" >&2; exit 1; }
. "$env_file"
exec "$@"
