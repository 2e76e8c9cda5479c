"""bench/load.py's clients against a real HTTP server on loopback: they keep one connection, record
each acknowledged step, and back off while the server refuses connections or answers 5xx, instead
of retrying in a busy loop that takes the cores from a server that is coming back."""

from __future__ import annotations

import importlib.util
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest

LOAD = Path(__file__).resolve().parents[2] / "bench/load.py"
SPEC = importlib.util.spec_from_file_location("bench_load", LOAD)
assert SPEC and SPEC.loader
load = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(load)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as nginx answers
    disable_nagle_algorithm = True  # headers and body go in two writes
    status = 200
    steps: ClassVar[list[int]] = []
    connections: ClassVar[set[int]] = set()

    def do_POST(self) -> None:  # http.server's name for it
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        assert self.path == "/api/2.0/mlflow/runs/log-batch"
        assert self.headers["Authorization"].startswith("Basic ")
        type(self).connections.add(self.client_address[1])
        if type(self).status == 200:
            type(self).steps.append(body["metrics"][0]["step"])
        self.send_response(type(self).status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server():
    Handler.status, Handler.steps, Handler.connections = 200, [], set()
    # Bound but not listening: connections to it are refused until activate() is called.
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler, bind_and_activate=False)
    httpd.server_bind()
    threads: list[threading.Thread] = []

    def activate() -> None:
        httpd.server_activate()
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        threads.append(thread)

    yield httpd, activate
    if threads:
        httpd.shutdown()
    httpd.server_close()


def client(httpd: ThreadingHTTPServer, seconds: float) -> load.Client:
    """A client that stops after `seconds`."""
    host, port = httpd.server_address[:2]
    api = load.Api(f"http://{host}:{port}", "load", "secret")
    stop = threading.Event()
    threading.Timer(seconds, stop.set).start()
    return load.Client(api, "run-1", stop, timeout=5)


def test_a_client_keeps_one_connection_and_records_each_acknowledged_step(server):
    httpd, activate = server
    activate()
    worker = client(httpd, 1.0)
    worker.run()
    assert len(worker.acked) > 10
    assert worker.acked == Handler.steps == list(range(1, len(worker.acked) + 1))
    assert len(Handler.connections) == 1
    assert len(worker.latencies) == len(worker.acked)
    assert sum(worker.errors.values()) == 0


def test_a_client_backs_off_while_the_server_refuses_then_resumes(server):
    httpd, activate = server
    worker = client(httpd, 5.0)
    worker.start()
    time.sleep(2.0)
    refused = worker.errors["connect"]
    activate()
    worker.join(15)
    # Pauses of 0.1, 0.2, 0.4, 0.8, 1 s: at most 6 attempts in 2 s (a busy loop makes thousands).
    assert 3 <= refused <= 6, worker.errors
    assert worker.acked, "no write was acknowledged once the server listened"
    assert set(worker.acked) == set(Handler.steps)


def test_a_client_backs_off_on_5xx_and_counts_them_by_status(server):
    httpd, activate = server
    Handler.status = 503
    activate()
    worker = client(httpd, 1.5)
    worker.run()
    assert 3 <= worker.statuses["503"] <= 6, worker.statuses
    assert worker.acked == []


def test_percentiles_of_the_latencies():
    assert load.percentile([], 50) == 0.0
    assert load.percentile([0.2], 99) == 0.2
    values = [i / 100 for i in range(1, 101)]
    assert load.percentile(values, 50) == pytest.approx(0.505)
    assert load.percentile(values, 99) == pytest.approx(0.9901)
