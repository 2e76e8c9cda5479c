# Shared helpers for the local infrastructure scripts (sourced, not run).
# shellcheck shell=bash

# Where scripts keep runtime state (pid files, logs, env files). Git-ignored.
LOCAL_STATE_DIR="${LOCAL_STATE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/tests/output/local}"
mkdir -p "$LOCAL_STATE_DIR"

log() { printf '[%s] %s\n' "$(basename "$0" .sh)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# wait_for DESCRIPTION SECONDS COMMAND...: poll COMMAND once a second until it succeeds.
wait_for() {
    local what="$1" secs="$2"; shift 2
    local i
    for ((i = 0; i < secs; i++)); do
        if "$@" >/dev/null 2>&1; then return 0; fi
        sleep 1
    done
    die "timed out after ${secs}s waiting for ${what}"
}

# stop_pidfile NAME FILE: stop the process recorded in FILE (started by these scripts).
stop_pidfile() {
    local name="$1" file="$2" pid i
    if [[ ! -f "$file" ]]; then log "$name: not started by this harness, nothing to stop"; return 0; fi
    pid="$(cat "$file")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for ((i = 0; i < 30; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
        if kill -0 "$pid" 2>/dev/null; then kill -9 "$pid"; fi
        log "$name: stopped (pid $pid)"
    else
        log "$name: pid $pid already gone"
    fi
    rm -f "$file"
}
