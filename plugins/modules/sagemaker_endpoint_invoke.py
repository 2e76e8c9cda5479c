#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sagemaker_endpoint_invoke
short_description: Invoke an Amazon SageMaker real-time endpoint once
version_added: 0.1.0
description:
  - Sends one request to a SageMaker endpoint (C(InvokeEndpoint) of the SageMaker runtime) and returns the answer,
    such as a smoke test after a deployment.
  - Invoking changes nothing in AWS, so the module reports no change and also runs in check mode.
  - An answer other than 2xx from the model fails the task with the status and message the model gave
    (SageMaker's C(ModelError)); so does a request SageMaker refuses (an endpoint that does not exist or is not
    InService, a body over 6 MB).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the endpoint.
    type: str
    required: true
    aliases: [endpoint_name]
  body:
    description: The request body, as the model's container expects it (for MLflow models, C(dataframe_split) JSON).
    type: str
    required: true
  content_type:
    description: MIME type of O(body).
    type: str
    default: application/json
  accept:
    description: MIME type of the answer wanted.
    type: str
    default: application/json
  target_variant:
    description: The production variant to send the request to (default, by the variants' weights).
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Smoke-test the endpoint with the model's input example
  mlops.mlflow_aws.sagemaker_endpoint_invoke:
    name: churn
    body: '{"dataframe_split": {"columns": ["x"], "data": [[1.0]]}}'
  register: answer

- name: Show the predictions
  ansible.builtin.debug:
    msg: "{{ answer.body_json.predictions }}"
"""

RETURN = r"""
body:
  description: The answer's body, as text.
  returned: always
  type: str
body_json:
  description: The answer's body parsed as JSON, when it is JSON.
  returned: when the body is JSON
  type: raw
content_type:
  description: MIME type of the answer.
  returned: always
  type: str
invoked_production_variant:
  description: The production variant that answered.
  returned: always
  type: str
"""

import json

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_params as params_lib

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["endpoint_name"]),
            body=dict(type="str", required=True),
            content_type=dict(type="str", default="application/json"),
            accept=dict(type="str", default="application/json"),
            target_variant=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    problem = params_lib.name_problem("name", module.params["name"])
    if problem:
        module.fail_json(msg="Invalid SageMaker invocation options: " + problem, problems=[problem])
    client = module.client("sagemaker-runtime")
    try:
        answer = api.invoke_endpoint(client, module.params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"SageMaker endpoint {module.params['name']} did not answer the request")
    text = answer["Body"].decode("utf-8", errors="replace")
    result = dict(
        changed=False,
        body=text,
        content_type=answer.get("ContentType", ""),
        invoked_production_variant=answer.get("InvokedProductionVariant", ""),
    )
    try:
        result["body_json"] = json.loads(text)
    except ValueError:
        pass
    module.exit_json(**result)


if __name__ == "__main__":
    main()
