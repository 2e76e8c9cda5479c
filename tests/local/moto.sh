#!/usr/bin/env bash
# Local AWS for the tests: a moto server on 127.0.0.1 that amazon.aws modules, boto3 and the
# AWS CLI reach through AWS_ENDPOINT_URL, with dummy credentials.
#   moto.sh start    start (or reuse) the server, wait until it answers, write the env file
#   moto.sh stop     stop the server this script started
#   moto.sh reset    forget every resource (moto's reset API)
#   moto.sh env      print the env file's path;  `. "$(tests/local/moto.sh env)"` to use it
# Settings: MOTO_PORT (default 4566), MOTO_SERVER (default: tests/local/moto_server.py, moto_server
# with the calls moto lacks).
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

MOTO_HOST=127.0.0.1
MOTO_PORT="${MOTO_PORT:-4566}"
# moto_server.py: moto plus the calls it lacks (ModifyDBProxy).
MOTO_SERVER="${MOTO_SERVER:-$(cd "$(dirname "$0")" && pwd)/moto_server.py}"
URL="http://$MOTO_HOST:$MOTO_PORT"
PIDFILE="$LOCAL_STATE_DIR/moto.pid"
LOGFILE="$LOCAL_STATE_DIR/moto.log"
ENVFILE="$LOCAL_STATE_DIR/aws.env"

# /moto-api/data.json answers 500 once an RDS instance exists (moto 5.2 serialises a write-only
# property); the dashboard page is cheap and always there.
healthy() { curl -fs -o /dev/null "$URL/moto-api/"; }
# While it starts: a server that exited (the data plane refused to start, say) ends the wait with its
# reason (on fd 3, the caller's stderr: wait_for silences the check's own).
started() {
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || die "the moto server exited: $(tail -n 3 "$LOGFILE")" 2>&3
    healthy
}

write_env() {
    cat >"$ENVFILE" <<ENV
# Written by tests/local/moto.sh: point AWS SDKs and amazon.aws modules at the local moto server.
export AWS_ENDPOINT_URL=$URL
export AWS_ACCESS_KEY_ID=testing
export AWS_SECRET_ACCESS_KEY=testing
export AWS_SESSION_TOKEN=testing
export AWS_DEFAULT_REGION=us-east-1
export AWS_REGION=us-east-1
ENV
}

start() {
    if healthy; then
        log "local AWS: reusing the moto server at $URL"
    else
        local server=("$MOTO_SERVER")
        [[ "$MOTO_SERVER" == *.py ]] && server=(python3 "$MOTO_SERVER")
        python3 -c 'import moto.server' 2>/dev/null || command -v "$MOTO_SERVER" >/dev/null 2>&1 \
            || die "moto not found: run 'make setup' (moto[server] is in requirements-dev.txt)"
        log "local AWS: starting moto server at $URL (log: $LOGFILE)"
        # AWS managed policies exist (as on AWS) only with this: ECS Express's infrastructure role
        # attaches AmazonECSInfrastructureRoleforExpressGatewayServices.
        MOTO_IAM_LOAD_MANAGED_POLICIES=true setsid "${server[@]}" -H "$MOTO_HOST" -p "$MOTO_PORT" >"$LOGFILE" 2>&1 </dev/null &
        echo $! >"$PIDFILE"
        exec 3>&2
        wait_for "moto server at $URL" 60 started
        log "local AWS: ready (pid $(cat "$PIDFILE"))"
    fi
    write_env
    log "local AWS: environment in $ENVFILE"
}

case "${1:-start}" in
    start) start ;;
    stop) stop_pidfile "local AWS (moto)" "$PIDFILE"; rm -f "$ENVFILE" ;;
    reset) curl -fsS -X POST -o /dev/null "$URL/moto-api/reset" && log "local AWS: reset" ;;
    env) echo "$ENVFILE" ;;
    *) die "usage: $0 start|stop|reset|env" ;;
esac
