#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_vpc_link
short_description: Manage Amazon API Gateway VPC links for HTTP APIs
version_added: 0.1.0
description:
  - Creates and deletes an API Gateway v2 VPC link, found by its name, through which the private
    integrations of HTTP APIs reach an internal load balancer (or a Cloud Map service) in a VPC.
  - VPC link names are not unique in AWS; the module refuses to act when more than one link has the name.
  - AWS cannot change the subnets or security groups of a VPC link. When they differ, the module fails
    and explains, rather than replacing the link. A new link has a new ID every integration must be
    pointed at, and AWS refuses to delete a link integrations still use. Create a link under a new name,
    point the integrations at it, then delete the old one (O(state=absent)).
  - A new link is C(PENDING) for a few minutes; with O(wait) the module waits until it is C(AVAILABLE), and
    fails with the link's status message when it becomes C(FAILED). A link unused for 60 days becomes
    C(INACTIVE) and wakes up when used; the module treats it as settled.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the VPC link (1 to 128 letters, digits, V(.), V(_) or V(-)).
    type: str
    required: true
  state:
    description: Whether the VPC link exists.
    type: str
    choices: [present, absent]
    default: present
  subnet_ids:
    description:
      - Subnets the link's network interfaces live in (private subnets, ideally one per Availability Zone
        the load balancer uses). Required to create a link.
    type: list
    elements: str
  security_group_ids:
    description:
      - Security groups of the link's network interfaces; admit this group on the load balancer's listener.
      - Not given, a new link has none and an existing one keeps its groups.
    type: list
    elements: str
  wait:
    description: Wait until the link is C(AVAILABLE) (or, with O(state=absent), deleted).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: VPC link into the private subnets
  mlops.mlflow_aws.apigatewayv2_vpc_link:
    name: mlflow
    subnet_ids: "{{ aws_network_resources.private_subnet_ids }}"
    security_group_ids: ["{{ vpc_link_sg.group_id }}"]
    tags:
      Application: mlflow
  register: vpc_link

- name: Delete it (after the integrations that use it)
  mlops.mlflow_aws.apigatewayv2_vpc_link:
    name: mlflow
    state: absent
"""

RETURN = r"""
vpc_link_id:
  description: ID of the VPC link (an integration's C(connection_id)).
  returned: when state is present and the link exists
  type: str
  sample: abc123
vpc_link:
  description: The VPC link as API Gateway describes it, in snake_case, with its tags.
  returned: when state is present (in check mode, only for an existing link)
  type: dict
  contains:
    vpc_link_id:
      description: ID of the link.
      type: str
    name:
      description: Name of the link.
      type: str
    subnet_ids:
      description: Subnet IDs.
      type: list
    security_group_ids:
      description: Security group IDs.
      type: list
    vpc_link_status:
      description: C(PENDING), C(AVAILABLE), C(DELETING), C(FAILED) or C(INACTIVE).
      type: str
    vpc_link_status_message:
      description: Why the link has its status (the reason of a C(FAILED) link).
      type: str
    tags:
      description: Tags of the link.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_params as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def find(module, client):
    name = module.params["name"]
    found = [link for link in api.vpc_links_named(client, name) if link.get("VpcLinkStatus") != "DELETING"]
    if len(found) > 1:
        ids = sorted(link["VpcLinkId"] for link in found)
        module.fail_json(
            msg=f"{len(found)} VPC links are named {name!r} ({', '.join(ids)}); the module manages a link by its "
            "name. Delete or rename all but one.",
            vpc_link_ids=ids,
        )
    return found[0] if found else None


def ensure_absent(module, client, current, result):
    if current is None:
        return
    result["changed"] = True
    result["diff"] = dict(before=dict(rules.vpc_link_view(current), tags=current.get("Tags") or {}), after={})
    if module.check_mode:
        return
    api.delete_vpc_link(client, current["VpcLinkId"])
    if module.params["wait"]:
        api.wait_for_vpc_link(client, current["VpcLinkId"], module.params["wait_timeout"], deleted=True)


def ensure_present(module, client, current, result):
    params = module.params
    if current is None:
        if not params["subnet_ids"]:
            module.fail_json(msg=f"VPC link {params['name']} does not exist; to create it give subnet_ids")
        request = dict(Name=params["name"], SubnetIds=params["subnet_ids"])
        request["SecurityGroupIds"] = params["security_group_ids"] or []
        tags = params["tags"] or {}
        if tags:
            request["Tags"] = dict(tags)
        result["changed"] = True
        result["diff"] = dict(before={}, after=dict(rules.vpc_link_view(request), tags=tags))
        if module.check_mode:
            return None
        link = api.create_vpc_link(client, request)
        if params["wait"]:
            link = api.wait_for_vpc_link(client, link["VpcLinkId"], params["wait_timeout"])
        return link

    link_id = current["VpcLinkId"]
    differ = rules.vpc_link_replacements(params, current)
    if differ:
        module.fail_json(
            msg=f"VPC link {params['name']} ({link_id}): {' and '.join(differ)} cannot change on an existing VPC "
            "link. Create a new link under another name, point the integrations at it, then delete this one "
            "(state=absent).",
            vpc_link_id=link_id,
            differ=differ,
        )
    arn = api.vpc_link_arn(module.region, link_id)
    tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"], current=current.get("Tags"))
    after = dict(current, Tags=tag_change.after)
    if tag_change.changed:
        result["changed"] = True
        view = rules.vpc_link_view(current)
        result["diff"] = dict(before=dict(view, tags=tag_change.before), after=dict(view, tags=tag_change.after))
        if not module.check_mode:
            apply_tags(client, api.TAGS, arn, tag_change)
    if params["wait"] and current.get("VpcLinkStatus") not in api.VPC_LINK_SETTLED and not module.check_mode:
        return dict(api.wait_for_vpc_link(client, link_id, params["wait_timeout"]), Tags=tag_change.after)
    return after


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            subnet_ids=dict(type="list", elements="str"),
            security_group_ids=dict(type="list", elements="str"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    problems = rules.validate_vpc_link(module.params)
    if problems:
        module.fail_json(msg="Invalid VPC link options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    link = None
    try:
        current = find(module, client)
        if module.params["state"] == "absent":
            ensure_absent(module, client, current, result)
        else:
            link = ensure_present(module, client, current, result)
    except WaitError as exc:
        module.fail_json(msg=str(exc), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage VPC link {module.params['name']}")
    if link is not None:
        result.update(vpc_link=api.to_snake(link), vpc_link_id=link["VpcLinkId"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
