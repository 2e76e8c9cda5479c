"""SageMaker real-time endpoints made real: each instance of a production variant a serving container.

Every second, for every endpoint in moto (any account, any region) that is Creating, Updating or InService, the data
plane runs the endpoint configuration being deployed: for each production variant, ``InitialInstanceCount``
containers of its model's image, as SageMaker runs them (``docker run <image> serve``), each on its own loopback
address with the model's ``Environment``, ``LISTEN_ADDRESS`` (the address to bind), ``SAGEMAKER_BIND_TO_PORT=8080``,
the local AWS endpoint and credentials, and the model data read-only at ``/opt/ml/model`` (sagemaker_model.py: the
execution role's checks, the data from the local S3). Then:

- a container that answers ``GET /ping`` with 200 is in service; one that exits, or has not answered within
  ``ContainerStartupHealthCheckTimeoutInSeconds`` (else ``MOTO_SAGEMAKER_PING_TIMEOUT_SECONDS``, default 300), fails
  its configuration: ``The primary container for production variant <v> did not pass the ping health check. ...``;
- moto_sagemaker.py asks this plane (``verdict``) before it ends a Creating or Updating: InService once every
  container of the new configuration is in service; a failed creation ``Failed``, a failed update rolled back;
- an update is blue/green: the new configuration's containers start beside the old ones, which serve until the
  endpoint is InService on the new one (``settled``), then take no new request and stop once their requests end;
  a failed update's containers stop and the old ones keep serving;
- InvokeEndpoint (tests/local/moto_sagemaker_runtime.py) asks ``route`` for one in-service container of the
  configuration the endpoint serves: the ``TargetVariant``'s, else by the variants' weights;
- a container of a serving configuration that exits is replaced (a new instance, pinged again);
- each container's output goes to the local CloudWatch Logs group ``/aws/sagemaker/Endpoints/<endpoint>``, stream
  ``<variant>/<instance id>``;
- a deleted or Failed endpoint's containers stop.
Docker calls, pings and the model data's unpacking run outside the lock; moto's objects and this plane's records
change only under it.
"""

from __future__ import annotations

import logging
import random
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.sagemaker.models import sagemaker_backends

from tests.local import moto_sagemaker, moto_sagemaker_runtime
from tests.local.moto_sagemaker_runtime import Route

from . import containers
from . import sagemaker_fleet as fleets
from . import sagemaker_model as models
from .moto_patches import LOCK
from .sagemaker_fleet import PORT, Docker, Fleet, Instance, Record

LOG = logging.getLogger("dataplane.sagemaker")
LABEL = "mlops.sagemaker-endpoint"
MODEL_DIR = "/opt/ml/model"
RUNNING = ("Creating", "Updating", "InService", "SystemUpdating", "RollingBack")
DRAIN_SECONDS = 70.0  # a retired container's requests have ended by then (InvokeEndpoint waits 60 s)


def _thread(work: Callable[[], None]) -> None:
    threading.Thread(target=work, name="dataplane-sagemaker", daemon=True).start()


class SageMakerPlane:
    def __init__(
        self,
        endpoint_url: str,
        state_dir: Path,
        pool: containers.AddressPool,
        docker: Docker | None = None,
        spawn: Callable[[Callable[[], None]], None] = _thread,
    ) -> None:
        self.url = endpoint_url
        self.dir = state_dir / "sagemaker"
        self.pool = pool
        self.docker = docker or Docker()
        self.spawn = spawn  # model data and containers of a new configuration, off the loop
        self.records: dict[str, Record] = {}  # by endpoint ARN
        self.retiring: list[Fleet] = []  # their containers stop, then their model data goes
        self.draining: list[Instance] = []  # containers that take no new request, stopped once idle
        moto_sagemaker.set_deployment_hook(self)
        moto_sagemaker_runtime.set_router(self.route)

    # ------------------------------------------------------------ the loop
    def step(self) -> None:
        self._observe()
        with LOCK:
            work = self._plan()
        for job in work:
            self.spawn(job)
        self._retire()
        for fleet in self._fleets():
            for instance in list(fleet.instances):
                if instance.phase in ("STARTING", "IN_SERVICE", "FAILED"):
                    fleets.ship_logs(self.docker, fleet, instance)

    def stop_all(self) -> None:
        self.docker.remove_labelled(LABEL)

    def close(self) -> None:
        moto_sagemaker.set_deployment_hook(None)
        moto_sagemaker_runtime.set_router(None)
        self.stop_all()

    def status(self) -> dict[str, Any]:
        return {
            arn: {
                "serving": record.serving.config if record.serving else None,
                "deploying": record.deploying.config if record.deploying else None,
                "instances": {
                    i.name: {"phase": i.phase, "address": i.address}
                    for fleet in (record.serving, record.deploying)
                    if fleet is not None
                    for i in fleet.instances
                },
            }
            for arn, record in list(self.records.items())
        }

    # ------------------------------------------------------------ moto_sagemaker's hook (under LOCK)
    def verdict(self, endpoint_arn: str, config: str) -> tuple[str, str]:
        record = self.records.get(endpoint_arn)
        fleet = record.deploying if record else None
        if fleet is None or fleet.config != config:
            return "pending", ""
        if fleet.failure:
            return "failed", fleet.failure
        return ("ready", "") if fleet.ready else ("pending", "")

    def settled(self, endpoint_arn: str, config: str, ok: bool) -> None:
        record = self.records.get(endpoint_arn)
        fleet = record.deploying if record else None
        if record is None or fleet is None or fleet.config != config:
            return
        record.deploying = None
        if ok:  # the switch: new requests go to the new containers, the old ones finish theirs and stop
            self._retire_fleet(record.serving)
            record.serving = fleet
        else:
            self._retire_fleet(fleet)

    # ------------------------------------------------------------ InvokeEndpoint's router (under LOCK)
    def route(self, account: str, region: str, name: str, target: str | None) -> Route | None:
        endpoint = sagemaker_backends[account][region].endpoints.get(name)
        record = self.records.get(endpoint.arn) if endpoint is not None else None
        fleet = record.serving if record else None
        if fleet is None:
            return None
        healthy = [i for i in fleet.instances if i.phase == "IN_SERVICE" and target in (None, i.variant)]
        weights = {v.name: v.weight for v in fleet.variants}
        names = sorted({i.variant for i in healthy if target or weights.get(i.variant, 0) > 0})
        if not names:
            return None
        variant = target or random.choices(names, [weights[n] for n in names])[0]  # noqa: S311 - load balancing
        instance = random.choice([i for i in healthy if i.variant == variant])  # noqa: S311
        instance.inflight += 1

        def release() -> None:
            with LOCK:
                instance.inflight -= 1

        return Route(variant, instance.address, f"{variant}/{instance.instance_id}", PORT, release)

    # ------------------------------------------------------------ observation (no lock)
    def _observe(self) -> None:
        now, changes = time.monotonic(), []
        for fleet in self._fleets():
            for instance in list(fleet.instances):
                if instance.phase not in ("STARTING", "IN_SERVICE"):
                    continue
                alive = self.docker.state(instance.name).get("running", False)
                if instance.phase == "IN_SERVICE":
                    changes += [] if alive else [(fleet, instance, "FAILED")]
                elif alive and self.docker.ping(instance.address):
                    changes.append((fleet, instance, "IN_SERVICE"))
                elif not alive or now > instance.deadline:
                    changes.append((fleet, instance, "FAILED"))
        with LOCK:
            for fleet, instance, phase in changes:
                if instance.phase in ("STARTING", "IN_SERVICE"):
                    instance.phase = phase
                if phase == "FAILED" and not fleet.failure and not fleet.retired:
                    LOG.warning("SageMaker endpoint %s: container %s failed", fleet.endpoint, instance.name)

    def _fleets(self) -> list[Fleet]:
        with LOCK:
            return [f for r in self.records.values() for f in (r.serving, r.deploying) if f is not None]

    # ------------------------------------------------------------ planning (under LOCK)
    def _plan(self) -> list[Callable[[], None]]:
        work: list[Callable[[], None]] = []
        live = set()
        for account, region, backend, endpoint in _endpoints():
            live.add(endpoint.arn)
            record = self.records.setdefault(endpoint.arn, Record())
            if endpoint.endpoint_status not in RUNNING:  # Failed, Deleting, OutOfService: nothing runs
                self._retire_record(record)
                continue
            if record.deploying is not None:
                self._judge(record.deploying)
            wanted = self._wanted(endpoint, record)
            if wanted and record.deploying is None and (record.serving is None or record.serving.config != wanted):
                fleet = record.deploying = fleets.build(account, region, backend, endpoint, wanted)
                work += [] if fleet.prepared else [lambda fleet=fleet: self._prepare(fleet)]
            moto_sagemaker.settle(backend, endpoint)  # may end the operation: verdict(), settled()
            self._outside_operations(endpoint, record)
            if record.serving is not None:
                work += self._replacements(record.serving)
        for arn in set(self.records) - live:  # deleted endpoints
            self._retire_record(self.records.pop(arn))
        return work

    @staticmethod
    def _judge(fleet: Fleet) -> None:
        """A new configuration fails with its first failed container."""
        failed = next((i for i in fleet.instances if i.phase == "FAILED"), None)
        if failed is not None and not fleet.failure:
            fleet.failure = fleets.ping_failed(failed.variant)

    @staticmethod
    def _wanted(endpoint: Any, record: Record) -> str | None:
        """The configuration the endpoint should run: the one an operation deploys, else the one it runs."""
        pending = moto_sagemaker.PENDING.get(endpoint.arn)
        wanted = pending["config"] if pending else endpoint.endpoint_config_name
        return None if wanted == record.broken and not pending else wanted

    def _outside_operations(self, endpoint: Any, record: Record) -> None:
        """An endpoint InService that this plane did not start (the server restarted): its containers serve once
        ready; if they fail, that configuration is not retried (FailureReason in the log)."""
        fleet = record.deploying
        if fleet is None or endpoint.arn in moto_sagemaker.PENDING:
            return
        if fleet.ready:
            record.deploying = None
            record.serving = fleet
        elif fleet.failure:
            LOG.error("SageMaker endpoint %s: %s", endpoint.endpoint_name, fleet.failure)
            record.deploying, record.broken = None, fleet.config
            self._retire_fleet(fleet)

    def _replacements(self, fleet: Fleet) -> list[Callable[[], None]]:
        """A serving container that failed is replaced by a new instance of its variant."""
        failed = [i for i in fleet.instances if i.phase == "FAILED"]
        for instance in failed:
            fleet.instances.remove(instance)
            instance.retired = time.monotonic()
            self.draining.append(instance)
            fleet.instances.append(fleets.new_instance(instance.variant, fleet.endpoint))
        return [lambda: self._replace(fleet)] if failed else []

    # ------------------------------------------------------------ starting (no lock)
    def _prepare(self, fleet: Fleet) -> None:
        try:
            self._start_pending(fleet)
        except (models.ModelDataError, containers.ContainerError) as exc:
            with LOCK:
                fleet.failure = fleet.failure or str(exc)
        finally:
            with LOCK:
                fleet.prepared = True

    def _replace(self, fleet: Fleet) -> None:
        try:
            self._start_pending(fleet)
        except containers.ContainerError as exc:
            LOG.error("SageMaker endpoint %s: %s", fleet.endpoint, exc)

    def _model_dir(self, fleet: Fleet) -> Path:
        return self.dir / fleet.account / fleet.region / fleet.endpoint / f"{fleet.config}-{fleet.token}"

    def _start_pending(self, fleet: Fleet) -> None:
        """Unpack the model data (once) and start the fleet's PENDING instances."""
        for variant in fleet.variants:
            mounts = {}
            if variant.data is not None:
                target = self._model_dir(fleet) / variant.name
                if variant.objects or not target.exists():
                    models.unpack(variant.data, variant.objects, target)
                    variant.objects = {}
                mounts = {str(target): MODEL_DIR}
            for instance in [i for i in fleet.instances if i.variant == variant.name]:
                with LOCK:
                    if fleet.retired:
                        return
                    if instance.phase != "PENDING":  # another start has it
                        continue
                    instance.phase, instance.address = "LAUNCHING", self.pool.take(instance.name)
                self._run(fleet, variant, instance, mounts)

    def _run(self, fleet: Fleet, variant: fleets.Variant, instance: Instance, mounts: dict[str, str]) -> None:
        environment = {**variant.environment, "LISTEN_ADDRESS": instance.address, "SAGEMAKER_BIND_TO_PORT": str(PORT)}
        spec = containers.ContainerSpec(
            name=instance.name,
            image=variant.image,
            address=instance.address,
            region=fleet.region,
            environment=environment,
            command=["serve"],
            labels={LABEL: fleet.arn},
            aws_environment={
                "AWS_ENDPOINT_URL": self.url,
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": fleet.region,
                "AWS_DEFAULT_REGION": fleet.region,
            },
            mounts=mounts,
        )
        try:
            self.docker.run(spec)
        except containers.ContainerError as exc:
            with LOCK:
                instance.phase = "FAILED" if instance.phase == "LAUNCHING" else instance.phase
            raise containers.ContainerError(
                f"The image {variant.image} of production variant {variant.name} could not be run: {exc}"
            ) from exc
        with LOCK:
            stopped = instance.phase == "STOPPED"  # retired while it started: it goes at once
            if instance.phase == "LAUNCHING":
                instance.phase, instance.deadline = "STARTING", time.monotonic() + variant.ping_timeout
        if stopped:
            self.docker.remove(instance.name)

    # ------------------------------------------------------------ stopping
    def _retire_record(self, record: Record) -> None:
        for fleet in (record.serving, record.deploying):
            self._retire_fleet(fleet)
        record.serving = record.deploying = None

    def _retire_fleet(self, fleet: Fleet | None) -> None:
        """FLEET takes no new request; its containers stop once their requests end (after its start, if it is still
        starting), then its model data goes."""
        if fleet is not None and not fleet.retired:
            fleet.retired = time.monotonic()
            self.retiring.append(fleet)

    def _retire(self) -> None:
        now, stopping, gone = time.monotonic(), [], []
        with LOCK:
            for fleet in [f for f in self.retiring if f.prepared]:
                for instance in fleet.instances:
                    if instance.phase != "STOPPED" and instance not in self.draining:
                        instance.retired = fleet.retired
                        self.draining.append(instance)
            for instance in list(self.draining):
                if instance.inflight <= 0 or now - instance.retired > DRAIN_SECONDS:
                    self.draining.remove(instance)
                    instance.phase = "STOPPED"
                    stopping.append(instance)
            for fleet in [f for f in self.retiring if f.prepared]:
                if all(i.phase == "STOPPED" for i in fleet.instances):
                    self.retiring.remove(fleet)
                    gone.append(self._model_dir(fleet))
        for instance in stopping:
            self.docker.remove(instance.name)
            with LOCK:
                self.pool.give_back(instance.name)
        for directory in gone:
            shutil.rmtree(directory, ignore_errors=True)


def _endpoints():
    for account, regions in list(sagemaker_backends.items()):
        for region, backend in list(regions.items()):
            for endpoint in list(backend.endpoints.values()):
                yield account, region, backend, endpoint
