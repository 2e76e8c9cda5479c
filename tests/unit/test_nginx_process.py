"""The shared nginx process (tests/local/dataplane/nginx.py) and the API Gateway that uses it.

Real nginx processes on 127.0.9.x (addresses kept for these tests), started and stopped by the tests.
"""

from __future__ import annotations

import logging
import shutil
import socket
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local.dataplane.nginx import Nginx  # noqa: E402


@pytest.fixture(autouse=True)
def nginx_installed():
    """Missing tooling fails (make setup installs it); it is never a reason to skip."""
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (make setup installs nginx-light)")


LOG = logging.getLogger("test-nginx")


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def config(directory: Path, address: str, port: int, answer: str) -> str:
    return f"""
pid {directory / "nginx.pid"};
error_log {directory / "logs" / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {directory / "tmp"};
  proxy_temp_path {directory / "tmp"};
  fastcgi_temp_path {directory / "tmp"};
  uwsgi_temp_path {directory / "tmp"};
  scgi_temp_path {directory / "tmp"};
  server {{ listen {address}:{port}; location / {{ return 200 "{answer}"; }} }}
}}
"""


def get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def get_eventually(url: str, expected: str, timeout: float = 10) -> str:
    """A reload takes effect once the new workers run and the old ones stopped taking connections:
    ask until ten answers in a row are the new one (an old worker may still answer in between)."""
    deadline, answer, in_a_row = time.monotonic() + timeout, "", 0
    while time.monotonic() < deadline and in_a_row < 10:
        answer = get(url)
        in_a_row = in_a_row + 1 if answer == expected else 0
        time.sleep(0.05)
    return answer


def refused(address: str, port: int) -> bool:
    try:
        with socket.create_connection((address, port), timeout=1):
            return False
    except OSError:
        return True


@pytest.fixture
def nginx(tmp_path):
    (tmp_path / "tmp").mkdir()
    server = Nginx(tmp_path, "test nginx", LOG)
    yield server
    server.stop()


def test_start_reload_refuse_stop(nginx, tmp_path, caplog):
    address = "127.0.9.1"
    port = free_port(address)
    url = f"http://{address}:{port}/"
    caplog.set_level(logging.INFO, logger="test-nginx")

    assert nginx.apply(config(tmp_path, address, port, "one"))
    assert nginx.wait_started(10)
    assert nginx.config.read_text() == config(tmp_path, address, port, "one")
    assert get(url) == "one"
    pid = nginx.process.pid
    assert "test nginx started" in caplog.text

    assert nginx.apply(config(tmp_path, address, port, "two"))  # SIGHUP: same master, new workers
    assert get_eventually(url, "two") == "two"
    assert nginx.process.pid == pid
    assert "test nginx reloaded" in caplog.text

    assert not nginx.apply("http { this is not nginx; }")  # refused: the last good one stays
    assert nginx.refused
    assert "configuration refused" in caplog.text
    assert nginx.candidate.read_text() == "http { this is not nginx; }"
    assert nginx.config.read_text() == config(tmp_path, address, port, "two")
    assert get(url) == "two"
    assert nginx.process.pid == pid

    process = nginx.process
    nginx.stop()
    assert process.poll() is not None
    assert nginx.process is None and not nginx.running()
    assert refused(address, port)
    nginx.stop()  # stopping a stopped nginx does nothing


def test_an_address_in_use_is_reported(nginx, tmp_path):
    address = "127.0.9.2"
    with socket.socket() as taken:
        taken.bind((address, 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert nginx.apply(config(tmp_path, address, port, "x"))  # nginx -t does not bind
        assert not nginx.wait_started(10)  # nginx gives up binding and exits
        assert not nginx.running()
    assert "Address already in use" in (tmp_path / "logs" / "error.log").read_text()


def test_nginx_outlives_the_thread_that_started_it(nginx, tmp_path):
    """The parent-death signal follows the starting thread: nginx is started from a long-lived one."""
    address = "127.0.9.3"
    port = free_port(address)
    thread = threading.Thread(target=nginx.apply, args=(config(tmp_path, address, port, "alive"),))
    thread.start()
    thread.join()
    assert nginx.wait_started(10)
    time.sleep(0.5)
    assert nginx.running()
    assert get(f"http://{address}:{port}/") == "alive"


def test_gateway_runs_its_nginx_through_the_shared_class(tmp_path, monkeypatch):
    from tests.local import acm_cert  # noqa: PLC0415
    from tests.local.dataplane import containers, gateway  # noqa: PLC0415

    plane = gateway.GatewayPlane(tmp_path, containers.AddressPool("127.0.9.10-127.0.9.19"), None, tmp_path / "s")
    cert, key, chain = acm_cert.issue(["*.execute-api.us-east-1.amazonaws.com"], state=tmp_path / "ca")
    (tmp_path / "nginx" / "certs" / "execute-api.us-east-1.pem").write_bytes(cert + chain + key)
    monkeypatch.setattr(gateway.acm_cert, "STATE", tmp_path / "ca")
    api = {
        "key": "abc123",
        "names": ["abc123.execute-api.us-east-1.amazonaws.com"],
        "region": "us-east-1",
        "account": "123456789012",
        "disabled": False,
        "stage": "$default",
        "routes": [],
        "throttle": None,
        "access_log": None,
        "cert": None,
    }
    servers = [api]
    monkeypatch.setattr(plane, "_model", lambda: [dict(s) for s in servers])
    monkeypatch.setattr(gateway, "resolve", lambda servers, alb: None)
    try:
        plane.step()
        assert plane.process is not None and plane.process.poll() is None
        assert plane.nginx.wait_started(10)
        assert plane.config == tmp_path / "nginx" / "nginx.conf" and plane.config.exists()
        pid, text = plane.process.pid, plane.last_text
        plane.step()  # nothing changed: no reload
        assert plane.process.pid == pid and plane.last_text == text
        servers.append(dict(api, key="def456", names=["def456.execute-api.us-east-1.amazonaws.com"]))
        plane.step()  # a new API: reloaded, same master
        assert plane.process.pid == pid and plane.last_text != text
        assert "def456" in plane.config.read_text()
        servers.clear()
        plane.step()  # no API left: nginx stops
        assert plane.process is None
    finally:
        plane.close()
    assert plane.process is None and plane.names == {}
