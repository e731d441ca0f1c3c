#!/usr/bin/env bash
# PostgreSQL for the stack profile. These machines usually run one already at $PGHOST:$PGPORT
# (trust auth, database $PGDATABASE): then we only use it, and `stop` leaves it alone.
# Otherwise we start the Debian cluster (installing the package first if needed) and remember
# that we did, so `stop` stops only what `start` started.
#   infra/scripts/postgres.sh start|stop|status|restart
SERVICE=postgres
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DIR="$(service_dir postgres)"
MARKER="$DIR/started-by-vigil"   # holds the cluster version we started

cluster_version() { ls /etc/postgresql 2>/dev/null | sort -V | tail -n1; }

as_postgres() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else sudo -u postgres "$@"; fi; }
# (psql/createdb via the local socket as the postgres OS user: peer auth works before trust is set)

# A freshly installed Debian cluster wants passwords on TCP; the local profile uses trust on
# loopback only, like the machines this project runs on.
configure_fresh_cluster() {
  local ver="$1" hba="/etc/postgresql/$1/main/pg_hba.conf"
  if $SUDO test -f "$hba" && ! $SUDO grep -q "vigil-local" "$hba"; then
    log "enabling trust auth on loopback in $hba"
    { echo "# vigil-local: trust on loopback for the local stack"
      echo "host all all 127.0.0.1/32 trust"
      echo "host all all ::1/128 trust"
      $SUDO cat "$hba"; } | $SUDO tee "$hba.vigil" >/dev/null && $SUDO cp "$hba.vigil" "$hba" && $SUDO rm -f "$hba.vigil"
    $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main reload || true
  fi
  as_postgres psql -qtAc "SELECT 1 FROM pg_database WHERE datname='${PGDATABASE}'" | grep -q 1 \
    || as_postgres createdb "$PGDATABASE"
}

do_start() {
  mkdir -p "$DIR"
  if pg_ready "$PGHOST" "$PGPORT"; then
    if [[ -f "$MARKER" ]]; then log "already running (started by vigil)"; else log "using the running instance at $PGHOST:$PGPORT"; fi
    return 0
  fi
  local t0; t0=$(now_ms)
  if ! command -v pg_ctlcluster >/dev/null || [[ -z "$(cluster_version)" ]]; then
    log "PostgreSQL not installed; installing from Debian"
    apt_install postgresql
  fi
  local ver; ver="$(cluster_version)"
  [[ -n "$ver" ]] || die "no PostgreSQL cluster under /etc/postgresql"
  log "starting cluster $ver/main"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main start
  echo "$ver" >"$MARKER"
  configure_fresh_cluster "$ver"
  if ! health postgres --wait "$VIGIL_HEALTH_TIMEOUT"; then
    print_tail "/var/log/postgresql/postgresql-$ver-main.log"; die "postgres unhealthy"
  fi
  log "healthy in $(( $(now_ms) - t0 )) ms (logs: /var/log/postgresql/postgresql-$ver-main.log)"
}

do_stop() {
  if [[ ! -f "$MARKER" ]]; then log "not started by vigil; leaving it alone"; return 0; fi
  local ver; ver="$(cat "$MARKER")"
  log "stopping cluster $ver/main (we started it)"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$ver" main stop || true
  rm -f "$MARKER"
}

do_status() {
  local who="external"; [[ -f "$MARKER" ]] && who="started by vigil"
  if health postgres; then log "running ($who)"; else log "not answering"; return 1; fi
}

dispatch "${1:-status}"
