#!/usr/bin/env bash
# npm test: static checks, then the three vitest suites — pure/in-process, Workers runtime, and
# integration against real servers started by infra/stack.sh. Prints one closing line
# "tests: N passed, N failed" summed over the suites.
set -uo pipefail
cd "$(dirname "$0")/../.."
export PATH="$PWD/node_modules/.bin:$PATH"
export WRANGLER_SEND_METRICS=false
out=.data/test-results
mkdir -p "$out"
rm -f "$out"/*.json
status=0
step() { echo; echo "=== $* ==="; }

step "lint"
eslint . || status=1
step "typecheck"
tsc -p tsconfig.json --noEmit || status=1

step "unit (core, aggregator embedded adapters, tools)"
vitest run --config vitest.config.ts --reporter=default --reporter=json --outputFile="$out/unit.json" || status=1

if [ -f vitest.workers.config.ts ]; then
  step "edge in the Workers runtime"
  # The Workers tests reach the local Upstash bridge and a receiver; the bridge needs Redis.
  bash infra/stack.sh up redis upstash-bridge || status=1
  vitest run --config vitest.workers.config.ts --reporter=default --reporter=json --outputFile="$out/workers.json" || status=1
fi

step "integration (real Kafka, Cassandra, PostgreSQL, S3Proxy, Redis, Prometheus)"
if bash infra/stack.sh up; then
  vitest run --config vitest.int.config.ts --reporter=default --reporter=json --outputFile="$out/int.json" || status=1
else
  echo "stack failed to start; see .data/stack/*/*.log"
  status=1
fi
[ "${VIGIL_KEEP_STACK:-}" = "1" ] || bash infra/stack.sh down >/dev/null 2>&1 || true

node infra/dev/test-summary.mjs "$out" || status=1
exit $status
