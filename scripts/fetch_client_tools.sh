#!/usr/bin/env bash
# Install the npm tools of tests/api/test_generated_clients.py, pinned, into a git-ignored folder.
#
# Usage: bash scripts/fetch_client_tools.sh [DIR]    (DIR defaults to tests/api/.client-tools)
#
# openapi-typescript turns /openapi.json into TypeScript types and tsc type-checks code that uses
# them. Nothing here is committed; the test runs this script itself, which returns at once when
# DIR already holds exactly these versions. openapi-typescript 7 needs typescript ^5 (a peer
# dependency), so typescript stays on 5.x.
set -euo pipefail
cd "$(dirname "$0")/.."

OPENAPI_TYPESCRIPT_VERSION=7.13.0
TYPESCRIPT_VERSION=5.9.3
DIR=${1:-tests/api/.client-tools}

installed() {  # the version of npm package $1 in DIR, or nothing
    local manifest="$DIR/node_modules/$1/package.json"
    [[ -f $manifest ]] && node -p "require(process.argv[1]).version" "$PWD/$manifest" 2>/dev/null
    return 0
}

if [[ "$(installed openapi-typescript)" == "$OPENAPI_TYPESCRIPT_VERSION" &&
    "$(installed typescript)" == "$TYPESCRIPT_VERSION" ]]; then
    exit 0
fi
if ! command -v npm >/dev/null; then
    echo "fetch_client_tools.sh needs npm (Debian: apt-get install npm)" >&2
    exit 1
fi
mkdir -p "$DIR"
npm install --prefix "$DIR" --no-audit --no-fund --ignore-scripts --save-exact --loglevel=error \
    "openapi-typescript@$OPENAPI_TYPESCRIPT_VERSION" "typescript@$TYPESCRIPT_VERSION"
