#!/usr/bin/env bash
# Installs the npm dependencies when they are missing or older than the lock file, so that
# `npm start` and `npm test` work on a fresh clone with nothing run before them. A fresh clone
# gets `npm ci`; an existing tree with a newer lock file gets an in-place `npm install`, which
# does not empty node_modules under processes that are using it.
set -euo pipefail
cd "$(dirname "$0")/../.."
stamp=node_modules/.package-lock.json
if [ ! -d node_modules ] || [ ! -x node_modules/.bin/node ]; then
  echo "[bootstrap] installing npm dependencies (npm ci)"
  npm ci --no-audit --no-fund
elif [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ]; then
  echo "[bootstrap] package-lock.json changed: npm install"
  npm install --no-audit --no-fund
fi
