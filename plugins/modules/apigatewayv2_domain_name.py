#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_domain_name
short_description: Manage custom domain names of Amazon API Gateway HTTP APIs
version_added: 0.1.0
description:
  - Creates, updates and deletes an API Gateway v2 custom domain name with a C(REGIONAL) endpoint, such as
    C(mlflow.example.com), which serves HTTP APIs through API mappings
    (M(mlops.mlflow_aws.apigatewayv2_api_mapping)).
  - The domain name's certificate is an ACM certificate of the module's region that covers the name.
  - An existing domain name gets one C(UpdateDomainName) when its certificate or security policy differ;
    the other members of its endpoint configuration keep their values.
  - The module does not touch DNS. Point the name at RV(domain_name.api_gateway_domain_name) with an alias
    record in the zone RV(domain_name.hosted_zone_id) (Route 53), or with a C(CNAME) record.
  - A domain name is C(UPDATING) for a while after it is created or its certificate changes; with O(wait) the
    module waits until it is C(AVAILABLE), and fails with the status message of a domain name that only an
    action makes available (C(PENDING_CERTIFICATE_REIMPORT), C(PENDING_OWNERSHIP_VERIFICATION)).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  domain_name:
    description:
      - The custom domain name, fully qualified without a trailing dot (C(api.example.com); C(*.example.com)
        for a wildcard domain name), at most 253 characters.
    type: str
    required: true
  state:
    description: Whether the domain name exists. Deleting it deletes its API mappings.
    type: str
    choices: [present, absent]
    default: present
  certificate_arn:
    description:
      - ARN of the ACM certificate of the domain name, in the module's region.
      - Required to create a domain name. Left out, an existing domain name keeps its certificate.
    type: str
  endpoint_type:
    description: Endpoint type of the domain name. HTTP APIs serve custom domain names from C(REGIONAL) endpoints only.
    type: str
    choices: [REGIONAL]
    default: REGIONAL
  security_policy:
    description: Lowest TLS version the domain name accepts. API mappings of several levels need C(TLS_1_2).
    type: str
    choices: [TLS_1_2, TLS_1_0]
    default: TLS_1_2
  wait:
    description: Wait until the domain name is C(AVAILABLE).
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
- name: Custom domain name for the MLflow HTTP API
  mlops.mlflow_aws.apigatewayv2_domain_name:
    domain_name: mlflow.example.com
    certificate_arn: "{{ mlflow_certificate.certificate.arn }}"
    tags:
      Application: mlflow
  register: mlflow_domain

- name: Alias record pointing at it
  amazon.aws.route53:
    zone: example.com
    record: mlflow.example.com
    type: A
    alias: true
    alias_hosted_zone_id: "{{ mlflow_domain.domain_name.hosted_zone_id }}"
    value: "{{ mlflow_domain.domain_name.api_gateway_domain_name }}"
    state: present

- name: Delete it (and its API mappings)
  mlops.mlflow_aws.apigatewayv2_domain_name:
    domain_name: mlflow.example.com
    state: absent
"""

RETURN = r"""
domain_name:
  description:
    - The domain name as API Gateway describes it, in snake_case, with its tags.
    - The members of its endpoint configuration are at the top as well (RV(domain_name.api_gateway_domain_name),
      RV(domain_name.hosted_zone_id) ...).
  returned: when state is present (in check mode, only for an existing domain name; then with the changes applied)
  type: dict
  contains:
    domain_name:
      description: The custom domain name.
      type: str
      sample: mlflow.example.com
    api_gateway_domain_name:
      description: The regional endpoint the DNS record of the custom domain name points at (alias or C(CNAME)).
      type: str
      sample: d-abcde12345.execute-api.eu-west-1.amazonaws.com
    hosted_zone_id:
      description: Route 53 hosted zone of RV(domain_name.api_gateway_domain_name), for an alias record.
      type: str
      sample: ZLY8HYME6SFDD
    certificate_arn:
      description: ARN of the certificate.
      type: str
    endpoint_type:
      description: C(REGIONAL).
      type: str
    security_policy:
      description: C(TLS_1_2) or C(TLS_1_0).
      type: str
    domain_name_status:
      description: C(AVAILABLE), C(UPDATING), C(PENDING_CERTIFICATE_REIMPORT) or C(PENDING_OWNERSHIP_VERIFICATION).
      type: str
    domain_name_status_message:
      description: Why the domain name has its status.
      type: str
    domain_name_configurations:
      description: The endpoint configurations of the domain name (one), in snake_case.
      type: list
      elements: dict
    api_mapping_selection_expression:
      description: How API Gateway selects the API mapping of a request.
      type: str
    tags:
      description: Tags of the domain name.
      type: dict
domain_name_arn:
  description: ARN of the domain name (the one its tags are set on).
  returned: when state is present and the domain name exists
  type: str
  sample: arn:aws:apigateway:eu-west-1::/domainnames/mlflow.example.com
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_domain_params as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def ensure_absent(module, client, current, result):
    if current is None:
        return
    result["changed"] = True
    result["diff"] = dict(before=dict(rules.domain_name_view(current), tags=current.get("Tags") or {}), after={})
    if not module.check_mode:
        api.delete_domain_name(client, current["DomainName"])


def ensure_present(module, client, current, result):
    params = module.params
    name = params["domain_name"]
    if current is None:
        if not params["certificate_arn"]:
            module.fail_json(msg=f"Custom domain name {name} does not exist; to create it give certificate_arn")
        request = rules.domain_name_create_request(params)
        tags = params["tags"] or {}
        result["changed"] = True
        result["diff"] = dict(before={}, after=dict(rules.domain_name_view(request), tags=tags))
        if module.check_mode:
            return None
        domain = api.create_domain_name(client, request)
        if params["wait"]:
            domain = api.wait_for_domain_name(client, name, params["wait_timeout"])
        return domain

    configuration = api.domain_configuration(current)
    endpoint = configuration.get("EndpointType")
    if endpoint not in rules.ENDPOINT_TYPES:
        module.fail_json(
            msg=f"Custom domain name {name} has a {endpoint} endpoint; the module manages REGIONAL domain names "
            "(those of HTTP APIs) only",
            endpoint_type=endpoint,
        )
    arn = api.domain_name_arn(module.region, name)
    tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"], current=current.get("Tags"))
    update = rules.configuration_update(rules.desired_configuration(params, configuration), configuration)
    after = dict(current, Tags=tag_change.after)
    if update is not None:
        after["DomainNameConfigurations"] = [dict(configuration, **update)]
    if update is not None or tag_change.changed:
        result["changed"] = True
        result["diff"] = dict(
            before=dict(rules.domain_name_view(current), tags=tag_change.before),
            after=dict(rules.domain_name_view(after), tags=tag_change.after),
        )
    if module.check_mode:
        return after
    if update is not None:
        api.update_domain_name(client, name, update)
    apply_tags(client, api.TAGS, arn, tag_change)
    settled = configuration.get("DomainNameStatus") in api.DOMAIN_NAME_READY and update is None
    if params["wait"] and not settled:
        return api.wait_for_domain_name(client, name, params["wait_timeout"])
    if result["changed"]:
        return api.get_domain_name(client, name)
    return after


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            domain_name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            certificate_arn=dict(type="str"),
            endpoint_type=dict(type="str", default="REGIONAL", choices=list(rules.ENDPOINT_TYPES)),
            security_policy=dict(type="str", default="TLS_1_2", choices=list(rules.SECURITY_POLICIES)),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    problems = rules.validate_domain_name(module.params, module.region)
    if problems:
        module.fail_json(msg="Invalid custom domain name options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    domain = None
    try:
        current = api.get_domain_name(client, module.params["domain_name"])
        if module.params["state"] == "absent":
            ensure_absent(module, client, current, result)
        else:
            domain = ensure_present(module, client, current, result)
    except WaitError as exc:
        module.fail_json(msg=str(exc), **result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage custom domain name {module.params['domain_name']}")
    if domain is not None:
        result.update(
            domain_name=api.domain_name_to_snake(domain),
            domain_name_arn=api.domain_name_arn(module.region, domain["DomainName"]),
        )
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
