#!/usr/bin/env bash
# Creates Kafka topics (local caps from stack.env), applies aggregator/schema/cassandra/*.cql and creates the
# S3 bucket, against a running stack. The aggregator does the same at start; this is for manual use.
#   infra/scripts/init-schemas.sh [kafka] [cassandra] [s3] [postgres]   (default: kafka cassandra s3)
SERVICE=init-schemas
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
run_ts "$VIGIL_ROOT/infra/scripts/init-schemas.ts" "$@"
