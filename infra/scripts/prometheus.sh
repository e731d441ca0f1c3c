#!/usr/bin/env bash
# Prometheus for the stack profile, scraping per $PROMETHEUS_CONFIG (infra/prometheus/prometheus.yml).
#   infra/scripts/prometheus.sh start|stop|status|restart
# Installs Debian's prometheus package (with promtool) when missing. Data: .data/stack/prometheus.
SERVICE=prometheus
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$(service_dir prometheus)"
PIDFILE="$DIR/prometheus.pid"
LOGFILE="$DIR/logs/prometheus.log"
CONFIG="$(abs_path "$PROMETHEUS_CONFIG")"
PID_NEEDLE="$DIR/data"

ensure_installed() {
  if command -v prometheus >/dev/null && command -v promtool >/dev/null; then return 0; fi
  log "prometheus/promtool not installed; installing from Debian"
  apt_install prometheus
  command -v promtool >/dev/null || die "promtool missing after installing prometheus"
  # Where services start on install (systemd hosts such as CI runners), the package's own
  # prometheus now holds the port with the Debian config. We just installed it, so stop and
  # disable that one; ours runs from the repository config.
  if port_open "$PROMETHEUS_HOST" "$PROMETHEUS_PORT"; then
    log "stopping the prometheus service the package started"
    $SUDO systemctl disable --now prometheus 2>/dev/null || $SUDO service prometheus stop 2>/dev/null || true
    # Without systemd (containers) neither stop reaches it: end the package's own process, the one
    # that runs on the Debian config, and give it time to release the port.
    local i
    for i in $(seq 1 20); do
      port_open "$PROMETHEUS_HOST" "$PROMETHEUS_PORT" || break
      $SUDO pkill -f '^/usr/bin/prometheus( |$)' 2>/dev/null || true
      sleep 0.5
    done
  fi
}

do_start() {
  if pid_alive "$PIDFILE"; then log "already running (pid $(cat "$PIDFILE"))"; return 0; fi
  [[ -f "$CONFIG" ]] || die "no Prometheus config at $CONFIG (infra/prometheus/prometheus.yml is written separately; set PROMETHEUS_CONFIG to use another file)"
  ensure_installed
  if port_open "$PROMETHEUS_HOST" "$PROMETHEUS_PORT"; then
    die "port $PROMETHEUS_PORT is taken by another process (a system prometheus service? stop it or set PROMETHEUS_PORT)"
  fi
  # Fail here with promtool's message rather than in a log file after a health timeout.
  promtool check config "$CONFIG" >&2 || die "invalid Prometheus config $CONFIG"
  local t0; t0=$(now_ms)
  mkdir -p "$DIR/data" "$DIR/logs"
  # The config's relative paths (rule_files, file_sd) resolve against the config's folder.
  # One retry for a start that really exits early (a port race with another process); a real
  # fault fails both.
  local attempt
  for attempt in 1 2; do
    spawn "$PIDFILE" "$LOGFILE" prometheus --config.file="$CONFIG" --storage.tsdb.path="$DIR/data" \
      --storage.tsdb.retention.time=3d --web.listen-address="$PROMETHEUS_HOST:$PROMETHEUS_PORT" \
      --web.enable-lifecycle
    if wait_port "$PROMETHEUS_HOST" "$PROMETHEUS_PORT" 60 "$PIDFILE" "$LOGFILE"; then break; fi
    pid_running "$PIDFILE" && die "prometheus did not open its port"
    (( attempt == 2 )) && die "prometheus did not open its port"
    log "prometheus exited before opening its port; starting it once more"
    sleep 1
  done
  if ! health prometheus --wait 60; then print_tail "$LOGFILE"; die "prometheus not ready"; fi
  log "ready in $(( $(now_ms) - t0 )) ms at http://$PROMETHEUS_HOST:$PROMETHEUS_PORT (logs: $LOGFILE)"
}

do_stop() { stop_pid "$PIDFILE" 30; }

do_status() {
  if pid_alive "$PIDFILE"; then
    log "running (pid $(cat "$PIDFILE"))"; health prometheus
  else
    log "not running"; return 1
  fi
}

dispatch "${1:-status}"
