#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sagemaker_endpoint_info
short_description: Describe Amazon SageMaker real-time endpoints
version_added: 0.1.0
description:
  - Describes one SageMaker endpoint by name (C(DescribeEndpoint)), or the region's endpoints whose names contain
    O(name_contains) and/or whose status is O(status) (C(ListEndpoints), then C(DescribeEndpoint) each), each with
    its tags (C(ListTags)).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the endpoint. Without it, every endpoint O(name_contains) and O(status) select.
    type: str
    aliases: [endpoint_name]
  name_contains:
    description: Only endpoints whose names contain this (ignored with O(name)).
    type: str
  status:
    description: Only endpoints in this status (ignored with O(name)).
    type: str
    choices:
      - OutOfService
      - Creating
      - Updating
      - SystemUpdating
      - RollingBack
      - InService
      - Deleting
      - Failed
      - UpdateRollbackFailed
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The churn endpoint
  mlops.mlflow_aws.sagemaker_endpoint_info:
    name: churn
  register: churn

- name: Its configuration
  ansible.builtin.debug:
    msg: "{{ churn.endpoints[0].endpoint_config_name if churn.exists else 'no endpoint' }}"

- name: The failed endpoints
  mlops.mlflow_aws.sagemaker_endpoint_info:
    status: Failed
  register: failed
"""

RETURN = r"""
exists:
  description: Whether any endpoint was found.
  returned: always
  type: bool
endpoints:
  description:
    - The endpoints as C(DescribeEndpoint) returns them, in snake_case, each with its tags as a dict, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    endpoint_name:
      description: Name of the endpoint.
      type: str
    endpoint_arn:
      description: ARN of the endpoint.
      type: str
    endpoint_config_name:
      description: The endpoint configuration it runs.
      type: str
    endpoint_status:
      description: Status of the endpoint.
      type: str
    failure_reason:
      description: Why its last operation failed.
      type: str
    production_variants:
      description: The variants with their current and desired weights and instance counts.
      type: list
      elements: dict
    tags:
      description: Tags of the endpoint.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_params as params_lib

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

STATUSES = [
    "OutOfService",
    "Creating",
    "Updating",
    "SystemUpdating",
    "RollingBack",
    "InService",
    "Deleting",
    "Failed",
    "UpdateRollbackFailed",
]


def describe(client, params):
    """The endpoints the options select, each as the module returns it."""
    if params.get("name"):
        names = [params["name"]]
    else:
        found = api.list_endpoints(client, params.get("name_contains"), params.get("status"))
        names = sorted(summary["EndpointName"] for summary in found)
    result = []
    for name in names:
        endpoint = api.describe_endpoint(client, name)
        if endpoint is not None:  # deleted since it was listed
            result.append(api.snake(endpoint, api.get_tags(client, endpoint["EndpointArn"])))
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["endpoint_name"]),
            name_contains=dict(type="str"),
            status=dict(type="str", choices=STATUSES),
        ),
        supports_check_mode=True,
    )
    problems = []
    if module.params["name"] is not None:
        problems.extend(filter(None, [params_lib.name_problem("name", module.params["name"])]))
    contains = module.params["name_contains"]
    if contains is not None and not params_lib.NAME_CONTAINS.match(contains):
        problems.append(f"name_contains {contains!r}: 1-63 letters, digits or hyphens")
    if problems:
        module.fail_json(msg="Invalid SageMaker endpoint options: " + "; ".join(problems), problems=problems)
    client = module.client("sagemaker")
    try:
        endpoints = describe(client, module.params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not describe the SageMaker endpoints")
    module.exit_json(changed=False, exists=bool(endpoints), endpoints=endpoints)


if __name__ == "__main__":
    main()
