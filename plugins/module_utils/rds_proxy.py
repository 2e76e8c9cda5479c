# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS Proxy API calls shared by the rds_proxy* modules.

Every call goes through ``AWSRetry.jittered_backoff``; waiting for a proxy or its targets to settle
(``waiters.wait_until``) lives here, so each module only decides *what* to change. Tags use RDS's tag
calls on the proxy's ARN (``TAGS``, for ``tags.ensure_tags``).
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
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import wait_until

# RDS refuses changes while a proxy is being created or modified: retried for a short while, the
# modules wait for "available" first and this only covers the race.
_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30)
_retry_busy = AWSRetry.jittered_backoff(
    retries=10, delay=3, max_delay=30, catch_extra_error_codes=["InvalidDBProxyStateFault"]
)

POLL_SECONDS = 5
SETTLED = ("available",)
# States a proxy does not leave without someone acting: waiting longer would not help.
STUCK = ("incompatible-network", "insufficient-resource-limits", "suspended")


def describe_proxy(client, name):
    """The proxy named NAME as DescribeDBProxies returns it; None when there is none."""
    try:
        proxies = _retry(client.describe_db_proxies)(DBProxyName=name)["DBProxies"]
    except is_boto3_error_code("DBProxyNotFoundFault"):
        return None
    return proxies[0] if proxies else None


def create_proxy(client, request):
    return _retry(client.create_db_proxy)(**request)["DBProxy"]


def modify_proxy(client, request):
    return _retry_busy(client.modify_db_proxy)(**request)["DBProxy"]


def delete_proxy(client, name):
    try:
        _retry_busy(client.delete_db_proxy)(DBProxyName=name)
    except is_boto3_error_code("DBProxyNotFoundFault"):
        pass


def wait_for_proxy(client, name, timeout, *, deleted=False, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913 (test clock)
    """Poll until the proxy is available (or gone, with DELETED); returns it (None once gone).

    A proxy that disappears, or sits in a state it does not leave without someone acting (STUCK),
    ends the wait at once with WaitError.
    """

    def problem(proxy):
        if deleted:
            return None
        if proxy is None:
            return f"proxy {name} disappeared while waiting for it to become available"
        if proxy["Status"] in STUCK:
            return f"proxy {name} is {proxy['Status']}: check its subnets, security groups and account limits"
        return None

    return wait_until(
        lambda: describe_proxy(client, name),
        (lambda proxy: proxy is None) if deleted else (lambda proxy: proxy is not None and proxy["Status"] in SETTLED),
        failure=problem,
        resource=f"proxy {name}",
        goal="be deleted" if deleted else "be available",
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- target groups
def describe_target_group(client, proxy_name, group_name):
    groups = _retry(client.describe_db_proxy_target_groups)(DBProxyName=proxy_name)["TargetGroups"]
    matches = [g for g in groups if g["TargetGroupName"] == group_name]
    return matches[0] if matches else None


def modify_target_group(client, proxy_name, group_name, pool_config):
    return _retry_busy(client.modify_db_proxy_target_group)(
        DBProxyName=proxy_name, TargetGroupName=group_name, ConnectionPoolConfig=pool_config
    )["DBProxyTargetGroup"]


def describe_targets(client, proxy_name, group_name):
    return _retry(client.describe_db_proxy_targets)(DBProxyName=proxy_name, TargetGroupName=group_name)["Targets"]


def _targets_request(proxy_name, group_name, instances, clusters):
    request = dict(DBProxyName=proxy_name, TargetGroupName=group_name)
    if instances:
        request["DBInstanceIdentifiers"] = instances
    if clusters:
        request["DBClusterIdentifiers"] = clusters
    return request


def register_targets(client, proxy_name, group_name, instances, clusters):
    request = _targets_request(proxy_name, group_name, instances, clusters)
    return _retry_busy(client.register_db_proxy_targets)(**request)["DBProxyTargets"]


def deregister_targets(client, proxy_name, group_name, instances, clusters):
    _retry_busy(client.deregister_db_proxy_targets)(**_targets_request(proxy_name, group_name, instances, clusters))


def _unhealthy(targets):
    """'<id>: <state> <description>' of each target that is not AVAILABLE, for the timeout message."""
    reasons = []
    for target in targets:
        health = target.get("TargetHealth", {})
        if health.get("State") not in (None, "AVAILABLE"):
            reasons.append(f"{target['RdsResourceId']}: {health.get('State')} {health.get('Description', '')}".strip())
    return "; ".join(reasons)


def wait_for_targets(client, proxy_name, group_name, timeout, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Poll until every registered target is AVAILABLE (or reports no state); returns the targets."""
    return wait_until(
        lambda: describe_targets(client, proxy_name, group_name),
        lambda targets: not _unhealthy(targets),
        resource=f"the targets of proxy {proxy_name} (target group {group_name})",
        goal="be available",
        status=_unhealthy,
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- tags
def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(_retry(client.list_tags_for_resource)(ResourceName=arn)["TagList"])


def _tag(client, arn, tags):
    _retry(client.add_tags_to_resource)(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(tags))


def _untag(client, arn, keys):
    _retry(client.remove_tags_from_resource)(ResourceName=arn, TagKeys=keys)


TAGS = TagAdapter(list_tags=get_tags, tag_resource=_tag, untag_resource=_untag)
