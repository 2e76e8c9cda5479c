"""The image entrypoint's supervision (images/mlflow/entrypoint.py: supervise) with real processes:
stand-ins for `mlflow server` (a shell that leaves a child behind, as `mlflow server` leaves
gunicorn) and for nginx (a process that, like nginx with requests in flight, does not stop on
SIGQUIT at once but does on SIGTERM). Each case runs in its own Python process, since supervise()
installs signal handlers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ENTRYPOINT = Path(__file__).resolve().parents[2] / "images/mlflow/entrypoint.py"

HARNESS = """
import importlib.util, json, os, subprocess, sys, time
from pathlib import Path

spec = importlib.util.spec_from_file_location("entrypoint", sys.argv[1])
ep = importlib.util.module_from_spec(spec)
spec.loader.exec_module(ep)
work = Path(sys.argv[2])
# `mlflow server`: leads its own group and starts a worker that outlives it.
server = subprocess.Popen(
    ["sh", "-c", f"sleep 300 & echo $! > {work}/worker; touch {work}/ready; wait"], process_group=0
)
nginx = subprocess.Popen([sys.executable, "-c", sys.argv[3], str(work)])
(work / "pids").write_text(json.dumps({"server": server.pid, "nginx": nginx.pid, "harness": os.getpid()}))
pause = time.sleep


def sleep(seconds):  # supervise() polls with time.sleep once its signal handlers are in place
    (work / "supervising").touch()
    pause(seconds)


time.sleep = sleep
status = ep.supervise(server, nginx, grace=float(sys.argv[4]))
(work / "result").write_text(json.dumps({"status": status, "nginx": nginx.returncode, "server": server.returncode}))
"""

# nginx with slow requests in flight: SIGQUIT is noted but does not end it; SIGTERM does.
NGINX = """
import signal, sys, time
from pathlib import Path
signal.signal(signal.SIGQUIT, lambda *_: print("SIGQUIT", flush=True))
Path(sys.argv[1], "nginx").touch()
time.sleep(300)
"""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def start(tmp_path: Path, nginx: str = NGINX, grace: float = 60) -> tuple[subprocess.Popen, dict]:
    # Output to a file, not a pipe: a worker that outlives the harness would hold a pipe open.
    with (tmp_path / "output").open("w") as output:
        harness = subprocess.Popen(
            [sys.executable, "-c", HARNESS, str(ENTRYPOINT), str(tmp_path), nginx, str(grace)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 30
    while not all((tmp_path / name).exists() for name in ("ready", "nginx", "pids", "supervising")):
        assert harness.poll() is None, (tmp_path / "output").read_text()
        assert time.monotonic() < deadline, "the stand-ins did not start"
        time.sleep(0.05)
    pids = json.loads((tmp_path / "pids").read_text())
    pids["worker"] = int((tmp_path / "worker").read_text())
    return harness, pids


def finish(harness: subprocess.Popen, tmp_path: Path, pids: dict) -> tuple[dict, str, set[str]]:
    """The harness's result, its output, and which stand-ins outlived it (seen before any clean-up)."""
    try:
        harness.wait(timeout=120)
        deadline = time.monotonic() + 2  # a process just killed may take a moment to go
        while (survivors := {name for name in ("worker", "nginx", "server") if alive(pids[name])}) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.05)
    finally:
        for pid in (pids["worker"], pids["nginx"], pids["server"], harness.pid):
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
    output = (tmp_path / "output").read_text()
    assert harness.returncode == 0, output
    return json.loads((tmp_path / "result").read_text()), output, survivors


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_signal_stops_both_gracefully_and_exits_0(tmp_path, signum):
    nginx = NGINX.replace('print("SIGQUIT", flush=True)', "sys.exit(0)")  # drains at once
    harness, pids = start(tmp_path, nginx)
    os.kill(pids["harness"], signum)
    result, output, survivors = finish(harness, tmp_path, pids)
    assert result == {"status": 0, "nginx": 0, "server": -signal.SIGTERM}, output
    assert f"signal {int(signum)}: stopping nginx (graceful) and mlflow" in output
    assert survivors == set(), "outlived the container"


def test_a_killed_server_takes_its_workers_and_nginx_down_at_once(tmp_path):
    """`kill -9` of `mlflow server`: its gunicorn must not go on answering through nginx while
    nginx drains; the container exits 1 without waiting for nginx's graceful stop."""
    harness, pids = start(tmp_path)
    os.kill(pids["server"], signal.SIGKILL)
    result, output, survivors = finish(harness, tmp_path, pids)
    assert result == {"status": 1, "nginx": -signal.SIGTERM, "server": -signal.SIGKILL}, output
    assert "mlflow server exited unexpectedly (status -9); stopping the rest now" in output
    assert survivors == set(), "outlived the container"
    assert "SIGQUIT" not in output, "nginx was asked to drain requests its upstream can no longer answer"


def test_nginx_exiting_stops_the_server_and_its_workers(tmp_path):
    harness, pids = start(tmp_path)
    os.kill(pids["nginx"], signal.SIGKILL)
    result, output, survivors = finish(harness, tmp_path, pids)
    assert result["status"] == 1, output
    assert result["nginx"] == -signal.SIGKILL, output
    assert "nginx exited unexpectedly (status -9); stopping the rest now" in output
    assert survivors == set(), "outlived the container"
