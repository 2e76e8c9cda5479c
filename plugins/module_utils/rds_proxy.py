# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS Proxy API calls shared by the rds_proxy* modules.

Every call goes through ``AWSRetry.jittered_backoff``; waiting for a proxy to settle lives here, so
each module only decides *what* to change. Tags use RDS's tag calls on the proxy's ARN.
"""

from __future__ import annotations

import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)

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


class ProxyWaitError(Exception):
    """A proxy did not settle within the time given, or settled in a state that needs action."""


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
    """Poll until the proxy is available (or gone, with DELETED); returns it (None once gone)."""
    deadline = clock() + timeout
    while True:
        proxy = describe_proxy(client, name)
        if proxy is None:
            if deleted:
                return None
            raise ProxyWaitError(f"proxy {name} disappeared while waiting for it to become available")
        status = proxy["Status"]
        if not deleted and status in SETTLED:
            return proxy
        if not deleted and status in STUCK:
            raise ProxyWaitError(f"proxy {name} is {status}: check its subnets, security groups and account limits")
        if clock() >= deadline:
            goal = "deleted" if deleted else "available"
            raise ProxyWaitError(f"timed out after {timeout}s waiting for proxy {name} to be {goal}: still {status}")
        sleep(POLL_SECONDS)


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


# ---------------------------------------------------------------- tags
def get_tags(client, arn):
    return boto3_tag_list_to_ansible_dict(_retry(client.list_tags_for_resource)(ResourceName=arn)["TagList"])


def apply_tags(client, arn, to_set, to_remove):
    if to_remove:
        _retry(client.remove_tags_from_resource)(ResourceName=arn, TagKeys=list(to_remove))
    if to_set:
        _retry(client.add_tags_to_resource)(ResourceName=arn, Tags=ansible_dict_to_boto3_tag_list(to_set))
