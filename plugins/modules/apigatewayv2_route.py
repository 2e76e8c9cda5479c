#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_route
short_description: Manage routes of Amazon API Gateway HTTP APIs
version_added: 0.1.0
description:
  - Creates, updates and deletes a route of an HTTP API, found by its route key (unique within an API).
  - An existing route gets one C(UpdateRoute) with only the members that differ.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  api_id:
    description: ID of the HTTP API.
    type: str
    required: true
  route_key:
    description:
      - V($default) (every request no other route matches), or C(<METHOD> <path>) with METHOD one of
        V(ANY), V(GET), V(POST), V(PUT), V(PATCH), V(DELETE), V(HEAD), V(OPTIONS), and a path of
        C(/)-separated segments, where C({name}) is a path parameter and C({name+}) (last segment only)
        matches the rest of the path, such as V(ANY /{proxy+}).
    type: str
    required: true
  state:
    description: Whether the route exists.
    type: str
    choices: [present, absent]
    default: present
  target:
    description: Where the route sends requests, V(integrations/<integration id>). Not given, it is left as it is.
    type: str
  authorization_type:
    description:
      - V(AWS_IAM) makes clients sign requests with AWS Signature Version 4 (IAM authorization); V(NONE)
        lets any request through.
    type: str
    choices: [NONE, AWS_IAM]
    default: NONE
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Every path to the ALB integration, signed requests only
  mlops.mlflow_aws.apigatewayv2_route:
    api_id: "{{ http_api.api.api_id }}"
    route_key: ANY /{proxy+}
    target: "integrations/{{ integration.integration_id }}"
    authorization_type: AWS_IAM
"""

RETURN = r"""
route_id:
  description: ID of the route.
  returned: when state is present and the route exists
  type: str
route:
  description: The route as API Gateway describes it, in snake_case.
  returned: when state is present (in check mode, only for an existing route)
  type: dict
  contains:
    route_id:
      description: ID of the route.
      type: str
    route_key:
      description: Route key.
      type: str
      sample: ANY /{proxy+}
    target:
      description: Target of the route.
      type: str
      sample: integrations/a1b2c3d
    authorization_type:
      description: C(NONE) or C(AWS_IAM).
      type: str
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_params as rules

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def ensure(module, client, current, result):
    params = module.params
    if params["state"] == "absent":
        if current is not None:
            result["changed"] = True
            result["diff"] = dict(before=rules.route_view(current), after={})
            if not module.check_mode:
                api.delete_route(client, params["api_id"], current["RouteId"])
        return None
    want = rules.desired_route(params)
    if current is None:
        result["changed"] = True
        result["diff"] = dict(before={}, after=rules.route_view(want))
        if module.check_mode:
            return None
        return api.create_route(client, params["api_id"], want)
    request = rules.route_update(want, current)
    after = dict(current, **request)
    if request:
        result["changed"] = True
        result["diff"] = dict(before=rules.route_view(current), after=rules.route_view(after))
    if module.check_mode or not request:
        return after
    return api.update_route(client, params["api_id"], current["RouteId"], request)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            api_id=dict(type="str", required=True),
            route_key=dict(type="str", required=True, no_log=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            target=dict(type="str"),
            authorization_type=dict(type="str", default="NONE", choices=["NONE", "AWS_IAM"]),
        ),
        supports_check_mode=True,
    )
    problems = rules.validate_route(module.params)
    if problems:
        module.fail_json(msg="Invalid route options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    try:
        current = api.find_route(client, module.params["api_id"], module.params["route_key"])
        route = ensure(module, client, current, result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage route {module.params['route_key']!r}")
    if route is not None:
        result.update(route=api.to_snake(route), route_id=route["RouteId"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
