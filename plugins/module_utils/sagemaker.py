# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon SageMaker API calls for the sagemaker_* modules (real-time inference), and waiting.

Every call goes through ``AWSRetry.jittered_backoff`` (SageMaker throttles with ``ThrottlingException``,
which AWSRetry's default list does not include). SageMaker answers a Describe or Delete of a resource it
does not know with ``ValidationException`` "Could not find ..."; the calls here return None (False) then.
Tags of models, endpoint configurations and endpoints go through ``AddTags``/``DeleteTags`` (``TAGS``, for
``tags.ensure_tags``).

Waiting for an endpoint (``wait_for_in_service``, ``wait_for_deleted``) uses ``waiters.wait_until`` and keeps
a ``Progress``: the statuses the endpoint went through and when, which the module returns
(``status_history``) and every failure or timeout message quotes.
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_message
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import TagAdapter
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError, wait_until

_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=["ThrottlingException"])

NOT_FOUND = "Could not find"  # SageMaker's ValidationException message for a resource it does not know
POLL_SECONDS = 15
# Statuses an endpoint ends up in that waiting does not fix.
BROKEN = ("Failed", "UpdateRollbackFailed", "OutOfService")
# Statuses an operation is under way in (UpdateEndpoint is refused then).
BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack")


def _plain(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def _paginate(call, key, **params):
    items = []
    while True:
        page = _retry(call)(**params)
        items.extend(page.get(key) or [])
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


# ---------------------------------------------------------------- tags
def get_tags(client, arn: str) -> dict[str, str]:
    return boto3_tag_list_to_ansible_dict(_paginate(client.list_tags, "Tags", ResourceArn=arn))


def _add_tags(client, arn: str, tags: dict[str, str]) -> None:
    _retry(client.add_tags)(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


def _delete_tags(client, arn: str, keys: list[str]) -> None:
    _retry(client.delete_tags)(ResourceArn=arn, TagKeys=list(keys))


TAGS = TagAdapter(list_tags=get_tags, tag_resource=_add_tags, untag_resource=_delete_tags)


def boto3_tags(tags: dict[str, str] | None) -> list[dict[str, str]]:
    return ansible_dict_to_boto3_tag_list(tags or {})


# ---------------------------------------------------------------- describe and delete, whichever the resource
def _describe(call, **name: str) -> dict[str, Any] | None:
    """CALL (a Describe) with the resource's NAME member; its answer, or None when SageMaker does not know it."""
    try:
        return _plain(_retry(call)(**name))
    except is_boto3_error_message(NOT_FOUND):
        return None


def _delete(call, **name: str) -> bool:
    """CALL (a Delete) with the resource's NAME member; False when SageMaker does not know it."""
    try:
        _retry(call)(**name)
    except is_boto3_error_message(NOT_FOUND):
        return False
    return True


# ---------------------------------------------------------------- models
def describe_model(client, name: str) -> dict[str, Any] | None:
    return _describe(client.describe_model, ModelName=name)


def create_model(client, request: dict[str, Any]) -> str:
    return _retry(client.create_model)(**request)["ModelArn"]


def delete_model(client, name: str) -> bool:
    return _delete(client.delete_model, ModelName=name)


# ---------------------------------------------------------------- endpoint configurations
def describe_endpoint_config(client, name: str) -> dict[str, Any] | None:
    return _describe(client.describe_endpoint_config, EndpointConfigName=name)


def create_endpoint_config(client, request: dict[str, Any]) -> str:
    return _retry(client.create_endpoint_config)(**request)["EndpointConfigArn"]


def delete_endpoint_config(client, name: str) -> bool:
    return _delete(client.delete_endpoint_config, EndpointConfigName=name)


# ---------------------------------------------------------------- endpoints
def describe_endpoint(client, name: str) -> dict[str, Any] | None:
    return _describe(client.describe_endpoint, EndpointName=name)


def list_endpoints(client, name_contains: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
    """ListEndpoints summaries (EndpointName, EndpointArn, EndpointStatus, times), all pages."""
    request: dict[str, Any] = {"SortBy": "Name"}
    if name_contains:
        request["NameContains"] = name_contains
    if status:
        request["StatusEquals"] = status
    return _paginate(client.list_endpoints, "Endpoints", **request)


def create_endpoint(client, name: str, config_name: str, tags: dict[str, str] | None) -> str:
    request: dict[str, Any] = {"EndpointName": name, "EndpointConfigName": config_name}
    if tags:
        request["Tags"] = boto3_tags(tags)
    return _retry(client.create_endpoint)(**request)["EndpointArn"]


def update_endpoint(client, name: str, config_name: str) -> str:
    return _retry(client.update_endpoint)(EndpointName=name, EndpointConfigName=config_name)["EndpointArn"]


def delete_endpoint(client, name: str) -> bool:
    return _delete(client.delete_endpoint, EndpointName=name)


def endpoint_status(endpoint: dict[str, Any] | None) -> str:
    return "gone" if endpoint is None else endpoint.get("EndpointStatus", "unknown")


def pending_config(endpoint: dict[str, Any] | None) -> str | None:
    """The endpoint configuration an update under way deploys (PendingDeploymentSummary), or None."""
    return ((endpoint or {}).get("PendingDeploymentSummary") or {}).get("EndpointConfigName")


# ---------------------------------------------------------------- waiting
class Progress:
    """The statuses an endpoint went through while the module waited: [{status, seconds}] (seconds since the
    first description), one entry per change of status."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.start = clock()
        self.history: list[dict[str, Any]] = []

    def see(self, endpoint: dict[str, Any] | None) -> dict[str, Any] | None:
        status = endpoint_status(endpoint)
        if not self.history or self.history[-1]["status"] != status:
            self.history.append({"status": status, "seconds": int(self.clock() - self.start)})
        return endpoint

    def summary(self) -> str:
        return " -> ".join(f"{seen['status']} at {seen['seconds']}s" for seen in self.history) or "none"


class EndpointWaitError(WaitError):
    """Waiting for an endpoint failed or timed out; ``endpoint``: the endpoint as last described (None: gone)."""

    def __init__(self, message, endpoint=None, **kwargs):
        super().__init__(message, **kwargs)
        self.endpoint = endpoint


def _reason(endpoint: dict[str, Any] | None) -> str:
    reason = (endpoint or {}).get("FailureReason")
    return f"FailureReason: {reason}" if reason else "no FailureReason given"


def broken(name: str, endpoint: dict[str, Any] | None) -> str | None:
    """Why waiting for endpoint NAME to be InService is over (Failed, OutOfService, deleted), or None."""
    if endpoint is None:
        return f"SageMaker endpoint {name} is gone (deleted while the module waited for it)"
    if endpoint.get("EndpointStatus") in BROKEN:
        return f"SageMaker endpoint {name} is {endpoint['EndpointStatus']} ({_reason(endpoint)})"
    return None


def _wait(client, name, progress, *, ready, failure, goal, timeout, delay, sleep):  # noqa: PLR0913
    try:
        return wait_until(
            lambda: progress.see(describe_endpoint(client, name)),
            ready,
            failure=failure,
            resource=f"SageMaker endpoint {name}",
            goal=goal,
            status=endpoint_status,
            timeout=timeout,
            delay=delay,
            sleep=sleep,
            clock=progress.clock,
        )
    except WaitError as exc:
        message = f"{exc}; statuses seen: {progress.summary()}"
        raise EndpointWaitError(
            message, endpoint=exc.last, resource=exc.resource, status=exc.status, last=exc.last
        ) from exc


def wait_for_in_service(  # noqa: PLR0913 (test clock)
    client,
    name: str,
    timeout: int,
    *,
    config_name: str | None = None,
    progress: Progress | None = None,
    delay: float = POLL_SECONDS,
    sleep=time.sleep,
) -> dict[str, Any]:
    """Poll DescribeEndpoint until NAME is InService; returns that description.

    Failed, UpdateRollbackFailed, OutOfService or gone end the wait (EndpointWaitError quoting the
    FailureReason); gone only once the endpoint was seen (just created, DescribeEndpoint may not know it yet).
    With CONFIG_NAME, an endpoint InService on another configuration (an update SageMaker rolled back) fails too.
    """
    progress = progress or Progress()
    seen = []

    def failure(found):
        if found is None and not seen:
            return None
        seen.append(True)
        return broken(name, found)

    endpoint = _wait(
        client,
        name,
        progress,
        ready=lambda found: found is not None and found.get("EndpointStatus") == "InService",
        failure=failure,
        goal="be InService",
        timeout=timeout,
        delay=delay,
        sleep=sleep,
    )
    if config_name is not None and endpoint.get("EndpointConfigName") != config_name:
        raise EndpointWaitError(
            f"SageMaker endpoint {name} is InService with endpoint configuration "
            f"{endpoint.get('EndpointConfigName')}, not {config_name}: the update failed and SageMaker rolled it "
            f"back ({_reason(endpoint)}); statuses seen: {progress.summary()}",
            endpoint=endpoint,
            resource=f"SageMaker endpoint {name}",
            status="InService",
            last=endpoint,
        )
    return endpoint


def wait_for_settled(  # noqa: PLR0913 (test clock)
    client,
    name: str,
    timeout: int,
    *,
    progress: Progress | None = None,
    delay: float = POLL_SECONDS,
    sleep=time.sleep,
) -> dict[str, Any] | None:
    """Poll DescribeEndpoint until no operation is under way on NAME (any status but Creating, Updating,
    SystemUpdating, RollingBack; or gone), and return that description."""
    return _wait(
        client,
        name,
        progress or Progress(),
        ready=lambda found: found is None or found.get("EndpointStatus") not in BUSY,
        failure=None,
        goal="finish its operation",
        timeout=timeout,
        delay=delay,
        sleep=sleep,
    )


def wait_for_deleted(  # noqa: PLR0913 (test clock)
    client,
    name: str,
    timeout: int,
    *,
    progress: Progress | None = None,
    delay: float = POLL_SECONDS,
    sleep=time.sleep,
) -> None:
    """Poll DescribeEndpoint until SageMaker no longer knows NAME."""
    _wait(
        client,
        name,
        progress or Progress(),
        ready=lambda found: found is None,
        failure=None,
        goal="be deleted",
        timeout=timeout,
        delay=delay,
        sleep=sleep,
    )


# ---------------------------------------------------------------- results
def _iso(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _iso(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def snake(described: dict[str, Any] | None, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """DESCRIBED in snake_case ({} for None) with datetimes as ISO strings, containers' environment
    variables left as they are, and TAGS as a dict when given."""
    if not described:
        return {}
    described = _iso(_plain(described))
    result = camel_dict_to_snake_dict(described)
    if (described.get("PrimaryContainer") or {}).get("Environment") is not None:
        result["primary_container"]["environment"] = dict(described["PrimaryContainer"]["Environment"])
    for index, container in enumerate(described.get("Containers") or []):
        if container.get("Environment") is not None:
            result["containers"][index]["environment"] = dict(container["Environment"])
    if tags is not None:
        result["tags"] = dict(tags)
    return result


# ---------------------------------------------------------------- the runtime
def invoke_endpoint(client, params: dict[str, Any]) -> dict[str, Any]:
    """One InvokeEndpoint of the sagemaker-runtime CLIENT; the answer with its body read (bytes)."""
    request = {
        "EndpointName": params["name"],
        "Body": params["body"].encode("utf-8"),
        "ContentType": params["content_type"],
        "Accept": params["accept"],
    }
    if params.get("target_variant"):
        request["TargetVariant"] = params["target_variant"]
    answer = _retry(client.invoke_endpoint)(**request)
    return dict(_plain(answer), Body=answer["Body"].read())
