"""application_autoscaling_target and _target_tracking_policy: comparisons, checks, tags and waiting."""

from __future__ import annotations

import botocore.session
import pytest
import yaml
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import application_autoscaling as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError
from ansible_collections.mlops.mlflow_aws.plugins.modules import application_autoscaling_target as target_module
from ansible_collections.mlops.mlflow_aws.plugins.modules import (
    application_autoscaling_target_tracking_policy as policy_module,
)

RESOURCE = "service/mlflow/mlflow"
KEY = {"ServiceNamespace": "ecs", "ResourceId": RESOURCE, "ScalableDimension": "ecs:service:DesiredCount"}
ARN = "arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/0abc"
# As AWS describes a target registered without SuspendedState (moto leaves the member out altogether).
CURRENT = dict(
    KEY,
    MinCapacity=1,
    MaxCapacity=4,
    RoleARN="arn:aws:iam::123456789012:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/Slr",
    ScalableTargetARN=ARN,
)


def target_params(**overrides):
    base = {
        "service_namespace": "ecs",
        "resource_id": RESOURCE,
        "scalable_dimension": "ecs:service:DesiredCount",
        "state": "present",
        "min_capacity": 1,
        "max_capacity": 4,
        "role_arn": None,
        "suspended_state": None,
        "tags": None,
        "purge_tags": True,
        "wait": False,
        "wait_timeout": 120,
    }
    base.update(overrides)
    return base


def policy_params(**overrides):
    base = {
        "policy_name": "cpu",
        "service_namespace": "ecs",
        "resource_id": RESOURCE,
        "scalable_dimension": "ecs:service:DesiredCount",
        "state": "present",
        "predefined_metric_type": "ECSServiceAverageCPUUtilization",
        "target_value": 60.0,
        "resource_label": None,
        "scale_in_cooldown": 300,
        "scale_out_cooldown": 60,
        "disable_scale_in": False,
    }
    base.update(overrides)
    return base


# ---------------------------------------------------------------- choices
def _botocore_enum(shape):
    return botocore.session.get_session().get_service_model("application-autoscaling").shape_for(shape).enum


def _choices(module, option):
    return yaml.safe_load(module.DOCUMENTATION)["options"][option]["choices"]


def test_choices_are_botocores_enums():
    assert sorted(api.SERVICE_NAMESPACES) == sorted(_botocore_enum("ServiceNamespace"))
    assert sorted(api.PREDEFINED_METRIC_TYPES) == sorted(_botocore_enum("MetricType"))
    for module in (target_module, policy_module):
        assert _choices(module, "service_namespace") == list(api.SERVICE_NAMESPACES)
    assert _choices(policy_module, "predefined_metric_type") == list(api.PREDEFINED_METRIC_TYPES)


# ---------------------------------------------------------------- checks
@pytest.mark.parametrize(
    ("namespace", "dimension", "resource", "problem"),
    [
        ("ecs", "ecs:service:DesiredCount", RESOURCE, None),
        ("custom-resource", "custom-resource:ResourceType:Property", "https://example.com/scalable", None),
        ("dynamodb", "dynamodb:table:ReadCapacityUnits", "table/runs", None),
        ("ecs", "dynamodb:table:ReadCapacityUnits", RESOURCE, "belongs to service_namespace 'dynamodb', not 'ecs'"),
        ("ecs", "ecs:DesiredCount", RESOURCE, "expected <namespace>:<resource type>:<property>"),
        ("ecs", "ecs:service:DesiredCount", "mlflow/mlflow", "service/<cluster name>/<service name>"),
        ("ecs", "ecs:service:DesiredCount", "", "resource_id must not be empty"),
    ],
)
def test_dimension_problems(namespace, dimension, resource, problem):
    problems = api.dimension_problems(namespace, dimension, resource)
    assert problems == [] if problem is None else any(problem in p for p in problems), problems


def test_target_validation_names_both_capacities():
    assert target_module.validate(target_params()) == []
    assert target_module.validate(target_params(min_capacity=5, max_capacity=3)) == [
        "min_capacity 5 is greater than max_capacity 3"
    ]
    assert "max_capacity -1: must be 0 or more" in target_module.validate(target_params(max_capacity=-1))
    # Deregistering needs no capacities.
    assert target_module.validate(target_params(state="absent", min_capacity=None, max_capacity=None)) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"target_value": 0.0}, "target_value 0.0: must be greater than 0"),
        ({"target_value": 101.0}, "ECSServiceAverageCPUUtilization is a percentage, give 1 to 100"),
        ({"target_value": 0.5}, "give 1 to 100"),
        ({"predefined_metric_type": "ALBRequestCountPerTarget", "target_value": 500.0}, "resource_label is required"),
        (
            {"predefined_metric_type": "ALBRequestCountPerTarget", "target_value": 500.0, "resource_label": "mlflow"},
            "expected app/<load balancer>/<id>/targetgroup/<target group>/<id>",
        ),
        ({"resource_label": "app/lb/1/targetgroup/tg/2"}, "only used with predefined_metric_type"),
        ({"scale_in_cooldown": -1}, "scale_in_cooldown -1"),
        ({"policy_name": ""}, "policy_name ''"),
    ],
)
def test_policy_validation_messages(overrides, message):
    assert any(message in problem for problem in policy_module.validate(policy_params(**overrides)))


def test_policy_validation_accepts_fractions_and_counts():
    assert policy_module.validate(policy_params()) == []
    lambda_policy = policy_params(
        service_namespace="lambda",
        resource_id="function:train:live",
        scalable_dimension="lambda:function:ProvisionedConcurrency",
        predefined_metric_type="LambdaProvisionedConcurrencyUtilization",
        target_value=0.7,
    )
    assert policy_module.validate(lambda_policy) == []
    alb = policy_params(
        predefined_metric_type="ALBRequestCountPerTarget",
        resource_label="app/mlflow/50dc6c495c0c9188/targetgroup/mlflow/943f017f100becff",
        target_value=500.0,
    )
    assert policy_module.validate(alb) == []


def test_percentage_metrics():
    assert api.is_percentage("ECSServiceAverageMemoryUtilization")
    assert api.is_percentage("ElastiCacheDatabaseMemoryUsagePercentage")
    assert not api.is_percentage("ALBRequestCountPerTarget")
    assert not api.is_percentage("SageMakerVariantInvocationsPerInstance")
    assert not api.is_percentage("LambdaProvisionedConcurrencyUtilization")


# ---------------------------------------------------------------- scalable target comparison
def test_matching_target_needs_no_call():
    # SuspendedState left out counts as all false; role_arn left out leaves the service-linked role alone.
    desired = api.desired_target(target_params(), CURRENT)
    assert desired == {"MinCapacity": 1, "MaxCapacity": 4}
    assert api.target_changes(desired, CURRENT) == {}
    unsuspended = api.desired_target(target_params(suspended_state={"dynamic_scaling_in_suspended": False}), CURRENT)
    assert api.target_changes(unsuspended, CURRENT) == {}


def test_only_differing_members_are_reported():
    desired = api.desired_target(target_params(max_capacity=8), CURRENT)
    assert api.target_changes(desired, CURRENT) == {"MaxCapacity": 8}
    role = "arn:aws:iam::123456789012:role/scaler"
    assert api.target_changes(api.desired_target(target_params(role_arn=role), CURRENT), CURRENT) == {"RoleARN": role}


def test_suspended_members_left_out_keep_their_values():
    current = dict(CURRENT, SuspendedState={"ScheduledScalingSuspended": True})
    desired = api.desired_target(target_params(suspended_state={"dynamic_scaling_in_suspended": True}), current)
    assert desired["SuspendedState"] == {
        "DynamicScalingInSuspended": True,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": True,
    }
    assert api.target_changes(desired, current) == {"SuspendedState": desired["SuspendedState"]}


def test_a_new_target_sends_everything():
    desired = api.desired_target(target_params(suspended_state={"scheduled_scaling_suspended": True}), None)
    assert api.target_changes(desired, None) == desired
    assert desired["SuspendedState"]["ScheduledScalingSuspended"] is True


def test_target_view_and_result_are_snake_case():
    assert api.target_view(CURRENT, {"a": "b"}) == {
        "min_capacity": 1,
        "max_capacity": 4,
        "role_arn": CURRENT["RoleARN"],
        "suspended_state": {
            "dynamic_scaling_in_suspended": False,
            "dynamic_scaling_out_suspended": False,
            "scheduled_scaling_suspended": False,
        },
        "tags": {"a": "b"},
    }
    result = api.target_result(CURRENT)
    assert result["scalable_target_arn"] == ARN and result["resource_id"] == RESOURCE and "tags" not in result


# ---------------------------------------------------------------- policy comparison
DESCRIBED_CONFIG = {
    "TargetValue": 60,
    "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"},
    "ScaleInCooldown": 300,
    "ScaleOutCooldown": 60,
}


def described(config, policy_type="TargetTrackingScaling"):
    return dict(KEY, PolicyName="cpu", PolicyType=policy_type, TargetTrackingScalingPolicyConfiguration=config)


def test_matching_policy_needs_no_call():
    # An integer target value and DisableScaleIn left out (false) are no difference.
    assert not api.policy_differs(api.desired_policy(policy_params()), described(DESCRIBED_CONFIG))


@pytest.mark.parametrize(
    ("overrides", "config"),
    [
        ({"target_value": 45.5}, DESCRIBED_CONFIG),
        ({"disable_scale_in": True}, DESCRIBED_CONFIG),
        ({}, {k: v for k, v in DESCRIBED_CONFIG.items() if k != "ScaleInCooldown"}),
        ({"predefined_metric_type": "ECSServiceAverageMemoryUtilization"}, DESCRIBED_CONFIG),
        ({}, dict(DESCRIBED_CONFIG, CustomizedMetricSpecification={"MetricName": "Requests"})),
    ],
)
def test_policy_differences(overrides, config):
    assert api.policy_differs(api.desired_policy(policy_params(**overrides)), described(config))


def test_missing_or_step_policy_differs():
    desired = api.desired_policy(policy_params())
    assert api.policy_differs(desired, None)
    assert api.policy_differs(desired, described(DESCRIBED_CONFIG, policy_type="StepScaling"))


def test_resource_label_is_compared():
    label = "app/mlflow/50dc6c495c0c9188/targetgroup/mlflow/943f017f100becff"
    params = policy_params(predefined_metric_type="ALBRequestCountPerTarget", resource_label=label, target_value=500.0)
    spec = {"PredefinedMetricType": "ALBRequestCountPerTarget", "ResourceLabel": label}
    config = dict(DESCRIBED_CONFIG, TargetValue=500.0, PredefinedMetricSpecification=spec)
    assert not api.policy_differs(api.desired_policy(params), described(config))
    other = dict(config, PredefinedMetricSpecification=dict(spec, ResourceLabel=label.replace("mlflow/9", "old/9")))
    assert api.policy_differs(api.desired_policy(params), described(other))


def test_policy_result_lists_alarms():
    policy = dict(
        described(DESCRIBED_CONFIG),
        PolicyARN="arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:1:resource/ecs/x:policyName/cpu",
        Alarms=[{"AlarmName": "TargetTracking-x-AlarmHigh-1", "AlarmARN": "arn:aws:cloudwatch:::alarm:h"}],
    )
    result = api.policy_result(policy)
    assert result["policy_arn"] == policy["PolicyARN"]
    assert result["alarms"] == [
        {"alarm_name": "TargetTracking-x-AlarmHigh-1", "alarm_arn": "arn:aws:cloudwatch:::alarm:h"}
    ]
    assert result["target_tracking_scaling_policy_configuration"]["target_value"] == 60


# ---------------------------------------------------------------- tags and calls of the target module
class Client:
    """Records the calls the target module makes; describes TARGET, whose tags are TAGS."""

    def __init__(self, target=None, tags=None):
        self.target, self.tags, self.calls = target, dict(tags or {}), []

    def describe_scalable_targets(self, **request):
        return {"ScalableTargets": [self.target] if self.target else []}

    def list_tags_for_resource(self, ResourceARN):
        self.calls.append("list_tags_for_resource")
        return {"Tags": dict(self.tags)}

    def register_scalable_target(self, **request):
        self.calls.append(("register_scalable_target", request))
        return {"ScalableTargetARN": ARN}

    def tag_resource(self, ResourceARN, Tags):
        self.calls.append(("tag_resource", Tags))

    def untag_resource(self, ResourceARN, TagKeys):
        self.calls.append(("untag_resource", TagKeys))


class Module:
    def __init__(self, params, check_mode=False):
        self.params, self.check_mode = params, check_mode


def run_present(client, params, check_mode=False):
    result = {"changed": False}
    target, tags = target_module.ensure_present(Module(params, check_mode), client, KEY, client.target, result)
    return result, target, tags


def test_tags_of_an_existing_target_use_the_tag_calls():
    client = Client(CURRENT, tags={"Application": "mlflow", "Old": "x"})
    result, _target, tags = run_present(client, target_params(tags={"Application": "mlflow", "Team": "ml"}))
    assert result["changed"] and tags == {"Application": "mlflow", "Team": "ml"}
    assert client.calls == ["list_tags_for_resource", ("untag_resource", ["Old"]), ("tag_resource", {"Team": "ml"})]
    assert result["diff"]["before"]["tags"] == {"Application": "mlflow", "Old": "x"}


def test_tags_are_not_read_unless_given():
    client = Client(CURRENT, tags={"Application": "mlflow"})
    result, _target, tags = run_present(client, target_params())
    assert not result["changed"] and tags is None and client.calls == []


def test_a_new_target_gets_its_tags_with_register():
    client = Client(None)
    result, target, tags = run_present(client, target_params(tags={"Application": "mlflow"}))
    assert result["changed"] and tags == {"Application": "mlflow"}
    assert client.calls == [
        ("register_scalable_target", dict(KEY, MinCapacity=1, MaxCapacity=4, Tags={"Application": "mlflow"}))
    ]
    assert target["ScalableTargetARN"] == ARN


def test_check_mode_changes_nothing():
    client = Client(CURRENT, tags={})
    result, target, _tags = run_present(client, target_params(max_capacity=9, tags={"a": "b"}), check_mode=True)
    assert result["changed"] and client.calls == ["list_tags_for_resource"]
    assert result["diff"]["after"]["max_capacity"] == 9 and result["diff"]["after"]["tags"] == {"a": "b"}
    assert target is CURRENT


# ---------------------------------------------------------------- waiting
def test_waiting_for_capacities_times_out_with_what_aws_shows():
    clock = iter(range(0, 10_000, 2))
    with pytest.raises(WaitError, match="show the requested capacities: still MinCapacity 1, MaxCapacity 4"):
        api.wait_for_target(
            Client(CURRENT),
            KEY,
            10,
            {"MinCapacity": 1, "MaxCapacity": 8},
            sleep=lambda _s: None,
            clock=lambda: next(clock),
        )


def test_waiting_for_a_deregistered_target_ends_when_it_is_gone():
    assert api.wait_for_target(Client(None), KEY, 10, None, sleep=lambda _s: pytest.fail("slept")) is None
