"""SageMaker real-time inference in the project's moto server: what moto 5.2.5 lacks or answers otherwise than AWS.

- ``UpdateEndpoint`` (moto: not implemented): the request is checked against botocore's ``sagemaker`` model
  (tests/local/botocore_shapes.py) and the response too; an unknown endpoint or endpoint configuration is
  ``ValidationException`` "Could not find ...", an endpoint that is not InService "Cannot update in-progress
  endpoint". The endpoint is then ``Updating`` for ``MOTO_SAGEMAKER_ENDPOINT_UPDATING_SECONDS`` (default 1), with
  the new configuration in ``PendingDeploymentSummary`` and the old one still in ``EndpointConfigName``, as AWS
  describes it; then ``InService`` on the new configuration (its variants and data capture). A configuration
  deleted in the meantime makes the update roll back: InService on the old one, with a ``FailureReason``.
- ``CreateEndpoint``: ``Creating`` for ``MOTO_SAGEMAKER_ENDPOINT_CREATING_SECONDS`` (default 0: InService at once,
  as moto).
- With the local data plane (tests/local/dataplane/sagemaker.py, registered with ``set_deployment_hook``), Creating
  and Updating last until the plane's verdict on the new configuration's containers too: InService once they all
  answer ``GET /ping``; a creation that fails is ``Failed``, an update that fails is rolled back (InService on the
  old configuration), both with the plane's ``FailureReason``. Without it (``LOCAL_DATAPLANE=off``) the timers
  alone decide, and every operation succeeds.
- ``CreateModel``, ``CreateEndpointConfig``, ``CreateEndpoint`` of a name that exists: ``ValidationException``
  "Cannot create already existing ..." (moto replaces the resource); their requests are checked against
  botocore's model; ``EnableNetworkIsolation`` is kept (moto describes every model with false).
- ``AddTags`` of a key the resource has replaces its value (moto adds a second tag with that key).
"""

from __future__ import annotations

import json
import logging
import os
from datetime import timedelta
from typing import Any, Protocol

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import FakeEndpoint, FakeEndpointConfig, SageMakerModelBackend, arn_formatter
from moto.sagemaker.responses import SageMakerResponse

from tests.local import botocore_shapes
from tests.local.dataplane import moto_patches

LOG = logging.getLogger("moto.sagemaker.local")
LOCK = moto_patches.LOCK  # the moto server's requests of these services hold it already (re-entrant)
# Endpoint ARN -> the operation under way: {"kind": "create" | "update", "config": name, "start", "until"}.
PENDING: dict[str, dict[str, Any]] = {}
OUTPUT_ERRORS: list[str] = []
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack")


def _seconds(variable: str, default: str) -> float:
    return float(os.environ.get(variable, default))


def _request(response: SageMakerResponse, operation: str) -> dict[str, Any]:
    """The request's members, checked against botocore's model (ValidationException as AWS words it)."""
    try:
        params = json.loads(response.body or "{}")
    except ValueError:
        raise ValidationError("Request body is not valid JSON") from None
    errors = botocore_shapes.validate_input("sagemaker", operation, params)
    if errors:
        raise ValidationError(botocore_shapes.error_message(errors))
    return params


def _answer(operation: str, body: dict[str, Any]) -> ActionResult:
    problems = botocore_shapes.validate_output("sagemaker", operation, body)
    if problems:  # a bug of this emulation: logged and kept for the tests (GET /_mlops/sagemaker)
        LOG.error("%s response does not match botocore's model: %s", operation, problems)
        OUTPUT_ERRORS.extend(f"{operation}: {p}" for p in problems)
    return ActionResult(body)


def _arn(backend: SageMakerModelBackend, kind: str, name: str) -> str:
    return arn_formatter(kind, name, backend.account_id, backend.region_name)


# ------------------------------------------------------------------ the data plane's say
class DeploymentHook(Protocol):
    """What runs the endpoints' containers (tests/local/dataplane/sagemaker.py), asked before an operation ends."""

    def verdict(self, endpoint_arn: str, config: str) -> tuple[str, str]:
        """("pending", ""), ("ready", "") or ("failed", FailureReason) for the containers of CONFIG."""

    def settled(self, endpoint_arn: str, config: str, ok: bool) -> None:
        """The endpoint now runs CONFIG (OK), or stays on what it ran (a failed creation: on nothing)."""


_HOOK: list[DeploymentHook] = []  # the data plane's, when it runs (LOCAL_DATAPLANE=off: none, timers only)


def set_deployment_hook(hook: DeploymentHook | None) -> None:
    _HOOK[:] = [hook] if hook is not None else []


# ------------------------------------------------------------------ endpoint operations over time
def settle(backend: SageMakerModelBackend, endpoint: FakeEndpoint) -> None:
    """End ENDPOINT's operation when its time is up and the data plane (if any) says how it went: InService (on the
    new configuration after an update); a failed creation Failed, a failed update InService on the old one, both
    with the FailureReason."""
    pending = PENDING.get(endpoint.arn)
    if pending is None or utcnow() < pending["until"]:
        return
    state, reason = _HOOK[0].verdict(endpoint.arn, pending["config"]) if _HOOK else ("ready", "")
    if state == "pending":
        return
    del PENDING[endpoint.arn]
    endpoint.last_modified_time = utcnow()
    if state == "failed":
        endpoint.endpoint_status = "Failed" if pending["kind"] == "create" else "InService"
        endpoint.failure_reason = reason[:1024]  # the model's FailureReason: at most 1024 characters
    else:
        endpoint.endpoint_status = "InService"
        if pending["kind"] == "update":
            _deploy(backend, endpoint, pending["config"])
    if _HOOK:
        _HOOK[0].settled(endpoint.arn, pending["config"], state == "ready" and endpoint.failure_reason is None)


def _deploy(backend: SageMakerModelBackend, endpoint: FakeEndpoint, name: str) -> None:
    """ENDPOINT now runs configuration NAME; rolled back (FailureReason) when NAME was deleted meanwhile."""
    config = backend.endpoint_configs.get(name)
    if config is None:
        arn = FakeEndpointConfig.arn_formatter(name, backend.account_id, backend.region_name)
        endpoint.failure_reason = f'Could not find endpoint configuration "{arn}"; the update was rolled back.'
        return
    endpoint.endpoint_config_name = config.endpoint_config_name
    endpoint.production_variants = endpoint._process_production_variants(config.production_variants)
    endpoint.data_capture_config = config.data_capture_config
    endpoint.failure_reason = None


def _start(endpoint: FakeEndpoint, kind: str, config: str, seconds: float) -> None:
    """ENDPOINT Creating or Updating, for SECONDS at least and, with a data plane, until its containers are ready."""
    now = utcnow()
    if seconds <= 0 and not _HOOK:
        return
    until = now + timedelta(seconds=max(seconds, 0))
    PENDING[endpoint.arn] = {"kind": kind, "config": config, "start": now, "until": until}
    endpoint.endpoint_status = "Creating" if kind == "create" else "Updating"


def _endpoint(backend: SageMakerModelBackend, name: str) -> FakeEndpoint:
    endpoint = backend.endpoints.get(name)
    if endpoint is None:
        raise ValidationError(f'Could not find endpoint "{_arn(backend, "endpoint", name)}".')
    settle(backend, endpoint)
    return endpoint


def update_endpoint(self: SageMakerResponse) -> ActionResult:
    params = _request(self, "UpdateEndpoint")
    backend = self.sagemaker_backend
    with LOCK:
        endpoint = _endpoint(backend, params["EndpointName"])
        config = params["EndpointConfigName"]
        if config not in backend.endpoint_configs:
            arn = FakeEndpointConfig.arn_formatter(config, backend.account_id, backend.region_name)
            raise ValidationError(f'Could not find endpoint configuration "{arn}".')
        if endpoint.endpoint_status in BUSY:
            raise ValidationError(f'Cannot update in-progress endpoint "{endpoint.arn}".')
        if endpoint.endpoint_status != "InService":
            raise ValidationError(f'Cannot update endpoint "{endpoint.arn}" in status {endpoint.endpoint_status}.')
        endpoint.last_modified_time = utcnow()
        _start(endpoint, "update", config, _seconds("MOTO_SAGEMAKER_ENDPOINT_UPDATING_SECONDS", "1"))
        if endpoint.arn not in PENDING:  # no time to take: done at once
            _deploy(backend, endpoint, config)
    return _answer("UpdateEndpoint", {"EndpointArn": endpoint.arn})


def _describe_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> dict[str, Any]:
    with LOCK:
        endpoint = _endpoint(self, endpoint_name)
        body = dict(endpoint.response_object)
        pending = PENDING.get(endpoint.arn)
        if pending and pending["kind"] == "update":
            body["PendingDeploymentSummary"] = {"EndpointConfigName": pending["config"], "StartTime": pending["start"]}
        return body


def _list_endpoints(original):
    def list_endpoints(self: SageMakerModelBackend, *args: Any, **kwargs: Any) -> Any:
        with LOCK:
            for endpoint in list(self.endpoints.values()):
                settle(self, endpoint)
        return original(self, *args, **kwargs)

    return list_endpoints


def _delete_endpoint(original):
    def delete_endpoint(self: SageMakerModelBackend, endpoint_name: str) -> None:
        with LOCK:
            arn = _arn(self, "endpoint", endpoint_name)
            if endpoint_name not in self.endpoints:
                raise ValidationError(f'Could not find endpoint "{arn}".')
            original(self, endpoint_name)
            PENDING.pop(arn, None)

    return delete_endpoint


# ------------------------------------------------------------------ creations as AWS answers them
def _create(original, creation: tuple[Any, ...]):
    """ORIGINAL (moto's Create call of CREATION, a row of CREATIONS) with the request checked and AWS's refusal of a
    name that exists."""
    operation, _method, name_member, kind, what, existing = creation

    def create(self: SageMakerResponse) -> ActionResult:
        params = _request(self, operation)
        backend = self.sagemaker_backend
        with LOCK:
            name = params[name_member]
            if name in existing(backend):
                raise ValidationError(f'Cannot create already existing {what} "{_arn(backend, kind, name)}".')
            result = original(self)
            if operation == "CreateModel":
                backend._models[name].enable_network_isolation = bool(params.get("EnableNetworkIsolation"))
            if operation == "CreateEndpoint":
                seconds = _seconds("MOTO_SAGEMAKER_ENDPOINT_CREATING_SECONDS", "0")
                _start(backend.endpoints[name], "create", params["EndpointConfigName"], seconds)
            return result

    return create


def _add_tags(self: SageMakerModelBackend, arn: str, tags: list[dict[str, str]]) -> list[dict[str, str]]:
    resource = self._get_resource_from_arn(arn)
    keys = {tag["Key"] for tag in tags}
    resource.tags = [tag for tag in resource.tags or [] if tag["Key"] not in keys] + list(tags)
    return resource.tags


# ------------------------------------------------------------------ hooks
def _state(_body: bytes) -> tuple[int, Any]:
    pending = {arn: {k: str(v) for k, v in op.items()} for arn, op in PENDING.items()}
    return 200, {"pending": pending, "output_errors": list(OUTPUT_ERRORS)}


def reset() -> None:
    PENDING.clear()
    OUTPUT_ERRORS.clear()


CREATIONS = (  # operation, response method, name member, ARN kind, what the message calls it, the backend's dict
    ("CreateModel", "create_model", "ModelName", "model", "model", lambda b: b._models),
    (
        "CreateEndpointConfig",
        "create_endpoint_config",
        "EndpointConfigName",
        "endpoint-config",
        "endpoint configuration",
        lambda b: b.endpoint_configs,
    ),
    ("CreateEndpoint", "create_endpoint", "EndpointName", "endpoint", "endpoint", lambda b: b.endpoints),
)


def install() -> None:
    SageMakerResponse.update_endpoint = update_endpoint
    for creation in CREATIONS:
        method = creation[1]
        setattr(SageMakerResponse, method, _create(getattr(SageMakerResponse, method), creation))
    SageMakerModelBackend.describe_endpoint = _describe_endpoint
    SageMakerModelBackend.list_endpoints = _list_endpoints(SageMakerModelBackend.list_endpoints)
    SageMakerModelBackend.delete_endpoint = _delete_endpoint(SageMakerModelBackend.delete_endpoint)
    SageMakerModelBackend.add_tags = _add_tags
    moto_patches.HOOKS[("GET", "/_mlops/sagemaker")] = _state
    moto_patches.ON_RESET.append(reset)
