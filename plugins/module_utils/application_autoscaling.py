# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application Auto Scaling API calls shared by the application_autoscaling_* modules.

Every call goes through ``AWSRetry.jittered_backoff``. The API is eventually consistent: a target
just registered (or a policy just put) may not be described yet, so waiting for what was requested
(``waiters.wait_until``) lives here too. The comparisons (what the options ask for against what AWS
describes) are plain functions of dicts, so each module only decides *what* to change. Tags use the
tag calls on the scalable target's ARN (``TAGS``, for ``tags.plan_tags``); scaling policies have none.
"""

from __future__ import annotations

import time
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import TagAdapter
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import wait_until

# Application Auto Scaling throttles with ThrottlingException and refuses overlapping changes to one
# target with ConcurrentUpdateException; neither is in AWSRetry's default list.
_retry = AWSRetry.jittered_backoff(
    retries=10,
    delay=2,
    max_delay=30,
    catch_extra_error_codes=["ThrottlingException", "ConcurrentUpdateException", "InternalServiceException"],
)

POLL_SECONDS = 2

# botocore's ServiceNamespace and MetricType enums (botocore 1.44); tests/unit checks they still match.
SERVICE_NAMESPACES = (
    "appstream",
    "cassandra",
    "comprehend",
    "custom-resource",
    "dynamodb",
    "ec2",
    "ecs",
    "elasticache",
    "elasticmapreduce",
    "kafka",
    "lambda",
    "neptune",
    "rds",
    "sagemaker",
    "workspaces",
)
PREDEFINED_METRIC_TYPES = (
    "ALBRequestCountPerTarget",
    "AppStreamAverageCapacityUtilization",
    "CassandraReadCapacityUtilization",
    "CassandraWriteCapacityUtilization",
    "ComprehendInferenceUtilization",
    "DynamoDBReadCapacityUtilization",
    "DynamoDBWriteCapacityUtilization",
    "EC2SpotFleetRequestAverageCPUUtilization",
    "EC2SpotFleetRequestAverageNetworkIn",
    "EC2SpotFleetRequestAverageNetworkOut",
    "ECSServiceAverageCPUUtilization",
    "ECSServiceAverageCPUUtilizationHighResolution",
    "ECSServiceAverageMemoryUtilization",
    "ECSServiceAverageMemoryUtilizationHighResolution",
    "ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage",
    "ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage",
    "ElastiCacheDatabaseMemoryUsagePercentage",
    "ElastiCacheEngineCPUUtilization",
    "ElastiCachePrimaryEngineCPUUtilization",
    "ElastiCacheReplicaEngineCPUUtilization",
    "KafkaBrokerStorageUtilization",
    "LambdaProvisionedConcurrencyUtilization",
    "NeptuneReaderAverageCPUUtilization",
    "RDSReaderAverageCPUUtilization",
    "RDSReaderAverageDatabaseConnections",
    "SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution",
    "SageMakerInferenceComponentInvocationsPerCopy",
    "SageMakerVariantConcurrentRequestsPerModelHighResolution",
    "SageMakerVariantInvocationsPerInstance",
    "SageMakerVariantProvisionedConcurrencyUtilization",
    "WorkSpacesAverageUserSessionsCapacityUtilization",
)
# Utilisation metrics whose target is a fraction (0.7), not a percentage.
FRACTION_METRICS = ("LambdaProvisionedConcurrencyUtilization", "SageMakerVariantProvisionedConcurrencyUtilization")
ALB_METRIC = "ALBRequestCountPerTarget"
SUSPENDED = (
    ("dynamic_scaling_in_suspended", "DynamicScalingInSuspended"),
    ("dynamic_scaling_out_suspended", "DynamicScalingOutSuspended"),
    ("scheduled_scaling_suspended", "ScheduledScalingSuspended"),
)


def is_percentage(metric: str | None) -> bool:
    """Whether METRIC's target value is a percentage (1-100)."""
    if not metric or metric in FRACTION_METRICS:
        return False
    return "Utilization" in metric or metric.endswith("Percentage")


# ---------------------------------------------------------------- checks shared by the modules
def dimension_problems(namespace: str, dimension: str, resource_id: str) -> list[str]:
    """Problems with the scalable_dimension and resource_id of NAMESPACE (before any AWS call)."""
    problems = []
    parts = dimension.split(":")
    if len(parts) != 3 or not all(parts):
        problems.append(f"scalable_dimension {dimension!r}: expected <namespace>:<resource type>:<property>")
    elif namespace != "custom-resource" and parts[0] != namespace:
        problems.append(
            f"scalable_dimension {dimension!r} belongs to service_namespace {parts[0]!r}, not {namespace!r}"
        )
    if not resource_id:
        problems.append("resource_id must not be empty")
    elif namespace == "ecs" and not (resource_id.startswith("service/") and len(resource_id.split("/")) == 3):
        problems.append(f"resource_id {resource_id!r}: an ECS service is service/<cluster name>/<service name>")
    return problems


def target_key(params: dict) -> dict:
    return dict(
        ServiceNamespace=params["service_namespace"],
        ResourceId=params["resource_id"],
        ScalableDimension=params["scalable_dimension"],
    )


def describe_name(params: dict) -> str:
    return f"{params['service_namespace']} {params['resource_id']} {params['scalable_dimension']}"


# ---------------------------------------------------------------- scalable targets
def suspended_state(target: dict | None) -> dict[str, bool]:
    """The target's SuspendedState with every member (AWS leaves them out, or all of it, when false)."""
    state = (target or {}).get("SuspendedState") or {}
    return {member: bool(state.get(member, False)) for _option, member in SUSPENDED}


def desired_target(params: dict, current: dict | None) -> dict:
    """MinCapacity, MaxCapacity, RoleARN and SuspendedState the options ask for.

    RoleARN is only there when role_arn is given (AWS uses the service-linked role otherwise), and
    suspended_state members left out keep their current values (False for a new target).
    """
    desired: dict[str, Any] = dict(MinCapacity=params["min_capacity"], MaxCapacity=params["max_capacity"])
    if params.get("role_arn"):
        desired["RoleARN"] = params["role_arn"]
    wanted = params.get("suspended_state")
    if wanted is not None:
        state = suspended_state(current)
        state.update({member: wanted[option] for option, member in SUSPENDED if wanted.get(option) is not None})
        desired["SuspendedState"] = state
    return desired


def target_changes(desired: dict, current: dict | None) -> dict:
    """Members of DESIRED that differ from CURRENT (all of them for a new target)."""
    if current is None:
        return dict(desired)
    now = dict(current, SuspendedState=suspended_state(current))
    return {member: value for member, value in desired.items() if now.get(member) != value}


def target_view(target: dict | None, tags: dict | None = None) -> dict:
    """The settings of a target (as DescribeScalableTargets or desired_target has them), by option name."""
    if target is None:
        return {}
    state = suspended_state(target)
    view = dict(
        min_capacity=target.get("MinCapacity"),
        max_capacity=target.get("MaxCapacity"),
        role_arn=target.get("RoleARN"),
        suspended_state={option: state[member] for option, member in SUSPENDED},
    )
    if tags is not None:
        view["tags"] = tags
    return view


def target_result(target: dict, tags: dict | None = None) -> dict:
    snake = camel_dict_to_snake_dict({k: v for k, v in target.items() if k != "CreationTime"})
    snake["suspended_state"] = target_view(target)["suspended_state"]
    if target.get("CreationTime") is not None:
        snake["creation_time"] = str(target["CreationTime"])
    if tags is not None:
        snake["tags"] = tags
    return snake


def _paginate(method, key: str, **request) -> list[dict]:
    items = []
    while True:
        page = _retry(method)(**request)
        items.extend(page.get(key, []))
        if not page.get("NextToken"):
            return items
        request["NextToken"] = page["NextToken"]


def describe_target(client, key: dict) -> dict | None:
    """The scalable target KEY (ServiceNamespace, ResourceId, ScalableDimension names); None when there is none."""
    targets = _paginate(
        client.describe_scalable_targets,
        "ScalableTargets",
        ServiceNamespace=key["ServiceNamespace"],
        ResourceIds=[key["ResourceId"]],
        ScalableDimension=key["ScalableDimension"],
    )
    return next((t for t in targets if all(t.get(k) == v for k, v in key.items())), None)


def register_target(client, request: dict) -> str:
    return _retry(client.register_scalable_target)(**request)["ScalableTargetARN"]


def deregister_target(client, key: dict) -> None:
    try:
        _retry(client.deregister_scalable_target)(**key)
    except is_boto3_error_code("ObjectNotFoundException"):
        pass


def wait_for_target(client, key: dict, timeout: int, desired: dict | None, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Poll until the target is described with DESIRED's capacities and suspended state (None: until it is gone)."""
    members = [m for m in ("MinCapacity", "MaxCapacity", "SuspendedState") if desired and m in desired]

    def ready(target):
        if desired is None:
            return target is None
        return target is not None and not target_changes({m: desired[m] for m in members}, target)

    def status(target):
        if target is None:
            return "not registered"
        return ", ".join(f"{m} {target.get(m)}" for m in members if m != "SuspendedState")

    return wait_until(
        lambda: describe_target(client, key),
        ready,
        resource=f"scalable target {key['ServiceNamespace']} {key['ResourceId']} {key['ScalableDimension']}",
        goal="be deregistered" if desired is None else "show the requested capacities",
        status=status,
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- target tracking policies
def desired_policy(params: dict) -> dict:
    """The TargetTrackingScalingPolicyConfiguration the options ask for."""
    spec = {"PredefinedMetricType": params["predefined_metric_type"]}
    if params.get("resource_label"):
        spec["ResourceLabel"] = params["resource_label"]
    return dict(
        TargetValue=float(params["target_value"]),
        PredefinedMetricSpecification=spec,
        ScaleInCooldown=params["scale_in_cooldown"],
        ScaleOutCooldown=params["scale_out_cooldown"],
        DisableScaleIn=params["disable_scale_in"],
    )


def policy_view(policy_type: str | None, config: dict | None) -> dict:
    """A target tracking configuration by option name, normalised for comparison.

    AWS may leave out DisableScaleIn (false) and a ResourceLabel nobody set; the target value is a float.
    A cooldown AWS does not report stays None, so it differs from the option and is set explicitly.
    """
    if config is None:
        return {}
    spec = config.get("PredefinedMetricSpecification") or {}
    view = dict(
        policy_type=policy_type,
        target_value=None if config.get("TargetValue") is None else float(config["TargetValue"]),
        predefined_metric_type=spec.get("PredefinedMetricType"),
        resource_label=spec.get("ResourceLabel") or None,
        scale_in_cooldown=config.get("ScaleInCooldown"),
        scale_out_cooldown=config.get("ScaleOutCooldown"),
        disable_scale_in=bool(config.get("DisableScaleIn", False)),
    )
    if config.get("CustomizedMetricSpecification"):
        view["customized_metric_specification"] = camel_dict_to_snake_dict(config["CustomizedMetricSpecification"])
    return view


def current_policy_view(policy: dict | None) -> dict:
    if policy is None:
        return {}
    return policy_view(policy.get("PolicyType"), policy.get("TargetTrackingScalingPolicyConfiguration") or {})


def policy_differs(desired_config: dict, policy: dict | None) -> bool:
    """Whether PutScalingPolicy is needed to make POLICY (as described; None: missing) DESIRED_CONFIG."""
    return policy_view("TargetTrackingScaling", desired_config) != current_policy_view(policy)


def alarms_result(alarms: list[dict] | None) -> list[dict]:
    return [dict(alarm_name=a.get("AlarmName"), alarm_arn=a.get("AlarmARN")) for a in alarms or []]


def policy_result(policy: dict) -> dict:
    snake = camel_dict_to_snake_dict({k: v for k, v in policy.items() if k not in ("CreationTime", "Alarms")})
    snake["alarms"] = alarms_result(policy.get("Alarms"))
    if policy.get("CreationTime") is not None:
        snake["creation_time"] = str(policy["CreationTime"])
    return snake


def describe_policy(client, name: str, key: dict) -> dict | None:
    """The scaling policy NAME of the target KEY; None when there is none."""
    policies = _paginate(client.describe_scaling_policies, "ScalingPolicies", PolicyNames=[name], **key)
    return next(
        (p for p in policies if p.get("PolicyName") == name and all(p.get(k) == v for k, v in key.items())),
        None,
    )


def put_policy(client, request: dict) -> dict:
    """PutScalingPolicy; returns PolicyARN and Alarms."""
    response = _retry(client.put_scaling_policy)(**request)
    return dict(PolicyARN=response["PolicyARN"], Alarms=response.get("Alarms", []))


def delete_policy(client, name: str, key: dict) -> None:
    try:
        _retry(client.delete_scaling_policy)(PolicyName=name, **key)
    except is_boto3_error_code("ObjectNotFoundException"):
        pass


def wait_for_policy(  # noqa: PLR0913 (test clock)
    client, name: str, key: dict, timeout: int, desired_config: dict | None, *, sleep=time.sleep, clock=time.monotonic
):
    """Poll until the policy is described with DESIRED_CONFIG (None: until it is gone); returns it."""

    def ready(policy):
        if desired_config is None:
            return policy is None
        return policy is not None and not policy_differs(desired_config, policy)

    return wait_until(
        lambda: describe_policy(client, name, key),
        ready,
        resource=f"scaling policy {name} of {key['ResourceId']}",
        goal="be deleted" if desired_config is None else "be described as requested",
        status=lambda p: "missing" if p is None else "described with other settings",
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- tags (scalable targets only)
def get_tags(client, arn: str) -> dict:
    return dict(_retry(client.list_tags_for_resource)(ResourceARN=arn).get("Tags") or {})


def _tag(client, arn: str, tags: dict) -> None:
    _retry(client.tag_resource)(ResourceARN=arn, Tags=dict(tags))


def _untag(client, arn: str, keys: list[str]) -> None:
    _retry(client.untag_resource)(ResourceARN=arn, TagKeys=list(keys))


TAGS = TagAdapter(list_tags=get_tags, tag_resource=_tag, untag_resource=_untag)
