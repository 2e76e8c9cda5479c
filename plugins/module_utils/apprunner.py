# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS App Runner API calls shared by the apprunner_* modules.

Every call goes through ``AWSRetry.jittered_backoff`` (throttling and transient errors are retried);
waiting on App Runner's asynchronous operations (``waiters.wait_until``) and the tag calls
(``TAGS``, for ``tags.ensure_tags``) live here too, so each module only decides *what* to change.
"""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import TagAdapter
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError, status_in, wait_until

# App Runner throttles with "ThrottlingException", which AWSRetry's default list does not include.
# Operations App Runner refuses while another one runs are retried for a short while as well:
# the modules wait for OPERATION_IN_PROGRESS to end first, this only covers the race.
_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=["ThrottlingException"])
_retry_busy = AWSRetry.jittered_backoff(
    retries=10, delay=3, max_delay=30, catch_extra_error_codes=["ThrottlingException", "InvalidStateException"]
)

POLL_SECONDS = 2
TERMINAL_SERVICE_STATUSES = ("RUNNING", "PAUSED", "CREATE_FAILED", "DELETE_FAILED", "DELETED")


class AppRunnerWaitError(WaitError):
    """An App Runner operation ended badly (waiting itself raises WaitError, which this extends)."""


def _paginate(client, method, key, **params):
    items = []
    while True:
        page = _retry(getattr(client, method))(**params)
        items.extend(page.get(key, []))
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


# ---------------------------------------------------------------- services
def find_service(client, name=None, arn=None):
    """The service named NAME (or with ARN), as DescribeService returns it; None when there is none."""
    if arn is None:
        matches = [s for s in _paginate(client, "list_services", "ServiceSummaryList") if s["ServiceName"] == name]
        if not matches:
            return None
        arn = matches[0]["ServiceArn"]
    try:
        return _retry(client.describe_service)(ServiceArn=arn)["Service"]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def list_services(client):
    return _paginate(client, "list_services", "ServiceSummaryList")


def create_service(client, params):
    return _retry(client.create_service)(**params)


def update_service(client, params):
    return _retry_busy(client.update_service)(**params)


def start_deployment(client, arn):
    return _retry_busy(client.start_deployment)(ServiceArn=arn)["OperationId"]


def pause_service(client, arn):
    return _retry_busy(client.pause_service)(ServiceArn=arn)["OperationId"]


def resume_service(client, arn):
    return _retry_busy(client.resume_service)(ServiceArn=arn)["OperationId"]


def delete_service(client, arn):
    return _retry_busy(client.delete_service)(ServiceArn=arn)["OperationId"]


def list_operations(client, arn, max_results=5):
    return _retry(client.list_operations)(ServiceArn=arn, MaxResults=max_results)["OperationSummaryList"]


def wait_for_service(client, arn, timeout, sleep=time.sleep, clock=time.monotonic):
    """Poll until the service leaves OPERATION_IN_PROGRESS; returns it (None once deleted)."""
    service = wait_until(
        lambda: find_service(client, arn=arn),
        status_in(*TERMINAL_SERVICE_STATUSES, gone=True),
        resource=lambda found: f"service {found['ServiceName'] if found else arn}",
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )
    return None if service is None or service["Status"] == "DELETED" else service


def operation_outcome(client, arn, operation_id):
    """The status of operation OPERATION_ID on the service (SUCCEEDED, FAILED, ROLLBACK_SUCCEEDED, ...)."""
    for operation in list_operations(client, arn, max_results=20):
        if operation["Id"] == operation_id:
            return operation["Status"]
    return "UNKNOWN"


def check_operation(client, service, operation_id, action):
    """Raise AppRunnerWaitError unless OPERATION_ID ended well (the module fails with the message)."""
    outcome = operation_outcome(client, service["ServiceArn"], operation_id)
    if outcome != "SUCCEEDED" or service["Status"] in ("CREATE_FAILED", "DELETE_FAILED"):
        raise AppRunnerWaitError(
            f"App Runner could not {action} service {service['ServiceName']}: operation {operation_id} "
            f"ended {outcome}, service status {service['Status']}. See the service's event log "
            "(App Runner console, or CloudWatch log group /aws/apprunner/<service>/<id>/service)."
        )


# ---------------------------------------------------------------- auto scaling configurations
def list_auto_scaling_configurations(client, name):
    return _paginate(
        client,
        "list_auto_scaling_configurations",
        "AutoScalingConfigurationSummaryList",
        AutoScalingConfigurationName=name,
    )


def describe_auto_scaling_configuration(client, arn):
    try:
        return _retry(client.describe_auto_scaling_configuration)(AutoScalingConfigurationArn=arn)[
            "AutoScalingConfiguration"
        ]
    except is_boto3_error_code("ResourceNotFoundException"):
        return None


def wait_for_auto_scaling_configuration(client, arn, status, timeout, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Poll until the revision ARN is STATUS (ACTIVE, INACTIVE); returns it (None once gone)."""
    return wait_until(
        lambda: describe_auto_scaling_configuration(client, arn),
        status_in(status, gone=True),
        resource=f"auto scaling configuration {arn}",
        goal=f"become {status}",
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


def create_auto_scaling_configuration(client, params):
    return _retry(client.create_auto_scaling_configuration)(**params)["AutoScalingConfiguration"]


def delete_auto_scaling_configuration(client, arn, all_revisions=False):
    return _retry(client.delete_auto_scaling_configuration)(
        AutoScalingConfigurationArn=arn, DeleteAllRevisions=all_revisions
    )


# ---------------------------------------------------------------- VPC connectors
def list_vpc_connectors(client, name):
    return [c for c in _paginate(client, "list_vpc_connectors", "VpcConnectors") if c["VpcConnectorName"] == name]


def create_vpc_connector(client, params):
    return _retry(client.create_vpc_connector)(**params)["VpcConnector"]


def delete_vpc_connector(client, arn):
    return _retry(client.delete_vpc_connector)(VpcConnectorArn=arn)["VpcConnector"]


# ---------------------------------------------------------------- tags
def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(_retry(client.list_tags_for_resource)(ResourceArn=arn).get("Tags", []))


def _tag(client, arn, tags):
    _retry(client.tag_resource)(ResourceArn=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


def _untag(client, arn, keys):
    _retry(client.untag_resource)(ResourceArn=arn, TagKeys=keys)


# Services, auto scaling configurations and VPC connectors share these calls (by ARN).
TAGS = TagAdapter(list_tags=get_tags, tag_resource=_tag, untag_resource=_untag)
