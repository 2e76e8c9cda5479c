#!/usr/bin/python
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecr_authorization_info
short_description: Get a Docker login for the account's Amazon ECR registry
version_added: 0.1.0
description:
  - Calls C(GetAuthorizationToken) and returns the registry, user name and password to hand to
    M(community.docker.docker_login). The password is valid for 12 hours and is never logged.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options: {}
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: ECR login
  mlops.mlflow_aws.ecr_authorization_info:
  register: ecr_login
  no_log: true

- name: Docker login
  community.docker.docker_login:
    registry_url: "{{ ecr_login.registry }}"
    username: "{{ ecr_login.username }}"
    password: "{{ ecr_login.password }}"
  no_log: true
"""

RETURN = r"""
registry:
  description: Registry host name, without scheme.
  returned: always
  type: str
  sample: 123456789012.dkr.ecr.eu-west-1.amazonaws.com
username:
  description: Always C(AWS).
  returned: always
  type: str
password:
  description: The registry password (no_log).
  returned: always
  type: str
expires_at:
  description: When the password expires.
  returned: always
  type: str
"""

import base64

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def main():
    module = AnsibleAWSModule(argument_spec={}, supports_check_mode=True)
    client = module.client("ecr", retry_decorator=AWSRetry.jittered_backoff())
    try:
        data = client.get_authorization_token(aws_retry=True)["authorizationData"][0]
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not get an ECR authorization token")
    username, _sep, password = base64.b64decode(data["authorizationToken"]).decode().partition(":")
    module.exit_json(
        changed=False,
        registry=data["proxyEndpoint"].replace("https://", "").rstrip("/"),
        username=username,
        password=password,
        expires_at=str(data.get("expiresAt", "")),
    )


if __name__ == "__main__":
    main()
