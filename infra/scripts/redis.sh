#!/usr/bin/env bash
# Redis for the stack profile (reference data behind the Upstash REST bridge). Uses a Redis that
# already answers PING at $REDIS_HOST:$REDIS_PORT; otherwise starts our own (no persistence),
# installing redis-server from Debian if needed. `stop` stops only the one we started.
#   infra/scripts/redis.sh start|stop|status|restart
SERVICE=redis
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$(service_dir redis)"
PIDFILE="$DIR/redis.pid"
LOGFILE="$DIR/logs/redis.log"
PID_NEEDLE="redis-server"

do_start() {
  if pid_alive "$PIDFILE"; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  if redis_ping "$REDIS_HOST" "$REDIS_PORT"; then log "using the running instance at $REDIS_HOST:$REDIS_PORT"; return 0; fi
  local t0; t0=$(now_ms)
  command -v redis-server >/dev/null || { log "redis-server not installed; installing from Debian"; apt_install redis-server; }
  # The Debian package may have started its own service on the default port meanwhile.
  if redis_ping "$REDIS_HOST" "$REDIS_PORT"; then log "using the running instance at $REDIS_HOST:$REDIS_PORT"; return 0; fi
  mkdir -p "$DIR/data" "$DIR/logs"
  redis-server --daemonize yes --bind "$REDIS_HOST" --port "$REDIS_PORT" --save "" --appendonly no \
    --dir "$DIR/data" --pidfile "$PIDFILE" --logfile "$LOGFILE" --protected-mode yes
  if ! health redis --wait 30; then print_tail "$LOGFILE"; die "redis unhealthy"; fi
  log "healthy in $(( $(now_ms) - t0 )) ms (pid $(cat "$PIDFILE"), logs: $LOGFILE)"
}

do_stop() {
  if pid_alive "$PIDFILE"; then stop_pid "$PIDFILE" 20; else log "no redis started by vigil (an external one is left alone)"; fi
}

do_status() {
  local who="external"; pid_alive "$PIDFILE" && who="pid $(cat "$PIDFILE")"
  if health redis; then log "running ($who)"; else log "not answering"; return 1; fi
}

dispatch "${1:-status}"
