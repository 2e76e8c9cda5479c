#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_service_info
short_description: Describe AWS App Runner services
version_added: 0.1.0
description:
  - Describes one App Runner service by name or ARN, or every service of the account and region.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the service. Mutually exclusive with O(arn).
    type: str
  arn:
    description: ARN of the service. Mutually exclusive with O(name).
    type: str
  include_tags:
    description: Also return each service's tags (one more call per service).
    type: bool
    default: true
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One service
  mlops.mlflow_aws.apprunner_service_info:
    name: mlflow
  register: mlflow_service

- name: Every service
  mlops.mlflow_aws.apprunner_service_info:
  register: all_services
"""

RETURN = r"""
services:
  description: The services found (empty when the named one does not exist), in snake_case.
  returned: always
  type: list
  elements: dict
  contains:
    service_name:
      description: Name of the service.
      type: str
    service_arn:
      description: ARN of the service.
      type: str
    service_url:
      description: Domain name the service is served on.
      type: str
    status:
      description: Service status.
      type: str
    tags:
      description: Tags of the service, with O(include_tags).
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apprunner_results import to_snake

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str"),
            arn=dict(type="str"),
            include_tags=dict(type="bool", default=True),
        ),
        mutually_exclusive=[("name", "arn")],
        supports_check_mode=True,
    )
    client = module.client("apprunner")
    try:
        if module.params["name"] or module.params["arn"]:
            found = api.find_service(client, name=module.params["name"], arn=module.params["arn"])
            services = [found] if found else []
        else:
            services = [api.find_service(client, arn=s["ServiceArn"]) for s in api.list_services(client)]
            services = [s for s in services if s]
        results = []
        for service in services:
            snake = to_snake(service)
            if module.params["include_tags"]:
                snake["tags"] = api.get_tags(client, service["ServiceArn"])
            results.append(snake)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not describe App Runner services")
    module.exit_json(changed=False, services=results)


if __name__ == "__main__":
    main()
