"""The App Runner emulator's front door (tests/local/apprunner_emulator/front_door.py), without Docker.

Its configuration is checked with `nginx -t`; its request deadline (request_deadline.lua) is tried
with a real nginx in front of a small slow HTTP server started here, with a deadline of 2 s in place
of App Runner's 120 s. Everything listens on 127.0.9.x (addresses kept for these tests).
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import shutil
import socket
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local.apprunner_emulator import docker_runner, front_door  # noqa: E402
from tests.local.dataplane.nginx import MODULES  # noqa: E402


@pytest.fixture(autouse=True)
def nginx_installed():
    """Missing tooling fails (make setup installs it); it is never a reason to skip."""
    if shutil.which("nginx") is None or not (MODULES / "ngx_http_lua_module.so").exists():
        pytest.fail("nginx or its Lua module is missing (make setup installs nginx-light, libnginx-mod-http-lua)")


DEADLINE = 2.0


def free_port(address: str) -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def error_log(tmp_path: Path) -> str:
    return (tmp_path / "door" / "logs" / "error.log").read_text()


def refused(address: str, port: int | str) -> bool:
    try:
        with socket.create_connection((address, int(port)), timeout=1):
            return False
    except OSError:
        return True


class Slow(BaseHTTPRequestHandler):
    """The service behind the door: /fast, /slow (answers after 3 s), /stream (1 chunk each 0.5 s for
    4 s), /upload (reads the body, answers its length and SHA-256 after ?wait= seconds)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, format, *args):
        pass

    def _answer(self, body: bytes) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the front door may have given up on this answer
            self.wfile.write(body)

    def do_GET(self):
        if self.path == "/slow":
            time.sleep(3)
            self._answer(b"late")
        elif self.path == "/stream":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            try:
                for _attempt in range(8):
                    self.wfile.write(b"6\r\nchunk\n\r\n")
                    self.wfile.flush()
                    time.sleep(0.5)
                self.wfile.write(b"0\r\n\r\n")
            except OSError:
                pass  # the front door went away
        else:
            self._answer(f"fast {self.headers['Host']} {self.headers['X-Forwarded-For']}".encode())

    def do_POST(self):
        digest, size = hashlib.sha256(), 0
        if self.headers.get("Transfer-Encoding") == "chunked":
            while True:
                length = int(self.rfile.readline().strip(), 16)
                if length == 0:
                    self.rfile.readline()
                    break
                data = self.rfile.read(length)
                self.rfile.readline()
                digest.update(data)
                size += len(data)
        else:
            data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            digest.update(data)
            size = len(data)
        time.sleep(float(self.path.partition("wait=")[2] or 0))
        self._answer(f"{size} {digest.hexdigest()}".encode())


@pytest.fixture
def upstream():
    def start(address: str) -> int:
        server = ThreadingHTTPServer((address, 0), Slow)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server.server_address[1]

    servers: list[ThreadingHTTPServer] = []
    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def door(tmp_path, upstream):
    """A front door with a 2 s deadline on 127.0.9.20 in front of the slow server on the same address."""
    address = "127.0.9.20"
    inner = upstream(address)
    port = free_port(address)
    gate = front_door.FrontDoor(tmp_path / "door", "apprunner-test-00000000")
    gate.open(address, port, inner, DEADLINE)
    yield f"http://{address}:{port}"
    gate.close()


def test_request_timeout_setting():
    assert front_door.request_timeout({}) == 120.0
    assert front_door.request_timeout({"APPRUNNER_REQUEST_TIMEOUT": ""}) == 120.0
    assert front_door.request_timeout({"APPRUNNER_REQUEST_TIMEOUT": "2"}) == 2.0
    assert front_door.request_timeout({"APPRUNNER_REQUEST_TIMEOUT": "0.5"}) == 0.5
    for bad in ("0", "-1", "two", "inf"):
        with pytest.raises(ValueError, match="APPRUNNER_REQUEST_TIMEOUT"):
            front_door.request_timeout({"APPRUNNER_REQUEST_TIMEOUT": bad})


def test_container_port_is_never_the_service_port():
    assert front_door.container_port("8080") == "18080"
    assert front_door.container_port(5000) == "18080"
    assert front_door.container_port("18080") == "18081"


def test_rendered_configuration_passes_nginx_check(tmp_path):
    gate = front_door.FrontDoor(tmp_path / "door", "apprunner-svc-0123abcd")
    (tmp_path / "door" / "logs").mkdir(parents=True)
    (tmp_path / "door" / "tmp").mkdir()
    text = gate.render("127.0.9.21", "8080", "18080", front_door.DEFAULT_REQUEST_TIMEOUT)
    assert gate.nginx.check(text) is None, gate.nginx.check(text)
    for directive in (
        "listen 127.0.9.21:8080;",
        "proxy_pass http://127.0.9.21:18080;",
        "set $apprunner_request_timeout 120;",
        "proxy_read_timeout 120000ms;",
        "client_max_body_size 0;",
        "proxy_request_buffering off;",
        "proxy_buffering off;",
        'header_filter_by_lua_block { require("request_deadline").header_filter() }',
        'body_filter_by_lua_block { return require("request_deadline").body_filter() }',
        'return 504 "upstream request timeout";',
    ):
        assert directive in text
    assert gate.nginx.check(gate.render("127.0.9.21", "80", "18080", 2)) is None


def test_a_refused_configuration_fails_the_open(tmp_path):
    gate = front_door.FrontDoor(tmp_path / "door", "apprunner-bad-00000000")
    with pytest.raises(front_door.FrontDoorError, match="refused"):
        gate.open("127.0.9.22", "not-a-port", "18080", 2)
    assert not gate.is_open()


def test_a_fast_answer_passes(door):
    with urllib.request.urlopen(door + "/fast", timeout=10) as response:
        assert response.status == 200
        body = response.read().decode()
    assert body == f"fast {door.removeprefix('http://')} 127.0.0.1"  # Host kept, X-Forwarded-For added


def test_an_answer_after_the_deadline_is_504(door):
    started = time.monotonic()
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(door + "/slow", timeout=10)
    elapsed = time.monotonic() - started
    assert caught.value.code == 504
    assert caught.value.read() == b"upstream request timeout"
    assert DEADLINE - 0.1 < elapsed < DEADLINE + 0.9


def test_a_response_streaming_across_the_deadline_is_cut(door, tmp_path):
    received = b""
    started = time.monotonic()
    cut = (http.client.IncompleteRead, ConnectionError)
    with pytest.raises(cut), urllib.request.urlopen(door + "/stream", timeout=10) as response:
        assert response.status == 200
        while chunk := response.read1(100):
            received += chunk
    elapsed = time.monotonic() - started
    assert 0 < received.count(b"chunk") < 8  # it started, and it did not finish
    assert elapsed < DEADLINE + 1
    assert "still streaming at the request deadline: cut" in error_log(tmp_path)


def test_a_response_that_starts_after_the_deadline_is_504(door, tmp_path):
    """The upload takes 1.5 s and the answer 1 s more: each within the limit, together over it."""

    def slow_body():
        for _attempt in range(3):
            yield b"x" * 1000
            time.sleep(0.5)

    host = door.removeprefix("http://")
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, timeout=10)
    connection.request("POST", "/upload?wait=1", body=slow_body(), encode_chunked=True)
    response = connection.getresponse()
    assert response.status == 504
    assert response.read() == b"upstream request timeout"
    connection.close()
    # The header filter's 504 (at 2.5 s), not proxy_read_timeout's (2 s after the upload, at 3.5 s).
    assert time.monotonic() - started < 3.3
    assert "response started after the request deadline" in error_log(tmp_path)


def test_a_large_upload_streams_through_without_a_size_limit(door):
    body = b"0123456789abcdef" * (2 * 1024 * 1024)  # 32 MB
    request = urllib.request.Request(door + "/upload", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.read().decode() == f"{len(body)} {hashlib.sha256(body).hexdigest()}"


def wait_settled(emulator, arn: str) -> str:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        status = emulator.DescribeService({"ServiceArn": arn})["Service"]["Status"]
        if status != "OPERATION_IN_PROGRESS":
            return status
        time.sleep(0.05)
    raise AssertionError("the operation did not finish")


@pytest.fixture
def fake_docker(monkeypatch):
    """containers.run starts the slow server in place of the image, on its address and PORT."""
    started: dict[str, object] = {}

    class Container(ThreadingHTTPServer):
        allow_reuse_address = True
        daemon_threads = True

    def run(spec):
        server = Container((spec.address, int(spec.environment["PORT"])), Slow)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        started.update(spec=spec, server=server)

    def stop(*_args):
        server = started.pop("server", None)
        if server is not None:
            server.shutdown()
            server.server_close()

    monkeypatch.setattr(docker_runner.containers, "run", run)
    monkeypatch.setattr(docker_runner.containers, "running", lambda name: "server" in started)
    monkeypatch.setattr(docker_runner.containers, "stop", stop)
    monkeypatch.setattr(docker_runner.containers, "remove", stop)
    monkeypatch.setattr(docker_runner.containers, "remove_labelled", stop)
    yield started
    stop()


def test_the_emulator_serves_a_service_through_its_front_door(tmp_path, fake_docker):
    """Create, pause, resume, delete as the emulator runs them (the container: the slow server). The
    container gets PORT=18080 on the service's address; the ServiceUrl is the door's."""
    from tests.local.apprunner_emulator.state import Emulator  # noqa: PLC0415

    address = "127.0.9.23"
    port = free_port(address)
    runner = docker_runner.DockerRunner("us-east-1", 10, tmp_path, request_timeout=DEADLINE)
    emulator = Emulator("us-east-1", runner, 0.1, [address])
    image = {"ImageIdentifier": "img:1", "ImageRepositoryType": "ECR", "ImageConfiguration": {"Port": str(port)}}
    request = {
        "ServiceName": "svc",
        "SourceConfiguration": {"ImageRepository": image},
        "HealthCheckConfiguration": {"Protocol": "HTTP", "Path": "/fast"},
    }
    try:
        service = emulator.CreateService(request)["Service"]
        arn, url = service["ServiceArn"], "http://" + service["ServiceUrl"]
        assert service["ServiceUrl"] == f"{address}:{port}"
        assert wait_settled(emulator, arn) == "RUNNING", emulator.failure_reason(arn)
        spec = fake_docker["spec"]
        assert (spec.address, spec.environment["PORT"]) == (address, "18080")
        with urllib.request.urlopen(url + "/fast", timeout=10) as response:
            assert response.status == 200
        with pytest.raises(urllib.error.HTTPError) as caught:
            urllib.request.urlopen(url + "/slow", timeout=10)
        assert caught.value.code == 504
        door = tmp_path / "front-doors" / docker_runner.DockerRunner.container_name(service)
        log = door / "logs" / "access.log"
        deadline = time.monotonic() + 10  # nginx writes the line once the request is over
        while '/slow HTTP/1.1" 504' not in (log.read_text() if log.exists() else "") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert '/slow HTTP/1.1" 504' in log.read_text()

        emulator.PauseService({"ServiceArn": arn})
        assert wait_settled(emulator, arn) == "PAUSED"
        assert refused(address, port)  # a paused service answers nothing
        emulator.ResumeService({"ServiceArn": arn})
        assert wait_settled(emulator, arn) == "RUNNING"
        with urllib.request.urlopen(url + "/fast", timeout=10) as response:
            assert response.status == 200

        emulator.DeleteService({"ServiceArn": arn})
        deadline = time.monotonic() + 20
        while emulator.services and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not emulator.services
        assert refused(address, port)
        assert not door.exists()
        assert emulator.calls == {}  # the emulator's own calls are not API calls
    finally:
        runner.remove_all()


def test_an_emulator_removes_its_own_containers_only(tmp_path, monkeypatch):
    """Two emulators side by side (make integration's lanes): one starting or stopping removes the containers
    it runs, never the other one's services."""
    removed, specs = [], []
    monkeypatch.setattr(
        docker_runner.containers, "remove_labelled", lambda label, value="": removed.append((label, value))
    )
    monkeypatch.setattr(docker_runner.containers, "run", specs.append)
    lane1 = docker_runner.DockerRunner("us-east-1", 10, tmp_path / "lane1")
    lane2 = docker_runner.DockerRunner("us-east-1", 10, tmp_path / "lane2")
    monkeypatch.setattr(lane1, "wait_healthy", lambda *_args: None)
    monkeypatch.setattr(lane1, "_open_door", lambda *_args: None)
    image = {"ImageIdentifier": "img:1", "ImageRepositoryType": "ECR", "ImageConfiguration": {"Port": "8080"}}
    service = {
        "ServiceName": "svc",
        "ServiceId": "0123456789abcdef",
        "ServiceArn": "arn:svc",
        "SourceConfiguration": {"ImageRepository": image},
    }
    lane1.start(service, "127.0.9.31")

    lane2.remove_all(forget=True)
    assert removed == [(docker_runner.OWNER_LABEL, str((tmp_path / "lane2").resolve()))]
    labels = specs[0].labels
    assert labels[docker_runner.LABEL] == "arn:svc"
    assert labels[docker_runner.OWNER_LABEL] == str((tmp_path / "lane1").resolve())
