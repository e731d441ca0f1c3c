# Shared helpers for infra/scripts/*.sh. Source it; do not run it.
# Every service script is `<service>.sh start|stop|status|restart` and is idempotent:
# start on a running service and stop on a stopped one both succeed without doing anything.

set -euo pipefail

VIGIL_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$VIGIL_ROOT"
# shellcheck source=../stack.env
source "$VIGIL_ROOT/infra/stack.env"

abs_path() { case "$1" in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$VIGIL_ROOT" "$1" ;; esac; }
CACHE_DIR="$(abs_path "$VIGIL_CACHE_DIR")"
STACK_DIR="$(abs_path "$VIGIL_STACK_DIR")"
SERVICE="${SERVICE:-stack}"

log() { printf '[%s] [%s] %s\n' "$(date +%H:%M:%S)" "$SERVICE" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Milliseconds since the epoch, for startup timings.
now_ms() { date +%s%3N; }

# Run a command; on failure wait a little and run it once more (flaky downloads).
retry_once() {
  if "$@"; then return 0; fi
  log "command failed, retrying once in 5s: $*"
  sleep 5
  "$@"
}

# Node 22 from the npm `node@22` dev dependency when present, else whatever `node` is on PATH.
node_bin() {
  if [[ -x "$VIGIL_ROOT/node_modules/.bin/node" ]]; then printf '%s' "$VIGIL_ROOT/node_modules/.bin/node"
  else command -v node || die "node not found"; fi
}
# Run a TypeScript file with tsx on our Node.
run_ts() {
  local tsx="$VIGIL_ROOT/node_modules/tsx/dist/cli.mjs"
  [[ -f "$tsx" ]] || die "tsx is not installed (node_modules/tsx); run the project bootstrap first"
  "$(node_bin)" "$tsx" "$@"
}
# Health checks live in one TS file; see infra/scripts/health.ts for the checks.
health() { run_ts "$VIGIL_ROOT/infra/scripts/health.ts" "$@"; }

# Cheap checks in plain bash (no Node start-up) for the machine services.
redis_ping() { # host port
  local line=""
  # (braces: a bare `exec ... 2>/dev/null` would silence the whole script's stderr)
  { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  read -r -t 2 line <&3 || true
  exec 3<&- 3>&-
  [[ "$line" == "+PONG"* ]]
}
pg_ready() { # host port
  if command -v pg_isready >/dev/null; then pg_isready -q -h "$1" -p "$2" -t 2
  else health postgres >/dev/null 2>&1; fi
}

service_dir() { printf '%s/%s' "$STACK_DIR" "$1"; }

# PID_NEEDLE (set by each service script): a string the process's command line must contain.
# After a reboot a stale pid file may name some unrelated process; that must never count as
# "running", and stop must never signal it.
PID_NEEDLE="${PID_NEEDLE:-}"
pid_alive() { # pidfile
  local pid
  [[ -f "$1" ]] || return 1
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -n "$PID_NEEDLE" && -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$PID_NEEDLE" || return 1
  fi
}

# For a process we have just spawned: alive and not a zombie. No PID_NEEDLE check here: while
# the child exec's (setsid, then the server's binary) its /proc cmdline can read empty for a
# moment, and pid_alive would call a healthy start dead (seen on CI as prometheus "exiting"
# with an empty log, then found alive a line later).
pid_running() { # pidfile
  local pid state
  [[ -f "$1" ]] || return 1
  pid="$(cat "$1" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  # (the state follows the last ')': a command name may hold spaces)
  state="$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1 || true)"
  [[ "$state" != Z && "$state" != X ]]
}

# True when something accepts TCP connections on host:port.
port_open() { (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; }

# wait_port host port timeout_s pidfile logfile: wait for the port; fail early if the process died.
wait_port() {
  local host="$1" port="$2" timeout="$3" pidfile="$4" logfile="$5" deadline
  deadline=$(( $(date +%s) + timeout ))
  until port_open "$host" "$port"; do
    if [[ -n "$pidfile" ]] && ! pid_running "$pidfile"; then
      log "process exited before opening $host:$port"; print_tail "$logfile"; return 1
    fi
    if (( $(date +%s) >= deadline )); then
      log "timed out after ${timeout}s waiting for $host:$port"; print_tail "$logfile"; return 1
    fi
    sleep 0.5
  done
}

print_tail() { # logfile [lines]
  [[ -n "${1:-}" && -f "$1" ]] || return 0
  log "last ${2:-40} lines of $1:"
  tail -n "${2:-40}" "$1" >&2 || true
}

# Start a command in the background in its own session, stdout+stderr to logfile, pid to pidfile.
# setsid keeps it alive after the calling shell (and an interactive Ctrl-C) goes away.
spawn() { # pidfile logfile cmd...
  local pidfile="$1" logfile="$2"; shift 2
  mkdir -p "$(dirname "$pidfile")" "$(dirname "$logfile")"
  printf '\n===== %s start: %s\n' "$(date -Is)" "$*" >>"$logfile"
  # Close every other inherited descriptor first: a service started under `flock LOCK cmd` would
  # otherwise keep the lock for as long as it runs.
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd="${fd##*/}"; ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec setsid "$@"
  ) >>"$logfile" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid" >"$pidfile"
  # Until the child has exec'd, its command line is still this script's, and pid_alive's
  # PID_NEEDLE check would call it dead: wait (briefly) for the exec.
  if [[ -n "$PID_NEEDLE" ]]; then
    local i
    for (( i = 0; i < 100; i++ )); do
      kill -0 "$pid" 2>/dev/null || break
      tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$PID_NEEDLE" && break
      sleep 0.05
    done
  fi
}

# Stop what a pidfile names: SIGTERM, wait up to timeout seconds, then SIGKILL. Only ever our own pid.
stop_pid() { # pidfile timeout_s
  local pidfile="$1" timeout="${2:-30}" pid i
  if ! pid_alive "$pidfile"; then rm -f "$pidfile"; log "not running"; return 0; fi
  pid="$(cat "$pidfile")"
  log "stopping pid $pid"
  kill -TERM "$pid" 2>/dev/null || true
  for (( i = 0; i < timeout * 5; i++ )); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; log "stopped"; return 0; }
    sleep 0.2
  done
  log "still alive after ${timeout}s, sending SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# Fetch a Maven-resolved classpath into a folder once; a marker file says it completed.
mvn_fetch() { # marker_dir mvn-args...
  local dir="$1"; shift
  [[ -f "$dir/.complete" ]] && return 0
  command -v mvn >/dev/null || die "mvn not found (apt-get install -y maven)"
  log "fetching into $dir (first run only)"
  rm -rf "$dir.tmp"; mkdir -p "$dir.tmp"
  local t0; t0=$(now_ms)
  # mvn output goes to a file (it is noisy even with -q) and is shown only on failure.
  if ! retry_once mvn -q -B -Dstyle.color=never "$@" -DoutputDirectory="$dir.tmp/lib" >"$dir.tmp.log" 2>&1; then
    print_tail "$dir.tmp.log" 60; die "maven fetch failed"
  fi
  rm -f "$dir.tmp.log"
  rm -rf "$dir"; mv "$dir.tmp" "$dir"; touch "$dir/.complete"
  log "fetched in $(( ($(now_ms) - t0) / 1000 ))s"
}

# sudo only when not root (CI runners are non-root with passwordless sudo).
SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO="sudo"

# The JVM services need Java 17+ (S3Proxy 4 is built for 17; Cassandra 5's flags assume it).
require_java17() {
  command -v java >/dev/null || die "java not found: install a JDK 17 (apt-get install -y openjdk-17-jre-headless)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | awk -F'= ' '/java.specification.version/ {print $2}')"
  [[ "${v%%.*}" =~ ^[0-9]+$ ]] && (( ${v%%.*} >= 17 )) || die "java $v found; Java 17 or newer is needed (set PATH/JAVA_HOME)"
}

# apt-get install with one retry; runs `apt-get update` first (once per process).
APT_UPDATED=0
apt_install() {
  command -v apt-get >/dev/null || die "apt-get not available; install $* by hand"
  if (( APT_UPDATED == 0 )); then retry_once $SUDO apt-get update -qq; APT_UPDATED=1; fi
  retry_once $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

# VIGIL_SECURE=1 (`infra/stack.sh ... --secure`): the same scripts run the secured stack instead,
# on its own ports under $VIGIL_STACK_DIR/secure (see infra/secure/secure.sh).
secure_mode() { [[ "${VIGIL_SECURE:-0}" == 1 ]]; }
if secure_mode; then
  # shellcheck source=../secure/secure.sh
  source "$VIGIL_ROOT/infra/secure/secure.sh"
fi

# Standard dispatch: the sourcing script defines do_start, do_stop, do_status.
dispatch() {
  local cmd="${1:-status}"
  case "$cmd" in
    start) do_start ;;
    stop) do_stop ;;
    status) do_status ;;
    restart) do_stop; do_start ;;
    # fetch: download what start needs, without starting (stack.sh runs these one at a time).
    fetch) if declare -F do_fetch >/dev/null; then do_fetch; fi ;;
    *) echo "usage: $0 start|stop|status|restart|fetch" >&2; exit 2 ;;
  esac
}
