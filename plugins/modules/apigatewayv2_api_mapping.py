#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_api_mapping
short_description: Map stages of Amazon API Gateway HTTP APIs to custom domain names
version_added: 0.1.0
description:
  - Creates, updates and deletes an API mapping, which serves a stage of an HTTP API at a path of a custom
    domain name (M(mlops.mlflow_aws.apigatewayv2_domain_name)). A mapping is found by its domain name and its
    key (the path; V('') for the root of the domain name), which AWS allows once per domain name.
  - A mapping whose API or stage differ gets one C(UpdateApiMapping).
  - The domain name must exist. The API and its stage must exist to create or update a mapping.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  domain_name:
    description: The custom domain name (C(api.example.com)).
    type: str
    required: true
  api_mapping_key:
    description:
      - Path of the domain name the stage is served at, without a V(/) first or last (V(mlflow), V(orders/v1));
        V('') serves the stage at the root of the domain name.
      - Segments of letters, digits and C($-_.+!*'()), at most 300 characters. Paths of several levels need a
        domain name with the C(TLS_1_2) security policy.
    type: str
    default: ''
  state:
    description: Whether the mapping exists.
    type: str
    choices: [present, absent]
    default: present
  api_id:
    description: ID of the HTTP API. Required with O(state=present).
    type: str
  stage:
    description: Name of the stage of the API served by the mapping (V($default), or the name of another stage).
    type: str
    default: $default
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve the HTTP API's default stage at the root of the custom domain name
  mlops.mlflow_aws.apigatewayv2_api_mapping:
    domain_name: mlflow.example.com
    api_id: "{{ http_api.api.api_id }}"
    stage: $default
  register: mlflow_mapping

- name: Remove the mapping
  mlops.mlflow_aws.apigatewayv2_api_mapping:
    domain_name: mlflow.example.com
    api_mapping_key: ''
    state: absent
"""

RETURN = r"""
api_mapping:
  description: The API mapping as API Gateway describes it, in snake_case.
  returned: when state is present (in check mode, only for an existing mapping; then with the changes applied)
  type: dict
  contains:
    api_mapping_id:
      description: ID of the mapping.
      type: str
    api_mapping_key:
      description: Path of the domain name the stage is served at (V('') for the root).
      type: str
    api_id:
      description: ID of the API.
      type: str
    stage:
      description: Name of the stage.
      type: str
api_mapping_id:
  description: ID of the API mapping.
  returned: when state is present and the mapping exists
  type: str
  sample: abc123
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_domain_params as rules

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def find(module, client):
    """The mapping of DOMAIN_NAME whose key is API_MAPPING_KEY (None when there is none); False without the domain."""
    params = module.params
    mappings = api.list_api_mappings(client, params["domain_name"])
    if mappings is None:
        return False
    found = rules.api_mappings_keyed(mappings, params["api_mapping_key"] or "")
    return found[0] if found else None


def ensure(module, client, current, result):
    params = module.params
    domain_name = params["domain_name"]
    if params["state"] == "absent":
        if current:
            result["changed"] = True
            result["diff"] = dict(before=rules.api_mapping_view(current, domain_name), after={})
            if not module.check_mode:
                api.delete_api_mapping(client, domain_name, current["ApiMappingId"])
        return None
    if current is False:
        module.fail_json(
            msg=f"Custom domain name {domain_name} does not exist; create it first "
            "(mlops.mlflow_aws.apigatewayv2_domain_name)"
        )
    want = rules.desired_api_mapping(params)
    if current is None:
        result["changed"] = True
        result["diff"] = dict(before={}, after=rules.api_mapping_view(want, domain_name))
        if module.check_mode:
            return None
        return api.create_api_mapping(client, domain_name, want)
    request = rules.api_mapping_update(want, current)
    after = dict(current, **request)
    if request:
        result["changed"] = True
        result["diff"] = dict(
            before=rules.api_mapping_view(current, domain_name), after=rules.api_mapping_view(after, domain_name)
        )
    if module.check_mode or not request:
        return after
    return api.update_api_mapping(client, domain_name, current["ApiMappingId"], request)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            domain_name=dict(type="str", required=True),
            api_mapping_key=dict(type="str", default="", no_log=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            api_id=dict(type="str"),
            stage=dict(type="str", default="$default"),
        ),
        supports_check_mode=True,
    )
    problems = rules.validate_api_mapping(module.params)
    if problems:
        module.fail_json(msg="Invalid API mapping options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    mapping = None
    try:
        current = find(module, client)
        mapping = ensure(module, client, current, result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(
            exc,
            msg=f"Could not manage API mapping {module.params['api_mapping_key']!r} of {module.params['domain_name']}",
        )
    if mapping is not None:
        result.update(api_mapping=api.to_snake(mapping), api_mapping_id=mapping["ApiMappingId"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
