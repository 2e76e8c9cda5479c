"""The project's moto server (tests/local/moto_server.py) as a subprocess of a unit test, as tests/local/moto.sh
starts it but with LOCAL_DATAPLANE=off (no container runs) and its state (and moto.log) in a directory of the test's.

Each test module that starts one tries its own ports first, so that test runs at the same time do not meet on one:
the Beanstalk emulator's test 4680-4689 from the bottom; in 4690-4699, the Express emulator's test from 4690 up,
the SageMaker Runtime's from 4695 up, the sagemaker_* modules' from 4699 down.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SERVER = ROOT / "tests/local/moto_server.py"


def free_port(ports: Iterable[int]) -> int:
    """The first of PORTS nothing listens on."""
    ports = list(ports)
    for port in ports:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) != 0:
                return port
    pytest.fail(f"no free port in {min(ports)}-{max(ports)} for the test's own moto server: stop what listens there")


def launch(port: int, state: Path, log, **settings: str) -> subprocess.Popen:
    """The server on PORT with its state in STATE, writing to LOG; SETTINGS: more environment variables."""
    env = {**os.environ, "LOCAL_DATAPLANE": "off", "LOCAL_STATE_DIR": str(state), **settings}
    return subprocess.Popen(
        [sys.executable, str(SERVER), "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen, log) -> None:
    process.terminate()
    process.wait(timeout=10)
    log.close()


@contextmanager
def moto_server(state: Path, ports: Iterable[int], **settings: str) -> Iterator[str]:
    """A server on the first free one of PORTS (``launch``); its URL once it answers ``GET /_mlops/calls`` (the test
    fails with the end of STATE/moto.log when it does not within 15 s); stopped at the end."""
    port = free_port(ports)
    log = open(state / "moto.log", "wb")  # noqa: SIM115 - the server writes it until the end
    process = launch(port, state, log, **settings)
    url = f"http://127.0.0.1:{port}"
    for _attempt in range(150):
        try:
            urllib.request.urlopen(f"{url}/_mlops/calls", timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail((state / "moto.log").read_text()[-3000:])
    try:
        yield url
    finally:
        stop(process, log)
