#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_express_gateway_service_info
short_description: Describe an Amazon ECS Express Mode service
version_added: 0.1.0
description:
  - Describes one ECS Express Mode service by name and cluster (C(DescribeServices), then
    C(DescribeExpressGatewayService)) or by ARN (C(DescribeExpressGatewayService) alone).
  - A deleted (C(INACTIVE)) service, or an ECS service that is not an Express service, does not exist.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the service. Mutually exclusive with O(service_arn).
    type: str
    aliases: [service_name]
  cluster:
    description: Name or ARN of the cluster of O(name).
    type: str
    default: default
  service_arn:
    description: ARN of the service. Mutually exclusive with O(name).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The MLflow Express service
  mlops.mlflow_aws.ecs_express_gateway_service_info:
    name: mlflow
    cluster: mlflow
  register: mlflow_express

- name: Its URL
  ansible.builtin.debug:
    msg: "{{ mlflow_express.url }}"
  when: mlflow_express.exists
"""

RETURN = r"""
exists:
  description: Whether the service exists (C(ACTIVE) or C(DRAINING)).
  returned: always
  type: bool
service:
  description:
    - The service as C(DescribeExpressGatewayService) returns it, in snake_case, with its tags as a dict.
    - Empty when it does not exist.
  returned: always
  type: dict
  contains:
    service_name:
      description: Name of the service.
      type: str
    status:
      description: C(status_code) (C(ACTIVE), C(DRAINING)) and C(status_reason).
      type: dict
    active_configurations:
      description: The active configurations (container, roles, CPU, memory, network, scaling, C(ingress_paths)).
      type: list
      elements: dict
    tags:
      description: Tags of the service.
      type: dict
service_arn:
  description: ARN of the service.
  returned: always (null when it does not exist)
  type: str
status:
  description: C(ACTIVE) or C(DRAINING).
  returned: always (null when it does not exist)
  type: str
endpoint:
  description: Host name of the service's endpoint.
  returned: always (null when it does not exist)
  type: str
  sample: mlflow-0123456789.ecs.eu-west-1.on.aws
url:
  description: C(https://<endpoint>/).
  returned: always (null when it does not exist)
  type: str
  sample: https://mlflow-0123456789.ecs.eu-west-1.on.aws/
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express_results as results_lib

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def describe(client, params):
    """The Express service the options name; None when it does not exist."""
    if params["service_arn"]:
        express = api.describe(client, params["service_arn"])
    else:
        _found, express = api.find(client, params["cluster"], params["name"])
    if express is None or results_lib.status(express) == "INACTIVE":
        return None
    return express


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["service_name"]),
            cluster=dict(type="str", default=params_lib.DEFAULT_CLUSTER),
            service_arn=dict(type="str"),
        ),
        mutually_exclusive=[("name", "service_arn")],
        required_one_of=[("name", "service_arn")],
        supports_check_mode=True,
    )
    client = module.client("ecs")
    try:
        express = describe(client, module.params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not describe the ECS Express service")
    module.exit_json(changed=False, exists=express is not None, **results_lib.results(express))


if __name__ == "__main__":
    main()
