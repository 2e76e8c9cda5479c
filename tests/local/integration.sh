#!/usr/bin/env bash
# make integration: tests/integration in two lanes at once.
#   lane 1: every test marked neither preflight nor control_plane, against the local AWS of
#           `make infra` (moto with the data plane on 4566, the App Runner emulator on 4567, PostgreSQL);
#   lane 2: the tests marked preflight (playbooks that must stop before any change) or control_plane
#           (modules, roles and playbooks that need no data plane and run no container), against a
#           second moto server and App Runner emulator of their own (PREFLIGHT_MOTO_PORT, default
#           4600; PREFLIGHT_APPRUNNER_PORT, default 4601; state in tests/output/local-preflight;
#           LOCAL_DATAPLANE=off). Their "nothing changed" snapshots then never see lane 1's resources.
#           Its output is in tests/output/integration-preflight.log, printed at the end; its servers
#           are stopped by their pid files when both lanes are done.
#           With INTEGRATION_MOLECULE=1 (make integration-molecule, make test's last phase) the lane
#           then runs every molecule scenario (tests/local/molecule.sh) on its moto and on a PostgreSQL
#           of its own (PREFLIGHT_PG_PORT, default 55433; lane 1's load test restarts the shared one).
# Arguments are passed to both pytest runs.
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PF_STATE="$ROOT/tests/output/local-preflight"
PF_LOG="$ROOT/tests/output/integration-preflight.log"
MOLECULE_LOG="$ROOT/tests/output/molecule.log"
WITH_MOLECULE="${INTEGRATION_MOLECULE:-0}"
pf_env=(LOCAL_STATE_DIR="$PF_STATE" MOTO_PORT="${PREFLIGHT_MOTO_PORT:-4600}"
    APPRUNNER_PORT="${PREFLIGHT_APPRUNNER_PORT:-4601}" LOCAL_PG_PORT="${PREFLIGHT_PG_PORT:-55433}"
    LOCAL_DATAPLANE=off)

# shellcheck disable=SC2317  # called by the EXIT trap
stop_lane2() {
    env "${pf_env[@]}" tests/local/apprunner.sh stop || true
    env "${pf_env[@]}" tests/local/moto.sh stop || true
    if [[ "$WITH_MOLECULE" == 1 ]]; then env "${pf_env[@]}" tests/local/postgresql.sh stop || true; fi
}
trap stop_lane2 EXIT

# Lane 2: its tests, then (INTEGRATION_MOLECULE=1) the molecule scenarios. These run even when a test
# failed; the lane fails if either did.
lane2() {
    local rc=0 t
    env "${pf_env[@]}" pytest -p no:cacheprovider --durations=5 --junitxml=tests/output/integration-preflight.xml \
        -m "preflight or control_plane" "$@" tests/integration >"$PF_LOG" 2>&1 || rc=1
    if [[ "$WITH_MOLECULE" == 1 ]]; then
        t=$(date +%s)
        {
            env "${pf_env[@]}" tests/local/moto.sh start &&
                env "${pf_env[@]}" tests/local/postgresql.sh start &&
                env "${pf_env[@]}" tests/local/molecule.sh &&
                echo "molecule: every scenario passed in $(($(date +%s) - t))s"
        } >"$MOLECULE_LOG" 2>&1 || rc=1
    fi
    return "$rc"
}

start=$(date +%s)
: >"$MOLECULE_LOG"
lane2 "$@" &
lane2=$!
rc=0
# Each test's time in the JUnit reports (tests/output/integration-*.xml), to balance the lanes.
pytest --durations=12 --junitxml=tests/output/integration-e2e.xml -m "not preflight and not control_plane" "$@" tests/integration || rc=1
lane1_end=$(date +%s)
rc2=0
wait "$lane2" || rc2=$?
log "lane 1 (end to end) took $((lane1_end - start))s; lane 2 ended $(($(date +%s) - start))s after the start"
if ((rc2 != 0)); then
    log "lane 2 FAILED; its tests' log ($PF_LOG):"
    cat "$PF_LOG"
    rc=1
else
    log "lane 2's tests passed; the end of their log:"
    tail -n 12 "$PF_LOG"
fi
if [[ "$WITH_MOLECULE" == 1 ]]; then
    log "lane 2's molecule scenarios ($MOLECULE_LOG; each scenario's whole log is in tests/output/molecule/):"
    cat "$MOLECULE_LOG"
fi
exit "$rc"
