# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon ECS Express Mode API calls for the ecs_express_gateway_service modules, and waiting.

Every call goes through ``AWSRetry.jittered_backoff`` (ThrottlingException included). An Express
service is an ECS service too: there is no List call, DescribeServices finds its ARN
(``ecs_service.describe_service``), and its deployments are the ECS service's, followed with
``ecs_service.wait_for_deployment`` (DeploymentProgress, failure_message, stopped_reasons). Tags are
the ECS service's (``ecs.TAGS``, for ``tags.ensure_tags``).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_service
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError, wait_until

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

# ECS throttles with "ThrottlingException", which AWSRetry's default list does not include.
_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=["ThrottlingException"])

POLL_SECONDS = ecs_service.POLL_SECONDS
GONE = ("ResourceNotFoundException", "ServiceNotFoundException")


class ExpressRolloutError(WaitError):
    """A deployment failed or timed out. ``express``: the Express service as described then (or None);
    ``deployment_id``: the ECS deployment followed (None when none had started)."""

    def __init__(self, message, express=None, deployment_id=None, **kwargs):
        super().__init__(message, **kwargs)
        self.express = express
        self.deployment_id = deployment_id


# ---------------------------------------------------------------- calls
def describe(client, arn: str) -> dict[str, Any] | None:
    """DescribeExpressGatewayService of ARN with its tags; None when AWS does not know it as an Express service."""
    try:
        return _retry(client.describe_express_gateway_service)(serviceArn=arn, include=["TAGS"])["service"]
    except is_boto3_error_code(GONE):
        return None


def find(client, cluster: str, name: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """(ECS service, Express service) NAME of CLUSTER: DescribeServices, then DescribeExpressGatewayService.

    (None, None) when ECS knows no ACTIVE or DRAINING service of that name (an INACTIVE one is gone);
    (service, None) when the ECS service is not an Express service.
    """
    found = ecs_service.describe_service(client, cluster, name)
    if found is None or found.get("status") == "INACTIVE":
        return None, None
    return found, describe(client, found["serviceArn"])


def create(client, request: dict[str, Any]) -> dict[str, Any]:
    return _retry(client.create_express_gateway_service)(**request)["service"]


def update(client, arn: str, request: dict[str, Any]) -> dict[str, Any]:
    return _retry(client.update_express_gateway_service)(serviceArn=arn, **request)["service"]


def delete(client, arn: str) -> dict[str, Any] | None:
    try:
        return _retry(client.delete_express_gateway_service)(serviceArn=arn)["service"]
    except is_boto3_error_code("ServiceNotFoundException"):
        return None


# ---------------------------------------------------------------- waiting
def status_code(service: dict[str, Any] | None) -> str:
    return "gone" if service is None else ((service.get("status") or {}).get("statusCode") or "unknown")


def deployment_ids(service: dict[str, Any] | None) -> set[str]:
    return {d["id"] for d in (service or {}).get("deployments") or [] if d.get("id")}


def _created(deployment: dict[str, Any]) -> float:
    created = deployment.get("createdAt")
    if isinstance(created, datetime.datetime):
        return created.timestamp()
    return float(created) if isinstance(created, (int, float)) else 0.0


def new_deployment(service: dict[str, Any] | None, before: set[str]) -> dict[str, Any] | None:
    """The deployment a change started: the oldest of SERVICE's deployments whose id is not in BEFORE.

    (A circuit-breaker rollback adds a newer PRIMARY deployment; ECS lists the newest first, so without
    creation times the last new one listed is the oldest.)
    """
    fresh = [d for d in (service or {}).get("deployments") or [] if d.get("id") not in before]
    if not fresh:
        return None
    return sorted(reversed(fresh), key=_created)[0]


def wait_for_rollout(  # noqa: PLR0913 (test clock)
    client,
    arn: str,
    cluster: str,
    name: str,
    timeout: int,
    *,
    before: set[str] | None = None,
    sleep=time.sleep,
    clock=time.monotonic,
) -> tuple[dict[str, Any], str | None]:
    """Wait until the ECS service's deployment is COMPLETED with all its tasks running; (service, deployment id).

    BEFORE: the deployment ids the service had before a change that starts a deployment (set() for a new
    service): the deployment followed is the first one not among them, once DescribeServices shows it. None:
    the PRIMARY deployment as it is now (a change that starts no deployment, or one already under way).
    Raises ExpressRolloutError when the deployment fails or the time runs out: the Express service's status
    (ARN: the service), then ecs_service.wait_for_deployment's message (rolloutStateReason, the stopped tasks'
    reasons, the latest events).
    """
    deadline = clock() + timeout
    deployment = None
    try:
        if before is None:
            service = ecs_service.describe_service(client, cluster, name)
            deployment = ecs_service.primary_deployment(service)
        else:
            service = wait_until(
                lambda: ecs_service.describe_service(client, cluster, name),
                lambda found: new_deployment(found, before) is not None,
                resource=f"ECS service {name} in cluster {cluster}",
                goal="start a deployment",
                status=lambda found: "gone" if found is None else f"{found.get('status')}, no new deployment",
                timeout=timeout,
                delay=POLL_SECONDS,
                sleep=sleep,
                clock=clock,
            )
            deployment = new_deployment(service, before)
        if deployment is None:
            return service, None
        remaining = max(1, int(deadline - clock()))
        done = ecs_service.wait_for_deployment(
            client, cluster, name, deployment["id"], remaining, sleep=sleep, clock=clock
        )
    except WaitError as exc:
        raise rollout_failure(client, arn, exc, (deployment or {}).get("id")) from exc
    return done, deployment["id"]


def rollout_failure(client, arn: str | None, exc: WaitError, deployment_id: str | None = None) -> ExpressRolloutError:
    """EXC (a failed or timed-out rollout) with the Express service's status (described again) in front,
    and where the deployment was when the message does not say it ("deployment <id> FAILED, 0 of 2 tasks ...").
    """
    service = None
    if arn:
        try:
            service = describe(client, arn)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
            service = None
    state = (service or {}).get("status") or {}
    name = (service or {}).get("serviceName") or arn
    seen = state.get("statusCode", "unknown")
    if state.get("statusReason"):
        seen += f" ({state['statusReason']})"
    message = f"ECS Express service {name} is {seen}"
    if exc.status and str(exc.status) not in str(exc):
        message += f", {exc.status}"
    message += f": {exc}"
    return ExpressRolloutError(
        message,
        express=service,
        deployment_id=deployment_id,
        resource=exc.resource,
        status=exc.status,
        last=exc.last,
    )


def wait_for_inactive(client, arn: str, name: str, timeout: int, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Poll DescribeExpressGatewayService until the service is INACTIVE (or unknown); returns the last answer."""
    return wait_until(
        lambda: describe(client, arn),
        lambda service: service is None or status_code(service) == "INACTIVE",
        resource=f"ECS Express service {name}",
        goal="become INACTIVE",
        status=status_code,
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )
