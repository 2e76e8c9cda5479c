"""Runs an App Runner service's image in the local Docker engine, on the host network.

App Runner gives the container ``PORT`` and the configured environment; the emulator adds
``LISTEN_ADDRESS``, the loopback address it reserved for the service (several services share the
host's network stack), and the local AWS endpoint and credentials in place of the instance role's.
Secrets (Secrets Manager or SSM ARNs) are resolved from the local AWS at deployment time, as App
Runner does, and handed to Docker in a private env file that is removed once the container runs.
"""

from __future__ import annotations

import os
import shlex
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import boto3

LABEL = "mlops.apprunner-emulator"
# What the container gets in place of an instance role: the local AWS the emulator itself uses.
_AWS_ENV = (
    "AWS_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
)


class DeploymentError(Exception):
    """The image could not be started or never became healthy."""


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def resolve_secret(arn: str, region: str) -> str:
    """The value of a Secrets Manager or SSM ARN, read in the ARN's own region."""
    service = arn.split(":")[2] if arn.startswith("arn:") else ""
    region = (arn.split(":")[3] if arn.startswith("arn:") else "") or region
    if service == "secretsmanager":
        client = boto3.client("secretsmanager", region_name=region)
        return client.get_secret_value(SecretId=arn)["SecretString"]
    if service == "ssm":
        client = boto3.client("ssm", region_name=region)
        name = arn.split(":parameter", 1)[1]
        return client.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    raise DeploymentError(f"secret reference {arn!r} is neither a Secrets Manager nor an SSM parameter ARN")


class DockerRunner:
    def __init__(self, region: str, health_timeout: float) -> None:
        self.region = region
        self.health_timeout = health_timeout

    @staticmethod
    def container_name(service: dict[str, Any]) -> str:
        return f"apprunner-{service['ServiceName']}-{service['ServiceId'][:8]}"

    def start(self, service: dict[str, Any], address: str) -> None:
        self.remove(service)
        image = service["SourceConfiguration"]["ImageRepository"]
        config = image.get("ImageConfiguration", {})
        port = config.get("Port") or "8080"
        env = {key: os.environ[key] for key in _AWS_ENV if key in os.environ}
        env.update(config.get("RuntimeEnvironmentVariables", {}))
        try:
            for key, arn in config.get("RuntimeEnvironmentSecrets", {}).items():
                env[key] = resolve_secret(arn, self.region)
        except Exception as exc:
            raise DeploymentError(f"resolving the service's secrets failed: {exc}") from exc
        env.update(PORT=port, LISTEN_ADDRESS=address)
        args = [
            "docker",
            "run",
            "--detach",
            "--name",
            self.container_name(service),
            "--network",
            "host",
            "--label",
            f"{LABEL}={service['ServiceArn']}",
            "--stop-timeout",
            "30",
        ]
        with tempfile.TemporaryDirectory(prefix="apprunner-env-") as tmp:
            env_file = Path(tmp, "env")
            env_file.touch(mode=0o600)
            env_file.write_text("".join(f"{key}={value}\n" for key, value in env.items() if "\n" not in value))
            args += ["--env-file", str(env_file), image["ImageIdentifier"]]
            if config.get("StartCommand"):
                args += shlex.split(config["StartCommand"])
            result = subprocess.run(args, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise DeploymentError(f"docker run failed: {result.stderr.strip()}")
        self.wait_healthy(service, address, port)

    def wait_healthy(self, service: dict[str, Any], address: str, port: str) -> None:
        health = service.get("HealthCheckConfiguration", {})
        protocol, path = health.get("Protocol", "TCP"), health.get("Path", "/")
        deadline = time.monotonic() + self.health_timeout
        while time.monotonic() < deadline:
            if not self.running(service):
                raise DeploymentError(f"the container exited: {self.logs(service)}")
            if self._probe(protocol, address, port, path):
                return
            time.sleep(1)
        raise DeploymentError(
            f"health check {protocol} {path} on {address}:{port} did not pass within "
            f"{self.health_timeout:.0f}s: {self.logs(service)}"
        )

    @staticmethod
    def _probe(protocol: str, address: str, port: str, path: str) -> bool:
        try:
            if protocol == "HTTP":
                with urllib.request.urlopen(f"http://{address}:{port}{path}", timeout=3) as response:
                    return 200 <= response.status < 400
            with socket.create_connection((address, int(port)), timeout=3):
                return True
        except (OSError, urllib.error.URLError, ValueError):
            return False

    def running(self, service: dict[str, Any]) -> bool:
        result = subprocess.run(
            ["docker", "inspect", "-f", "{{.State.Running}}", self.container_name(service)],
            capture_output=True,
            text=True,
            check=False,
        )
        return result.stdout.strip() == "true"

    def logs(self, service: dict[str, Any]) -> str:
        result = subprocess.run(
            ["docker", "logs", "--tail", "20", self.container_name(service)],
            capture_output=True,
            text=True,
            check=False,
        )
        return (result.stdout + result.stderr).strip()[-2000:]

    def stop(self, service: dict[str, Any]) -> None:
        subprocess.run(["docker", "stop", self.container_name(service)], capture_output=True, check=False)

    def remove(self, service: dict[str, Any]) -> None:
        subprocess.run(["docker", "rm", "--force", self.container_name(service)], capture_output=True, check=False)

    @staticmethod
    def remove_all() -> None:
        ids = subprocess.run(
            ["docker", "ps", "-aq", "--filter", f"label={LABEL}"], capture_output=True, text=True, check=False
        ).stdout.split()
        if ids:
            subprocess.run(["docker", "rm", "--force", *ids], capture_output=True, check=False)
