"""Stand-ins for SageMaker serving containers, for the unit tests of the SageMaker plane and runtime
(tests/local/dataplane/sagemaker.py, tests/local/moto_sagemaker_runtime.py).

A stand-in is no container: a real HTTP server thread on the container's loopback address (127.0.9.40-49, kept for
these tests) and port 8080, which answers ``GET /ping`` and ``POST /invocations`` as the model's environment
variable ``STAND_IN`` says:

- ``echo`` (the default): ping 200; the request's body, content type and custom attributes back;
- ``gated``: ping 503 until the test opens the gate (``StandInDocker.gate``), then as ``echo``;
- ``no-ping``: ping 503 for ever; ``exit``: the container has exited at once (``state``: not running);
- ``status:<code>``: invocations answered with that status and the body ``error <code>``;
- ``sleep:<seconds>``: invocations answered after that long; ``big``: a 6 MB + 1 byte answer.
The moto backends are in this process (``mock_aws``); the plane runs its steps when the test says so, its work
inline (``spawn``).
"""

from __future__ import annotations

import http.server
import io
import json
import sys
import tarfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from moto.sagemaker.responses import SageMakerResponse  # noqa: E402

from tests.local import moto_sagemaker, moto_sagemaker_runtime  # noqa: E402
from tests.local.dataplane import containers  # noqa: E402
from tests.local.dataplane.sagemaker import SageMakerPlane  # noqa: E402
from tests.local.dataplane.sagemaker_fleet import Docker  # noqa: E402

ACCOUNT, REGION = "123456789012", "us-east-1"
ADDRESSES = "127.0.9.40-127.0.9.49"
BUCKET = "models"
ROLE_NAME = "sagemaker-execution"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/{ROLE_NAME}"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
READ_MODELS = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": [f"arn:aws:s3:::{BUCKET}*"]},
        {"Effect": "Allow", "Action": ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"], "Resource": "*"},
        {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
    ],
}


def install() -> None:
    """The project's moto additions, once per test session (they wrap moto's methods)."""
    if getattr(SageMakerResponse, "update_endpoint", None) is not moto_sagemaker.update_endpoint:
        moto_sagemaker.install()
        moto_sagemaker_runtime.install()


class Handler(http.server.BaseHTTPRequestHandler):
    server: StandIn

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for key, value in {"Content-Length": str(len(body)), **(headers or {})}.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        mode = self.server.mode
        closed = mode == "no-ping" or (mode == "gated" and not self.server.docker.gate.is_set())
        self._send(503 if closed or self.path != "/ping" else 200, b"")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        mode = self.server.mode
        self.server.docker.requests.append((self.server.spec.name, dict(self.headers), body))
        if mode.startswith("status:"):
            code = int(mode.split(":")[1])
            self._send(code, f"error {code}".encode(), {"Content-Type": "text/plain"})
        elif mode == "big":
            self._send(200, b"x" * (6291456 + 1), {"Content-Type": "application/octet-stream"})
        else:
            if mode.startswith("sleep:"):
                time.sleep(float(mode.split(":")[1]))
            headers = {"Content-Type": self.headers.get("Content-Type", "")}
            attributes = self.headers.get("X-Amzn-SageMaker-Custom-Attributes")
            if attributes:
                headers["X-Amzn-SageMaker-Custom-Attributes"] = attributes
            self._send(200, body, headers)


class StandIn(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, docker: StandInDocker, spec: containers.ContainerSpec) -> None:
        super().__init__((spec.address, 8080), Handler)
        self.docker, self.spec = docker, spec
        self.mode = spec.environment.get("STAND_IN", "echo")
        threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()


class StandInDocker(Docker):
    """The plane's Docker, with stand-ins for containers: what was run, removed and asked is kept. The Docker engine
    is never called."""

    def __init__(self) -> None:
        super().__init__(
            run=self.start, state=self.inspect, remove=self.stop, logs=self.output, remove_labelled=self.stop_all
        )
        self.running: dict[str, StandIn] = {}
        self.specs: list[containers.ContainerSpec] = []
        self.removed: list[str] = []
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.started: dict[str, str] = {}
        self.gate = threading.Event()

    def start(self, spec: containers.ContainerSpec) -> None:
        if spec.image.endswith(":missing"):
            raise containers.ContainerError(f"CannotPullContainerError: {spec.image}: not found")
        self.specs.append(spec)
        self.running[spec.name] = StandIn(self, spec)
        self.started[spec.name] = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")  # docker logs -t

    def inspect(self, name: str) -> dict:
        server = self.running.get(name)
        return {} if server is None else {"running": server.mode != "exit", "exit_code": 0, "health": ""}

    def stop(self, name: str) -> None:
        self.removed.append(name)
        server = self.running.pop(name, None)
        if server is not None:
            server.shutdown()
            server.server_close()

    def output(self, name: str, since: str) -> list[tuple[str, str]]:
        stamp = self.started.get(name, "")
        return [(stamp, f"{name} started")] if name in self.running and stamp >= since else []

    def stop_all(self, label: str) -> None:
        assert label == "mlops.sagemaker-endpoint"
        self.close()

    def close(self) -> None:
        for name in list(self.running):
            self.stop(name)


def no_docker(*args: Any, **kwargs: Any) -> None:
    """containers.py's subprocess.run in these tests: the Docker engine is not theirs to call."""
    raise AssertionError(f"the test called {args[0][:3]}")


def new_plane(state_dir: Path, docker: StandInDocker) -> SageMakerPlane:
    return SageMakerPlane("http://127.0.0.1:1", state_dir, containers.AddressPool(ADDRESSES), docker, lambda job: job())


# Fixtures of the tests that use this module (``docker, plane = standin.docker, standin.plane`` there); ``plane``
# takes the test module's own ``aws`` fixture (mock_aws, with its settings).
@pytest.fixture
def docker(monkeypatch):
    monkeypatch.setattr(containers.subprocess, "run", no_docker)
    stand_ins = StandInDocker()
    yield stand_ins
    stand_ins.close()


@pytest.fixture
def plane(aws, docker, tmp_path):
    running = new_plane(tmp_path, docker)
    yield running
    running.close()


# ------------------------------------------------------------------ the AWS side (mock_aws)
def clients() -> tuple[Any, Any]:
    return boto3.client("sagemaker", region_name=REGION), boto3.client("sagemaker-runtime", region_name=REGION)


def setup_aws(policy: dict | None = None, trust: dict | None = None) -> None:
    iam = boto3.client("iam", region_name=REGION)
    iam.create_role(RoleName=ROLE_NAME, AssumeRolePolicyDocument=json.dumps(trust or TRUST))
    iam.put_role_policy(RoleName=ROLE_NAME, PolicyName="models", PolicyDocument=json.dumps(policy or READ_MODELS))
    boto3.client("s3", region_name=REGION).create_bucket(Bucket=BUCKET)


def put_model_archive(key: str, files: dict[str, bytes]) -> str:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o600  # private to its owner: the plane makes it readable
            archive.addfile(info, io.BytesIO(data))
    boto3.client("s3", region_name=REGION).put_object(Bucket=BUCKET, Key=key, Body=buffer.getvalue())
    return f"s3://{BUCKET}/{key}"


def deploy(
    sagemaker: Any, name: str, variants: dict[str, dict[str, Any]], container: dict[str, Any] | None = None
) -> None:
    """Models and an endpoint configuration NAME: one variant per entry of VARIANTS (its STAND_IN mode, weight,
    count)."""
    production = []
    for variant, spec in variants.items():
        model = f"{name}-{variant}"
        environment = {"STAND_IN": spec.get("mode", "echo"), "MODEL": model}
        primary = {"Image": spec.get("image", "local/serving:1"), "Environment": environment, **(container or {})}
        sagemaker.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer=primary)
        production.append(
            {
                "VariantName": variant,
                "ModelName": model,
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": spec.get("count", 1),
                "InitialVariantWeight": spec.get("weight", 1.0),
            }
        )
    sagemaker.create_endpoint_config(EndpointConfigName=name, ProductionVariants=production)


def status(sagemaker: Any, endpoint: str) -> tuple[str, str | None, str]:
    found = sagemaker.describe_endpoint(EndpointName=endpoint)
    return found["EndpointStatus"], found.get("FailureReason"), found["EndpointConfigName"]


def steps(plane: SageMakerPlane, count: int = 3, pause: float = 0.0) -> None:
    for _index in range(count):
        plane.step()
        time.sleep(pause)
