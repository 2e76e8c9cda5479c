#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_api_info
short_description: Describe Amazon API Gateway v2 APIs
version_added: 0.1.0
description:
  - Describes the APIs of the account and region with a name, the API with an ID, or every API; optionally
    with their stages, routes and integrations.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description:
      - Name of the APIs to describe (names are not unique; every API with it is returned).
      - Mutually exclusive with O(api_id).
    type: str
  api_id:
    description: ID of the API to describe. Mutually exclusive with O(name).
    type: str
  include:
    description: What else to return of each API (one more call per API and kind).
    type: list
    elements: str
    choices: [stages, routes, integrations]
    default: []
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The MLflow API with its routes and integrations
  mlops.mlflow_aws.apigatewayv2_api_info:
    name: mlflow
    include: [stages, routes, integrations]
  register: mlflow_api
"""

RETURN = r"""
apis:
  description: The APIs found (empty when none matches), in snake_case, with their tags.
  returned: always
  type: list
  elements: dict
  contains:
    api_id:
      description: ID of the API.
      type: str
    api_endpoint:
      description: Default endpoint of the API.
      type: str
    name:
      description: Name of the API.
      type: str
    protocol_type:
      description: C(HTTP) or C(WEBSOCKET).
      type: str
    tags:
      description: Tags of the API.
      type: dict
    stages:
      description: Stages of the API, with O(include=[stages]).
      type: list
      elements: dict
    routes:
      description: Routes of the API, with O(include=[routes]).
      type: list
      elements: dict
    integrations:
      description: Integrations of the API, with O(include=[integrations]).
      type: list
      elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

LISTS = {"stages": api.list_stages, "routes": api.list_routes, "integrations": api.list_integrations}


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str"),
            api_id=dict(type="str"),
            include=dict(type="list", elements="str", default=[], choices=sorted(LISTS)),
        ),
        mutually_exclusive=[("name", "api_id")],
        supports_check_mode=True,
    )
    params = module.params
    client = module.client("apigatewayv2")
    try:
        if params["api_id"]:
            found = api.get_api(client, params["api_id"])
            apis = [found] if found else []
        elif params["name"]:
            apis = api.apis_named(client, params["name"])
        else:
            apis = api.list_apis(client)
        results = []
        for item in apis:
            snake = api.to_snake(item)
            snake.setdefault("tags", {})
            for kind in params["include"]:
                snake[kind] = [api.to_snake(x) for x in LISTS[kind](client, item["ApiId"])]
            results.append(snake)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not describe API Gateway v2 APIs")
    module.exit_json(changed=False, apis=results)


if __name__ == "__main__":
    main()
