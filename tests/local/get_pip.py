"""Offline stand-in for pip's get-pip.py, used by ansible-test to bootstrap pip.

ansible-test downloads get-pip.py from a host that proxies and air-gapped networks cannot
reach. tests/local/ansible-test-bootstrap.sh installs this script in its cache instead. It
takes the same arguments: it bootstraps pip with ensurepip, then upgrades to the requested
packages through the configured package index, trusting the host CA bundle.
"""

from __future__ import annotations

import ensurepip
import os
import subprocess
import sys

# get-pip.py options that `pip install` does not know.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}
DEFAULT_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt"


def main() -> int:
    ensurepip.bootstrap(upgrade=True)
    command = [sys.executable, "-m", "pip", "install", "--upgrade"]
    command += [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
    cert = os.environ.get("PIP_CERT") or (DEFAULT_CA_BUNDLE if os.path.isfile(DEFAULT_CA_BUNDLE) else "")
    if cert:
        command += ["--cert", cert]
    return subprocess.call(command)


if __name__ == "__main__":
    sys.exit(main())
