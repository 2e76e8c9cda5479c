#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sagemaker_endpoint_config
short_description: Manage Amazon SageMaker endpoint configurations
version_added: 0.1.0
description:
  - Creates and deletes an Amazon SageMaker endpoint configuration (C(CreateEndpointConfig)), that is the production
    variants of a real-time endpoint (each a model on instances of a type, with a share of the traffic), and
    optionally data capture and the KMS key of the instances' storage. M(mlops.mlflow_aws.sagemaker_endpoint)
    deploys it.
  - The configuration is found by name with C(DescribeEndpointConfig) and compared with the options, every one of
    them (an option left unset means the configuration has none of it). Variants are compared by name, capture
    modes and content types as sets, weights as numbers. A run that changes nothing makes one
    C(DescribeEndpointConfig) and one C(ListTags) call.
  - Endpoint configurations cannot change; only their tags can. A configuration that exists with other settings
    fails the task before any change and the message lists each difference, unless O(replace=true). The usual way
    to change one is a new name (for example with a version or a hash of the settings in it); then
    M(mlops.mlflow_aws.sagemaker_endpoint) switches the endpoint to it with C(UpdateEndpoint), a blue/green
    deployment without downtime.
  - With O(replace=true) the module deletes the configuration and creates it again under the same name, keeping its
    tags (merged with O(tags) as O(purge_tags) says). An endpoint deployed from it keeps running what it was
    deployed with, and M(mlops.mlflow_aws.sagemaker_endpoint) sees no new configuration name to deploy; prefer new
    names for configurations in use. AWS advises against deleting the configuration of an endpoint that is being
    created or updated.
  - The models must exist (SageMaker checks when it creates the configuration). The options are checked before any
    AWS call (names, instance types, counts, weights, S3 URLs, KMS keys, capture modes, content types, tags).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description:
      - Name of the configuration (1-63 letters, digits or hyphens, starting and ending with a letter or digit).
    type: str
    required: true
    aliases: [endpoint_config_name]
  state:
    description:
      - V(present) creates the configuration, or checks that it matches the options (with O(replace), replaces it
        when not).
      - V(absent) deletes it (C(DeleteEndpointConfig)).
    type: str
    choices: [present, absent]
    default: present
  production_variants:
    description: The variants (1-10). Required with O(state=present).
    type: list
    elements: dict
    suboptions:
      variant_name:
        description: Name of the variant, unique in the configuration.
        type: str
        required: true
      model_name:
        description: The model the variant serves (M(mlops.mlflow_aws.sagemaker_model)).
        type: str
        required: true
      instance_type:
        description: Instance type (V(ml.m5.large), V(ml.g5.xlarge) ...).
        type: str
        required: true
      initial_instance_count:
        description: Number of instances (at least 1).
        type: int
        default: 1
      initial_variant_weight:
        description:
          - Share of the traffic, relative to the other variants' weights (not negative; one at least must be
            greater than 0).
        type: float
        default: 1.0
  data_capture:
    description: Capture of the endpoint's requests and responses to S3 (none given, no capture).
    type: dict
    suboptions:
      destination_s3_uri:
        description: S3 URL the captured data goes under.
        type: str
        required: true
      initial_sampling_percentage:
        description: Percentage of the requests captured (0-100).
        type: int
        default: 100
      enable_capture:
        description: Whether capture is on.
        type: bool
        default: true
      capture_modes:
        description: What is captured.
        type: list
        elements: str
        choices: [Input, Output, InputAndOutput]
        default: [Input, Output]
      kms_key_id:
        description: KMS key that encrypts the captured data.
        type: str
      csv_content_types:
        description: Content types captured as CSV (1-10).
        type: list
        elements: str
      json_content_types:
        description: Content types captured as JSON (1-10).
        type: list
        elements: str
  kms_key_id:
    description: KMS key (ID, ARN, alias or alias ARN) that encrypts the storage volume of the instances.
    type: str
  replace:
    description:
      - When the configuration exists with other settings, delete it and create it again under the same name
        instead of failing. See the description for what it means for endpoints.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: One variant on two instances, a configuration per model version
  mlops.mlflow_aws.sagemaker_endpoint_config:
    name: "churn-{{ model_version }}"
    production_variants:
      - variant_name: main
        model_name: "churn-{{ model_version }}"
        instance_type: ml.m5.large
        initial_instance_count: 2
    data_capture:
      destination_s3_uri: s3://ml-artifacts/capture/churn
      initial_sampling_percentage: 10
    tags:
      Application: churn

- name: A canary, 10 % of the traffic on the new version
  mlops.mlflow_aws.sagemaker_endpoint_config:
    name: "churn-{{ model_version }}-canary"
    production_variants:
      - variant_name: current
        model_name: "churn-{{ previous_version }}"
        instance_type: ml.m5.large
        initial_instance_count: 2
        initial_variant_weight: 9
      - variant_name: canary
        model_name: "churn-{{ model_version }}"
        instance_type: ml.m5.large
        initial_variant_weight: 1

- name: Delete a configuration no endpoint uses any more
  mlops.mlflow_aws.sagemaker_endpoint_config:
    name: churn-6
    state: absent
"""

RETURN = r"""
endpoint_config:
  description:
    - The configuration as C(DescribeEndpointConfig) returns it, in snake_case, with its tags as a dict. Empty when
      there is none (deleted, or to be created in check mode).
  returned: always
  type: dict
  contains:
    endpoint_config_name:
      description: Name of the configuration.
      type: str
    endpoint_config_arn:
      description: ARN of the configuration.
      type: str
    production_variants:
      description:
        - C(variant_name), C(model_name), C(instance_type), C(initial_instance_count) and C(initial_variant_weight)
          of each variant.
      type: list
      elements: dict
    data_capture_config:
      description: The data capture configuration.
      type: dict
    kms_key_id:
      description: The KMS key of the instances' storage.
      type: str
    creation_time:
      description: When the configuration was created (ISO 8601).
      type: str
    tags:
      description: Tags of the configuration.
      type: dict
endpoint_config_name:
  description: Name of the configuration.
  returned: always (null when there is none)
  type: str
  sample: churn-7
endpoint_config_arn:
  description: ARN of the configuration.
  returned: always (null when there is none)
  type: str
  sample: arn:aws:sagemaker:eu-west-1:123456789012:endpoint-config/churn-7
replaced:
  description: Whether the configuration was deleted and created again (O(replace)).
  returned: always
  type: bool
differences:
  description: When the configuration exists with other settings and O(replace) is false, each difference.
  returned: on that failure
  type: list
  elements: str
  sample: ["production_variants.main.instance_type: 'ml.m5.large' -> 'ml.m5.xlarge'"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_forms as forms
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.sagemaker_immutable import ImmutableManager, run


class EndpointConfigManager(ImmutableManager):
    KIND = "SageMaker endpoint configuration"
    RESULT = "endpoint_config"
    NAME_KEY = "EndpointConfigName"
    ARN_KEY = "EndpointConfigArn"
    HINT = "give the new settings another name and deploy it with sagemaker_endpoint"

    def describe(self):
        return api.describe_endpoint_config(self.client, self.params["name"])

    def create(self, tags):
        request = forms.endpoint_config_request(self.params["name"], self.params, api.boto3_tags(tags))
        api.create_endpoint_config(self.client, request)

    def delete(self):
        api.delete_endpoint_config(self.client, self.params["name"])

    def current(self, described):
        return forms.endpoint_config_current(described)

    def desired(self):
        return forms.endpoint_config_desired(self.params)


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.endpoint_config_spec(), supports_check_mode=True)
    run(module, EndpointConfigManager, params_lib.validate_endpoint_config(module.params))


if __name__ == "__main__":
    main()
