"""application_autoscaling_target and application_autoscaling_target_tracking_policy against the local
moto server, run by ansible-playbook.

moto 5.2.5 and Application Auto Scaling, as far as these tests meet it:
- RegisterScalableTarget for ecs checks that the ECS service exists (the fixture makes one).
- ListTagsForResource, TagResource and UntagResource are not implemented (HTTP 500) and the Tags of
  RegisterScalableTarget are dropped, so tags are covered by the unit tests only.
- PutScalingPolicy does not check that the scalable target exists, DeregisterScalableTarget leaves the
  target's policies behind, DescribeScalingPolicies ignores PolicyNames, and a changed policy gets a new
  ARN and new alarms. The modules check the target themselves and filter descriptions exactly.
- Target tracking policies on ecs get two CloudWatch alarms, TargetTracking-<resource>-AlarmHigh/Low-<uuid>.
"""

from __future__ import annotations

import uuid

import pytest
from aws_state import client
from conftest import module

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane

DIMENSION = "ecs:service:DesiredCount"


@pytest.fixture(scope="module")
def ecs(aws_env):
    """An ECS cluster with two services (one for the target tests, one for the policy tests)."""
    ecs = client("ecs", aws_env)
    ident = f"aas{uuid.uuid4().hex[:8]}"
    ecs.create_cluster(clusterName=ident)
    ecs.register_task_definition(
        family=ident, containerDefinitions=[{"name": "mlflow", "image": "mlflow:latest", "memory": 256}]
    )
    services = {}
    for role in ("target", "policy", "orphan"):
        ecs.create_service(cluster=ident, serviceName=f"{ident}-{role}", taskDefinition=ident, desiredCount=1)
        services[role] = f"service/{ident}/{ident}-{role}"
    return dict(
        ident=ident,
        services=services,
        aas=client("application-autoscaling", aws_env),
        cloudwatch=client("cloudwatch", aws_env),
    )


def target_args(resource_id, **overrides):
    args = {
        "service_namespace": "ecs",
        "resource_id": resource_id,
        "scalable_dimension": DIMENSION,
        "min_capacity": 1,
        "max_capacity": 4,
    }
    args.update(overrides)
    return args


def policy_args(resource_id, **overrides):
    args = {
        "policy_name": "cpu",
        "service_namespace": "ecs",
        "resource_id": resource_id,
        "scalable_dimension": DIMENSION,
        "predefined_metric_type": "ECSServiceAverageCPUUtilization",
        "target_value": 60,
    }
    args.update(overrides)
    return args


def described_target(ecs, resource_id):
    targets = ecs["aas"].describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource_id])
    return next(iter(targets["ScalableTargets"]), None)


def described_policy(ecs, resource_id, name="cpu"):
    policies = ecs["aas"].describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource_id)
    return next(
        (p for p in policies["ScalingPolicies"] if p["PolicyName"] == name and p["ResourceId"] == resource_id), None
    )


def test_target_life_cycle(ecs, aws_env, tmp_path):
    resource = ecs["services"]["target"]
    rc, task, out = module(
        "application_autoscaling_target", target_args(resource), aws_env, tmp_path, "--check", "--diff"
    )
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {}
    assert task["diff"]["after"]["min_capacity"] == 1 and task["diff"]["after"]["max_capacity"] == 4
    assert "scalable_target_arn" not in task
    assert described_target(ecs, resource) is None, "check mode registered the target"

    rc, task, out = module("application_autoscaling_target", target_args(resource), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    created = described_target(ecs, resource)
    assert (created["MinCapacity"], created["MaxCapacity"]) == (1, 4)
    assert task["scalable_target_arn"] == created["ScalableTargetARN"]
    assert task["scalable_target"]["max_capacity"] == 4
    assert task["scalable_target"]["suspended_state"] == {
        "dynamic_scaling_in_suspended": False,
        "dynamic_scaling_out_suspended": False,
        "scheduled_scaling_suspended": False,
    }

    rc, task, out = module("application_autoscaling_target", target_args(resource), aws_env, tmp_path, "--diff")
    assert rc == 0 and not task["changed"], out
    assert "diff" not in task or not task["diff"], out

    # Only max_capacity changes: shown in check mode, then applied; min_capacity stays.
    bigger = target_args(resource, max_capacity=8)
    rc, task, out = module("application_autoscaling_target", bigger, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"]["max_capacity"] == 4 and task["diff"]["after"]["max_capacity"] == 8
    assert described_target(ecs, resource)["MaxCapacity"] == 4
    rc, task, out = module("application_autoscaling_target", bigger, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    now = described_target(ecs, resource)
    assert (now["MinCapacity"], now["MaxCapacity"]) == (1, 8)
    assert task["scalable_target"]["max_capacity"] == 8
    rc, task, out = module("application_autoscaling_target", bigger, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # One suspended_state member: the others stay false.
    paused = target_args(resource, max_capacity=8, suspended_state={"dynamic_scaling_in_suspended": True})
    rc, task, out = module("application_autoscaling_target", paused, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert described_target(ecs, resource)["SuspendedState"] == {
        "DynamicScalingInSuspended": True,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    assert task["scalable_target"]["suspended_state"]["dynamic_scaling_in_suspended"] is True
    rc, task, out = module("application_autoscaling_target", paused, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    # Left out, the state is left alone.
    rc, task, out = module("application_autoscaling_target", bigger, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_min_above_max_fails_before_any_call(ecs, aws_env, tmp_path):
    resource = ecs["services"]["target"]
    module("application_autoscaling_target", target_args(resource), aws_env, tmp_path)
    before = described_target(ecs, resource)
    # Nothing listens on port 9: an AWS call would fail with a connection error instead.
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    args = target_args(resource, min_capacity=5, max_capacity=3)
    rc, task, out = module("application_autoscaling_target", args, env, tmp_path)
    assert rc != 0, out
    assert "min_capacity 5 is greater than max_capacity 3" in task["msg"], out
    assert "Could not" not in out
    rc, task, out = module("application_autoscaling_target", args, aws_env, tmp_path)
    assert rc != 0 and "min_capacity 5 is greater than max_capacity 3" in task["msg"], out
    assert described_target(ecs, resource) == before


def test_policy_life_cycle(ecs, aws_env, tmp_path):
    resource = ecs["services"]["policy"]
    rc, task, out = module("application_autoscaling_target", target_args(resource), aws_env, tmp_path)
    assert rc == 0, out

    rc, task, out = module(
        "application_autoscaling_target_tracking_policy", policy_args(resource), aws_env, tmp_path, "--check", "--diff"
    )
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {}
    assert task["diff"]["after"]["target_value"] == 60.0
    assert task["diff"]["after"]["scale_in_cooldown"] == 300 and task["diff"]["after"]["scale_out_cooldown"] == 60
    assert "policy_arn" not in task
    assert described_policy(ecs, resource) is None, "check mode created the policy"

    rc, task, out = module("application_autoscaling_target_tracking_policy", policy_args(resource), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    created = described_policy(ecs, resource)
    config = created["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 60.0 and config["ScaleInCooldown"] == 300 and config["DisableScaleIn"] is False
    assert task["policy_arn"] == created["PolicyARN"]
    names = [a["alarm_name"] for a in task["alarms"]]
    assert len(names) == 2, task["alarms"]
    assert any(n.startswith(f"TargetTracking-{resource}-AlarmHigh-") for n in names), names
    assert any(n.startswith(f"TargetTracking-{resource}-AlarmLow-") for n in names), names
    alarms = ecs["cloudwatch"].describe_alarms(AlarmNames=names)["MetricAlarms"]
    assert sorted(a["AlarmArn"] for a in alarms) == sorted(a["alarm_arn"] for a in task["alarms"])
    assert task["policy"]["target_tracking_scaling_policy_configuration"]["predefined_metric_specification"] == {
        "predefined_metric_type": "ECSServiceAverageCPUUtilization"
    }

    rc, task, out = module("application_autoscaling_target_tracking_policy", policy_args(resource), aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    assert len(task["alarms"]) == 2

    # A new target value: shown in check mode, then put.
    changed = policy_args(resource, target_value=45.5, disable_scale_in=True)
    rc, task, out = module(
        "application_autoscaling_target_tracking_policy", changed, aws_env, tmp_path, "--check", "--diff"
    )
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"]["target_value"] == 60.0 and task["diff"]["after"]["target_value"] == 45.5
    assert described_policy(ecs, resource)["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 60.0
    rc, task, out = module("application_autoscaling_target_tracking_policy", changed, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    config = described_policy(ecs, resource)["TargetTrackingScalingPolicyConfiguration"]
    assert config["TargetValue"] == 45.5 and config["DisableScaleIn"] is True
    rc, task, out = module("application_autoscaling_target_tracking_policy", changed, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # A change of the target leaves the policy alone.
    rc, task, out = module("application_autoscaling_target", target_args(resource, max_capacity=10), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert described_target(ecs, resource)["MaxCapacity"] == 10
    rc, task, out = module("application_autoscaling_target_tracking_policy", changed, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_policy_and_target_absent(ecs, aws_env, tmp_path):
    resource = ecs["services"]["policy"]
    rc, task, out = module("application_autoscaling_target", target_args(resource), aws_env, tmp_path)
    assert rc == 0, out
    rc, task, out = module("application_autoscaling_target_tracking_policy", policy_args(resource), aws_env, tmp_path)
    assert rc == 0, out
    names = [a["alarm_name"] for a in task["alarms"]]

    # The policy first (check mode keeps it): AWS deletes its alarms.
    absent = dict(policy_args(resource), state="absent")
    rc, task, out = module(
        "application_autoscaling_target_tracking_policy", absent, aws_env, tmp_path, "--check", "--diff"
    )
    assert rc == 0 and task["changed"] and task["diff"]["after"] == {}, out
    assert task["diff"]["before"]["predefined_metric_type"] == "ECSServiceAverageCPUUtilization"
    assert described_policy(ecs, resource) is not None
    rc, task, out = module("application_autoscaling_target_tracking_policy", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert described_policy(ecs, resource) is None
    assert ecs["cloudwatch"].describe_alarms(AlarmNames=names)["MetricAlarms"] == []
    rc, task, out = module("application_autoscaling_target_tracking_policy", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # Then the target (min/max are not needed to deregister it).
    gone = {k: v for k, v in target_args(resource).items() if "capacity" not in k}
    gone["state"] = "absent"
    rc, task, out = module("application_autoscaling_target", gone, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["before"]["max_capacity"] == 4, out
    assert described_target(ecs, resource) is not None
    rc, task, out = module("application_autoscaling_target", gone, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert described_target(ecs, resource) is None
    rc, task, out = module("application_autoscaling_target", gone, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_policy_needs_its_target(ecs, aws_env, tmp_path):
    resource = ecs["services"]["orphan"]
    rc, task, out = module("application_autoscaling_target_tracking_policy", policy_args(resource), aws_env, tmp_path)
    assert rc != 0, out
    assert "does not exist: create it first (mlops.mlflow_aws.application_autoscaling_target)" in task["msg"], out
    assert described_policy(ecs, resource) is None
    # In check mode an earlier task may be the one that would register it: a warning.
    rc, task, out = module(
        "application_autoscaling_target_tracking_policy", policy_args(resource), aws_env, tmp_path, "--check"
    )
    assert rc == 0 and task["changed"], out
    assert any("create it first" in w for w in task.get("warnings", [])), out
    assert described_policy(ecs, resource) is None


TARGET = {
    "service_namespace": "ecs",
    "resource_id": "service/mlflow/mlflow",
    "scalable_dimension": DIMENSION,
    "min_capacity": 1,
    "max_capacity": 2,
}
POLICY = dict(
    {k: v for k, v in TARGET.items() if "capacity" not in k},
    policy_name="cpu",
    predefined_metric_type="ECSServiceAverageCPUUtilization",
    target_value=50,
)


@pytest.mark.preflight
@pytest.mark.parametrize(
    ("module_name", "args", "message"),
    [
        (
            "application_autoscaling_target",
            dict(TARGET, min_capacity=3),
            "min_capacity 3 is greater than max_capacity 2",
        ),
        (
            "application_autoscaling_target",
            dict(TARGET, scalable_dimension="dynamodb:table:ReadCapacityUnits"),
            "belongs to service_namespace 'dynamodb', not 'ecs'",
        ),
        (
            "application_autoscaling_target",
            dict(TARGET, resource_id="mlflow/mlflow"),
            "service/<cluster name>/<service name>",
        ),
        (
            "application_autoscaling_target",
            dict(TARGET, role_arn="scaler"),
            "role_arn: 'scaler' is not an IAM role ARN",
        ),
        ("application_autoscaling_target", {k: v for k, v in TARGET.items() if k != "max_capacity"}, "max_capacity"),
        ("application_autoscaling_target_tracking_policy", dict(POLICY, target_value=150), "target_value 150.0"),
        ("application_autoscaling_target_tracking_policy", dict(POLICY, target_value=0), "greater than 0"),
        (
            "application_autoscaling_target_tracking_policy",
            dict(POLICY, predefined_metric_type="ALBRequestCountPerTarget", target_value=500),
            "resource_label is required",
        ),
        (
            "application_autoscaling_target_tracking_policy",
            dict(POLICY, resource_label="app/lb/1/targetgroup/tg/2"),
            "resource_label is only used with",
        ),
        (
            "application_autoscaling_target_tracking_policy",
            dict(POLICY, scalable_dimension="ecs:DesiredCount"),
            "expected <namespace>:<resource type>:<property>",
        ),
    ],
)
def test_bad_input_fails_before_any_call(module_name, args, message, aws_env, tmp_path):
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    rc, task, out = module(module_name, args, env, tmp_path)
    assert rc != 0, out
    assert message in task["msg"], out
    assert "Could not connect" not in out and "Could not manage" not in out
