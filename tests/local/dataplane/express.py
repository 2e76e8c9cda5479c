"""ECS Express Mode inside the project's moto server (moto 5.2.5 has none of it).

CreateExpressGatewayService, DescribeExpressGatewayService, UpdateExpressGatewayService and
DeleteExpressGatewayService become methods of moto's ECS response class. Requests are validated and
responses checked against botocore's ``ecs`` model (tests/local/botocore_shapes.py); errors follow the
JSON protocol (HTTP 400, ``__type`` = the code). A service is ordinary moto resources
(express_infra.py), which the local data plane runs like any other: the ECS service's deployments are
the data plane's. Delete marks the service DRAINING, scales it to 0 and, after
``MOTO_ECS_EXPRESS_DRAINING_SECONDS`` (default 2), removes its resources (a timer thread, under
moto_patches.LOCK) and marks it INACTIVE. Test hooks (moto_patches.HOOKS): ``POST
/_mlops/express/faults`` and ``GET /_mlops/express``. ``endpoint_names()`` gives plane.py the names
for /etc/hosts.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import re
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from moto.ecs.responses import EC2ContainerServiceResponse
from moto.moto_api._internal import mock_random

from tests.local import botocore_shapes

from . import express_checks as checks
from . import express_infra as infra
from . import moto_patches
from .express_checks import ExpressError, invalid
from .moto_patches import LOCK

LOG = logging.getLogger("dataplane.express")
OPERATIONS = (
    "CreateExpressGatewayService",
    "DescribeExpressGatewayService",
    "UpdateExpressGatewayService",
    "DeleteExpressGatewayService",
)
JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.1"}


@dataclass
class Revision:
    arn: str
    config: dict[str, Any]
    created_at: float
    deployment_id: str
    failed: bool = False


@dataclass
class ExpressService:
    arn: str
    infrastructure_role_arn: str
    endpoint: str
    access_type: str
    resources: infra.Resources
    service: Any  # the moto ECS service (kept after its deletion, for its tags)
    created_at: float
    updated_at: float
    revisions: list[Revision] = field(default_factory=list)
    status: str = "ACTIVE"
    status_reason: str = ""
    last_deployment: str = ""


# Service ARN -> the Express service, for every account and region (deleted ones stay, INACTIVE).
SERVICES: dict[str, ExpressService] = {}
FAULTS: dict[str, Any] = {"throttle": {}, "fail_next_deployment": None}
OUTPUT_ERRORS: list[str] = []


# ------------------------------------------------------------------ responses
def _error(code: str, message: str) -> tuple[str, dict[str, Any]]:
    return json.dumps({"__type": code, "message": message}), {**JSON_HEADERS, "status": 400}


def _answer(operation: str, body: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    problems = botocore_shapes.validate_output("ecs", operation, body)
    if problems:
        LOG.error("%s response does not match botocore's model: %s", operation, problems)
        OUTPUT_ERRORS.extend(f"{operation}: {p}" for p in problems)
        body = {"__type": "ServerException", "message": "the emulator's response failed validation"}
        return json.dumps(body), {**JSON_HEADERS, "status": 500}
    return json.dumps(body), {**JSON_HEADERS, "status": 200}


def _deployment_arn(express: ExpressService, deployment_id: str) -> str:
    r, short = express.resources, deployment_id.rsplit("/", maxsplit=1)[-1]
    return f"arn:aws:ecs:{r.region}:{r.account}:service-deployment/{r.cluster}/{r.name}/{short}"


def _revision_config(express: ExpressService, revision: Revision) -> dict[str, Any]:
    config = copy.deepcopy(revision.config)
    config["serviceRevisionArn"] = revision.arn
    config["ingressPaths"] = [{"accessType": express.access_type, "endpoint": express.endpoint}]
    config["createdAt"] = revision.created_at
    return config


def _active(express: ExpressService) -> list[Revision]:
    """The revisions the ECS service's deployments run (a failed deployment's not), newest first."""
    live = [r for r in express.revisions if not r.failed]
    active: list[Revision] = []
    for deployment in express.service.deployments if express.status == "ACTIVE" else []:
        if deployment.get("rolloutState") == "FAILED":
            continue
        match = [r for r in live if r.deployment_id == deployment["id"]] or [
            r for r in live if r.config.get("taskDefinitionArn") == deployment["taskDefinition"]
        ]
        if match and match[-1] not in active:
            active.append(match[-1])
    if not active and live and express.status != "ACTIVE":
        active = [live[-1]]
    return active


def _describe(express: ExpressService, tags: bool) -> dict[str, Any]:
    r = express.resources
    primary = next((d for d in express.service.deployments if d.get("status") == "PRIMARY"), None)
    if primary is not None and express.status == "ACTIVE":
        express.last_deployment = _deployment_arn(express, primary["id"])
    body: dict[str, Any] = {
        "cluster": r.cluster,
        "serviceName": r.name,
        "serviceArn": express.arn,
        "infrastructureRoleArn": express.infrastructure_role_arn,
        "status": {"statusCode": express.status},
        "activeConfigurations": [_revision_config(express, rev) for rev in _active(express)],
        "createdAt": express.created_at,
        "updatedAt": express.updated_at,
    }
    if express.status_reason:
        body["status"]["statusReason"] = express.status_reason
    if express.last_deployment:
        body["currentDeployment"] = express.last_deployment
    if tags:
        body["tags"] = [{"key": t["key"], "value": t.get("value", "")} for t in express.service.tags or []]
    return body


# ------------------------------------------------------------------ requests
def _request(response: EC2ContainerServiceResponse, operation: str) -> dict[str, Any]:
    throttle = FAULTS["throttle"]
    if throttle.get(operation, 0) > 0:
        throttle[operation] -= 1
        raise ExpressError("ThrottlingException", "Rate exceeded")
    try:
        params = json.loads(response.body or "{}")
    except ValueError:
        raise ExpressError("SerializationException", "Request body is not valid JSON") from None
    errors = botocore_shapes.validate_input("ecs", operation, params)
    if errors:
        raise invalid(botocore_shapes.error_message(errors))
    return params


def _find(arn: str, missing: str) -> ExpressService:
    express = SERVICES.get(arn)
    if express is None:
        if missing == "ResourceNotFoundException":
            raise ExpressError(missing, f"The Express service {arn} was not found.")
        raise ExpressError(missing, "Service not found.")
    return express


def _find_active(arn: str) -> ExpressService:
    express = _find(arn, "ServiceNotFoundException")
    if express.status != "ACTIVE":
        raise ExpressError("ServiceNotActiveException", f"The service {arn} is {express.status}.")
    return express


def _new_revision(express: ExpressService, config: dict[str, Any], deployment_id: str) -> Revision:
    r = express.resources
    arn = f"arn:aws:ecs:{r.region}:{r.account}:service-revision/{r.cluster}/{r.name}/{mock_random.get_random_hex(19)}"
    config["taskDefinitionArn"] = express.service.task_definition
    revision = Revision(arn, config, time.time(), deployment_id)
    express.revisions.append(revision)
    return revision


def _maybe_fail(express: ExpressService, revision: Revision) -> None:
    """The fail_next_deployment fault: the new deployment ends FAILED, its tasks never start."""
    reason = FAULTS.get("fail_next_deployment")
    if not reason:
        return
    FAULTS["fail_next_deployment"] = None
    deployment = express.service.deployments[0]
    deployment["rolloutState"] = "FAILED"
    deployment["rolloutStateReason"] = str(reason)
    revision.failed = True


def _service_name(params: dict[str, Any]) -> str:
    if params.get("serviceName"):
        return params["serviceName"]
    image = (params.get("primaryContainer") or {}).get("image", "service")
    base = re.sub(r"[^a-z0-9-]+", "-", image.split("/")[-1].split(":")[0].lower()).strip("-") or "service"
    return f"{base[:40]}-{mock_random.get_random_hex(6)}"


def _cluster(backend: Any, params: dict[str, Any]) -> str:
    name = str(params.get("cluster") or "default").rsplit("/", 1)[-1]
    if name not in backend.clusters:
        if params.get("cluster"):
            raise ExpressError("ClusterNotFoundException", "Cluster not found.")
        return ""  # the default cluster, made once everything is checked
    return name


def create(response: EC2ContainerServiceResponse) -> tuple[str, dict[str, Any]]:
    params = _request(response, "CreateExpressGatewayService")
    if params.get("taskDefinitionArn"):
        raise ExpressError("UnsupportedFeatureException", "taskDefinitionArn is not emulated locally.")
    account, region, backend = response.current_account, response.region, response.ecs_backend
    cluster = _cluster(backend, params) or "default"
    name = _service_name(params)
    existing = backend.services.get(f"{cluster}:{name}")
    if existing is not None and existing.status in ("ACTIVE", "DRAINING"):
        raise invalid("Creation of service was not idempotent.")
    config = checks.with_defaults(params)
    checks.check_config(config)
    checks.check_roles(account, params["infrastructureRoleArn"], config)
    network = checks.resolve_network(account, region, config)
    if cluster not in backend.clusters:
        backend.create_cluster(cluster)
    endpoint = f"{re.sub(r'[^a-z0-9-]', '-', name.lower())[:40]}-{mock_random.get_random_hex(10)}.ecs.{region}.on.aws"
    resources, service = infra.create(
        account,
        region,
        cluster=cluster,
        name=name,
        config=config,
        network=network,
        endpoint=endpoint,
        tags=params.get("tags", []),
    )
    now = time.time()
    express = ExpressService(
        arn=service.arn,
        infrastructure_role_arn=params["infrastructureRoleArn"],
        endpoint=endpoint,
        access_type="PUBLIC" if network.public else "PRIVATE",
        resources=resources,
        service=service,
        created_at=now,
        updated_at=now,
    )
    SERVICES[service.arn] = express
    revision = _new_revision(express, config, service.deployments[0]["id"])
    _maybe_fail(express, revision)
    LOG.info("ECS Express: %s created (%s)", service.arn, endpoint)
    return _answer("CreateExpressGatewayService", {"service": _describe(express, tags=True)})


def describe(response: EC2ContainerServiceResponse) -> tuple[str, dict[str, Any]]:
    params = _request(response, "DescribeExpressGatewayService")
    express = _find(params["serviceArn"], "ResourceNotFoundException")
    body = _describe(express, tags="TAGS" in (params.get("include") or []))
    return _answer("DescribeExpressGatewayService", {"service": body})


def update(response: EC2ContainerServiceResponse) -> tuple[str, dict[str, Any]]:
    params = _request(response, "UpdateExpressGatewayService")
    if params.get("taskDefinitionArn"):
        raise ExpressError("UnsupportedFeatureException", "taskDefinitionArn is not emulated locally.")
    express = _find_active(params["serviceArn"])
    r = express.resources
    current = {k: v for k, v in express.revisions[-1].config.items() if k != "taskDefinitionArn"}
    config = checks.merged(current, params)
    checks.check_config(config)
    checks.check_roles(r.account, None, config)
    network = checks.resolve_network(r.account, r.region, config)
    if network.vpc_id != r.vpc_id:
        raise invalid(f"The subnets must stay in the service's VPC {r.vpc_id}.")
    if config != current:
        deployed = infra.update(r, express.service, current, config, network.public)
        revision = _new_revision(express, config, express.service.deployments[0]["id"])
        if deployed:
            _maybe_fail(express, revision)
        express.updated_at = time.time()
    target = _revision_config(express, express.revisions[-1])
    body = {
        "serviceArn": express.arn,
        "cluster": r.cluster,
        "serviceName": r.name,
        "status": {"statusCode": express.status},
        "targetConfiguration": target,
        "createdAt": express.created_at,
        "updatedAt": express.updated_at,
    }
    return _answer("UpdateExpressGatewayService", {"service": body})


def delete(response: EC2ContainerServiceResponse) -> tuple[str, dict[str, Any]]:
    params = _request(response, "DeleteExpressGatewayService")
    express = _find_active(params["serviceArn"])
    body = _describe(express, tags=False)  # what was active, before the service goes
    express.status = "DRAINING"
    express.updated_at = time.time()
    infra.scale_to_zero(express.resources)
    body["status"] = {"statusCode": "DRAINING"}
    body["updatedAt"] = express.updated_at
    timer = threading.Timer(float(os.environ.get("MOTO_ECS_EXPRESS_DRAINING_SECONDS", "2")), _finish, [express])
    timer.daemon = True
    timer.start()
    return _answer("DeleteExpressGatewayService", {"service": body})


def _finish(express: ExpressService) -> None:
    """DRAINING -> INACTIVE: the service's resources go (the shared load balancer once unused)."""
    with LOCK:
        if SERVICES.get(express.arn) is not express or express.status != "DRAINING":
            return
        in_use = {e.resources.balancer.arn for e in SERVICES.values() if e.status != "INACTIVE" and e is not express}
        try:
            infra.remove(express.resources, in_use)
        except Exception:
            LOG.exception("ECS Express: removing %s failed", express.arn)
        express.status = "INACTIVE"
        express.updated_at = time.time()
        LOG.info("ECS Express: %s is INACTIVE", express.arn)


def _method(handler: Any):
    def method(self: EC2ContainerServiceResponse) -> tuple[str, dict[str, Any]]:
        with LOCK:
            try:
                return handler(self)
            except ExpressError as exc:
                return _error(exc.code, exc.message)

    return method


# ------------------------------------------------------------------ hooks and the data plane
def _faults(body: bytes) -> tuple[int, Any]:
    return moto_patches.merge_faults(FAULTS, body, "fail_next_deployment")


def _state(_body: bytes) -> tuple[int, Any]:
    return 200, {"faults": FAULTS, "output_errors": list(OUTPUT_ERRORS)}


def reset() -> None:
    """Forget every Express service and fault (moto's /moto-api/reset emptied the backends)."""
    SERVICES.clear()
    infra.SHARED.clear()
    FAULTS.update(throttle={}, fail_next_deployment=None)
    OUTPUT_ERRORS.clear()


def endpoint_names(addresses: dict[str, str]) -> dict[str, str]:
    """Endpoint -> the loopback address of its load balancer (ADDRESSES: load balancer ARN -> address,
    the ALB plane's), for the services not yet INACTIVE. plane.py writes them into /etc/hosts."""
    with LOCK:
        pairs = [(e.endpoint, e.resources.balancer.arn) for e in SERVICES.values() if e.status != "INACTIVE"]
    return {endpoint: addresses[arn] for endpoint, arn in pairs if arn in addresses}


def install() -> None:
    for operation, handler in zip(OPERATIONS, (create, describe, update, delete), strict=True):
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        setattr(EC2ContainerServiceResponse, snake, _method(handler))
    moto_patches.HOOKS[("POST", "/_mlops/express/faults")] = _faults
    moto_patches.HOOKS[("GET", "/_mlops/express")] = _state
    moto_patches.ON_RESET.append(reset)
