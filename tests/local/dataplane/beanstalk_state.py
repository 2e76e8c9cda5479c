"""What the Elastic Beanstalk emulator keeps, its asynchronous statuses, and the data plane's hook.

Applications, application versions and environments live here, per account and region (moto's own
Elastic Beanstalk backend is not used). An environment's operations run asynchronously as on AWS:
CreateEnvironment starts a ``launch`` (Launching, Health Grey), UpdateEnvironment an ``update``
(Updating), TerminateEnvironment a ``terminate`` (Terminating); each ends with ``finish`` (Ready,
Health Green; Terminated) and writes the events AWS writes. Callers hold moto_patches.LOCK.

The data plane's hook (for the step that will run each environment's instances as containers
behind the local load balancer):

- ``environments()``: every environment's state, effective option settings, the source bundle of
  its version and its pending operation (kind, target version, request ID), as plain dicts;
- ``claim_deployments()``: from then on an operation ends only when the data plane says so.
  Until it is called, a timer ends each operation after ``MOTO_EB_LAUNCH_SECONDS`` (default 2)
  and every deployment succeeds;
- ``set_deployment_result(env_id, ok, message)``: the pending operation ends: ok, or failed with
  MESSAGE (an update's failure puts the environment back on its previous version and settings);
- ``set_health(env_id, health, causes, instances)``: the environment's health colour, its causes
  and each instance's health status (DescribeEnvironmentHealth, DescribeEnvironmentResources);
- ``note(env_id, message, severity)``: an event of the pending operation;
- ``set_endpoint(env_id, endpoint_url, load_balancer)``: the real load balancer's DNS name and name
  (until then EndpointURL and the resources' names are made up, not moto resources).

The ``fail_next_update`` fault makes the next update fail with its reason, whoever ends it.
"""

from __future__ import annotations

import copy
import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from . import beanstalk_options as options
from .moto_patches import LOCK


class BeanstalkError(Exception):
    """An error answer: the query protocol's Code and Message, HTTP 400 unless told."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def invalid(message: str) -> BeanstalkError:
    return BeanstalkError("InvalidParameterValue", message)


@dataclass
class Call:
    """One request: who and where, its parameters (the input shape's structure) and its request ID."""

    account: str
    region: str
    params: dict[str, Any]
    request_id: str

    @property
    def place(self) -> Region:
        return region(self.account, self.region)

    def arn(self, kind: str, path: str) -> str:
        return f"arn:aws:elasticbeanstalk:{self.region}:{self.account}:{kind}/{path}"


# Health colour -> the enhanced health status AWS shows with it.
HEALTH_STATUS = {"Green": "Ok", "Yellow": "Warning", "Red": "Severe", "Grey": "NoData"}


@dataclass
class Version:
    application: str
    label: str
    arn: str
    description: str | None
    source_bundle: dict[str, str] | None
    process: bool
    status: str
    created: float
    updated: float


@dataclass
class Application:
    name: str
    arn: str
    description: str | None
    created: float
    updated: float
    lifecycle: dict[str, Any] | None = None
    versions: dict[str, Version] = field(default_factory=dict)


@dataclass
class Operation:
    kind: str  # launch, update, terminate
    request_id: str
    started: float
    previous_version: str | None = None
    previous_settings: options.Settings | None = None
    new_version: bool = False
    fail_reason: str | None = None


@dataclass
class Environment:
    account: str
    region: str
    env_id: str
    name: str
    application: str
    arn: str
    cname: str
    endpoint_url: str | None
    stack: str
    platform_arn: str
    tier: dict[str, str]
    settings: options.Settings
    created: float
    updated: float
    version_label: str | None = None
    description: str | None = None
    operations_role: str | None = None
    status: str = "Launching"
    health: str = "Grey"
    health_status: str = "Pending"
    health_since: float = 0.0
    causes: list[str] = field(default_factory=list)
    instances: dict[str, str] = field(default_factory=dict)
    resources: dict[str, str] = field(default_factory=dict)
    operation: Operation | None = None
    deleted_at: float | None = None


@dataclass
class Region:
    applications: dict[str, Application] = field(default_factory=dict)
    environments: list[Environment] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # ARN -> tags


REGIONS: dict[tuple[str, str], Region] = {}
FAULTS: dict[str, Any] = {"throttle": {}, "fail_next_update": None}
_STATE = {"claimed": False, "generation": 0}
MAX_EVENTS = 1000
WITH_ERRORS = (
    "environment operation is complete, but with errors. For more information, see troubleshooting documentation."
)


def region(account: str, name: str) -> Region:
    return REGIONS.setdefault((account, name), Region())


def delay() -> float:
    return float(os.environ.get("MOTO_EB_LAUNCH_SECONDS", "2"))


def event(env: Environment, message: str, severity: str = "INFO", request_id: str | None = None) -> None:
    record = {
        "EventDate": time.time(),
        "Message": message,
        "ApplicationName": env.application,
        "EnvironmentName": env.name,
        "Severity": severity,
        "_env_id": env.env_id,  # for the EnvironmentId filter, not answered
    }
    if env.version_label:
        record["VersionLabel"] = env.version_label
    if request_id or env.operation:
        record["RequestId"] = request_id or env.operation.request_id
    events = region(env.account, env.region).events
    events.append(record)
    del events[:-MAX_EVENTS]


def set_colour(env: Environment, health: str, detail: str = "", status: str | None = None) -> None:
    """Health colour and (enhanced) status, with AWS's transition event."""
    before, after = env.health_status, status or HEALTH_STATUS[health]
    env.health, env.health_status = health, after
    env.health_since = time.time()
    if before != after:
        text = f"Environment health has transitioned from {before} to {after}." + (f" {detail}" if detail else "")
        event(env, text, "WARN" if after in ("Warning", "Degraded", "Severe") else "INFO")


def _after(seconds: float, callback: Any, *args: Any) -> None:
    generation = _STATE["generation"]

    def run() -> None:
        with LOCK:
            if _STATE["generation"] == generation:
                callback(*args)

    timer = threading.Timer(seconds, run)
    timer.daemon = True
    timer.start()


def start(env: Environment, operation: Operation) -> None:
    """Begin OPERATION on ENV; without a data plane, a timer ends it after delay()."""
    env.operation = operation
    env.updated = time.time()
    if operation.kind == "update" and FAULTS.get("fail_next_update"):
        operation.fail_reason, FAULTS["fail_next_update"] = str(FAULTS["fail_next_update"]), None
    if operation.kind == "launch":
        env.status, env.health, env.health_status = "Launching", "Grey", "Pending"
        event(env, "createEnvironment is starting.")
        event(
            env, f"Using elasticbeanstalk-{env.region}-{env.account} as Amazon S3 storage bucket for environment data."
        )
    elif operation.kind == "update":
        env.status = "Updating"
        event(env, "Environment update is starting.")
        if operation.new_version:
            event(env, "Deploying new version to instance(s).")
        set_colour(env, env.health, "Application update in progress.", status="Info")
    else:
        env.status, env.health, env.health_status = "Terminating", "Grey", "NoData"
        event(env, "terminateEnvironment is starting.")
    if not _STATE["claimed"] or operation.kind == "terminate":
        _after(delay(), _auto_finish, env, operation)


def _auto_finish(env: Environment, operation: Operation) -> None:
    if env.operation is operation:
        finish(env, True, "")


def finish(env: Environment, ok: bool, message: str) -> None:
    operation = env.operation
    if operation is None:
        return
    if operation.fail_reason:
        ok, message = False, operation.fail_reason
    env.updated = time.time()
    env.status = "Ready"
    if operation.kind == "terminate":
        env.status, env.deleted_at = "Terminated", time.time()
        event(env, "terminateEnvironment completed successfully.")
    elif operation.kind == "launch":
        _launched(env, ok, message, operation)
    elif ok:
        if operation.new_version:
            event(env, "New application version was deployed to running EC2 instances.")
        else:
            event(env, "Successfully deployed new configuration to environment.")
        event(env, "Environment update completed successfully.")
        env.causes = []
        set_colour(env, "Green")
    else:
        _update_failed(env, message, operation)
    env.operation = None  # the events above name the request that started the operation


def _launched(env: Environment, ok: bool, message: str, operation: Operation) -> None:
    took = max(1, round(time.time() - operation.started))
    if ok:
        event(env, "Instance deployment completed successfully.")
        event(env, f"Application available at {env.cname}.")
        event(env, f"Successfully launched environment: {env.name}")
        set_colour(
            env, "Green", f"Initialization completed 1 second ago and took {took} second{'s' if took != 1 else ''}."
        )
    else:
        event(env, message or "Instance deployment failed.", "ERROR")
        event(env, f"Create {WITH_ERRORS}", "ERROR")
        env.causes = [message or "Instance deployment failed."]
        set_colour(env, "Red", "Command failed on all instances.")


def _update_failed(env: Environment, message: str, operation: Operation) -> None:
    env.version_label = operation.previous_version
    if operation.previous_settings is not None:
        env.settings = operation.previous_settings
    event(env, message or "Instance deployment failed.", "ERROR")
    event(env, "Failed to deploy application." if operation.new_version else "Failed to deploy configuration.", "ERROR")
    event(env, "The environment was reverted to the previous configuration setting.")
    event(env, f"Update {WITH_ERRORS}", "ERROR")
    env.causes = [message or "Instance deployment failed."]
    set_colour(env, "Red", "Command failed on all instances.")
    if not _STATE["claimed"]:  # the data plane reports the health it measures (set_health)
        _after(delay(), _recovered, env)


def _recovered(env: Environment) -> None:
    """After a failed update the previous version serves again: Red -> Green."""
    if env.status == "Ready" and env.operation is None and env.health == "Red":
        env.causes = []
        set_colour(env, "Green")


def process_version(version: Version, ok: bool) -> None:
    def done() -> None:
        if version.status == "Processing":
            version.status, version.updated = ("Processed" if ok else "Failed"), time.time()

    _after(delay() / 2, done)


def page(items: list[Any], params: dict[str, Any]) -> tuple[list[Any], dict[str, Any]]:
    """MaxRecords and NextToken (an offset) over ITEMS: the page and, when more follow, NextToken."""
    token = params.get("NextToken")
    if token is not None and not str(token).isdigit():
        raise invalid("Invalid NextToken.")
    start = int(token or 0)
    size = params.get("MaxRecords") or max(len(items), 1)
    if size < 1 or size > MAX_EVENTS:
        raise invalid(f"MaxRecords must be between 1 and {MAX_EVENTS}.")
    extra = {"NextToken": str(start + size)} if start + size < len(items) else {}
    return items[start : start + size], extra


# ------------------------------------------------------------------ the data plane's hook
def _find(env_id: str) -> Environment | None:
    for place in REGIONS.values():
        for env in place.environments:
            if env.env_id == env_id and env.status != "Terminated":
                return env
    return None


def _snapshot(place: Region, env: Environment) -> dict[str, Any]:
    app = place.applications.get(env.application)
    version = app.versions.get(env.version_label or "") if app is not None else None
    settings: dict[str, dict[str, str]] = {}
    for (namespace, name), value in sorted(options.effective(env.settings).items()):
        settings.setdefault(namespace, {})[name] = value
    operation = env.operation
    return {
        **{key: getattr(env, key) for key in ("account", "region", "name", "application", "arn", "cname")},
        **{key: getattr(env, key) for key in ("endpoint_url", "status", "health", "version_label")},
        "id": env.env_id,
        "source_bundle": copy.deepcopy(version.source_bundle) if version is not None else None,
        "settings": settings,
        "operation": None if operation is None else {"kind": operation.kind, "request_id": operation.request_id},
    }


def environments() -> list[dict[str, Any]]:
    """A snapshot of every environment (terminated ones included), for the data plane: account, region,
    id, name, application, arn, cname, endpoint_url, status, health, version_label, source_bundle
    ({S3Bucket, S3Key} or None: the sample application), settings ({namespace: {option: value}},
    defaults included) and operation (None, or {kind: launch|update|terminate, request_id})."""
    with LOCK:
        return [_snapshot(place, env) for place in REGIONS.values() for env in place.environments]


def claim_deployments() -> None:
    """The data plane ends operations from now on (set_deployment_result); terminations still end by timer."""
    with LOCK:
        _STATE["claimed"] = True


def set_deployment_result(env_id: str, ok: bool, message: str = "") -> bool:
    """End ENV_ID's pending launch, update or termination. False when none is pending."""
    with LOCK:
        env = _find(env_id)
        if env is None or env.operation is None:
            return False
        finish(env, ok, message)
        return True


def set_health(
    env_id: str, health: str, causes: list[str] | None = None, instances: dict[str, str] | None = None
) -> bool:
    """ENV_ID's health colour (Green, Yellow, Red, Grey), its causes, and instance id -> health status."""
    with LOCK:
        env = _find(env_id)
        if env is None:
            return False
        if instances is not None:
            env.instances = dict(instances)
        env.causes = list(causes or [])
        if health != env.health:
            set_colour(env, health)
        return True


def note(env_id: str, message: str, severity: str = "INFO") -> bool:
    """An event of ENV_ID's pending operation (the data plane's progress, as Beanstalk's engine reports it)."""
    with LOCK:
        env = _find(env_id)
        if env is None:
            return False
        event(env, message, severity, env.operation.request_id if env.operation else None)
        return True


def set_endpoint(env_id: str, endpoint_url: str, load_balancer: str | None = None) -> bool:
    """ENV_ID's EndpointURL (its load balancer's DNS name, or a single instance's address) and load balancer name."""
    with LOCK:
        env = _find(env_id)
        if env is None:
            return False
        env.endpoint_url = endpoint_url
        if load_balancer:
            env.resources["LoadBalancer"] = load_balancer
        return True


def reset() -> None:
    """Forget everything (moto's /moto-api/reset); pending timers do nothing."""
    REGIONS.clear()
    FAULTS.update(throttle={}, fail_next_update=None)
    _STATE["generation"] += 1
    _STATE["claimed"] = False
