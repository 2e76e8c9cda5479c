#!/usr/bin/env bash
# Local App Runner for the tests and the demo: tests/local/apprunner_emulator on 127.0.0.1, reached
# through AWS_ENDPOINT_URL_APPRUNNER (botocore's per-service endpoint setting) while every other
# service goes to moto. Service images run in the local Docker engine when one answers.
#   apprunner.sh start    start (or reuse) the emulator, wait until it answers, write the env file
#   apprunner.sh stop     stop the emulator this script started (its containers and front doors go with it)
#   apprunner.sh reset    forget every App Runner resource
#   apprunner.sh env      print the env file's path
# Settings: APPRUNNER_PORT (default 4567), APPRUNNER_OPERATION_SECONDS (default 2),
# APPRUNNER_REQUEST_TIMEOUT (default 120: seconds one request to a service's URL may take, App Runner's
# limit, enforced by each service's front door; read when the emulator starts).
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
HOST=127.0.0.1
PORT="${APPRUNNER_PORT:-4567}"
URL="http://$HOST:$PORT"
PIDFILE="$LOCAL_STATE_DIR/apprunner.pid"
LOGFILE="$LOCAL_STATE_DIR/apprunner.log"
ENVFILE="$LOCAL_STATE_DIR/apprunner.env"
PYTHON="${PYTHON:-$ROOT/.venv/bin/python}"

healthy() { curl -fs -o /dev/null "$URL/_emulator/health"; }

start() {
    if healthy; then
        log "local App Runner: reusing the emulator at $URL"
    else
        # Secrets the services reference live in the local AWS (moto): the emulator resolves them there.
        "$(dirname "$0")/moto.sh" start
        # shellcheck disable=SC1090
        source "$("$(dirname "$0")/moto.sh" env)"
        log "local App Runner: starting the emulator at $URL (log: $LOGFILE)"
        # Started from this shell (not a subshell), so $! is the emulator's own pid and stop finds it.
        cd "$ROOT"
        setsid "$PYTHON" -m tests.local.apprunner_emulator.server --host "$HOST" --port "$PORT" \
            --operation-seconds "${APPRUNNER_OPERATION_SECONDS:-2}" --state-dir "$LOCAL_STATE_DIR/apprunner" \
            >"$LOGFILE" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
        wait_for "App Runner emulator at $URL" 60 healthy
        log "local App Runner: ready (pid $(cat "$PIDFILE"))"
    fi
    printf '# Written by tests/local/apprunner.sh\nexport AWS_ENDPOINT_URL_APPRUNNER=%s\n' "$URL" >"$ENVFILE"
}

case "${1:-start}" in
    start) start ;;
    stop) stop_pidfile "local App Runner" "$PIDFILE"; rm -f "$ENVFILE" ;;
    reset) curl -fsS -X POST -o /dev/null "$URL/_emulator/reset" && log "local App Runner: reset" ;;
    env) echo "$ENVFILE" ;;
    *) die "usage: $0 start|stop|reset|env" ;;
esac
