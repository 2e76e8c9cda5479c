#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_integration
short_description: Manage integrations of Amazon API Gateway HTTP APIs
version_added: 0.1.0
description:
  - Creates, updates and deletes an C(HTTP_PROXY) integration of an HTTP API, typically a private
    integration that forwards requests through a VPC link to an internal load balancer's listener.
  - B(How the module finds the integration) (integrations have no name). With O(integration_id), that
    integration. Otherwise the integration of the API with the same O(integration_uri) and
    O(connection_id). A run with the same pair finds the same integration, and its other options are
    updated in place (one C(UpdateIntegration) with only the members that differ). A different pair is
    another integration. The module creates it and leaves the old one (delete that with O(state=absent)
    and the old pair, or pass O(integration_id) to move an integration to a new listener or VPC link).
    When several integrations share the pair, the module fails and lists them.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  api_id:
    description: ID of the HTTP API.
    type: str
    required: true
  integration_id:
    description: ID of the integration to manage, instead of finding it by O(integration_uri) and O(connection_id).
    type: str
  state:
    description: Whether the integration exists.
    type: str
    choices: [present, absent]
    default: present
  integration_type:
    description: Type of the integration (an HTTP proxy; the request passes through unchanged).
    type: str
    choices: [HTTP_PROXY]
    default: HTTP_PROXY
  integration_method:
    description: HTTP method of the request to the backend (V(ANY) keeps the client's method).
    type: str
    default: ANY
    choices: [ANY, GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS]
  integration_uri:
    description:
      - With O(connection_type=VPC_LINK), the ARN of the load balancer listener (or Cloud Map service) the
        VPC link reaches; with O(connection_type=INTERNET), the backend's http(s) URL.
      - Required with O(state=present), and with O(state=absent) when O(integration_id) is not given.
    type: str
  connection_type:
    description: V(VPC_LINK) for a private integration, V(INTERNET) for a public backend.
    type: str
    choices: [VPC_LINK, INTERNET]
    default: VPC_LINK
  connection_id:
    description:
      - ID of the VPC link (M(mlops.mlflow_aws.apigatewayv2_vpc_link)); required with O(connection_type=VPC_LINK).
    type: str
  payload_format_version:
    description: Payload format of the requests to the backend (C(HTTP_PROXY) integrations use V(1.0)).
    type: str
    choices: ["1.0"]
    default: "1.0"
  timeout_in_millis:
    description:
      - Milliseconds API Gateway waits for the backend (50 to 30000; AWS's default is 30000). A slower
        backend gets the client a 504. Not given, it is left as it is.
    type: int
  description:
    description: Description of the integration. Not given, it is left as it is.
    type: str
  tls_config:
    description:
      - TLS towards the backend of a private integration. Not given, it is left as it is.
    type: dict
    suboptions:
      server_name_to_verify:
        description:
          - Host name API Gateway checks the backend's certificate against (SNI).
          - Not given (V({}) for O(tls_config)), the TLS settings are removed.
        type: str
  request_parameters:
    description:
      - How API Gateway changes the request before it forwards it, as
        C(<append|overwrite|remove>:<header.NAME|querystring.NAME|path>) keys and their values
        (such as C(overwrite:path) V($request.path)).
      - Given, the integration has exactly these (others are removed); not given, they are left as they are.
    type: dict
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Private integration to the internal ALB through the VPC link
  mlops.mlflow_aws.apigatewayv2_integration:
    api_id: "{{ http_api.api.api_id }}"
    integration_uri: "{{ alb_listener.listener.listener_arn }}"
    connection_id: "{{ vpc_link.vpc_link_id }}"
    timeout_in_millis: 30000
  register: integration

- name: Delete it
  mlops.mlflow_aws.apigatewayv2_integration:
    api_id: "{{ http_api.api.api_id }}"
    integration_id: "{{ integration.integration_id }}"
    state: absent
"""

RETURN = r"""
integration_id:
  description: ID of the integration (a route's target is C(integrations/<integration_id>)).
  returned: when state is present and the integration exists
  type: str
  sample: a1b2c3d
integration:
  description: The integration as API Gateway describes it, in snake_case.
  returned: when state is present (in check mode, only for an existing integration)
  type: dict
  contains:
    integration_id:
      description: ID of the integration.
      type: str
    integration_type:
      description: C(HTTP_PROXY).
      type: str
    integration_uri:
      description: Listener ARN or URL.
      type: str
    connection_type:
      description: C(VPC_LINK) or C(INTERNET).
      type: str
    connection_id:
      description: ID of the VPC link.
      type: str
    timeout_in_millis:
      description: Integration timeout.
      type: int
    request_parameters:
      description: Request parameter mappings.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_integration_params as rules

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def find(module, client):
    params = module.params
    if params["integration_id"]:
        found = api.get_integration(client, params["api_id"], params["integration_id"])
        if found is None and params["state"] == "present":
            module.fail_json(msg=f"API {params['api_id']} has no integration {params['integration_id']}")
        return found
    matches = rules.integration_matches(
        api.list_integrations(client, params["api_id"]), params["integration_uri"], params["connection_id"]
    )
    if len(matches) > 1:
        ids = sorted(i["IntegrationId"] for i in matches)
        module.fail_json(
            msg=f"{len(matches)} integrations of API {params['api_id']} have this integration_uri and connection_id "
            f"({', '.join(ids)}); give integration_id, or delete the extra ones",
            integration_ids=ids,
        )
    return matches[0] if matches else None


def ensure(module, client, current, result):
    params = module.params
    if params["state"] == "absent":
        if current is not None:
            result["changed"] = True
            result["diff"] = dict(before=rules.integration_view(current), after={})
            if not module.check_mode:
                api.delete_integration(client, params["api_id"], current["IntegrationId"])
        return None
    want = rules.desired_integration(params)
    if current is None:
        request = rules.integration_create_request(want)
        result["changed"] = True
        result["diff"] = dict(before={}, after=rules.integration_view(request))
        if module.check_mode:
            return None
        return api.create_integration(client, params["api_id"], request)
    request = rules.integration_update(want, current)
    after = dict(current, **request)
    if "RequestParameters" in request:
        after["RequestParameters"] = want["RequestParameters"]
    if request:
        result["changed"] = True
        result["diff"] = dict(before=rules.integration_view(current), after=rules.integration_view(after))
    if module.check_mode or not request:
        return after
    return api.update_integration(client, params["api_id"], current["IntegrationId"], request)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            api_id=dict(type="str", required=True),
            integration_id=dict(type="str"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            integration_type=dict(type="str", default="HTTP_PROXY", choices=["HTTP_PROXY"]),
            integration_method=dict(
                type="str", default="ANY", choices=["ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
            ),
            integration_uri=dict(type="str"),
            connection_type=dict(type="str", default="VPC_LINK", choices=["VPC_LINK", "INTERNET"]),
            connection_id=dict(type="str"),
            payload_format_version=dict(type="str", default="1.0", choices=["1.0"]),
            timeout_in_millis=dict(type="int"),
            description=dict(type="str"),
            tls_config=dict(type="dict", options=dict(server_name_to_verify=dict(type="str"))),
            request_parameters=dict(type="dict"),
        ),
        supports_check_mode=True,
    )
    problems = rules.validate_integration(module.params)
    if problems:
        module.fail_json(msg="Invalid integration options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    try:
        integration = ensure(module, client, find(module, client), result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage an integration of API {module.params['api_id']}")
    if integration is not None:
        result.update(integration=api.to_snake(integration), integration_id=integration["IntegrationId"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
