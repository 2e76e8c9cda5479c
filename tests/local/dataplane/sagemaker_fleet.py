"""The SageMaker plane's records (sagemaker.py): an endpoint configuration's containers as a fleet of instances, built
from moto's endpoint configuration and models as SageMaker reads them, and the containers' output shipped to the
local CloudWatch Logs (``/aws/sagemaker/Endpoints/<endpoint>``, stream ``<variant>/<instance id>``).
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.logs.models import logs_backends
from moto.sagemaker.utils import arn_formatter

from . import containers
from . import sagemaker_model as models

LOG = logging.getLogger("dataplane.sagemaker")
PORT = 8080  # SageMaker's: the container serves GET /ping and POST /invocations on it


def ping_failed(variant: str) -> str:
    return (
        f"The primary container for production variant {variant} did not pass the ping health check. "
        "Please check CloudWatch logs for this endpoint."
    )


@dataclass
class Instance:
    variant: str
    instance_id: str
    name: str  # the container's
    address: str = ""
    phase: str = "PENDING"  # PENDING -> LAUNCHING (docker run) -> STARTING (pinged) -> IN_SERVICE; FAILED; STOPPED
    deadline: float = 0.0  # STARTING: the ping must pass by then
    inflight: int = 0  # invocations under way
    logged: str = ""  # the timestamp of the last log line shipped
    retired: float = 0.0  # when it stopped taking requests


def new_instance(variant: str, endpoint: str) -> Instance:
    instance_id = f"i-{uuid.uuid4().hex[:17]}"
    return Instance(variant, instance_id, f"sagemaker-{endpoint}-{variant}-{instance_id[2:10]}"[:120])


@dataclass
class Variant:
    name: str
    weight: float
    count: int
    image: str = ""
    environment: dict[str, str] = field(default_factory=dict)
    ping_timeout: float = 300.0
    data: models.ModelData | None = None
    objects: dict[str, bytes] = field(default_factory=dict)  # read under the lock, unpacked outside it


@dataclass
class Fleet:
    """The containers of one endpoint configuration on one endpoint."""

    account: str
    region: str
    endpoint: str
    arn: str
    config: str
    variants: list[Variant] = field(default_factory=list)
    instances: list[Instance] = field(default_factory=list)
    failure: str = ""
    prepared: bool = False  # model data unpacked and containers started (or failed to)
    retired: float = 0.0  # when it stopped taking requests
    token: str = field(default_factory=lambda: uuid.uuid4().hex[:8])  # its model data directory's

    @property
    def ready(self) -> bool:
        return self.prepared and not self.failure and all(i.phase == "IN_SERVICE" for i in self.instances)


@dataclass
class Record:
    """An endpoint: the fleet that serves it, the one being deployed."""

    serving: Fleet | None = None
    deploying: Fleet | None = None
    broken: str = ""  # a configuration that failed outside an operation (not retried)


def _remove(name: str) -> None:
    containers.stop(name, timeout=10)
    containers.remove(name)


def _ping(address: str) -> bool:
    return containers.probe(address, PORT, "/ping", "HTTP", "200")


@dataclass
class Docker:
    """What the plane does with containers: containers.py's (the tests give stand-ins)."""

    run: Callable[[containers.ContainerSpec], None] = containers.run
    state: Callable[[str], dict] = containers.state
    remove: Callable[[str], None] = _remove
    ping: Callable[[str], bool] = _ping
    logs: Callable[[str, str], list[tuple[str, str]]] = containers.log_lines
    remove_labelled: Callable[[str], None] = containers.remove_labelled  # every container of the plane


# ------------------------------------------------------------------ a configuration's fleet (under the lock)
def build(account: str, region: str, backend: Any, endpoint: Any, config_name: str) -> Fleet:
    """The fleet of CONFIG_NAME on ENDPOINT: its variants (image, environment, model data read from the local S3)
    and instances; failed (and prepared) at once when SageMaker would refuse a model."""
    fleet = Fleet(account, region, endpoint.endpoint_name, endpoint.arn, config_name)
    config = backend.endpoint_configs.get(config_name)
    if config is None:
        arn = arn_formatter("endpoint-config", config_name, account, region)
        fleet.failure, fleet.prepared = f'Could not find endpoint configuration "{arn}".', True
        return fleet
    for spec in config.production_variants:
        variant = Variant(spec["VariantName"], float(spec.get("InitialVariantWeight", 1.0)), 0)
        variant.count = int(spec.get("InitialInstanceCount") or 1)
        timeout = spec.get("ContainerStartupHealthCheckTimeoutInSeconds")
        variant.ping_timeout = float(timeout or os.environ.get("MOTO_SAGEMAKER_PING_TIMEOUT_SECONDS", "300"))
        fleet.failure = fleet.failure or _model(account, region, backend, spec["ModelName"], variant)
        fleet.variants.append(variant)
        fleet.instances += [new_instance(variant.name, endpoint.endpoint_name) for _index in range(variant.count)]
    fleet.prepared = bool(fleet.failure)
    return fleet


def _model(account: str, region: str, backend: Any, name: str, variant: Variant) -> str:
    """VARIANT's image, environment and model data from the model NAME; a FailureReason when SageMaker would refuse
    them."""
    model = backend._models.get(name)
    if model is None:
        return f'Could not find model "{arn_formatter("model", name, account, region)}".'
    container = models.primary_container(model)
    variant.image, variant.environment = container.get("Image", ""), dict(container.get("Environment") or {})
    variant.data = models.model_data(container)
    role = model.execution_role_arn
    denied = models.data_denied(account, region, role, variant.data) if variant.data else ""
    denied = denied or models.image_denied(role, variant.image)
    if not denied and variant.data is not None:
        variant.objects = models.read(account, variant.data)
    return denied


# ------------------------------------------------------------------ logs (no lock)
def ship_logs(docker: Docker, fleet: Fleet, instance: Instance) -> None:
    """The container's new output lines to /aws/sagemaker/Endpoints/<endpoint>, stream <variant>/<instance id>."""
    lines = [(t, text) for t, text in docker.logs(instance.name, instance.logged) if t > instance.logged]
    if not lines:
        return
    instance.logged = lines[-1][0]
    group, stream = f"/aws/sagemaker/Endpoints/{fleet.endpoint}", f"{instance.variant}/{instance.instance_id}"
    try:
        backend = logs_backends[fleet.account][fleet.region]
        if group not in backend.groups:
            backend.create_log_group(group, {})
        if stream not in backend.groups[group].streams:
            backend.create_log_stream(group, stream)
        backend.put_log_events(group, stream, [{"timestamp": _millis(t), "message": text} for t, text in lines])
    except Exception:
        LOG.exception("log lines of %s not shipped", instance.name)


def _millis(stamp: str) -> int:
    """Docker's RFC 3339 timestamp (nanoseconds, fixed width) in milliseconds since the epoch."""
    try:
        return int(datetime.fromisoformat(stamp[:26].rstrip("Z")).replace(tzinfo=UTC).timestamp() * 1000)
    except ValueError:
        return int(time.time() * 1000)
