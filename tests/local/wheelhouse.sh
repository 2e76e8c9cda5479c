#!/usr/bin/env bash
# Build the wheelhouse the test hosts install MLflow from (the air-gapped install path of
# roles/mlflow_host): one directory of binary wheels per target Python, downloaded once on the
# controller through its own pip configuration (index, CA bundle, proxies).
#   wheelhouse.sh build   download what is missing (idempotent)
#   wheelhouse.sh path    print the wheelhouse root
# Targets: WHEELHOUSE_PYTHONS (default "3.11 3.13": Debian 12 and 13).
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WHEELHOUSE_DIR="${WHEELHOUSE_DIR:-$ROOT/tests/output/wheelhouse}"
WHEELHOUSE_PYTHONS="${WHEELHOUSE_PYTHONS:-3.11 3.13}"
PIP="${PIP:-$ROOT/.venv/bin/pip}"
# The same pins the role installs by default (roles/mlflow_host/defaults/main.yml).
MLFLOW_VERSION="${MLFLOW_VERSION:-$(sed -n 's/^mlflow_host_version: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$ROOT/roles/mlflow_host/defaults/main.yml")}"
REQUIREMENTS=("mlflow[auth]==${MLFLOW_VERSION}" "psycopg[binary]" "psycopg2-binary" "pymysql" "boto3" "prometheus-flask-exporter" "gevent" "pip" "setuptools" "wheel")

build() {
    [[ -n "$MLFLOW_VERSION" ]] || die "could not read mlflow_host_version from roles/mlflow_host/defaults/main.yml"
    local py tag dir stamp
    stamp="$(printf '%s\n' "${REQUIREMENTS[@]}" | sha256sum | cut -c1-12)"
    for py in $WHEELHOUSE_PYTHONS; do
        tag="cp${py/./}"
        dir="$WHEELHOUSE_DIR/$tag"
        if [[ -f "$dir/.complete-$stamp" ]]; then
            log "wheelhouse $tag (mlflow $MLFLOW_VERSION): present, reusing"
            continue
        fi
        log "wheelhouse $tag: downloading mlflow $MLFLOW_VERSION and backend drivers into $dir"
        mkdir -p "$dir"
        "$PIP" download --quiet --dest "$dir" --only-binary=:all: \
            --python-version "$py" --implementation cp --abi "$tag" \
            --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 \
            --platform manylinux2014_x86_64 --platform any \
            "${REQUIREMENTS[@]}"
        touch "$dir/.complete-$stamp"
        log "wheelhouse $tag: $(find "$dir" -name '*.whl' | wc -l) wheels, $(du -sh "$dir" | cut -f1)"
    done
}

case "${1:-build}" in
    build) build ;;
    path) echo "$WHEELHOUSE_DIR" ;;
    *) die "usage: $0 build|path" ;;
esac
