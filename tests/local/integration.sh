#!/usr/bin/env bash
# make integration: tests/integration in two lanes at once.
#   lane 1: every test not marked preflight, against the local AWS of `make infra` (moto with the
#           data plane on 4566, the App Runner emulator on 4567, PostgreSQL);
#   lane 2: the tests marked preflight (playbooks that must stop before any change; they need only
#           the control plane), against a second moto server and App Runner emulator of their own
#           (PREFLIGHT_MOTO_PORT, default 4600; PREFLIGHT_APPRUNNER_PORT, default 4601; state in
#           tests/output/local-preflight, LOCAL_DATAPLANE=off). Their "nothing changed" snapshots then
#           never see lane 1's resources. Lane 2's output is in tests/output/integration-preflight.log,
#           printed at the end; its servers are stopped by their pid files when both lanes are done.
# Arguments are passed to both pytest runs.
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
cd "$ROOT"
PF_STATE="$ROOT/tests/output/local-preflight"
PF_LOG="$ROOT/tests/output/integration-preflight.log"
pf_env=(LOCAL_STATE_DIR="$PF_STATE" MOTO_PORT="${PREFLIGHT_MOTO_PORT:-4600}"
    APPRUNNER_PORT="${PREFLIGHT_APPRUNNER_PORT:-4601}" LOCAL_DATAPLANE=off)

# shellcheck disable=SC2317  # called by the EXIT trap
stop_lane2() {
    env "${pf_env[@]}" tests/local/apprunner.sh stop || true
    env "${pf_env[@]}" tests/local/moto.sh stop || true
}
trap stop_lane2 EXIT

start=$(date +%s)
env "${pf_env[@]}" pytest -p no:cacheprovider --durations=5 --junitxml=tests/output/integration-preflight.xml \
    -m preflight "$@" tests/integration >"$PF_LOG" 2>&1 &
lane2=$!
rc=0
# Each test's time in the JUnit reports (tests/output/integration-*.xml), to balance the lanes.
pytest --durations=12 --junitxml=tests/output/integration-e2e.xml -m "not preflight" "$@" tests/integration || rc=1
lane1_end=$(date +%s)
rc2=0
wait "$lane2" || rc2=$?
log "lane 1 (end to end) took $((lane1_end - start))s; lane 2 (preflight) ended $(( $(date +%s) - start ))s after the start"
if ((rc2 != 0)); then
    log "lane 2 (preflight) FAILED; its log ($PF_LOG):"
    cat "$PF_LOG"
    rc=1
else
    log "lane 2 (preflight) passed; the end of its log:"
    tail -n 12 "$PF_LOG"
fi
exit "$rc"
