"""SageMaker Runtime's InvokeEndpoint in the project's moto server: to the endpoint's serving container, as AWS does.

moto 5.2.5 answers ``POST /endpoints/<name>/invocations`` (botocore's ``sagemaker-runtime``, signed for the service
``sagemaker``: moto's server sends a path ending in ``invocations`` to its SageMaker Runtime backend) with a canned
body for any endpoint name. Here:

- the request is read as the rest-json protocol writes it (``EndpointName`` from the path, ``Body`` the payload,
  ``ContentType``, ``Accept``, ``CustomAttributes``, ``TargetVariant`` ... from their headers) and checked against
  botocore's model (``ValidationError``, ``N validation errors detected: ...``); a body over 6 MB (6291456 bytes,
  the model's maximum) is refused first: ``ValidationError`` ``Request <request id> has oversize body.``;
- an unknown endpoint, or one that serves nothing yet or any more (Creating, Failed, Deleting, OutOfService), is
  ``ValidationError`` ``Endpoint <name> of account <account> not found.``; an endpoint Updating is served by its old
  configuration; a ``TargetVariant`` the endpoint does not have is a ``ValidationError``; multi-model, inference
  component, multi-container and stateful-session members are refused (not emulated);
- the data plane (tests/local/dataplane/sagemaker.py, registered with ``set_router``) picks one healthy container of
  the endpoint (the ``TargetVariant``'s, else by the variants' weights); the body goes to
  ``http://<its address>:8080/invocations`` with ``Content-Type``, ``Accept`` and the custom attributes, and 60 s
  to answer (``MOTO_SAGEMAKER_INVOCATION_TIMEOUT_SECONDS``);
- a 2xx answer is returned (``Body``, ``ContentType``, ``InvokedProductionVariant``, ``CustomAttributes``); any other
  status, no answer in time, a connection that fails or an answer over 6 MB is ``ModelError`` (HTTP 424) with
  ``OriginalStatusCode``, ``OriginalMessage`` and ``LogStreamArn``, worded as AWS words it (``Received client error
  (400) from primary with message "...". See https://<region>.console.aws.amazon.com/cloudwatch/...``);
- the answer is checked against botocore's output shape (a mismatch: logged, listed by ``GET /_mlops/sagemaker``,
  answered ``InternalFailure``), each error against its error shape.

Without a data plane (``LOCAL_DATAPLANE=off``) the checks above apply and moto's canned answer follows. The call is
answered outside the server's lock (moto_patches.UNLOCKED): the lock is held only to read the endpoint and route.
"""

from __future__ import annotations

import http.client
import json
import logging
import os
import re
import urllib.parse
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.sagemaker.models import sagemaker_backends
from moto.sagemakerruntime.responses import SageMakerRuntimeResponse

from tests.local import botocore_shapes, moto_sagemaker
from tests.local.dataplane import moto_patches

LOG = logging.getLogger("moto.sagemaker.runtime.local")
SERVICE, OPERATION = "sagemaker-runtime", "InvokeEndpoint"
REQUEST_ID = "x-amzn-requestid"  # moto writes it in lower case
MAX_PAYLOAD = 6291456  # 6 MB: the model's maximum of Body, request and response alike
SERVING = ("InService", "Updating", "SystemUpdating", "RollingBack")  # what AWS routes to while it runs
NOT_EMULATED = ("TargetModel", "TargetContainerHostname", "InferenceComponentName", "SessionId", "EnableExplanations")
TIMED_OUT = (
    "Your invocation timed out while waiting for a response from container primary. Review the latency metrics for "
    "each container in Amazon CloudWatch, resolve the issue, and try again."
)
UNREACHABLE = (
    "Amazon SageMaker could not get a response from the {endpoint} endpoint. This can occur when CPU or memory "
    "utilization is high. To check your utilization, see Amazon CloudWatch. To fix this problem, use an instance type "
    "with more CPU capacity or memory."
)


@dataclass
class Route:
    """One container of the endpoint, as the data plane picked it."""

    variant: str
    address: str
    log_stream: str  # <variant>/<instance id>, in /aws/sagemaker/Endpoints/<endpoint>
    port: int = 8080
    release: Callable[[], None] = lambda: None  # the invocation is over (the plane drains retired containers)


# (account, region, endpoint name, target variant or None) -> a Route, or None when no container is healthy.
Router = Callable[[str, str, str, str | None], Route | None]
_ROUTER: list[Router] = []


def set_router(router: Router | None) -> None:
    _ROUTER[:] = [router] if router is not None else []


class InvokeError(Exception):
    """An error answer of InvokeEndpoint: its code, HTTP status, message and modeled members."""

    def __init__(self, code: str, status: int, message: str, **members: Any) -> None:
        super().__init__(message)
        self.code, self.status, self.message, self.members = code, status, message, members


def _validation(message: str) -> InvokeError:
    return InvokeError("ValidationError", 400, message)


# ------------------------------------------------------------------ the request
def _read(response: SageMakerRuntimeResponse, request_id: str) -> dict[str, Any]:
    body = response.body if isinstance(response.body, bytes) else str(response.body or "").encode()
    if len(body) > MAX_PAYLOAD:
        raise _validation(f"Request {request_id} has oversize body.")
    name = urllib.parse.unquote(response.path.split("?")[0].split("/")[2])
    params = botocore_shapes.rest_request(SERVICE, OPERATION, {"EndpointName": name}, response.headers, body)
    params.setdefault("Body", b"")
    errors = botocore_shapes.validate_input(SERVICE, OPERATION, params)
    if errors:
        raise _validation(botocore_shapes.error_message(errors))
    for member in NOT_EMULATED:
        if params.get(member) is not None:
            raise _validation(f"{member} is not supported by the local SageMaker endpoints (one model, one container).")
    return params


def _route(account: str, region: str, params: dict[str, Any]) -> tuple[Route | None, bool]:
    """The container to send the request to (None: none healthy), and whether a data plane runs."""
    name, target = params["EndpointName"], params.get("TargetVariant")
    with moto_sagemaker.LOCK:
        backend = sagemaker_backends[account][region]
        endpoint = backend.endpoints.get(name)
        if endpoint is not None:
            moto_sagemaker.settle(backend, endpoint)
        if endpoint is None or endpoint.endpoint_status not in SERVING:
            raise _validation(f"Endpoint {name} of account {account} not found.")
        variants = [v["VariantName"] for v in endpoint.production_variants]
        if target is not None and target not in variants:
            raise _validation(f"Endpoint {name} of account {account} has no production variant named {target}.")
        if not _ROUTER:
            return None, False
        return _ROUTER[0](account, region, name, target), True


# ------------------------------------------------------------------ the container
@dataclass
class Invocation:
    account: str
    region: str
    params: dict[str, Any]
    route: Route

    @property
    def name(self) -> str:
        return self.params["EndpointName"]


def _model_error(call: Invocation, status: int, text: str) -> InvokeError:
    region, account, name = call.region, call.account, call.name
    kind = "client" if 400 <= status < 500 else "server"
    console = f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
    group = f"/aws/sagemaker/Endpoints/{name}"
    message = (
        f'Received {kind} error ({status}) from primary with message "{text}". '
        f"See {console}#logEventViewer:group={group} in account {account} for more information."
    )
    stream = f"arn:aws:logs:{region}:{account}:log-group:{group}:log-stream:{call.route.log_stream}"
    return InvokeError("ModelError", 424, message, OriginalStatusCode=status, OriginalMessage=text, LogStreamArn=stream)


class _Unanswered(Exception):
    """The container gave no answer: the reason, as SageMaker words it."""


def _forward(route: Route, params: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """POST /invocations to the container: its status, headers (lower-case) and body (at most 6 MB and a byte)."""
    headers = {"Content-Type": params.get("ContentType") or "application/octet-stream"}
    if params.get("Accept"):
        headers["Accept"] = params["Accept"]
    if params.get("CustomAttributes"):
        headers["X-Amzn-SageMaker-Custom-Attributes"] = params["CustomAttributes"]
    timeout = float(os.environ.get("MOTO_SAGEMAKER_INVOCATION_TIMEOUT_SECONDS", "60"))
    connection = http.client.HTTPConnection(route.address, route.port, timeout=timeout)
    try:
        connection.request("POST", "/invocations", body=params["Body"], headers=headers)
        answer = connection.getresponse()
        return answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read(MAX_PAYLOAD + 1)
    except TimeoutError:
        raise _Unanswered(TIMED_OUT) from None
    except (OSError, http.client.HTTPException):
        raise _Unanswered(UNREACHABLE) from None
    finally:
        connection.close()


def _answer(call: Invocation) -> dict[str, Any]:
    try:
        status, headers, body = _forward(call.route, call.params)
    except _Unanswered as exc:
        raise _model_error(call, 0, str(exc).format(endpoint=call.name)) from None
    if len(body) > MAX_PAYLOAD:
        raise _model_error(call, 0, f"The response payload is larger than the maximum of {MAX_PAYLOAD} bytes.")
    if not 200 <= status < 300:
        raise _model_error(call, status, body.decode("utf-8", "replace"))
    values = {
        "Body": body,
        "ContentType": headers.get("content-type", "application/octet-stream"),
        "InvokedProductionVariant": call.route.variant,
        "CustomAttributes": headers.get("x-amzn-sagemaker-custom-attributes"),
    }
    return {k: v for k, v in values.items() if v is not None}


# ------------------------------------------------------------------ the answer
def _error(error: InvokeError, request_id: str) -> tuple[int, dict[str, str], str]:
    body = {"Message": error.message, **error.members}
    problems = botocore_shapes.validate_error(SERVICE, error.code, body)
    if problems:
        _mismatch(f"{OPERATION} {error.code}", problems)
    headers = {"x-amzn-ErrorType": error.code, "Content-Type": "application/json", REQUEST_ID: request_id}
    return error.status, {**headers, "status": str(error.status)}, json.dumps(body)


def _mismatch(what: str, problems: list[str]) -> None:
    """A bug of this emulation: logged and kept for the tests (GET /_mlops/sagemaker)."""
    LOG.error("%s does not match botocore's model: %s", what, problems)
    moto_sagemaker.OUTPUT_ERRORS.extend(f"{what}: {p}" for p in problems)


def _invoke_endpoint(original: Callable[[SageMakerRuntimeResponse], Any]):
    def invoke_endpoint(self: SageMakerRuntimeResponse) -> Any:
        request_id = str(uuid.uuid4())
        account, region = self.current_account, self.region
        try:
            params = _read(self, request_id)
            route, plane = _route(account, region, params)
            if not plane:  # no data plane: moto's canned answer (which reads the body as text)
                self.body = self.body.decode("utf-8", "replace") if isinstance(self.body, bytes) else self.body
                return original(self)
            if route is None:
                raise InvokeError("ServiceUnavailable", 503, "No healthy instance of the endpoint can answer.")
            try:
                values = _answer(Invocation(account, region, params, route))
            finally:
                route.release()
        except InvokeError as error:
            return _error(error, request_id)
        problems = botocore_shapes.validate_output(SERVICE, OPERATION, values)
        if problems:
            _mismatch(OPERATION, problems)
            return _error(InvokeError("InternalFailure", 500, "; ".join(problems)), request_id)
        headers, payload = botocore_shapes.rest_response(SERVICE, OPERATION, values)
        return 200, {**headers, REQUEST_ID: request_id, "status": "200"}, payload

    return invoke_endpoint


def _enrich_response(original: Callable[..., tuple[dict[str, str], Any]]):
    """moto's, keeping the request ID the answer carries (the one an oversize body's message names)."""

    def enrich(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        request_id = headers.get(REQUEST_ID)
        headers, body = original(headers, body)
        if request_id:
            headers[REQUEST_ID] = request_id
        return headers, body

    return staticmethod(enrich)


def install() -> None:
    SageMakerRuntimeResponse.use_raw_body = True  # the payload is bytes, not necessarily UTF-8
    SageMakerRuntimeResponse._enrich_response = _enrich_response(SageMakerRuntimeResponse._enrich_response)
    SageMakerRuntimeResponse.invoke_endpoint = _invoke_endpoint(SageMakerRuntimeResponse.invoke_endpoint)
    moto_patches.PATH_ACTIONS.append(("sagemaker", re.compile(r"^/endpoints/[^/]+/invocations$"), OPERATION))
    moto_patches.UNLOCKED.add(f"sagemaker:{OPERATION}")
