#!/usr/bin/env bash
# Installs this folder's npm packages from the lockfile (once per checkout) and runs its node:test suite.
# For .ci/run and for C# test fixtures: `bash tests/interop/credo/ci.sh install` only installs.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/@credo-ts/core/package.json ]; then
  npm ci --no-audit --no-fund
fi
if [ "${1:-}" != "install" ]; then
  npm test
fi
