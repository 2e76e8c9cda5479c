#!/usr/bin/env bash
# A real PostgreSQL on the controller (127.0.0.1), standing in for RDS where a test needs a
# database the hosts can reach: moto's RDS endpoints are names, not servers.
#   postgresql.sh start   initialise (once) and start the cluster, create the role and database
#   postgresql.sh restart  restart it (every connection drops), as the load test's disruption
#   postgresql.sh stop    stop the cluster this script started
#   postgresql.sh env     print the env file's path (LOCAL_PG_URI, LOCAL_PG_PORT)
# Settings: LOCAL_PG_PORT (default 55432). Needs Debian's postgresql package (make setup).
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

PORT="${LOCAL_PG_PORT:-55432}"
DATA="$LOCAL_STATE_DIR/postgresql"
ENVFILE="$LOCAL_STATE_DIR/postgresql.env"
DB_USER=mlflow
DB_NAME=mlflow_ec2
# The App Runner demo's own database (playbooks/apprunner.yml with inventories/local).
DB_NAME_APPRUNNER=mlflow_apprunner
DB_NAME_ECS=mlflow_ecs
DB_NAME_ECS_PRIVATE=mlflow_ecs_private
DB_NAME_BEANSTALK=mlflow_beanstalk
# A test credential for a server bound to 127.0.0.1 only.
DB_PASSWORD="local-pg-Passw0rd"

bindir() {
    local dir
    dir=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d 2>/dev/null | sort -V | tail -1)
    [[ -n "$dir" ]] || die "PostgreSQL server binaries not found under /usr/lib/postgresql: run 'make setup'"
    echo "$dir"
}

# PostgreSQL refuses to run as root: use the postgres account then.
as_owner() {
    if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

ready() { as_owner "$(bindir)/pg_isready" -q -h 127.0.0.1 -p "$PORT"; }

start() {
    local bin
    bin=$(bindir)
    mkdir -p "$LOCAL_STATE_DIR"
    if [[ ! -s "$DATA/PG_VERSION" ]]; then
        log "local PostgreSQL: initialising $DATA"
        mkdir -p "$DATA"
        if [[ $(id -u) -eq 0 ]]; then chown postgres: "$DATA"; fi
        chmod 700 "$DATA"
        as_owner "$bin/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 -E UTF8 >/dev/null
    fi
    if ready; then
        log "local PostgreSQL: reusing the server on 127.0.0.1:$PORT"
    else
        log "local PostgreSQL: starting on 127.0.0.1:$PORT"
        as_owner "$bin/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
            -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA" start >/dev/null
    fi
    local psql=("$bin/psql" -X -q -h "$DATA" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1)
    as_owner "${psql[@]}" -tc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'" | grep -q 1 ||
        as_owner "${psql[@]}" -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD'"
    local db
    for db in "$DB_NAME" "$DB_NAME_APPRUNNER" "$DB_NAME_ECS" "$DB_NAME_ECS_PRIVATE" "$DB_NAME_BEANSTALK"; do
        as_owner "${psql[@]}" -tc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1 ||
            as_owner "${psql[@]}" -c "CREATE DATABASE $db OWNER $DB_USER"
    done
    cat >"$ENVFILE" <<ENV
# Written by tests/local/postgresql.sh: the controller's PostgreSQL the test hosts use.
export LOCAL_PG_PORT=$PORT
export LOCAL_PG_URI=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME
export LOCAL_PG_URI_APPRUNNER=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME_APPRUNNER
export LOCAL_PG_URI_ECS=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME_ECS
export LOCAL_PG_URI_ECS_PRIVATE=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME_ECS_PRIVATE
export LOCAL_PG_URI_BEANSTALK=postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME_BEANSTALK
ENV
    log "local PostgreSQL: ready, environment in $ENVFILE"
}

stop() {
    if [[ -s "$DATA/postmaster.pid" ]]; then
        as_owner "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null && log "local PostgreSQL: stopped"
    else
        log "local PostgreSQL: not running"
    fi
    rm -f "$ENVFILE"
}

# A fast restart (what a failover or maintenance looks like to clients): every connection drops.
restart() {
    [[ -s "$DATA/postmaster.pid" ]] || die "local PostgreSQL is not running"
    as_owner "$(bindir)/pg_ctl" -D "$DATA" -l "$DATA/server.log" -m fast -w -t 60 restart \
        -o "-c listen_addresses=127.0.0.1 -c port=$PORT -c unix_socket_directories=$DATA" >/dev/null
    log "local PostgreSQL: restarted"
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    restart) restart ;;
    env) echo "$ENVFILE" ;;
    *) die "usage: $0 start|stop|restart|env" ;;
esac
