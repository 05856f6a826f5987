#!/bin/sh
# Builds the web client (web/out) when a source is newer than the last
# export, and does nothing otherwise: `make run` and the browser tests call
# it. Installs the npm packages first when the lock file changed, the one
# way every target does (scripts/setup).
set -eu
cd "$(dirname "$0")/.."
../scripts/setup --npm web
stamp=out/csp.json
if [ -f "$stamp" ] && [ -z "$(find app components lib public scripts package-lock.json next.config.ts postcss.config.mjs tsconfig.json -newer "$stamp" -type f 2>/dev/null | head -n 1)" ]; then
    exit 0
fi
echo "web: building the web client (web/out)"
npm run --silent build >build.log 2>&1 || { tail -n 40 build.log >&2; echo "web: the build failed (web/build.log)" >&2; exit 1; }
tail -n 1 build.log
