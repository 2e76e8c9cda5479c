#!/usr/bin/env bash
# Put tests/local/get_pip.py where ansible-test looks for its cached pip bootstrap script
# (~/.ansible/test/cache/get_pip_<version>.py), so `ansible-test sanity --local` works with
# no access to ansible-test's download host. Idempotent.
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

PYTHON="${PYTHON:-python3}"
version="$("$PYTHON" - <<'PY'
import pathlib, re
import ansible_test
source = pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py"
print(re.search(r"pip='([0-9.]+)'", source.read_text()).group(1))
PY
)"
cache="$HOME/.ansible/test/cache/get_pip_${version//./_}.py"
mkdir -p "$(dirname "$cache")"
if cmp -s "$(dirname "$0")/get_pip.py" "$cache"; then
    log "ansible-test: pip $version bootstrap script in place ($cache)"
else
    cp "$(dirname "$0")/get_pip.py" "$cache"
    log "ansible-test: installed offline pip $version bootstrap script at $cache"
fi
