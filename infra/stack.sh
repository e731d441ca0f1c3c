#!/usr/bin/env bash
# The whole local stack: Kafka, Cassandra, S3Proxy, PostgreSQL, Redis, the Upstash REST bridge and
# Prometheus, each through its infra/scripts/<service>.sh.
#
#   infra/stack.sh up     [service...]   fetch (first run), then start and wait for health
#   infra/stack.sh down   [service...]   stop what we started (machine PostgreSQL/Redis stay up)
#   infra/stack.sh status [service...]   exit 1 when any is not healthy
#   infra/stack.sh init                  create topics, CQL schema and bucket (init-schemas.sh)
#
# Services: postgres redis kafka cassandra s3proxy upstash-bridge prometheus (default: all).
# --secure (anywhere on the line, with up/down/status): the secured stack instead, beside the
# plaintext one: TLS and authentication everywhere, own ports and folders (infra/secure/secure.sh);
# `up --secure` writes the client settings to $VIGIL_STACK_DIR/secure.env.
# Startup time matters (CI budget), so independent services start (and download) in parallel;
# only the first Maven download runs alone, because concurrent Maven runs into a fresh ~/.m2 race
# on the shared plugin files.
set -euo pipefail
SCRIPTS="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/scripts"
SERVICE=stack
ARGS=()
for a in "$@"; do
  if [[ "$a" == --secure ]]; then export VIGIL_SECURE=1; else ARGS+=("$a"); fi
done
set -- ${ARGS[@]+"${ARGS[@]}"}
source "$SCRIPTS/lib.sh"

ALL=(postgres redis kafka cassandra s3proxy upstash-bridge prometheus)
# The secured stack has no Prometheus; its Redis (infra/secure/redis.sh) is its own, with a password.
if secure_mode; then ALL=(postgres redis kafka cassandra s3proxy upstash-bridge); SERVICE=stack-secure; fi
FETCHABLE=(kafka cassandra s3proxy)
# Started together first; the rest after, because they depend on one of these (bridge -> redis).
WAVE1=(postgres redis kafka cassandra s3proxy)
WAVE2=(upstash-bridge prometheus)

# A service's script: infra/secure/<service>.sh when the secured stack has its own, else the shared one.
script_for() {
  if secure_mode && [[ -f "$VIGIL_ROOT/infra/secure/$1.sh" ]]; then printf '%s' "$VIGIL_ROOT/infra/secure/$1.sh"
  else printf '%s' "$SCRIPTS/$1.sh"; fi
}

declare -A WANTED=()
EXPLICIT=0

select_services() {
  if (($# == 0)); then
    for s in "${ALL[@]}"; do WANTED[$s]=1; done
    return
  fi
  EXPLICIT=1
  for s in "$@"; do
    [[ " ${ALL[*]} " == *" $s "* ]] || die "unknown service '$s' (known: ${ALL[*]})"
    WANTED[$s]=1
  done
}

wanted() { [[ -n "${WANTED[$1]:-}" ]]; }

RUN_DIR=""
# run_parallel action service...: runs `<service>.sh action` concurrently, one log per service,
# prints each outcome with its duration; returns non-zero if any failed.
run_parallel() {
  local action="$1"; shift
  local -A pids=() t0s=()
  local s rc failed=0
  for s in "$@"; do
    t0s[$s]=$(now_ms)
    # Each job records its own end time, so a slow neighbour does not inflate its duration.
    { rc=0; bash "$(script_for "$s")" "$action" >"$RUN_DIR/$s.$action.log" 2>&1 || rc=$?
      echo "$rc $(now_ms)" >"$RUN_DIR/$s.$action.end"; } &
    pids[$s]=$!
  done
  for s in "$@"; do
    wait "${pids[$s]}" || true
    local end; read -r rc end <"$RUN_DIR/$s.$action.end" || { rc=1; end=$(now_ms); }
    local secs; secs=$(awk "BEGIN{printf \"%.1f\", (${end} - ${t0s[$s]})/1000}")
    if ((rc == 0)); then
      log "$s: $action ok (${secs}s)"
    else
      failed=1
      log "$s: $action FAILED (exit $rc, ${secs}s); its output:"
      sed 's/^/    /' "$RUN_DIR/$s.$action.log" >&2
    fi
  done
  return $failed
}

cmd_up() {
  local t0; t0=$(now_ms)
  local s list=()
  # The first Maven download also fetches Maven's own plugins into ~/.m2; run it alone, then
  # the other downloads happen inside the parallel starts (they share no files any more).
  for s in "${FETCHABLE[@]}"; do
    if wanted "$s"; then
      bash "$SCRIPTS/$s.sh" fetch || die "$s: download failed"
      break
    fi
  done
  local failed=0
  list=(); for s in "${WAVE1[@]}"; do wanted "$s" && list+=("$s"); done
  ((${#list[@]} == 0)) || run_parallel start "${list[@]}" || failed=1
  list=()
  for s in "${WAVE2[@]}"; do
    wanted "$s" || continue
    # Prometheus's config is written separately; without it, `up` of everything skips it
    # instead of failing (asking for prometheus by name still fails loudly).
    if [[ "$s" == prometheus && $EXPLICIT == 0 && ! -f "$(abs_path "$PROMETHEUS_CONFIG")" ]]; then
      log "prometheus: skipped, no config at $PROMETHEUS_CONFIG yet"
      continue
    fi
    list+=("$s")
  done
  ((${#list[@]} == 0)) || run_parallel start "${list[@]}" || failed=1
  local secs; secs=$(awk "BEGIN{printf \"%.1f\", ($(now_ms) - ${t0})/1000}")
  if ((failed)); then die "stack up failed after ${secs}s (logs: $STACK_DIR/<service>/logs)"; fi
  log "stack up in ${secs}s"
  if secure_mode; then
    write_secure_env
    log "  kafka $KAFKA_BROKERS (SASL_SSL) | cassandra $CASSANDRA_CONTACT_POINTS (TLS) | s3 $S3_ENDPOINT | postgres ${PGHOST}:${PGPORT} (hostssl) | upstash $UPSTASH_REDIS_REST_URL"
    log "  client settings: $SECURE_ENV_FILE (secrets in $SECURE_SECRETS_DIR)"
    return 0
  fi
  log "  kafka $KAFKA_BROKERS | cassandra $CASSANDRA_HOST:$CASSANDRA_PORT | s3 $S3_ENDPOINT (bucket $S3_BUCKET)"
  log "  postgres $DATABASE_URL | redis $REDIS_HOST:$REDIS_PORT | upstash $UPSTASH_REDIS_REST_URL | prometheus http://$PROMETHEUS_HOST:$PROMETHEUS_PORT"
}

cmd_down() {
  local s list=() failed=0
  for s in upstash-bridge prometheus; do wanted "$s" && list+=("$s"); done
  ((${#list[@]} == 0)) || run_parallel stop "${list[@]}" || failed=1
  list=(); for s in kafka cassandra s3proxy redis postgres; do wanted "$s" && list+=("$s"); done
  ((${#list[@]} == 0)) || run_parallel stop "${list[@]}" || failed=1
  ((failed == 0)) || die "some services did not stop cleanly"
  log "stack down"
}

cmd_status() {
  local s failed=0 out
  for s in "${ALL[@]}"; do
    wanted "$s" || continue
    if [[ "$s" == prometheus && $EXPLICIT == 0 && ! -f "$(abs_path "$PROMETHEUS_CONFIG")" ]]; then
      printf '  %-15s skip  no config at %s yet\n' "$s" "$PROMETHEUS_CONFIG"
      continue
    fi
    if out="$(bash "$(script_for "$s")" status 2>&1)"; then
      printf '  %-15s up    %s\n' "$s" "$(grep -v '^\[' <<<"$out" | head -n1)"
    else
      failed=1
      printf '  %-15s DOWN  %s\n' "$s" "$(tail -n1 <<<"$out")"
    fi
  done
  return $failed
}

main() {
  local cmd="${1:-status}"; shift || true
  RUN_DIR="$(mktemp -d "${TMPDIR:-/tmp}/vigil-stack.XXXXXX")"
  trap 'rm -rf "$RUN_DIR"' EXIT
  case "$cmd" in
    up) select_services "$@"; cmd_up ;;
    down) select_services "$@"; cmd_down ;;
    status) select_services "$@"; cmd_status ;;
    init)
      # init-schemas connects without TLS or credentials; say so rather than fail on a handshake.
      if secure_mode; then die "init --secure is not supported: create topics with 'VIGIL_SECURE=1 bash infra/scripts/kafka.sh topics --create ...' (admin); the aggregator applies its schemas with secure.env"; fi
      bash "$SCRIPTS/init-schemas.sh" "$@" ;;
    *) echo "usage: $0 up|down|status [--secure] [service...] | init [kafka|cassandra|s3|postgres...]" >&2; exit 2 ;;
  esac
}

main "$@"
