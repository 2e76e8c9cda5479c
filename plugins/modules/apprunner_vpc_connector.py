#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_vpc_connector
short_description: Manage AWS App Runner VPC connectors
version_added: 0.1.0
description:
  - A VPC connector lets an App Runner service reach private resources in a VPC (such as an RDS database
    that is not publicly accessible).
  - Subnets and security groups of a connector cannot be changed. When they differ from the latest active
    revision, the module replaces the connector; it creates a new revision and says so in the diff
    (C(replaced)). It then deletes the old revision unless a service still uses it (a warning says so).
    Point the service at the new ARN and the next run deletes the old revision.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the connector (4 to 40 letters, digits, V(-) or V(_)).
    type: str
    required: true
  state:
    description: Whether the connector exists.
    type: str
    choices: [present, absent]
    default: present
  subnets:
    description: IDs of the subnets (private ones, in several Availability Zones) the connector uses.
    type: list
    elements: str
  security_groups:
    description: IDs of the security groups of the connector's network interfaces; allow these in the database's group.
    type: list
    elements: str
    default: []
  wait:
    description: Wait until the connector is active (or, for O(state=absent), inactive).
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
"""

EXAMPLES = r"""
- name: Connector into the private subnets
  mlops.mlflow_aws.apprunner_vpc_connector:
    name: mlflow
    subnets: "{{ aws_network_resources.private_subnet_ids }}"
    security_groups: ["{{ connector_sg.group_id }}"]
  register: connector
"""

RETURN = r"""
vpc_connector_arn:
  description: ARN of the connector revision in use.
  returned: when state is present
  type: str
  sample: arn:aws:apprunner:eu-west-1:123456789012:vpcconnector/mlflow/1/5f7a6a1b0c9d4e2f8a3b4c5d6e7f8091
replaced:
  description: Whether the run created a new revision because subnets or security groups changed.
  returned: always
  type: bool
vpc_connector:
  description: The connector, in snake_case, with its tags.
  returned: when state is present
  type: dict
  contains:
    subnets:
      description: Subnet IDs.
      type: list
    security_groups:
      description: Security group IDs.
      type: list
    vpc_connector_revision:
      description: Revision number.
      type: int
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apprunner_results import to_snake
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, boto3_tags, plan_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def validate(params):
    problems = []
    name = params["name"]
    if not (4 <= len(name) <= 40 and name[0].isalnum() and all(c.isalnum() or c in "-_" for c in name)):
        problems.append(f"name {name!r}: 4-40 letters, digits, '-' or '_', starting with a letter or digit")
    if not params["subnets"]:
        problems.append("subnets: at least one subnet ID is required")
    for subnet in params["subnets"] or []:
        if not str(subnet).startswith("subnet-"):
            problems.append(f"subnets: {subnet!r} is not a subnet ID (subnet-...)")
    for group in params["security_groups"]:
        if not str(group).startswith("sg-"):
            problems.append(f"security_groups: {group!r} is not a security group ID (sg-...)")
    return problems


def delete_revision(module, client, arn, result):
    try:
        api.delete_vpc_connector(client, arn)
        result["deleted_revisions"].append(arn)
    except is_boto3_error_code("InvalidRequestException") as exc:
        module.warn(f"kept VPC connector revision {arn}: {exc.response['Error'].get('Message', exc)}")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            subnets=dict(type="list", elements="str"),
            security_groups=dict(type="list", elements="str", default=[]),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        required_if=[("state", "present", ["subnets"])],
        supports_check_mode=True,
    )
    params = module.params
    problems = validate(params) if params["state"] == "present" else []
    if problems:
        module.fail_json(msg="Invalid VPC connector options: " + "; ".join(problems), problems=problems)
    client = module.client("apprunner")
    result = dict(changed=False, replaced=False, deleted_revisions=[])
    try:
        revisions = sorted(api.list_vpc_connectors(client, params["name"]), key=lambda c: c["VpcConnectorRevision"])
        revisions = [c for c in revisions if c["Status"] == "ACTIVE"]
        latest = revisions[-1] if revisions else None
        if params["state"] == "absent":
            if revisions:
                result["changed"] = True
                result["diff"] = dict(before=to_snake(latest), after={})
                if not module.check_mode:
                    for connector in revisions:
                        api.delete_vpc_connector(client, connector["VpcConnectorArn"])
                        result["deleted_revisions"].append(connector["VpcConnectorArn"])
            module.exit_json(**result)

        desired = {"Subnets": sorted(params["subnets"]), "SecurityGroups": sorted(params["security_groups"])}
        current = (
            {"Subnets": sorted(latest["Subnets"]), "SecurityGroups": sorted(latest["SecurityGroups"])} if latest else {}
        )
        arn = latest["VpcConnectorArn"] if latest else None
        tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"])
        current_tags = tag_change.before
        connector, tags = latest, current_tags
        if current != desired:
            result.update(changed=True, replaced=bool(latest))
            result["diff"] = dict(
                before=dict(current, tags=current_tags),
                after=dict(desired, tags=params["tags"] or current_tags, replaced=bool(latest)),
            )
            if module.check_mode:
                module.exit_json(**result)
            tags = (
                params["tags"]
                if params["tags"] is not None
                else (api.get_tags(client, latest["VpcConnectorArn"]) if latest else {})
            )
            request = dict(VpcConnectorName=params["name"], **desired)
            if tags:
                request["Tags"] = boto3_tags(tags)
            connector = api.create_vpc_connector(client, request)
            for old in revisions:
                delete_revision(module, client, old["VpcConnectorArn"], result)
        elif tag_change.changed:
            # Only the tags differ: the revision stays.
            result["changed"] = True
            result["diff"] = dict(before=dict(current, tags=current_tags), after=dict(current, tags=tag_change.after))
            if not module.check_mode:
                apply_tags(client, api.TAGS, arn, tag_change)
            tags = tag_change.after
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage VPC connector {params['name']}")
    snake = to_snake(connector)
    snake["tags"] = tags
    result.update(vpc_connector=snake, vpc_connector_arn=connector["VpcConnectorArn"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
