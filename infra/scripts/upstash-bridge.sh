#!/usr/bin/env bash
# Upstash REST bridge (infra/upstash-bridge/server.ts) in front of the local Redis.
#   infra/scripts/upstash-bridge.sh start|stop|status|restart
# Needs Redis (infra/scripts/redis.sh start). URL: $UPSTASH_REDIS_REST_URL, token: $UPSTASH_BRIDGE_TOKEN.
SERVICE=upstash-bridge
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$(service_dir upstash-bridge)"
PIDFILE="$DIR/bridge.pid"
LOGFILE="$DIR/logs/bridge.log"
PID_NEEDLE="upstash-bridge/server.ts"

do_start() {
  if pid_alive "$PIDFILE"; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  if port_open "$UPSTASH_BRIDGE_HOST" "$UPSTASH_BRIDGE_PORT"; then die "port $UPSTASH_BRIDGE_PORT is taken by another process"; fi
  [[ -d "$VIGIL_ROOT/node_modules/tsx" ]] || die "tsx is not installed (node_modules/tsx)"
  local t0; t0=$(now_ms)
  # One process (tsx as an ESM loader, not the tsx CLI wrapper), so the pid file names the server.
  spawn "$PIDFILE" "$LOGFILE" "$(node_bin)" --import tsx "$VIGIL_ROOT/infra/upstash-bridge/server.ts"
  wait_port "$UPSTASH_BRIDGE_HOST" "$UPSTASH_BRIDGE_PORT" 60 "$PIDFILE" "$LOGFILE" || die "bridge did not open its port"
  if ! health bridge --wait 20; then print_tail "$LOGFILE"; die "bridge unhealthy (is Redis up at $REDIS_HOST:$REDIS_PORT?)"; fi
  log "healthy in $(( $(now_ms) - t0 )) ms at $UPSTASH_REDIS_REST_URL (logs: $LOGFILE)"
}

do_stop() { stop_pid "$PIDFILE" 10; }

do_status() {
  if pid_alive "$PIDFILE"; then
    log "running (pid $(cat "$PIDFILE"))"; health bridge
  else
    log "not running"; return 1
  fi
}

dispatch "${1:-status}"
