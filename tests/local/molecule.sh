#!/usr/bin/env bash
# make molecule: every molecule scenario, in parallel lanes (scenarios in a lane one after another).
# Each scenario binds its own loopback addresses (127.0.0.2-39) and container names, and reaches
# the local AWS (moto) and the controller's PostgreSQL through the env files of LOCAL_STATE_DIR
# (default tests/output/local; `make integration-molecule` runs this in its second lane, on that
# lane's own moto and PostgreSQL). Each scenario writes tests/output/molecule/<name>.log, whose end
# is printed when it fails. Every scenario must be in a lane.
#
# MOLECULE_LANES: space-separated lanes of comma-separated scenarios. Balanced on times measured two
# at a time on 2 cores: ec2_playbook 441 s, mlflow_host_postgresql 384, mlflow_host_auth 280,
# mlflow_host_mariadb 233, nginx_basic_auth 85, nginx_basic_auth_tls 84.
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
LANES="${MOLECULE_LANES:-ec2_playbook,mlflow_host_mariadb,nginx_basic_auth mlflow_host_postgresql,mlflow_host_auth,nginx_basic_auth_tls}"

missing=()
for file in molecule/*/molecule.yml; do
    scenario="$(basename "$(dirname "$file")")"
    [[ ",${LANES// /,}," == *",$scenario,"* ]] || missing+=("$scenario")
done
((${#missing[@]} == 0)) || die "scenarios in no lane of MOLECULE_LANES: ${missing[*]}"

for file in aws.env postgresql.env; do
    [[ -f "$LOCAL_STATE_DIR/$file" ]] || die "$LOCAL_STATE_DIR/$file is missing: start the local AWS first (make infra)"
done
set -a
# shellcheck disable=SC1091  # written by moto.sh and postgresql.sh
source "$LOCAL_STATE_DIR/aws.env"
# shellcheck disable=SC1091
source "$LOCAL_STATE_DIR/postgresql.env"
set +a

mkdir -p tests/output/molecule
pids=()
for lane in $LANES; do
    (
        for scenario in ${lane//,/ }; do
            t=$(date +%s)
            if molecule test --scenario-name "$scenario" >"tests/output/molecule/$scenario.log" 2>&1; then
                echo "molecule $scenario: passed in $(($(date +%s) - t))s"
            else
                echo "molecule $scenario: FAILED after $(($(date +%s) - t))s; the end of its log:"
                tail -n 150 "tests/output/molecule/$scenario.log"
                exit 1
            fi
        done
    ) &
    pids+=("$!")
done
rc=0
for pid in "${pids[@]}"; do wait "$pid" || rc=1; done
exit "$rc"
