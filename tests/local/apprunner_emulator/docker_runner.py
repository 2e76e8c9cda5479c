"""Runs an App Runner service's image through the local data plane's containers (tests/local/dataplane).

App Runner gives the container ``PORT`` and the configured environment; the data plane adds
``LISTEN_ADDRESS``, the loopback address reserved for the service, and the local AWS endpoint and
credentials in place of the instance role's. Secrets (Secrets Manager or SSM ARNs) are resolved from
the local AWS at deployment time, as App Runner does.
"""

from __future__ import annotations

import os
import shlex
import time
from typing import Any

from tests.local.dataplane import containers

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


class DockerRunner:
    def __init__(self, region: str, health_timeout: float) -> None:
        self.region = region
        self.health_timeout = health_timeout

    @staticmethod
    def container_name(service: dict[str, Any]) -> str:
        return f"apprunner-{service['ServiceName']}-{service['ServiceId'][:8]}"

    def start(self, service: dict[str, Any], address: str) -> None:
        image = service["SourceConfiguration"]["ImageRepository"]
        config = image.get("ImageConfiguration", {})
        port = config.get("Port") or "8080"
        spec = containers.ContainerSpec(
            name=self.container_name(service),
            image=image["ImageIdentifier"],
            address=address,
            region=self.region,
            environment={**config.get("RuntimeEnvironmentVariables", {}), "PORT": port},
            secrets=dict(config.get("RuntimeEnvironmentSecrets", {})),
            command=shlex.split(config["StartCommand"]) if config.get("StartCommand") else [],
            labels={LABEL: service["ServiceArn"]},
            aws_environment={key: os.environ[key] for key in _AWS_ENV if key in os.environ},
        )
        try:
            containers.run(spec)
        except containers.ContainerError as exc:
            raise DeploymentError(f"starting the image failed: {exc}") from exc
        self.wait_healthy(service, address, port)

    def wait_healthy(self, service: dict[str, Any], address: str, port: str) -> None:
        health = service.get("HealthCheckConfiguration", {})
        protocol, path = health.get("Protocol", "TCP"), health.get("Path", "/")
        deadline = time.monotonic() + self.health_timeout
        while time.monotonic() < deadline:
            if not self.running(service):
                raise DeploymentError(f"the container exited: {self.logs(service)}")
            if containers.probe(address, port, path, protocol):
                return
            time.sleep(1)
        raise DeploymentError(
            f"health check {protocol} {path} on {address}:{port} did not pass within "
            f"{self.health_timeout:.0f}s: {self.logs(service)}"
        )

    def running(self, service: dict[str, Any]) -> bool:
        return containers.running(self.container_name(service))

    def logs(self, service: dict[str, Any]) -> str:
        return containers.logs(self.container_name(service))[-2000:]

    def stop(self, service: dict[str, Any]) -> None:
        containers.stop(self.container_name(service))

    def remove(self, service: dict[str, Any]) -> None:
        containers.remove(self.container_name(service))

    @staticmethod
    def remove_all() -> None:
        containers.remove_labelled(LABEL)
