"""Runs an App Runner service's image through the local data plane's containers (tests/local/dataplane).

App Runner gives the container ``PORT`` and the configured environment; the data plane adds
``LISTEN_ADDRESS``, the loopback address reserved for the service, and the local AWS endpoint and
credentials in place of the instance role's. Secrets (Secrets Manager or SSM ARNs) are resolved from
the local AWS at deployment time, as App Runner does.

Requests reach the container through the service's front door (``front_door.py``): nginx on the
service's address and port (the ServiceUrl), with App Runner's request limit, in front of the
container on the same address and ``front_door.CONTAINER_PORT`` (the container's ``PORT``). The
health check probes the container itself, as App Runner's does; the front door opens once it passes
and closes when the container stops.
"""

from __future__ import annotations

import os
import shlex
import shutil
import threading
import time
from pathlib import Path
from typing import Any

from tests.local.dataplane import containers

from . import front_door

LABEL = "mlops.apprunner-emulator"
# Which emulator runs the container (its state directory): an emulator starting or stopping removes its
# own containers only, so that two of them (make integration's lanes) can run side by side.
OWNER_LABEL = "mlops.apprunner-emulator.owner"
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
    def __init__(
        self,
        region: str,
        health_timeout: float,
        state_dir: Path = front_door.HERE.parents[1] / "output" / "local" / "apprunner",
        request_timeout: float = front_door.DEFAULT_REQUEST_TIMEOUT,
    ) -> None:
        self.region = region
        self.health_timeout = health_timeout
        self.doors_dir = state_dir / "front-doors"
        self.owner = str(state_dir.resolve())
        self.request_timeout = request_timeout
        self.doors: dict[str, front_door.FrontDoor] = {}  # container name -> its front door
        self.doors_lock = threading.Lock()

    @staticmethod
    def container_name(service: dict[str, Any]) -> str:
        return f"apprunner-{service['ServiceName']}-{service['ServiceId'][:8]}"

    def start(self, service: dict[str, Any], address: str) -> None:
        image = service["SourceConfiguration"]["ImageRepository"]
        config = image.get("ImageConfiguration", {})
        port = config.get("Port") or "8080"
        inner = front_door.container_port(port)
        # While the image (re)starts, requests are refused, as before the front door.
        self._close_door(self.container_name(service))
        spec = containers.ContainerSpec(
            name=self.container_name(service),
            image=image["ImageIdentifier"],
            address=address,
            region=self.region,
            environment={**config.get("RuntimeEnvironmentVariables", {}), "PORT": inner},
            secrets=dict(config.get("RuntimeEnvironmentSecrets", {})),
            command=shlex.split(config["StartCommand"]) if config.get("StartCommand") else [],
            labels={LABEL: service["ServiceArn"], OWNER_LABEL: self.owner},
            aws_environment={key: os.environ[key] for key in _AWS_ENV if key in os.environ},
        )
        try:
            containers.run(spec)
        except containers.ContainerError as exc:
            raise DeploymentError(f"starting the image failed: {exc}") from exc
        self.wait_healthy(service, address, inner)
        self._open_door(service, address, port, inner)

    def _open_door(self, service: dict[str, Any], address: str, port: str, inner: str) -> None:
        name = self.container_name(service)
        door = front_door.FrontDoor(self.doors_dir / name, name)
        with self.doors_lock:
            self.doors[name] = door
        try:
            door.open(address, port, inner, self.request_timeout)
        except front_door.FrontDoorError as exc:
            raise DeploymentError(str(exc)) from exc

    def _close_door(self, name: str, forget: bool = False) -> None:
        with self.doors_lock:
            door = self.doors.pop(name, None)
        if door is not None:
            door.close()
        if forget:
            shutil.rmtree(self.doors_dir / name, ignore_errors=True)

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
        self._close_door(self.container_name(service))

    def remove(self, service: dict[str, Any]) -> None:
        containers.remove(self.container_name(service))
        self._close_door(self.container_name(service), forget=True)

    def remove_all(self, forget: bool = False) -> None:
        """Remove every container of this emulator and close its front door (FORGET: and delete its files)."""
        containers.remove_labelled(OWNER_LABEL, self.owner)
        with self.doors_lock:
            names = list(self.doors)
        for name in names:
            self._close_door(name)
        if forget:
            shutil.rmtree(self.doors_dir, ignore_errors=True)
