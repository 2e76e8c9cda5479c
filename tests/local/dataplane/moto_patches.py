"""What the data plane changes in moto's ECS and ELBv2 backends (installed by tests/local/moto_server.py).

Requests are still parsed, and responses serialised, by moto from botocore's service models; these
patches only keep state moto drops or invents:
- ECS CreateService keeps ``deploymentConfiguration`` (with AWS's defaults),
  ``healthCheckGracePeriodSeconds`` and ``enableExecuteCommand`` (moto 5.2 drops them);
- ECS UpdateService no longer reports every desired task as running at once: the running count is
  the data plane's, and a new task definition, network configuration or ``forceNewDeployment``
  starts a new PRIMARY deployment (moto keeps one deployment forever) that the data plane rolls out;
- ELBv2 load balancers carry the attributes AWS gives a new ALB (idle timeout 60 s, HTTP/2 ...);
- ELBv2 DescribeTargetHealth reports the health the data plane's probes measured (moto: always
  "healthy").
One lock serialises the control-plane requests of these services with the data plane's changes.

The WSGI wrapper also answers the tests' hooks before moto's dispatch (``HOOKS``): ``GET /_mlops/calls``
(the call counts) and ``POST /_mlops/calls/reset``; other modules add theirs (the ECS Express Mode
emulator, tests/local/dataplane/express.py; the Elastic Beanstalk one, beanstalk.py).
``ON_RESET`` callbacks run after moto's ``/moto-api/reset``.
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
import urllib.parse
import weakref
from collections import Counter
from collections.abc import Callable
from typing import Any

from moto.core.utils import utcnow
from moto.ec2.models.elastic_network_interfaces import NetworkInterface
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse
from moto.elbv2.models import FakeHealthStatus, FakeLoadBalancer, FakeTargetGroup
from moto.moto_api._internal import mock_random
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.s3.models import FakeKey

LOCK = threading.RLock()
# (target group ARN, target id) -> (state, reason, description), written by the data plane.
TARGET_HEALTH: dict[tuple[str, str], tuple[str, str | None, str | None]] = {}
_LOCKED_SERVICES = {
    "ecs",
    "elasticloadbalancing",
    "application-autoscaling",
    "monitoring",
    "apigateway",
    "elasticbeanstalk",
    "sagemaker",
}
# "<service>:<Action>" -> calls, for the tests' API-call counts (the data plane's status file).
CALLS: Counter[str] = Counter()
# REST calls named by their path: (service, path pattern, action); their body is not read to find the action.
PATH_ACTIONS: list[tuple[str, re.Pattern[str], str]] = []
# "<service>:<Action>" answered outside LOCK: calls that wait on something else (SageMaker's InvokeEndpoint waits up
# to 60 s for a container) and take the lock themselves for the moment they read moto's objects.
UNLOCKED: set[str] = set()
# (method, path) -> handler(request body) -> (HTTP status, JSON body): the tests' hooks, answered before moto.
Hook = Callable[[bytes], tuple[int, Any]]
HOOKS: dict[tuple[str, str], Hook] = {}
# Called (under LOCK) after moto's /moto-api/reset, to forget state kept beside moto's backends.
ON_RESET: list[Callable[[], None]] = []
LOG = logging.getLogger("dataplane")

DEFAULT_DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": False, "rollback": False},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}


def new_deployment(service: Any, task_definition_arn: str) -> dict[str, Any]:
    deployment_id = f"ecs-svc/{mock_random.randint(0, 32**12)}"
    now = utcnow()
    return {
        "id": deployment_id,
        "status": "PRIMARY",
        "taskDefinition": task_definition_arn,
        "desiredCount": service.desired_count,
        "pendingCount": 0,
        "runningCount": 0,
        "failedTasks": 0,
        "createdAt": now,
        "updatedAt": now,
        "launchType": service.launch_type,
        "platformVersion": service.platform_version,
        "platformFamily": "EC2" if service.launch_type == "EC2" else "FARGATE",
        "networkConfiguration": service.network_configuration or None,
        "rolloutState": "IN_PROGRESS",
        "rolloutStateReason": f"ECS deployment {deployment_id} in progress.",
    }


def _service_of(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0].split("/")
        if len(scope) >= 4:
            return scope[3]
    return ""


def _action_of(environ: dict[str, Any]) -> str:
    service, path = _service_of(environ), environ.get("PATH_INFO", "")
    for owner, pattern, action in PATH_ACTIONS:
        if owner == service and pattern.match(path):
            return action
    if service == "apigateway":  # REST: the method and the path, IDs left out
        collections = r"(apis|vpclinks|domainnames|tags|routes|integrations|stages|deployments|apimappings|authorizers)"
        path = re.sub(rf"/{collections}/[^/]+", r"/\1/{id}", environ.get("PATH_INFO", ""))
        return f"{environ.get('REQUEST_METHOD', '?')} {path}"
    target = environ.get("HTTP_X_AMZ_TARGET", "")
    if target:
        return target.rsplit(".", 1)[-1]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(body)
    query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
    query |= urllib.parse.parse_qs(body.decode("utf-8", "replace"))
    return query.get("Action", ["?"])[0]


def _calls(_body: bytes) -> tuple[int, Any]:
    return 200, {"calls": dict(CALLS)}


def _calls_reset(_body: bytes) -> tuple[int, Any]:
    CALLS.clear()
    return 200, {"calls": {}}


HOOKS[("GET", "/_mlops/calls")] = _calls
HOOKS[("POST", "/_mlops/calls/reset")] = _calls_reset


def _answer_hook(hook: Hook, environ: dict[str, Any], start_response: Any) -> list[bytes]:
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    try:
        with LOCK:
            status, answer = hook(body)
    except ValueError as exc:  # a body that is not what the hook takes
        status, answer = 400, {"message": str(exc)}
    data = json.dumps(answer, default=str).encode()
    reason = {200: "OK", 400: "Bad Request"}.get(status, "Error")
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
    return [data]


def _run_reset_callbacks() -> None:
    with LOCK:
        for callback in ON_RESET:
            try:
                callback()
            except Exception:
                LOG.exception("reset callback %s failed", callback)


def _locked_call(original):
    def __call__(self, environ, start_response):
        method, path = environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", "")
        hook = HOOKS.get((method, path.rstrip("/") or "/"))
        if hook is not None:
            return _answer_hook(hook, environ, start_response)
        if path.startswith("/moto-api/reset") and method == "POST":
            answer = list(original(self, environ, start_response))
            _run_reset_callbacks()
            return answer
        service = _service_of(environ)
        if service not in _LOCKED_SERVICES:
            return original(self, environ, start_response)
        call = f"{service}:{_action_of(environ)}"
        CALLS[call] += 1
        if call in UNLOCKED:
            return original(self, environ, start_response)
        with LOCK:
            return list(original(self, environ, start_response))

    return __call__


def merge_faults(faults: dict[str, Any], body: bytes, switch: str) -> tuple[int, Any]:
    """An emulator's POST /_mlops/<service>/faults: throttle counts per operation, and its one SWITCH
    (a failure reason for the next operation, or null to clear it)."""
    update = json.loads(body or b"{}")
    if not isinstance(update, dict):
        raise ValueError("faults: a JSON object")
    for key, value in update.items():
        if key == "throttle":
            faults["throttle"].update({op: int(n) for op, n in (value or {}).items()})
        elif key == switch:
            faults[switch] = value or None
        else:
            raise ValueError(f"unknown fault {key!r} (throttle, {switch})")
    return 200, {"faults": faults}


def delete_quietly(log: logging.Logger, what: str, action: Callable[..., Any], *args: Any) -> None:
    """Delete a moto resource made by an emulator; one already gone is logged, not raised."""
    try:
        action(*args)
    except Exception as exc:
        log.warning("deleting %s failed: %s", what, exc)


def delete_target_group(log: logging.Logger, elbv2: Any, arn: str) -> None:
    """A target group whose targets the data plane registered (moto refuses to delete one in use)."""
    group = elbv2.target_groups.get(arn)
    if group is not None:
        group.targets.clear()
    delete_quietly(log, "the target group", elbv2.delete_target_group, arn)


def settle_new_service(
    service: Any,
    deployment_configuration: dict[str, Any] | None = None,
    grace_seconds: int = 0,
    enable_execute_command: bool = False,
) -> None:
    """What CreateService keeps that moto drops, and no task running yet (the data plane starts them).

    For services made by calling moto's backend directly too (the ECS Express Mode emulator)."""
    config = dict(DEFAULT_DEPLOYMENT_CONFIGURATION)
    config.update(deployment_configuration or {})
    service.deployment_configuration = config
    service.health_check_grace_period_seconds = grace_seconds
    service.enable_execute_command = enable_execute_command
    service.running_count, service.pending_count = 0, 0
    for deployment in service.deployments:
        deployment.update(runningCount=0, pendingCount=0, desiredCount=service.desired_count)
        deployment["networkConfiguration"] = service.network_configuration or None


def _create_service(original):
    def create_service(self: EC2ContainerServiceResponse):
        with LOCK:
            result = original(self)
            service = self.ecs_backend._get_service(
                self._get_param("cluster", "default"), self._get_param("serviceName")
            )
            settle_new_service(
                service,
                self._get_param("deploymentConfiguration"),
                self._get_int_param("healthCheckGracePeriodSeconds") or 0,
                bool(self._get_param("enableExecuteCommand", False)),
            )
            return result

    return create_service


def _update_service(original):
    def update_service(self: EC2ContainerServiceBackend, properties: dict[str, Any]):
        with LOCK:
            service = self._get_service(properties.get("cluster", "default"), properties["service"].split("/")[-1])
            before = {
                "task_definition": service.task_definition,
                "network_configuration": service.network_configuration,
                "running_count": service.running_count,
                "pending_count": service.pending_count,
            }
            force = bool(properties.get("force_new_deployment"))
            if properties.get("deployment_configuration"):
                merged = dict(getattr(service, "deployment_configuration", DEFAULT_DEPLOYMENT_CONFIGURATION))
                merged.update(properties["deployment_configuration"])
                properties["deployment_configuration"] = merged
            service = original(self, properties)
            service.running_count, service.pending_count = before["running_count"], before["pending_count"]
            if service.task_definition and not service.task_definition.startswith("arn:"):
                service.task_definition = self.describe_task_definition(service.task_definition).arn
            if service.deployment_controller.get("type", "ECS") != "ECS":
                return service
            if (
                force
                or service.task_definition != before["task_definition"]
                or service.network_configuration != before["network_configuration"]
            ):
                for deployment in service.deployments:
                    if deployment["status"] == "PRIMARY":
                        deployment["status"] = "ACTIVE"
                service.deployments.insert(0, new_deployment(service, service.task_definition))
            else:
                service.deployments[0]["desiredCount"] = service.desired_count
                service.deployments[0]["updatedAt"] = utcnow()
            return service

    return update_service


def _health_for(original):
    def health_for(self: FakeTargetGroup, target: dict[str, Any], ec2_backend: Any) -> FakeHealthStatus:
        known = TARGET_HEALTH.get((self.arn, target["Id"]))
        if known is None or target["Id"] not in self.targets:
            return original(self, target, ec2_backend)
        state, reason, description = known
        port = self.targets[target["Id"]]["Port"]
        return FakeHealthStatus(target["Id"], port, self.health_check_port, state, reason, description)

    return health_for


# What DescribeLoadBalancerAttributes returns for a new ALB on AWS (moto leaves most out, and
# amazon.aws.elb_application_lb reads them).
ALB_DEFAULT_ATTRIBUTES = {
    "access_logs.s3.enabled": "false",
    "idle_timeout.timeout_seconds": "60",
    "routing.http2.enabled": "true",
    "routing.http.desync_mitigation_mode": "defensive",
    "routing.http.drop_invalid_header_fields.enabled": "false",
    "routing.http.x_amzn_tls_version_and_cipher_suite.enabled": "false",
    "routing.http.xff_client_port.enabled": "false",
    "waf.fail_open.enabled": "false",
}


def _load_balancer_init(original):
    def __init__(self: FakeLoadBalancer, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        if self.type == "application":
            for key, value in ALB_DEFAULT_ATTRIBUTES.items():
                self.attrs.setdefault(key, value)

    return __init__


def _get_private_dns_name(self: NetworkInterface) -> str:
    return self.__dict__.get("_private_dns_name") or f"ip-{self.private_ip_address.replace('.', '-')}.ec2.internal"


def _set_private_dns_name(self: NetworkInterface, value: str) -> None:
    self.__dict__["_private_dns_name"] = value


# moto reads an S3 object whole for every GET, ranged ones included: a 1 GiB object read in 8 MiB
# ranges (boto3's download_file, the MLflow server's proxied download) is read 128 times, about
# 10 MiB/s. A large object's bytes are kept for a few seconds, so the ranges of one download share
# one read (one large object at a time; writing the object drops them).
_BIG = 64 * 1024 * 1024
_VALUES: dict[int, tuple[weakref.ref, float, bytes]] = {}
_VALUES_LOCK = threading.Lock()


def _shared_value(prop: property) -> property:
    def get(self: FakeKey) -> bytes:
        with _VALUES_LOCK:
            ref, until, data = _VALUES.get(id(self), (None, 0.0, b""))
            if ref is not None and ref() is self and until > time.monotonic():
                return data
        data = prop.fget(self)
        if len(data) >= _BIG:
            with _VALUES_LOCK:
                _VALUES.clear()
                _VALUES[id(self)] = (weakref.ref(self), time.monotonic() + 15, data)
        return data

    def put(self: FakeKey, value: bytes) -> None:
        with _VALUES_LOCK:
            _VALUES.pop(id(self), None)
        prop.fset(self, value)

    return property(get, put)


def install() -> None:
    FakeKey.value = _shared_value(FakeKey.value)
    # Some moto 5 releases give an ENI no private_dns_name, which their own awsvpc ECS tasks read.
    NetworkInterface.private_dns_name = property(_get_private_dns_name, _set_private_dns_name)
    DomainDispatcherApplication.__call__ = _locked_call(DomainDispatcherApplication.__call__)
    EC2ContainerServiceResponse.create_service = _create_service(EC2ContainerServiceResponse.create_service)
    EC2ContainerServiceBackend.update_service = _update_service(EC2ContainerServiceBackend.update_service)
    FakeTargetGroup.health_for = _health_for(FakeTargetGroup.health_for)
    FakeLoadBalancer.__init__ = _load_balancer_init(FakeLoadBalancer.__init__)
