#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: application_autoscaling_target
short_description: Manage Application Auto Scaling scalable targets
version_added: 0.1.0
description:
  - Registers, updates and deregisters an Application Auto Scaling scalable target, the capacity range
    (O(min_capacity) to O(max_capacity)) within which scaling policies, such as
    M(mlops.mlflow_aws.application_autoscaling_target_tracking_policy), may scale a resource (the desired
    count of an ECS service, the instances of a SageMaker variant, a DynamoDB table's capacity ...).
  - C(RegisterScalableTarget) is only called when the capacities, O(role_arn) or O(suspended_state) differ
    from what C(DescribeScalableTargets) reports.
  - O(state=absent) deregisters the target. AWS deletes its scaling policies and scheduled actions with it
    (and the CloudWatch alarms of its target tracking policies).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  service_namespace:
    description: The AWS service of the resource (the values of botocore's C(ServiceNamespace)).
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
    description:
      - The resource, in the form the service uses, for example C(service/<cluster name>/<service name>) for an
        ECS service, C(table/<table name>) for a DynamoDB table, C(endpoint/<endpoint>/variant/<variant>) for a
        SageMaker variant.
      - For O(service_namespace=ecs) the form is checked before any AWS call.
    type: str
    required: true
  scalable_dimension:
    description:
      - What is scaled, as C(<namespace>:<resource type>:<property>), for example C(ecs:service:DesiredCount).
      - Its first part must be O(service_namespace) (except for O(service_namespace=custom-resource), whose
        dimension is C(custom-resource:ResourceType:Property)).
    type: str
    required: true
  state:
    description: Whether the target is registered.
    type: str
    choices: [present, absent]
    default: present
  min_capacity:
    description: Capacity the resource is never scaled below. Required with O(state=present).
    type: int
  max_capacity:
    description: Capacity the resource is never scaled above; at least O(min_capacity). Required with O(state=present).
    type: int
  role_arn:
    description:
      - IAM role Application Auto Scaling scales the resource with.
      - Leave it out to use the service-linked role AWS creates for the service (ECS, DynamoDB, SageMaker and most
        others); it is needed for services without one (Amazon EMR). Left out for an existing target, the target keeps
        its role.
    type: str
  suspended_state:
    description:
      - Suspends scaling activities of the target. Members left out keep their current values (C(false) for a new
        target); the option left out leaves the whole state alone.
    type: dict
    suboptions:
      dynamic_scaling_in_suspended:
        description: Whether scaling policies may not scale in.
        type: bool
      dynamic_scaling_out_suspended:
        description: Whether scaling policies may not scale out.
        type: bool
      scheduled_scaling_suspended:
        description: Whether scheduled actions are suspended.
        type: bool
  wait:
    description:
      - Wait until C(DescribeScalableTargets) shows the target with the requested capacities and suspended state
        (or, with O(state=absent), no longer shows it). The API is eventually consistent, so a policy put right
        after registering may otherwise not find the target.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 120
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - A new target gets O(tags) with C(RegisterScalableTarget); the tags of an existing one are read and changed with
    C(ListTagsForResource), C(TagResource) and C(UntagResource) on its ARN, and only when O(tags) is given.
  - Supports check mode and diff mode.
"""

EXAMPLES = r"""
- name: The MLflow ECS service runs two to six tasks
  mlops.mlflow_aws.application_autoscaling_target:
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    min_capacity: 2
    max_capacity: 6
    tags:
      Application: mlflow
  register: scaling_target

- name: Scale on CPU
  mlops.mlflow_aws.application_autoscaling_target_tracking_policy:
    policy_name: mlflow-cpu
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    predefined_metric_type: ECSServiceAverageCPUUtilization
    target_value: 60

- name: Pause scaling in during a migration
  mlops.mlflow_aws.application_autoscaling_target:
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    min_capacity: 2
    max_capacity: 6
    suspended_state:
      dynamic_scaling_in_suspended: true

- name: Deregister it (its scaling policies go with it)
  mlops.mlflow_aws.application_autoscaling_target:
    service_namespace: ecs
    resource_id: service/mlflow/mlflow-server
    scalable_dimension: ecs:service:DesiredCount
    state: absent
"""

RETURN = r"""
scalable_target_arn:
  description: ARN of the scalable target.
  returned: when state is present and the target exists (not for a target check mode would register)
  type: str
  sample: arn:aws:application-autoscaling:eu-west-1:123456789012:scalable-target/0e8f1d2c3b4a59687766554433221100abcd
scalable_target:
  description: The target as C(DescribeScalableTargets) reports it, in snake_case.
  returned: when state is present and the target exists (not for a target check mode would register)
  type: dict
  contains:
    service_namespace:
      description: The AWS service.
      type: str
      sample: ecs
    resource_id:
      description: The resource.
      type: str
      sample: service/mlflow/mlflow-server
    scalable_dimension:
      description: What is scaled.
      type: str
      sample: ecs:service:DesiredCount
    min_capacity:
      description: Lowest capacity.
      type: int
      sample: 2
    max_capacity:
      description: Highest capacity.
      type: int
      sample: 6
    role_arn:
      description: Role Application Auto Scaling uses (the service-linked role unless one was given).
      type: str
    suspended_state:
      description: Which scaling activities are suspended (every member, C(false) when AWS leaves it out).
      type: dict
      sample: {dynamic_scaling_in_suspended: false, dynamic_scaling_out_suspended: false,
               scheduled_scaling_suspended: false}
    scalable_target_arn:
      description: ARN of the target.
      type: str
    creation_time:
      description: When the target was registered.
      type: str
    tags:
      description: Tags of the target.
      type: dict
      returned: when O(tags) is given or the run registered the target
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import application_autoscaling as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def validate(params):
    """Every problem with the options, before any AWS call."""
    problems = api.dimension_problems(params["service_namespace"], params["scalable_dimension"], params["resource_id"])
    if params["state"] == "absent":
        return problems
    low, high = params["min_capacity"], params["max_capacity"]
    problems.extend(
        f"{option} {params[option]}: must be 0 or more"
        for option in ("min_capacity", "max_capacity")
        if params[option] < 0
    )
    if low > high:
        problems.append(f"min_capacity {low} is greater than max_capacity {high}")
    if params["role_arn"] and not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", params["role_arn"]):
        problems.append(f"role_arn: {params['role_arn']!r} is not an IAM role ARN")
    return problems


def ensure_absent(module, client, key, current, result):
    if current is None:
        module.exit_json(**result)
    result["changed"] = True
    result["diff"] = dict(before=api.target_view(current), after={})
    if not module.check_mode:
        api.deregister_target(client, key)
        if module.params["wait"]:
            api.wait_for_target(client, key, module.params["wait_timeout"], None)
    if not module._diff:
        result.pop("diff")
    module.exit_json(**result)


def ensure_present(module, client, key, current, result):
    """Register or update the target; returns it (None when check mode would register it) and its tags."""
    params = module.params
    desired = api.desired_target(params, current)
    changes = api.target_changes(desired, current)
    arn = current["ScalableTargetARN"] if current else None
    # A new target's tags go with RegisterScalableTarget; an existing target's are only read when managed.
    tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"])
    known = params["tags"] is not None or current is None
    if changes or (current is not None and tag_change.changed):
        result["changed"] = True
        result["diff"] = dict(
            before=api.target_view(current, tag_change.before if known and current else None),
            after=api.target_view(dict(current or {}, **desired), tag_change.after if known else None),
        )
    if module.check_mode or not result["changed"]:
        return current, tag_change.after if known else None
    if changes:
        request = dict(key, **desired)
        if current is None and params["tags"]:
            request["Tags"] = dict(params["tags"])
        arn = api.register_target(client, request)
    if current is not None:
        apply_tags(client, api.TAGS, arn, tag_change)
    if params["wait"]:
        target = api.wait_for_target(client, key, params["wait_timeout"], desired)
    else:
        target = dict(current or {}, **key, **desired, ScalableTargetARN=arn)
    return target, tag_change.after if known else None


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            service_namespace=dict(type="str", required=True, choices=list(api.SERVICE_NAMESPACES)),
            resource_id=dict(type="str", required=True),
            scalable_dimension=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            min_capacity=dict(type="int"),
            max_capacity=dict(type="int"),
            role_arn=dict(type="str"),
            suspended_state=dict(
                type="dict",
                options=dict(
                    dynamic_scaling_in_suspended=dict(type="bool"),
                    dynamic_scaling_out_suspended=dict(type="bool"),
                    scheduled_scaling_suspended=dict(type="bool"),
                ),
            ),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=120),
        ),
        required_if=[("state", "present", ["min_capacity", "max_capacity"])],
        supports_check_mode=True,
    )
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg="Invalid scalable target options: " + "; ".join(problems), problems=problems)
    client = module.client("application-autoscaling")
    key = api.target_key(params)
    result = dict(changed=False)
    try:
        current = api.describe_target(client, key)
        if params["state"] == "absent":
            ensure_absent(module, client, key, current, result)
        target, tags = ensure_present(module, client, key, current, result)
    except WaitError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage scalable target {api.describe_name(params)}")
    if target is not None:
        result.update(scalable_target=api.target_result(target, tags), scalable_target_arn=target["ScalableTargetARN"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
