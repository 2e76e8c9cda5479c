#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_auto_scaling_configuration
short_description: Manage AWS App Runner auto scaling configurations
version_added: 0.1.0
description:
  - App Runner auto scaling configurations are immutable and versioned by revision. This module compares
    the options with the latest active revision of the named configuration. When they match nothing is
    done; when they differ it creates a new revision. Older revisions no service uses are then deleted,
    so repeated changes do not run into the quota of five revisions.
  - O(state=absent) deletes every revision of the name. It fails if a service still uses one.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the configuration (4 to 32 letters, digits, V(-) or V(_)).
    type: str
    required: true
  state:
    description: Whether the configuration exists.
    type: str
    choices: [present, absent]
    default: present
  min_size:
    description: Instances App Runner keeps provisioned (1-25).
    type: int
    default: 1
  max_size:
    description: Most instances App Runner scales out to (1-25).
    type: int
    default: 25
  max_concurrency:
    description: Concurrent requests one instance takes before App Runner scales out (1-200).
    type: int
    default: 100
  wait:
    description: Wait until the revision is active (or, for O(state=absent), inactive).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - Tags are set on the revision the module creates, and compared with the latest revision's.
"""

EXAMPLES = r"""
- name: Two to six instances of at most 50 concurrent requests each
  mlops.mlflow_aws.apprunner_auto_scaling_configuration:
    name: mlflow
    min_size: 2
    max_size: 6
    max_concurrency: 50
  register: scaling

- name: Use it
  mlops.mlflow_aws.apprunner_service:
    name: mlflow
    auto_scaling_configuration_arn: "{{ scaling.auto_scaling_configuration_arn }}"
"""

RETURN = r"""
auto_scaling_configuration_arn:
  description: ARN of the latest active revision.
  returned: when state is present
  type: str
  sample: arn:aws:apprunner:eu-west-1:123456789012:autoscalingconfiguration/mlflow/3/0f2c0f7e6b1a4a4f9d6b7f6a0f9c1e2d
revision:
  description: Its revision number.
  returned: when state is present
  type: int
  sample: 3
deleted_revisions:
  description: ARNs of the revisions the run deleted.
  returned: always
  type: list
  elements: str
auto_scaling_configuration:
  description: The latest active revision, in snake_case, with its tags.
  returned: when state is present
  type: dict
  contains:
    min_size:
      description: Minimum instances.
      type: int
    max_size:
      description: Maximum instances.
      type: int
    max_concurrency:
      description: Concurrent requests per instance.
      type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apprunner_results import to_snake
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, boto3_tags, plan_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

_KEYS = (("min_size", "MinSize"), ("max_size", "MaxSize"), ("max_concurrency", "MaxConcurrency"))


def validate(params):
    problems = []
    name = params["name"]
    if not (4 <= len(name) <= 32 and name[0].isalnum() and all(c.isalnum() or c in "-_" for c in name)):
        problems.append(f"name {name!r}: 4-32 letters, digits, '-' or '_', starting with a letter or digit")
    if name == "DefaultConfiguration":
        problems.append("name: DefaultConfiguration is App Runner's own and cannot be managed")
    for option, low, high in (("min_size", 1, 25), ("max_size", 1, 25), ("max_concurrency", 1, 200)):
        if not low <= params[option] <= high:
            problems.append(f"{option} {params[option]}: must be between {low} and {high}")
    if params["min_size"] > params["max_size"]:
        problems.append(f"min_size {params['min_size']} is greater than max_size {params['max_size']}")
    return problems


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            min_size=dict(type="int", default=1),
            max_size=dict(type="int", default=25),
            max_concurrency=dict(type="int", default=100),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = validate(params) if params["state"] == "present" else []
    if problems:
        module.fail_json(msg="Invalid auto scaling configuration options: " + "; ".join(problems), problems=problems)
    client = module.client("apprunner")
    result = dict(changed=False, deleted_revisions=[])
    try:
        revisions = api.list_auto_scaling_configurations(client, params["name"])
        latest = max(revisions, key=lambda r: r["AutoScalingConfigurationRevision"], default=None)
        if params["state"] == "absent":
            if latest:
                result.update(changed=True, deleted_revisions=[r["AutoScalingConfigurationArn"] for r in revisions])
                result["diff"] = dict(before={"revisions": result["deleted_revisions"]}, after={})
                if not module.check_mode:
                    api.delete_auto_scaling_configuration(
                        client, latest["AutoScalingConfigurationArn"], all_revisions=True
                    )
                    if params["wait"]:
                        api.wait_for_auto_scaling_configuration(
                            client, latest["AutoScalingConfigurationArn"], "INACTIVE", params["wait_timeout"]
                        )
            module.exit_json(**result)

        desired = {api_key: params[option] for option, api_key in _KEYS}
        current = (
            api.describe_auto_scaling_configuration(client, latest["AutoScalingConfigurationArn"]) if latest else None
        )
        current_values = {k: current[k] for k in desired} if current else {}
        arn = current["AutoScalingConfigurationArn"] if current else None
        tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"])
        current_tags = tag_change.before
        result["diff"] = dict(
            before=dict(current_values, tags=current_tags), after=dict(desired, tags=params["tags"] or current_tags)
        )
        config, tags = current, current_tags
        if current_values != desired:
            result["changed"] = True
            if module.check_mode:
                module.exit_json(**result)
            request = dict(AutoScalingConfigurationName=params["name"], **desired)
            new_tags = (
                params["tags"]
                if params["tags"] is not None
                else api.get_tags(client, current["AutoScalingConfigurationArn"])
                if current
                else {}
            )
            if new_tags:
                request["Tags"] = boto3_tags(new_tags)
            config, tags = api.create_auto_scaling_configuration(client, request), new_tags
            if params["wait"]:
                config = api.wait_for_auto_scaling_configuration(
                    client, config["AutoScalingConfigurationArn"], "ACTIVE", params["wait_timeout"]
                )
            for old in revisions:
                if not old.get("HasAssociatedService"):
                    api.delete_auto_scaling_configuration(client, old["AutoScalingConfigurationArn"])
                    result["deleted_revisions"].append(old["AutoScalingConfigurationArn"])
        elif tag_change.changed:
            # Only the tags differ: the revision keeps its ARN.
            result["changed"] = True
            result["diff"]["after"]["tags"] = tag_change.after
            if not module.check_mode:
                apply_tags(client, api.TAGS, arn, tag_change)
            tags = tag_change.after
    except WaitError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage auto scaling configuration {params['name']}")
    snake = to_snake(config)
    snake["tags"] = tags
    result.update(
        auto_scaling_configuration=snake,
        auto_scaling_configuration_arn=config["AutoScalingConfigurationArn"],
        revision=config["AutoScalingConfigurationRevision"],
    )
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
