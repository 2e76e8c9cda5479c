"""ECS services made real: each task a set of containers, the service's state kept truthful.

Every second, for every ECS service in moto (any account, any region), the data plane:
- runs the PRIMARY deployment's desired count of tasks: a moto task (an ENI in the service's first
  subnet, with a 10.x address moto picks) whose containers run in Docker on their own loopback
  address, with the task definition's environment, its ``secrets`` resolved through the execution
  role (refused, as ECS refuses, when the role may not read one) and its container health check;
- registers a running task's address in the service's target groups and probes it as the target
  group's health check says; a task is healthy when its container health check and its targets are;
- counts a task that exits, fails its container health check, or fails the target group's checks
  after the health-check grace period as failed, stops it and starts another;
- rolls a new deployment out (old tasks stop once the new ones are healthy), marks it COMPLETED, or
  FAILED by the deployment circuit breaker (then rolls back to the last completed task definition
  when ``rollback`` is on);
- follows desired-count changes, including those a target-tracking policy makes while its alarm is in
  ALARM (one task per alarm evaluation, within the scalable target's min/max, after the cooldown).
Docker calls and probes run outside the lock; moto's objects change only under it.
"""

from __future__ import annotations

import fnmatch
import json
import logging
import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.cloudwatch.models import cloudwatch_backends
from moto.core.utils import utcnow
from moto.ecs.models import Task, ecs_backends
from moto.elbv2.models import elbv2_backends
from moto.iam.models import iam_backends

from . import containers
from .moto_patches import LOCK, TARGET_HEALTH, new_deployment

LOG = logging.getLogger("dataplane.ecs")
TASK_LABEL = "mlops.ecs-task"


class LocalTask(Task):
    """A moto task whose status is the data plane's (moto's own advances to STOPPED when described)."""

    @property
    def status(self) -> str | None:
        return self._local_status

    @status.setter
    def status(self, value: str) -> None:
        self._local_status = value

    def advance(self) -> None:
        pass


@dataclass
class Target:
    group_arn: str
    port: int
    path: str
    protocol: str
    matcher: str
    interval: float
    healthy_threshold: int
    unhealthy_threshold: int
    state: str = "initial"
    passes: int = 0
    fails: int = 0
    last_probe: float = 0.0


@dataclass
class TaskRecord:
    task: LocalTask
    service_key: tuple[str, str, str]  # account, region, "cluster:service"
    deployment_id: str
    address: str
    ip: str
    containers: list[str]
    essential: list[str]
    has_health_check: bool
    grace_until: float
    targets: list[Target] = field(default_factory=list)
    phase: str = "PENDING"  # PENDING -> RUNNING -> STOPPED
    start_error: str = ""
    observed: dict[str, dict] = field(default_factory=dict)
    healthy: bool = False
    stop_reason: str = ""


def _env_list(items: list[dict] | None) -> dict[str, str]:
    return {item["name"]: str(item.get("value", "")) for item in items or []}


def _statements(document: Any) -> list[dict]:
    if isinstance(document, str):
        document = json.loads(document)
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def _as_list(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def role_allows(account: str, role_arn: str, action: str, resource: str) -> bool:
    """Whether the role's inline or attached policies allow ACTION on RESOURCE (no Deny, no conditions)."""
    try:
        role = iam_backends[account]["global"].get_role_by_arn(role_arn)
    except Exception:
        return False
    documents = list(role.policies.values())
    for policy in role.managed_policies.values():
        version = next((v for v in policy.versions if v.is_default), None)
        if version is not None:
            documents.append(version.document)
    for document in documents:
        for statement in _statements(document):
            if statement.get("Effect") != "Allow":
                continue
            actions = [a.lower() for a in _as_list(statement.get("Action", []))]
            if not any(fnmatch.fnmatchcase(action.lower(), a) for a in actions):
                continue
            if any(fnmatch.fnmatchcase(resource, r) for r in _as_list(statement.get("Resource", []))):
                return True
    return False


class EcsPlane:
    def __init__(self, endpoint: str, pool: containers.AddressPool, resolve: Callable[[str, str], str]) -> None:
        self.endpoint = endpoint
        self.pool = pool
        self.resolve = resolve
        self.records: dict[str, TaskRecord] = {}
        self.completed: set[str] = set()  # deployment ids that reached COMPLETED
        self.scaled_at: dict[str, float] = {}
        # Service -> (failed launches in a row, no launch before): ECS throttles a service whose tasks
        # keep failing to start; so does the data plane (1, 2, 4 ... 60 s).
        self.backoff: dict[tuple[str, str, str], tuple[int, float]] = {}
        # ENI address (what ECS registers in a target group) -> the task's loopback address.
        self.ip_map: dict[str, str] = {}

    # ------------------------------------------------------------ the loop
    def step(self) -> None:
        self._observe()
        with LOCK:
            actions = self._plan()
        for action in actions:
            try:
                action()
            except Exception:
                LOG.exception("data plane action failed")

    def stop_all(self) -> None:
        containers.remove_labelled(TASK_LABEL)

    # ------------------------------------------------------------ observation (no lock)
    def _observe(self) -> None:
        now = time.monotonic()
        for record in list(self.records.values()):
            if record.phase != "RUNNING":
                continue
            record.observed = {name: containers.state(name) for name in record.containers}
            for target in record.targets:
                if now - target.last_probe < target.interval:
                    continue
                target.last_probe = now
                ok = containers.probe(record.address, target.port, target.path, target.protocol, target.matcher)
                target.passes, target.fails = (target.passes + 1, 0) if ok else (0, target.fails + 1)
                if ok and (target.state == "initial" or target.passes >= target.healthy_threshold):
                    target.state = "healthy"
                elif not ok and target.state != "initial" and target.fails >= target.unhealthy_threshold:
                    target.state = "unhealthy"
                elif not ok and target.state == "initial" and now > record.grace_until:
                    target.state = "unhealthy" if target.fails >= target.unhealthy_threshold else target.state

    # ------------------------------------------------------------ planning (under LOCK)
    def _services(self):
        for account, regions in list(ecs_backends.items()):
            for region, backend in list(regions.items()):
                for key, service in list(backend.services.items()):
                    yield (account, region, key), backend, service

    def _plan(self) -> list[Callable[[], None]]:
        actions: list[Callable[[], None]] = []
        live = set()
        self._scale()
        for skey, backend, service in self._services():
            if service.status != "ACTIVE":
                continue
            live.add(skey)
            actions += self._reconcile(skey, backend, service)
        for record in list(self.records.values()):
            if record.service_key not in live and record.phase != "STOPPED":
                actions += self._stop(record, "Service deleted")
            if record.phase == "STOPPED":
                self.records.pop(record.task.task_arn, None)
        return actions

    def _reconcile(self, skey, backend, service) -> list[Callable[[], None]]:
        actions: list[Callable[[], None]] = []
        mine = [r for r in self.records.values() if r.service_key == skey and r.phase != "STOPPED"]
        actions += self._judge(service, mine)
        mine = [r for r in mine if r.phase != "STOPPED"]
        primary = self._circuit_breaker(service)
        if primary is not None:
            actions += self._roll(skey, backend, service, primary, mine)
        self._counts(skey, service)
        return actions

    def _judge(self, service, records: list[TaskRecord]) -> list[Callable[[], None]]:
        """What happened to each task: stopped by a user, failed, or (un)healthy."""
        actions: list[Callable[[], None]] = []
        deployments = {d["id"]: d for d in service.deployments}
        now = time.monotonic()
        for record in records:
            reason = self._failure(record, now)
            if record.task.desired_status == "STOPPED":
                actions += self._stop(record, record.task.stopped_reason or "Task stopped by user")
            elif reason:
                failures = self.backoff.get(record.service_key, (0, 0.0))[0] + 1
                self.backoff[record.service_key] = (failures, time.monotonic() + min(60, 2 ** (failures - 1)))
                deployment = deployments.get(record.deployment_id)
                if deployment is not None:
                    deployment["failedTasks"] = deployment.get("failedTasks", 0) + 1
                self._event(service, f"(service {service.name}) has stopped 1 running tasks: (task {record.task.id}).")
                actions += self._stop(record, reason, drain=False)
            elif record.phase == "RUNNING":
                containers_ok = all(o.get("health", "") in ("", "healthy") for o in record.observed.values())
                record.healthy = containers_ok and all(t.state == "healthy" for t in record.targets)
                if record.healthy:
                    self.backoff.pop(record.service_key, None)
                record.task.health_status = "HEALTHY" if record.healthy else "UNKNOWN"
                for target in record.targets:
                    TARGET_HEALTH[(target.group_arn, record.ip)] = _health_tuple(target.state)
        return actions

    def _circuit_breaker(self, service) -> dict | None:
        """The PRIMARY deployment, after the circuit breaker had its say (a rollback is a new PRIMARY)."""
        primary = next((d for d in service.deployments if d["status"] == "PRIMARY"), None)
        if primary is None:
            return None
        breaker = (getattr(service, "deployment_configuration", {}) or {}).get("deploymentCircuitBreaker", {})
        threshold = min(200, max(3, math.ceil(service.desired_count / 2)))
        if not (
            breaker.get("enable")
            and primary["rolloutState"] == "IN_PROGRESS"
            and primary.get("failedTasks", 0) >= threshold
        ):
            return primary
        primary["rolloutState"] = "FAILED"
        primary["rolloutStateReason"] = "ECS deployment circuit breaker: tasks failed to start."
        self._event(
            service, f"(service {service.name}) (deployment {primary['id']}) deployment failed: tasks failed to start."
        )
        last_good = next((d for d in service.deployments[1:] if d["id"] in self.completed), None)
        if not breaker.get("rollback") or last_good is None:
            return primary
        primary["status"] = "ACTIVE"
        rollback = new_deployment(service, last_good["taskDefinition"])
        service.task_definition = last_good["taskDefinition"]
        service.deployments.insert(0, rollback)
        self._event(service, f"(service {service.name}) rolling back to deployment {last_good['id']}.")
        return rollback

    def _roll(self, skey, backend, service, primary, mine: list[TaskRecord]) -> list[Callable[[], None]]:
        """Start the primary's missing tasks within maximumPercent, making room by stopping older
        deployments' tasks down to minimumHealthyPercent; retire those once the primary is healthy."""
        actions: list[Callable[[], None]] = []
        desired = service.desired_count
        primary["desiredCount"] = desired
        config = getattr(service, "deployment_configuration", {}) or {}
        grace = float(getattr(service, "health_check_grace_period_seconds", 0) or 0)
        ours = [r for r in mine if r.deployment_id == primary["id"]]
        others = [r for r in mine if r.deployment_id != primary["id"]]
        need = desired - len(ours)
        not_before = self.backoff.get(skey, (0, 0.0))[1]
        if primary["rolloutState"] != "FAILED" and need > 0 and time.monotonic() >= not_before:
            ceiling = max(desired, math.floor(desired * int(config.get("maximumPercent", 200)) / 100))
            room = ceiling - len(mine)
            if room < need and others:
                keep = math.ceil(desired * int(config.get("minimumHealthyPercent", 100)) / 100)
                spare = sum(1 for r in mine if r.healthy) - keep
                for record in sorted(others, key=lambda r: r.healthy):
                    if room >= need or (record.healthy and spare <= 0):
                        break
                    spare -= 1 if record.healthy else 0
                    room += 1
                    actions += self._stop(record, f"Task stopped by deployment {primary['id']}")
            for _task in range(max(0, min(need, room))):
                actions += self._launch(skey, backend, service, primary, grace)
        for record in ours[desired:]:
            actions += self._stop(record, f"Scaling activity initiated by (deployment {primary['id']})")
        ours = ours[:desired]
        if sum(1 for r in ours if r.healthy) >= desired == len(ours):
            for record in others:
                if record.phase != "STOPPED":
                    actions += self._stop(record, f"Task stopped by deployment {primary['id']}")
            service.deployments = [d for d in service.deployments if d["id"] == primary["id"]]
            if primary["rolloutState"] == "IN_PROGRESS":
                primary["rolloutState"] = "COMPLETED"
                primary["rolloutStateReason"] = f"ECS deployment {primary['id']} completed."
                self.completed.add(primary["id"])
                self._event(service, f"(service {service.name}) (deployment {primary['id']}) deployment completed.")
                self._event(service, f"(service {service.name}) has reached a steady state.")
        return actions

    def _counts(self, skey, service) -> None:
        """runningCount and pendingCount, of the service and of each deployment, as ECS reports them."""
        running = [r for r in self.records.values() if r.service_key == skey and r.phase == "RUNNING"]
        pending = [r for r in self.records.values() if r.service_key == skey and r.phase == "PENDING"]
        service.running_count, service.pending_count = len(running), len(pending)
        for deployment in service.deployments:
            deployment["runningCount"] = sum(1 for r in running if r.deployment_id == deployment["id"])
            deployment["pendingCount"] = sum(1 for r in pending if r.deployment_id == deployment["id"])
            deployment["updatedAt"] = utcnow()

    def _failure(self, record: TaskRecord, now: float) -> str:
        if record.start_error:
            return record.start_error
        if record.phase != "RUNNING":
            return ""
        for name, observed in record.observed.items():
            if name in record.essential and not observed.get("running", False):
                code = observed.get("exit_code", "unknown") if observed else "unknown"
                return f"Essential container in task exited (exit code {code})"
            # ECS ignores container health checks, as load balancer ones, during the grace period.
            if observed.get("health") == "unhealthy" and now > record.grace_until:
                return "Task failed container health checks"
        if now > record.grace_until:
            for target in record.targets:
                if target.state == "unhealthy":
                    return f"Task failed ELB health checks in (target-group {target.group_arn})"
        return ""

    # ------------------------------------------------------------ tasks
    def _launch(self, skey, backend, service, deployment, grace) -> list[Callable[[], None]]:
        account, region = skey[:2]
        definition = backend.describe_task_definition(deployment["taskDefinition"])
        cluster = backend.clusters[service.cluster_name]
        task = LocalTask(
            cluster,
            definition,
            None,
            None,
            backend,
            group=f"service:{service.name}",
            launch_type=service.launch_type or "FARGATE",
            started_by=deployment["id"],
            tags=list(service.tags) if service.propagate_tags == "SERVICE" else [],
            networking_configuration=service.network_configuration or None,
            platform_version=service.platform_version,
        )
        task.status = "PENDING"
        task.desired_status = "RUNNING"
        task.health_status = "UNKNOWN"
        task.created_at = utcnow()
        task.cpu, task.memory = definition.cpu, definition.memory
        backend.tasks.setdefault(cluster.name, {})[task.task_arn] = task
        ip = _eni_address(task) or task.id
        address = self.pool.take(task.task_arn)
        self.ip_map[ip] = address
        specs, essential = [], []
        for container in definition.container_definitions:
            name = f"ecs-{service.cluster_name}-{service.name}-{task.id[:8]}-{container['name']}"[:120]
            if container.get("essential", True):
                essential.append(name)
            specs.append(
                containers.ContainerSpec(
                    name=name,
                    image=container["image"],
                    address=address,
                    region=region,
                    environment=_env_list(container.get("environment")),
                    secrets={s["name"]: s["valueFrom"] for s in container.get("secrets") or []},
                    command=list(container.get("command") or []),
                    entry_point=list(container.get("entryPoint") or []),
                    health=container.get("healthCheck"),
                    labels={TASK_LABEL: task.task_arn},
                    aws_environment={
                        "AWS_ENDPOINT_URL": self.endpoint,
                        "AWS_ACCESS_KEY_ID": "testing",
                        "AWS_SECRET_ACCESS_KEY": "testing",
                        "AWS_REGION": region,
                        "AWS_DEFAULT_REGION": region,
                    },
                )
            )
        targets = []
        elbv2 = elbv2_backends[account][region]
        for lb in service.load_balancers or []:
            group = elbv2.target_groups.get(lb.get("targetGroupArn", ""))
            if group is None:
                continue
            targets.append(
                Target(
                    group_arn=group.arn,
                    port=int(lb["containerPort"]),
                    path=group.health_check_path or "/",
                    protocol=group.health_check_protocol or "HTTP",
                    matcher=(getattr(group, "matcher", None) or {}).get("HttpCode", "200"),
                    interval=float(group.health_check_interval_seconds or 30),
                    healthy_threshold=int(group.healthy_threshold_count or 5),
                    unhealthy_threshold=int(group.unhealthy_threshold_count or 2),
                )
            )
        record = TaskRecord(
            task=task,
            service_key=skey,
            deployment_id=deployment["id"],
            address=address,
            ip=ip,
            containers=[s.name for s in specs],
            essential=essential,
            has_health_check=any(s.health for s in specs),
            grace_until=time.monotonic() + grace,
            targets=targets,
        )
        self.records[task.task_arn] = record
        denied = self._execution_denied(account, definition, specs)
        return [lambda: self._run(record, specs, denied)]

    def _execution_denied(self, account: str, definition: Any, specs: list[containers.ContainerSpec]) -> str:
        """What ECS's agent would refuse: secrets without an execution role that may read them."""
        role = getattr(definition, "execution_role_arn", None)
        for spec in specs:
            for reference in spec.secrets.values():
                arn = ":".join(reference.split(":")[:7]) if ":secretsmanager:" in reference else reference
                action = "secretsmanager:GetSecretValue" if ":secretsmanager:" in reference else "ssm:GetParameters"
                if not role:
                    return f"ResourceInitializationError: secrets need an execution role ({spec.name})"
                if not role_allows(account, role, action, arn):
                    return (
                        f"ResourceInitializationError: unable to pull secrets or registry auth: "
                        f"{role} is not authorized to perform: {action} on resource: {arn}"
                    )
        return ""

    def _run(self, record: TaskRecord, specs: list[containers.ContainerSpec], denied: str) -> None:
        try:
            if denied:
                raise containers.ContainerError(denied)
            for spec in specs:
                containers.run(spec, self.resolve)
        except containers.ContainerError as exc:
            record.start_error = str(exc)
            return
        record.observed = {name: containers.state(name) for name in record.containers}
        with LOCK:
            if record.phase == "PENDING":
                record.phase = "RUNNING"
                record.task.status = "RUNNING"
                record.task.started_at = utcnow()
                self._register(record)

    def _register(self, record: TaskRecord) -> None:
        account, region = record.service_key[:2]
        elbv2 = elbv2_backends[account][region]
        for target in record.targets:
            if target.group_arn in elbv2.target_groups:
                elbv2.register_targets(target.group_arn, [{"Id": record.ip, "Port": target.port}])
                TARGET_HEALTH[(target.group_arn, record.ip)] = _health_tuple("initial")

    def _stop(self, record: TaskRecord, reason: str, drain: bool = True) -> list[Callable[[], None]]:
        """Deregister the task's targets and stop it: a healthy task first drains for its target
        groups' deregistration delay (it takes no new requests, finishes the ones it has), a failed
        one stops at once. The task is DEACTIVATING meanwhile, then STOPPED."""
        account, region = record.service_key[:2]
        elbv2 = elbv2_backends[account][region]
        delay = 0
        for target in record.targets:
            group = elbv2.target_groups.get(target.group_arn)
            if group is not None and record.ip in group.targets:
                group.deregister([{"Id": record.ip}])
                delay = max(delay, int(group.attributes.get("deregistration_delay.timeout_seconds", 300)))
            TARGET_HEALTH.pop((target.group_arn, record.ip), None)
        draining = drain and record.phase == "RUNNING" and delay > 0
        record.phase = "STOPPED"
        record.stop_reason = reason
        task = record.task
        task.status = "DEACTIVATING" if draining else "STOPPED"
        task.desired_status = "STOPPED"
        task.stopped_reason = reason
        self.ip_map.pop(record.ip, None)
        pool, arn, names = self.pool, task.task_arn, list(record.containers)

        def stop() -> None:
            for name in names:
                containers.stop(name, timeout=10)
                containers.remove(name)
            pool.give_back(arn)
            with LOCK:
                task.status = "STOPPED"
                task.stopped_at = utcnow()

        if draining:
            timer = threading.Timer(delay, stop)
            timer.daemon = True
            return [timer.start]
        return [stop]

    @staticmethod
    def _event(service: Any, message: str) -> None:
        service.events.insert(0, {"id": str(len(service.events) + 1), "createdAt": utcnow(), "message": message})
        del service.events[100:]

    # ------------------------------------------------------------ target tracking
    def _scale(self) -> None:
        now = time.monotonic()
        for account, regions in list(applicationautoscaling_backends.items()):
            for region, backend in list(regions.items()):
                for policy in list(backend.policies.values()):
                    if policy.service_namespace != "ecs" or policy.policy_type != "TargetTrackingScaling":
                        continue
                    self._apply_policy(account, region, backend, policy, now)

    def _apply_policy(self, account, region, backend, policy, now) -> None:
        alarms = cloudwatch_backends[account][region].alarms
        config = policy.target_tracking_scaling_policy_configuration or {}
        target = next(
            (
                t
                for t in backend.targets.get(policy.scalable_dimension, {}).values()
                if t.resource_id == policy.resource_id
            ),
            None,
        )
        if target is None:
            return
        cluster, name = [*policy.resource_id.split("/"), "", ""][1:3]
        service = ecs_backends[account][region].services.get(f"{cluster}:{name}")
        if service is None or service.status != "ACTIVE":
            return
        for alarm in policy.alarms:
            current = alarms.get(alarm.name)
            if current is None or current.state_value != "ALARM":
                continue
            out = "AlarmHigh" in alarm.name
            cooldown = float(config.get("ScaleOutCooldown" if out else "ScaleInCooldown", 300 if not out else 60) or 0)
            if now - self.scaled_at.get(policy.policy_arn, -1e9) < cooldown:
                continue
            if not out and config.get("DisableScaleIn"):
                continue
            wanted = service.desired_count + (1 if out else -1)
            wanted = max(int(target.min_capacity), min(int(target.max_capacity), wanted))
            if wanted != service.desired_count:
                service.desired_count = wanted
                self.scaled_at[policy.policy_arn] = now
                self._event(
                    service,
                    f"(service {service.name}) desired count set to {wanted} by scaling policy {policy.policy_name} "
                    f"(alarm {alarm.name}).",
                )


def _eni_address(task: Task) -> str:
    for attachment in task.attachments:
        for detail in attachment.get("details", []):
            if detail["name"] == "privateIPv4Address":
                return detail["value"]
    return ""


def _health_tuple(state: str) -> tuple[str, str | None, str | None]:
    return {
        "initial": ("initial", "Elb.RegistrationInProgress", "Target registration is in progress"),
        "healthy": ("healthy", None, None),
        "unhealthy": ("unhealthy", "Target.ResponseCodeMismatch", "Health checks failed"),
    }[state]
