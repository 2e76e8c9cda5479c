#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: application_autoscaling_target_tracking_policy
short_description: Manage Application Auto Scaling target tracking policies
version_added: 0.1.0
description:
  - Creates, updates and deletes a target tracking scaling policy, which keeps a predefined metric of a scalable
    target (the average CPU of an ECS service, requests per target of its load balancer ...) near
    O(target_value) by scaling the target within its capacity range.
  - The scalable target must exist; register it first with M(mlops.mlflow_aws.application_autoscaling_target).
    Deregistering the target deletes its policies.
  - C(PutScalingPolicy) is only called when the configuration differs from what C(DescribeScalingPolicies)
    reports (AWS leaving out C(DisableScaleIn=false) or an unset resource label counts as no difference).
  - AWS creates and deletes the CloudWatch alarms of the policy (C(TargetTracking-<resource>-AlarmHigh-...) and
    C(...-AlarmLow-...)) itself; they are returned in RV(alarms) and must not be edited.
  - Step scaling, predictive scaling and customized metrics are not managed by this module.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  policy_name:
    description: Name of the policy (unique per scalable target, 1 to 256 printable characters).
    type: str
    required: true
  service_namespace:
    description: The AWS service of the scalable target.
    type: str
    required: true
    choices:
      - appstream
      - cassandra
      - comprehend
      - custom-resource
      - dynamodb
      - ec2
      - ecs
      - elasticache
      - elasticmapreduce
      - kafka
      - lambda
      - neptune
      - rds
      - sagemaker
      - workspaces
  resource_id:
    description: The resource of the scalable target, for example C(service/<cluster name>/<service name>).
    type: str
    required: true
  scalable_dimension:
    description:
      - The scalable dimension of the target, for example C(ecs:service:DesiredCount); its first part must be
        O(service_namespace) (except for C(custom-resource)).
    type: str
    required: true
  state:
    description: Whether the policy exists.
    type: str
    choices: [present, absent]
    default: present
  predefined_metric_type:
    description:
      - The metric the policy tracks (the values of botocore's C(MetricType)). Required with O(state=present).
    type: str
    choices:
      - ALBRequestCountPerTarget
      - AppStreamAverageCapacityUtilization
      - CassandraReadCapacityUtilization
      - CassandraWriteCapacityUtilization
      - ComprehendInferenceUtilization
      - DynamoDBReadCapacityUtilization
      - DynamoDBWriteCapacityUtilization
      - EC2SpotFleetRequestAverageCPUUtilization
      - EC2SpotFleetRequestAverageNetworkIn
      - EC2SpotFleetRequestAverageNetworkOut
      - ECSServiceAverageCPUUtilization
      - ECSServiceAverageCPUUtilizationHighResolution
      - ECSServiceAverageMemoryUtilization
      - ECSServiceAverageMemoryUtilizationHighResolution
      - ElastiCacheDatabaseCapacityUsageCountedForEvictPercentage
      - ElastiCacheDatabaseMemoryUsageCountedForEvictPercentage
      - ElastiCacheDatabaseMemoryUsagePercentage
      - ElastiCacheEngineCPUUtilization
      - ElastiCachePrimaryEngineCPUUtilization
      - ElastiCacheReplicaEngineCPUUtilization
      - KafkaBrokerStorageUtilization
      - LambdaProvisionedConcurrencyUtilization
      - NeptuneReaderAverageCPUUtilization
      - RDSReaderAverageCPUUtilization
      - RDSReaderAverageDatabaseConnections
      - SageMakerInferenceComponentConcurrentRequestsPerCopyHighResolution
      - SageMakerInferenceComponentInvocationsPerCopy
      - SageMakerVariantConcurrentRequestsPerModelHighResolution
      - SageMakerVariantInvocationsPerInstance
      - SageMakerVariantProvisionedConcurrencyUtilization
      - WorkSpacesAverageUserSessionsCapacityUtilization
  target_value:
    description:
      - The value of the metric the policy keeps the target near. Required with O(state=present); greater than 0.
      - For percentage metrics (C(*Utilization), C(*Percentage)) it must be between 1 and 100; the provisioned
        concurrency utilisation of Lambda and SageMaker is a fraction instead (C(0.7)).
    type: float
  resource_label:
    description:
      - The load balancer target group whose requests are counted, as
        C(app/<load balancer name>/<id>/targetgroup/<target group name>/<id>).
      - Required with O(predefined_metric_type=ALBRequestCountPerTarget), and only allowed with it.
    type: str
  scale_in_cooldown:
    description:
      - Seconds after a scale-in before the policy scales in again.
      - The module always sends both cooldowns, so these defaults apply rather than the service's own.
    type: int
    default: 300
  scale_out_cooldown:
    description: Seconds after a scale-out before the policy scales out again.
    type: int
    default: 60
  disable_scale_in:
    description: Whether the policy only scales out (something else scales in).
    type: bool
    default: false
  wait:
    description:
      - Wait until C(DescribeScalingPolicies) reports the policy as requested (or, with O(state=absent), no
        longer reports it); the API is eventually consistent.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 120
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Scaling policies cannot carry tags in AWS, so this module has no C(tags) option; tag the scalable target
    (M(mlops.mlflow_aws.application_autoscaling_target)).
  - In check mode a missing scalable target is reported with a warning (a check run cannot have registered it);
    otherwise the module fails and says to create the target first.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: Keep the MLflow service's average CPU near 60 %
  mlops.mlflow_aws.application_autoscaling_target_tracking_policy:
    policy_name: mlflow-cpu
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    predefined_metric_type: ECSServiceAverageCPUUtilization
    target_value: 60
    scale_in_cooldown: 600
  register: cpu_policy

- name: 500 requests per task through the load balancer
  mlops.mlflow_aws.application_autoscaling_target_tracking_policy:
    policy_name: mlflow-requests
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    predefined_metric_type: ALBRequestCountPerTarget
    resource_label: app/mlflow/50dc6c495c0c9188/targetgroup/mlflow/943f017f100becff
    target_value: 500

- name: Delete the CPU policy
  mlops.mlflow_aws.application_autoscaling_target_tracking_policy:
    policy_name: mlflow-cpu
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    state: absent
"""

RETURN = r"""
policy_arn:
  description: ARN of the policy.
  returned: when state is present and the policy exists (not for a policy check mode would create)
  type: str
  sample: >-
    arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:6d8972f3-8b7a-4c55-9f1e-0a1b2c3d4e5f:resource/ecs/service/mlflow/mlflow-server:policyName/mlflow-cpu
alarms:
  description: The CloudWatch alarms AWS created for the policy.
  returned: when state is present and the policy exists (not for a policy check mode would create)
  type: list
  elements: dict
  contains:
    alarm_name:
      description: Name of the alarm.
      type: str
      sample: TargetTracking-service/mlflow/mlflow-server-AlarmHigh-5e2b1a7c-0f7e-4c1b-9d1e-2f3a4b5c6d7e
    alarm_arn:
      description: ARN of the alarm.
      type: str
policy:
  description: The policy as C(DescribeScalingPolicies) reports it, in snake_case.
  returned: when state is present and the policy exists (not for a policy check mode would create)
  type: dict
  contains:
    policy_name:
      description: Name of the policy.
      type: str
    policy_type:
      description: C(TargetTrackingScaling).
      type: str
    target_tracking_scaling_policy_configuration:
      description: Target value, metric, cooldowns and C(disable_scale_in).
      type: dict
      sample:
        target_value: 60.0
        predefined_metric_specification: {predefined_metric_type: ECSServiceAverageCPUUtilization}
        scale_in_cooldown: 300
        scale_out_cooldown: 60
        disable_scale_in: false
    alarms:
      description: As RV(alarms).
      type: list
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import application_autoscaling as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def validate(params):
    """Every problem with the options, before any AWS call."""
    problems = api.dimension_problems(params["service_namespace"], params["scalable_dimension"], params["resource_id"])
    name = params["policy_name"]
    if not (1 <= len(name) <= 256 and name.isprintable()):
        problems.append(f"policy_name {name!r}: 1 to 256 printable characters")
    if params["state"] == "absent":
        return problems
    metric, value, label = params["predefined_metric_type"], params["target_value"], params["resource_label"]
    if value <= 0:
        problems.append(f"target_value {value}: must be greater than 0")
    elif api.is_percentage(metric) and not 1 <= value <= 100:
        problems.append(f"target_value {value}: {metric} is a percentage, give 1 to 100")
    if metric == api.ALB_METRIC:
        if not label:
            problems.append(f"resource_label is required with predefined_metric_type {api.ALB_METRIC}")
        elif not (label.startswith("app/") and "/targetgroup/" in label):
            problems.append(
                f"resource_label {label!r}: expected app/<load balancer>/<id>/targetgroup/<target group>/<id>"
            )
    elif label:
        problems.append(f"resource_label is only used with predefined_metric_type {api.ALB_METRIC}, not {metric}")
    problems.extend(
        f"{option} {params[option]}: must be 0 or more seconds"
        for option in ("scale_in_cooldown", "scale_out_cooldown")
        if params[option] < 0
    )
    return problems


def missing_target(params):
    return (
        f"scalable target {api.describe_name(params)} does not exist: create it first "
        "(mlops.mlflow_aws.application_autoscaling_target), then the policy"
    )


def ensure_absent(module, client, key, current, result):
    params = module.params
    if current is None:
        module.exit_json(**result)
    result["changed"] = True
    result["diff"] = dict(before=api.current_policy_view(current), after={})
    if not module.check_mode:
        api.delete_policy(client, params["policy_name"], key)
        if params["wait"]:
            api.wait_for_policy(client, params["policy_name"], key, params["wait_timeout"], None)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


def ensure_present(module, client, key, current, result):
    """Create or update the policy; returns it (None when check mode would create it)."""
    params = module.params
    config = api.desired_policy(params)
    if not api.policy_differs(config, current):
        return current
    result["changed"] = True
    result["diff"] = dict(
        before=api.current_policy_view(current), after=api.policy_view("TargetTrackingScaling", config)
    )
    if current is None and api.describe_target(client, key) is None:
        if not module.check_mode:
            module.fail_json(msg=missing_target(params))
        module.warn(missing_target(params) + " (in check mode an earlier task may only have said it would register it)")
    if module.check_mode:
        return current
    request = dict(
        key,
        PolicyName=params["policy_name"],
        PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration=config,
    )
    try:
        put = api.put_policy(client, request)
    except is_boto3_error_code("ObjectNotFoundException"):
        module.fail_json(msg=missing_target(params))
    if params["wait"]:
        policy = api.wait_for_policy(client, params["policy_name"], key, params["wait_timeout"], config)
    else:
        policy = dict(request)
    # PutScalingPolicy answers with the alarms it made; they are the ones to report.
    policy.update(put)
    return policy


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            policy_name=dict(type="str", required=True),
            service_namespace=dict(type="str", required=True, choices=list(api.SERVICE_NAMESPACES)),
            resource_id=dict(type="str", required=True),
            scalable_dimension=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            predefined_metric_type=dict(type="str", choices=list(api.PREDEFINED_METRIC_TYPES)),
            target_value=dict(type="float"),
            resource_label=dict(type="str"),
            scale_in_cooldown=dict(type="int", default=300),
            scale_out_cooldown=dict(type="int", default=60),
            disable_scale_in=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=120),
        ),
        required_if=[("state", "present", ["predefined_metric_type", "target_value"])],
        supports_check_mode=True,
    )
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg="Invalid target tracking policy options: " + "; ".join(problems), problems=problems)
    client = module.client("application-autoscaling")
    key = api.target_key(params)
    result = dict(changed=False)
    try:
        current = api.describe_policy(client, params["policy_name"], key)
        if params["state"] == "absent":
            ensure_absent(module, client, key, current, result)
        policy = ensure_present(module, client, key, current, result)
    except WaitError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(
            exc, msg=f"Could not manage scaling policy {params['policy_name']} of {api.describe_name(params)}"
        )
    if policy is not None:
        snake = api.policy_result(policy)
        result.update(policy=snake, policy_arn=snake["policy_arn"], alarms=snake["alarms"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
