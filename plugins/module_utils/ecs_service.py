# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon ECS service API calls for the ecs_service module, and waiting for a deployment.

Every call goes through ``AWSRetry.jittered_backoff``. Tags are ECS's lower-case ``key``/``value``
tags on the service ARN: ``ecs.TAGS`` (module_utils/ecs.py) is the TagAdapter.

Waiting for a deployment follows one deployment (by id) in DescribeServices: ``DeploymentProgress``
judges each description without AWS calls (unit-tested with DescribeServices-shaped dicts);
``wait_for_deployment`` polls, and on failure or timeout adds the stopped tasks' reasons and the
latest service events to the message (``failure_message``).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError, wait_until

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

# ECS throttles with "ThrottlingException", which AWSRetry's default list does not include.
_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=["ThrottlingException"])

POLL_SECONDS = 3
EVENTS_SHOWN = 5
STOPPED_TASKS_SHOWN = 3

WAITING, DONE, FAILED = "waiting", "done", "failed"


# ---------------------------------------------------------------- calls
def describe_service(client, cluster: str, name: str) -> dict[str, Any] | None:
    """The service NAME of CLUSTER with its tags (INACTIVE ones too); None when ECS does not know it."""
    try:
        response = _retry(client.describe_services)(cluster=cluster, services=[name], include=["TAGS"])
    except is_boto3_error_code("ClusterNotFoundException"):
        return None
    services = response.get("services") or []
    return services[0] if services else None


def create_service(client, request: dict[str, Any]) -> dict[str, Any]:
    return _retry(client.create_service)(**request)["service"]


def update_service(client, cluster: str, name: str, request: dict[str, Any]) -> dict[str, Any]:
    return _retry(client.update_service)(cluster=cluster, service=name, **request)["service"]


def delete_service(client, cluster: str, name: str) -> dict[str, Any] | None:
    try:
        return _retry(client.delete_service)(cluster=cluster, service=name)["service"]
    except is_boto3_error_code("ServiceNotFoundException"):
        return None


def resolve_task_definition(client, ref: str) -> str | None:
    """A family -> the ARN of its latest ACTIVE revision (None without one); family:revision and ARNs as given.

    One DescribeTaskDefinition call for a family, none otherwise.
    """
    family, revision = ecs.parse_task_definition(ref)
    if revision is not None:
        return ref
    definition, _tags = ecs.describe_task_definition(client, family)
    if definition is not None and definition.get("status") != "ACTIVE":
        # AWS answers the latest ACTIVE revision of a family; some implementations the newest of any status.
        definition, _tags = ecs.latest_active_task_definition(client, family)
    return definition["taskDefinitionArn"] if definition else None


def stopped_tasks(client, cluster: str, deployment_id: str) -> list[dict[str, Any]]:
    """The deployment's stopped tasks (ECS keeps them for about an hour), most recently stopped first."""
    arns = _retry(client.list_tasks)(cluster=cluster, startedBy=deployment_id, desiredStatus="STOPPED")["taskArns"]
    if not arns:
        return []
    tasks = _retry(client.describe_tasks)(cluster=cluster, tasks=arns[:100])["tasks"]
    return sorted(tasks, key=lambda t: _timestamp(t.get("stoppedAt") or t.get("createdAt")), reverse=True)


def stopped_reasons(client, cluster: str, deployment_id: str, limit: int = STOPPED_TASKS_SHOWN) -> list[str]:
    """'<task id>: <stoppedReason>' of the latest stopped tasks; [] when they cannot be read (a diagnosis only)."""
    try:
        tasks = stopped_tasks(client, cluster, deployment_id)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError):
        return []
    return [task_reason(task) for task in tasks[:limit]]


# ---------------------------------------------------------------- judging a deployment (no AWS calls)
def _timestamp(value: Any) -> float:
    if isinstance(value, datetime.datetime):
        return value.timestamp()
    if isinstance(value, (int, float)):
        return float(value)
    return 0.0


def task_reason(task: dict[str, Any]) -> str:
    """A stopped task's reason, with its containers' exit codes and reasons when the task's does not say them."""
    reason = task.get("stoppedReason") or task.get("stopCode") or "stopped"
    details = []
    for container in task.get("containers") or []:
        code, why = container.get("exitCode"), container.get("reason")
        if code not in (None, 0) and f"exit code {code}" not in reason:
            details.append(f"container {container.get('name')} exit code {code}")
        if why and why not in reason:
            details.append(f"container {container.get('name')}: {why}")
    task_id = task.get("taskArn", "?").rsplit("/", 1)[-1]
    return f"task {task_id}: {reason}" + (f" ({'; '.join(details)})" if details else "")


def latest_events(service: dict[str, Any] | None, count: int = EVENTS_SHOWN) -> list[dict[str, Any]]:
    """The service's COUNT latest events, newest first."""
    events = list((service or {}).get("events") or [])
    return sorted(events, key=lambda e: _timestamp(e.get("createdAt")), reverse=True)[:count]


def find_deployment(service: dict[str, Any] | None, deployment_id: str) -> dict[str, Any] | None:
    return next((d for d in (service or {}).get("deployments") or [] if d.get("id") == deployment_id), None)


def primary_deployment(service: dict[str, Any] | None) -> dict[str, Any] | None:
    return next((d for d in (service or {}).get("deployments") or [] if d.get("status") == "PRIMARY"), None)


class DeploymentProgress:
    """Judges DescribeServices descriptions of a service while one deployment (DEPLOYMENT_ID) rolls out.

    ``evaluate(service)`` -> (DONE | FAILED | WAITING, problem or None). Done: the deployment's
    rolloutState is COMPLETED and its runningCount equals its desiredCount. Failed: its rolloutState is
    FAILED, or it left the deployments list before it completed (a circuit-breaker rollback replaces it
    with a new PRIMARY), or the service stopped being ACTIVE. Remembers what it saw (the last
    rolloutStateReason), so evaluating the same description twice answers the same.
    """

    def __init__(self, service_name: str, cluster: str, deployment_id: str):
        self.service_name = service_name
        self.cluster = cluster
        self.deployment_id = deployment_id
        self.service_seen = False
        self.completed = False
        self.reason: str | None = None

    @property
    def resource(self) -> str:
        return f"ECS service {self.service_name} in cluster {self.cluster}"

    def evaluate(self, service: dict[str, Any] | None) -> tuple[str, str | None]:
        if service is None and not self.service_seen:
            return WAITING, None  # just created: DescribeServices may not show it yet
        if service is None or service.get("status") != "ACTIVE":
            status = "gone" if service is None else service.get("status")
            return FAILED, f"{self.resource} is {status} while waiting for deployment {self.deployment_id}"
        self.service_seen = True
        deployment = find_deployment(service, self.deployment_id)
        if deployment is None:
            primary = primary_deployment(service) or {}
            replaced = "none"
            if primary:
                replaced = f"deployment {primary['id']} (task definition {primary.get('taskDefinition')})"
            return FAILED, (
                f"{self.resource}: deployment {self.deployment_id} did not complete"
                + (f" (rolloutStateReason: {self.reason})" if self.reason else "")
                + f"; it is no longer one of the service's deployments (now PRIMARY: {replaced}),"
                " a rollback by the deployment circuit breaker or another update replaced it"
            )
        if deployment.get("rolloutStateReason"):
            self.reason = deployment["rolloutStateReason"]
        state = deployment.get("rolloutState")
        if state == "FAILED":
            return FAILED, (
                f"{self.resource}: deployment {self.deployment_id} failed"
                + (f" (rolloutStateReason: {self.reason})" if self.reason else "")
            )
        counts_match = deployment.get("runningCount") == deployment.get("desiredCount")
        if state == "COMPLETED":
            self.completed = True
            return (DONE, None) if counts_match else (WAITING, None)
        if state is None and counts_match and len(service.get("deployments") or []) == 1:
            return DONE, None  # no rollout state reported: settled when it is the only deployment
        return WAITING, None

    def status(self, service: dict[str, Any] | None) -> str:
        """Where the deployment is, for the timeout message."""
        deployment = find_deployment(service, self.deployment_id)
        if deployment is None:
            return "gone" if service is None else f"service {service.get('status')}, deployment not listed"
        return (
            f"deployment {self.deployment_id} {deployment.get('rolloutState', deployment.get('status'))}, "
            f"{deployment.get('runningCount', 0)} of {deployment.get('desiredCount', 0)} tasks running "
            f"({deployment.get('pendingCount', 0)} pending, {deployment.get('failedTasks', 0)} failed); "
            f"service: {service.get('runningCount', 0)} running of {service.get('desiredCount', 0)} desired"
        )


def failure_message(problem: str, service: dict[str, Any] | None, stopped: list[str]) -> str:
    """PROBLEM, then the stopped tasks' reasons and the latest service events."""
    message = problem.rstrip(".") + "."
    if stopped:
        message += " Stopped tasks of the deployment: " + "; ".join(stopped) + "."
    events = [e.get("message", "") for e in latest_events(service)]
    if events:
        message += " Latest service events: " + " | ".join(events)
    return message


# ---------------------------------------------------------------- waiting
def wait_for_deployment(  # noqa: PLR0913 (test clock)
    client,
    cluster: str,
    name: str,
    deployment_id: str,
    timeout: int,
    *,
    sleep=time.sleep,
    clock=time.monotonic,
) -> dict[str, Any]:
    """Poll until deployment DEPLOYMENT_ID of the service is COMPLETED with all its tasks running.

    Returns the last description. Raises WaitError (``last``: the last description) whose message names
    the service, cluster and deployment, its rolloutStateReason, the latest stopped tasks' reasons and
    the latest service events, when the deployment fails, is replaced (rolled back) or times out.
    """
    progress = DeploymentProgress(name, cluster, deployment_id)
    try:
        return wait_until(
            lambda: describe_service(client, cluster, name),
            lambda service: progress.evaluate(service)[0] == DONE,
            failure=lambda service: progress.evaluate(service)[1],
            resource=progress.resource,
            goal=f"complete deployment {deployment_id}",
            status=progress.status,
            timeout=timeout,
            delay=POLL_SECONDS,
            sleep=sleep,
            clock=clock,
        )
    except WaitError as exc:
        stopped = stopped_reasons(client, cluster, deployment_id)
        message = failure_message(str(exc), exc.last, stopped)
        raise WaitError(message, resource=exc.resource, status=exc.status, last=exc.last) from exc


def wait_for_inactive(client, cluster: str, name: str, timeout: int, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Poll until the service is INACTIVE or gone (the services_inactive waiter); returns the last description."""
    return wait_until(
        lambda: describe_service(client, cluster, name),
        lambda service: service is None or service.get("status") == "INACTIVE",
        resource=f"ECS service {name} in cluster {cluster}",
        goal="become INACTIVE",
        status=lambda service: "gone" if service is None else service.get("status", "unknown"),
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )
