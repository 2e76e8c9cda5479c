#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_api
short_description: Manage Amazon API Gateway HTTP APIs
version_added: 0.1.0
description:
  - Creates, updates and deletes an API Gateway v2 HTTP API (protocol C(HTTP)), found by its name.
  - API names are not unique in AWS; the module refuses to act when more than one API has the name
    (delete the extra ones, or rename them), and when the API it finds is not an HTTP API.
  - An existing API gets one C(UpdateApi) with only the members that differ. Options left out are left
    as they are.
  - Integrations, routes and stages are separate resources, see M(mlops.mlflow_aws.apigatewayv2_integration),
    M(mlops.mlflow_aws.apigatewayv2_route) and M(mlops.mlflow_aws.apigatewayv2_stage).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the API (1 to 128 characters), unique among the account's APIs in the region.
    type: str
    required: true
  state:
    description: Whether the API exists. Deleting it deletes its integrations, routes and stages.
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the API. V('') removes it.
    type: str
  cors_configuration:
    description:
      - CORS configuration API Gateway answers preflight requests with. V({}) removes it.
      - Lists compare as sets; methods and headers compare case-insensitively.
    type: dict
    suboptions:
      allow_origins:
        description: Allowed origins (V(*) for any).
        type: list
        elements: str
      allow_methods:
        description: Allowed methods (V(*) for any).
        type: list
        elements: str
      allow_headers:
        description: Allowed request headers.
        type: list
        elements: str
      expose_headers:
        description: Response headers the browser may read.
        type: list
        elements: str
      max_age:
        description: Seconds a browser caches the preflight answer (-1 to 86400).
        type: int
      allow_credentials:
        description: Whether credentials (cookies, authorization headers) are allowed.
        type: bool
  disable_execute_api_endpoint:
    description:
      - Turn off the default C(https://<api_id>.execute-api.<region>.amazonaws.com) endpoint, so clients
        must come through a custom domain name.
    type: bool
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: HTTP API in front of MLflow
  mlops.mlflow_aws.apigatewayv2_api:
    name: mlflow
    description: MLflow tracking server
    tags:
      Application: mlflow
  register: http_api

- name: Delete it
  mlops.mlflow_aws.apigatewayv2_api:
    name: mlflow
    state: absent
"""

RETURN = r"""
api:
  description: The API as API Gateway describes it, in snake_case, with its tags.
  returned: when state is present (in check mode, only for an existing API; then with the changes applied)
  type: dict
  contains:
    api_id:
      description: ID of the API.
      type: str
      sample: a1b2c3d4e5
    api_endpoint:
      description: Default endpoint of the API.
      type: str
      sample: https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com
    name:
      description: Name of the API.
      type: str
    protocol_type:
      description: C(HTTP).
      type: str
    description:
      description: Description of the API.
      type: str
    cors_configuration:
      description: CORS configuration (absent when there is none).
      type: dict
    disable_execute_api_endpoint:
      description: Whether the default endpoint is turned off.
      type: bool
    tags:
      description: Tags of the API.
      type: dict
api_arn:
  description: ARN of the API (the one its tags are set on).
  returned: when state is present and the API exists
  type: str
  sample: arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_params as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def find(module, client):
    """The API named NAME (None when there is none); fails when the name is ambiguous or not an HTTP API."""
    name = module.params["name"]
    found = api.apis_named(client, name)
    if len(found) > 1:
        ids = sorted(a["ApiId"] for a in found)
        module.fail_json(
            msg=f"{len(found)} APIs are named {name!r} ({', '.join(ids)}); the module manages an API by its name. "
            "Delete or rename all but one.",
            api_ids=ids,
        )
    if found and found[0].get("ProtocolType") != "HTTP":
        module.fail_json(msg=f"API {name!r} ({found[0]['ApiId']}) is a {found[0].get('ProtocolType')} API, not HTTP")
    return found[0] if found else None


def ensure_absent(module, client, current, result):
    if current is None:
        return
    result["changed"] = True
    result["diff"] = dict(before=dict(rules.api_view(current), tags=current.get("Tags") or {}), after={})
    if not module.check_mode:
        api.delete_api(client, current["ApiId"])


def ensure_present(module, client, current, result):
    params = module.params
    if current is None:
        request = rules.api_create_request(params)
        tags = params["tags"] or {}
        result["changed"] = True
        result["diff"] = dict(before={}, after=dict(rules.api_view(request), tags=tags))
        if module.check_mode:
            return None
        return api.create_api(client, request)

    arn = api.api_arn(module.region, current["ApiId"])
    tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"], current=current.get("Tags"))
    request = rules.api_update(params, current)
    delete_cors = request.pop("DeleteCors", False)
    after = dict(current, **request, Tags=tag_change.after)
    if delete_cors:
        after.pop("CorsConfiguration", None)
    if request or delete_cors or tag_change.changed:
        result["changed"] = True
        result["diff"] = dict(
            before=dict(rules.api_view(current), tags=tag_change.before),
            after=dict(rules.api_view(after), tags=tag_change.after),
        )
    if module.check_mode or not result["changed"]:
        return after
    if delete_cors:
        api.delete_cors_configuration(client, current["ApiId"])
    if request:
        api.update_api(client, current["ApiId"], request)
    apply_tags(client, api.TAGS, arn, tag_change)
    return api.get_api(client, current["ApiId"])


def main():
    cors = dict(
        allow_origins=dict(type="list", elements="str"),
        allow_methods=dict(type="list", elements="str"),
        allow_headers=dict(type="list", elements="str"),
        expose_headers=dict(type="list", elements="str"),
        max_age=dict(type="int"),
        allow_credentials=dict(type="bool"),
    )
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            description=dict(type="str"),
            cors_configuration=dict(type="dict", options=cors),
            disable_execute_api_endpoint=dict(type="bool"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    problems = rules.validate_api(module.params)
    if problems:
        module.fail_json(msg="Invalid HTTP API options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    found = None
    try:
        current = find(module, client)
        if module.params["state"] == "absent":
            ensure_absent(module, client, current, result)
        else:
            found = ensure_present(module, client, current, result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage HTTP API {module.params['name']}")
    if found is not None:
        result.update(api=api.to_snake(found), api_arn=api.api_arn(module.region, found["ApiId"]))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
