#!/usr/bin/env bash
# Docker engine for the tests: reuse a running daemon, else start one.
#   docker-engine.sh start   install docker.io if missing, start dockerd, wait for the socket
#   docker-engine.sh stop    stop the daemon this script started (never one it found running)
#   docker-engine.sh status
# The daemon is started with --bridge=none --iptables=false: every test container uses
# the host network, so nothing needs a bridge or NAT rules.
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

PIDFILE="$LOCAL_STATE_DIR/dockerd.pid"
LOGFILE="$LOCAL_STATE_DIR/dockerd.log"
DOCKERD_ARGS="${DOCKERD_ARGS:---bridge=none --iptables=false --ip6tables=false}"

running() { docker info >/dev/null 2>&1; }

start() {
    if ! command -v dockerd >/dev/null 2>&1; then
        log "installing docker.io"
        "$(dirname "$0")/system-packages.sh" docker.io
    fi
    if running; then
        log "docker engine: reusing the running daemon ($(docker info --format '{{.ServerVersion}}'))"
        return 0
    fi
    log "docker engine: starting dockerd $DOCKERD_ARGS (log: $LOGFILE)"
    # shellcheck disable=SC2086
    setsid dockerd $DOCKERD_ARGS >"$LOGFILE" 2>&1 < /dev/null &
    echo $! >"$PIDFILE"
    wait_for "the docker socket" 60 docker info
    log "docker engine: ready ($(docker info --format '{{.ServerVersion}}'), pid $(cat "$PIDFILE"))"
}

case "${1:-start}" in
    start) start ;;
    stop) stop_pidfile "docker engine" "$PIDFILE" ;;
    status) if running; then log "docker engine: running"; else log "docker engine: not running"; exit 1; fi ;;
    *) die "usage: $0 start|stop|status" ;;
esac
