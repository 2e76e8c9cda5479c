#!/usr/bin/env bash
# ansible-test sanity, in local mode (no --docker: no registry is reachable), on a copy of the
# collection placed at .../ansible_collections/mlops/mlflow_aws as ansible-test requires.
# The copy holds the files git tracks plus untracked ones it does not ignore.
#   sanity.sh [extra ansible-test args]
set -euo pipefail
# shellcheck source=tests/local/lib.sh
source "$(dirname "$0")/lib.sh"

repo="$(cd "$(dirname "$0")/../.." && pwd)"
root="$repo/tests/output/sanity-tree"
dest="$root/ansible_collections/mlops/mlflow_aws"
python_version="$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

"$(dirname "$0")/ansible-test-bootstrap.sh"
rm -rf "$root"
mkdir -p "$dest"
# Files deleted in the work tree but still in git's index are skipped (--ignore-failed-read).
(cd "$repo" && git ls-files -z --cached --others --exclude-standard \
    | grep -zv '^\.collections/' \
    | tar --null -T - --ignore-failed-read -cf - 2>/dev/null) | tar -C "$dest" -xf -
# The collections our modules import (amazon.aws) sit next to it, as ansible-test's import and
# ansible-doc tests resolve dependencies inside the same ansible_collections tree.
deps="$(python3 -c 'import ansible_collections.amazon.aws as m, os; print(os.path.dirname(os.path.dirname(list(m.__path__)[0])))')"
ln -sfn "$deps/amazon" "$root/ansible_collections/amazon"
cd "$dest"
# ansible-test lists files with git: give the copy an index of its own, or it would see the
# outer checkout, where this directory is ignored.
git init -q . && git add -A
log "sanity: collection copied to $dest"
ansible-test sanity --local --python "$python_version" --color no "$@"
