#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sagemaker_model
short_description: Manage Amazon SageMaker models
version_added: 0.1.0
description:
  - Creates and deletes an Amazon SageMaker model (C(CreateModel)) for real-time inference, that is one container
    image with its model artifacts, environment and execution role; an endpoint configuration
    (M(mlops.mlflow_aws.sagemaker_endpoint_config)) deploys it.
  - The model is found by name with C(DescribeModel) and compared with the options, every one of them (an option
    left unset means the model has none of it; O(primary_container.mode) V(SingleModel) is SageMaker's default).
    Subnets and security groups are compared as sets. A run that changes nothing makes one C(DescribeModel) and one
    C(ListTags) call.
  - SageMaker models cannot change; only their tags can. A model that exists with other settings fails the task
    before any change and the message lists each difference, unless O(replace=true). The usual way to change a
    model is a new name (for example with a version or a hash of the settings in it) and a new endpoint
    configuration that points at it, which M(mlops.mlflow_aws.sagemaker_endpoint) then deploys without downtime.
  - With O(replace=true) the module deletes the model and creates it again under the same name, keeping its tags
    (merged with O(tags) as O(purge_tags) says). Endpoints already running it are not changed (SageMaker copied
    the model when it deployed them); the next deployment of an endpoint configuration that names it uses the new
    model.
  - The options are checked before any AWS call (name, role ARN, image URI, S3 URLs of the model data,
    environment variable names, subnet and security group IDs, tags).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the model (1-63 letters, digits or hyphens, starting and ending with a letter or digit).
    type: str
    required: true
    aliases: [model_name]
  state:
    description:
      - V(present) creates the model, or checks that it matches the options (with O(replace), replaces it when not).
      - V(absent) deletes it (C(DeleteModel)).
    type: str
    choices: [present, absent]
    default: present
  execution_role_arn:
    description:
      - IAM role SageMaker pulls the image and reads the model artifacts with (trusting C(sagemaker.amazonaws.com)).
        Required with O(state=present).
    type: str
  primary_container:
    description: The inference container. Required with O(state=present).
    type: dict
    suboptions:
      image:
        description:
          - URI of the image in Amazon ECR (C(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>) or
            C(@sha256:<digest>)).
        type: str
        required: true
      model_data_url:
        description:
          - S3 URL of the model artifacts (C(s3://<bucket>/<key>/model.tar.gz)); with
            O(primary_container.mode=MultiModel) the S3 prefix the models are under. None for a container that
            carries its model.
          - Mutually exclusive with O(primary_container.model_data_source).
        type: str
      model_data_source:
        description:
          - The model data in S3 as SageMaker takes it uncompressed (C(ModelDataSource)), for example an MLflow
            model directory (C(MLmodel), the model files, C(requirements.txt)) as the tracking server stored it in
            the artifact bucket. SageMaker copies every object under the prefix to C(/opt/ml/model), keeping the
            paths below the prefix, with no C(model.tar.gz) to build first.
          - Mutually exclusive with O(primary_container.model_data_url). SageMaker takes it with
            O(primary_container.mode=SingleModel) only (not for multi-model endpoints).
          - Compared like every other option; a model with another prefix is a listed difference (a new model name,
            or O(replace)). A single C(.tar.gz) object given here (V(S3Object), V(Gzip)) is the same model data as
            O(primary_container.model_data_url) with that URL.
        type: dict
        suboptions:
          s3_uri:
            description:
              - C(s3://<bucket>/<prefix>/) with O(primary_container.model_data_source.s3_data_type=S3Prefix) (it must
                end with C(/)); C(s3://<bucket>/<key>) of one object with V(S3Object).
            type: str
            required: true
          s3_data_type:
            description:
              - V(S3Prefix), every object under the prefix; V(S3Object), one object.
            type: str
            choices: [S3Prefix, S3Object]
            default: S3Prefix
          compression_type:
            description:
              - V(None), the objects are the model files as they are; V(Gzip), one C(.tar.gz) object SageMaker
                unpacks (with V(S3Object) only).
            type: str
            choices: ["None", Gzip]
            default: "None"
      environment:
        description:
          - Environment variables of the container (up to 100; values up to 1024 characters).
          - Anyone who can describe the model sees them. A name that looks like a secret (password, secret, token,
            C(_key) ...) is refused; give the container the name of a Secrets Manager secret to read instead.
        type: dict
      mode:
        description: Whether the container hosts one model or many (loaded from O(primary_container.model_data_url)).
        type: str
        choices: [SingleModel, MultiModel]
        default: SingleModel
  vpc_config:
    description: Subnets and security groups the container runs in (none given, SageMaker's network).
    type: dict
    suboptions:
      subnets:
        description: 1-16 subnet IDs.
        type: list
        elements: str
        required: true
      security_group_ids:
        description: 1-5 security group IDs.
        type: list
        elements: str
        required: true
  enable_network_isolation:
    description: Run the container without any network access (no outbound calls, not even to AWS).
    type: bool
    default: false
  replace:
    description:
      - When the model exists with other settings, delete it and create it again under the same name instead of
        failing. See the description for what it means for endpoints.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: An MLflow model served by an MLflow pyfunc image, one name per version
  mlops.mlflow_aws.sagemaker_model:
    name: "churn-{{ model_version }}"
    execution_role_arn: "arn:aws:iam::123456789012:role/sagemaker-execution"
    primary_container:
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.17.2"
      model_data_url: "s3://ml-artifacts/models/churn/{{ model_version }}/model.tar.gz"
      environment:
        MLFLOW_DEPLOYMENT_FLAVOR_NAME: python_function
    vpc_config:
      subnets: "{{ private_subnet_ids }}"
      security_group_ids: ["{{ model_sg.group_id }}"]
    tags:
      Application: churn
  register: churn_model

- name: Where the registered model's champion version is in the artifact bucket
  mlops.mlflow_aws.mlflow_model_version_info:
    tracking_uri: https://mlflow.example.com
    name: churn
    alias: champion
    username: deployer
    password: "{{ vault_mlflow_password }}"
    artifacts_destination: s3://ml-artifacts/mlflow  # the server's --artifacts-destination
  register: champion

- name: That MLflow model directory, served uncompressed (no model.tar.gz to build)
  mlops.mlflow_aws.sagemaker_model:
    name: "churn-{{ champion.model_version.version }}"
    execution_role_arn: "arn:aws:iam::123456789012:role/sagemaker-execution"
    primary_container:
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.17.2"
      model_data_source:
        # s3://ml-artifacts/mlflow/1/models/m-0123456789abcdef/artifacts/
        s3_uri: "{{ champion.model_s3_uri }}"
        s3_data_type: S3Prefix
        compression_type: None
      environment:
        MLFLOW_DEPLOYMENT_FLAVOR_NAME: python_function

- name: Change a model in place (endpoints already deployed keep the old one until their next deployment)
  mlops.mlflow_aws.sagemaker_model:
    name: churn-scratch
    execution_role_arn: "arn:aws:iam::123456789012:role/sagemaker-execution"
    primary_container:
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.18.0"
      model_data_url: "s3://ml-artifacts/models/churn/scratch/model.tar.gz"
    replace: true

- name: Delete it
  mlops.mlflow_aws.sagemaker_model:
    name: churn-scratch
    state: absent
"""

RETURN = r"""
model:
  description:
    - The model as C(DescribeModel) returns it, in snake_case (the environment variables as they are), with its
      tags as a dict. Empty when there is no model (deleted, or to be created in check mode).
  returned: always
  type: dict
  contains:
    model_name:
      description: Name of the model.
      type: str
    model_arn:
      description: ARN of the model.
      type: str
    execution_role_arn:
      description: The execution role.
      type: str
    primary_container:
      description:
        - C(image), C(model_data_url) or C(model_data_source) (C(s3_data_source) with C(s3_uri), C(s3_data_type),
          C(compression_type)), C(environment), C(mode).
      type: dict
      sample:
        image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.17.2
        mode: SingleModel
        model_data_source:
          s3_data_source:
            s3_uri: s3://ml-artifacts/mlflow/1/models/m-0123456789abcdef/artifacts/
            s3_data_type: S3Prefix
            compression_type: None
        environment:
          MLFLOW_DEPLOYMENT_FLAVOR_NAME: python_function
    vpc_config:
      description: C(subnets) and C(security_group_ids).
      type: dict
    enable_network_isolation:
      description: Whether the container runs without network access.
      type: bool
    creation_time:
      description: When the model was created (ISO 8601).
      type: str
    tags:
      description: Tags of the model.
      type: dict
model_name:
  description: Name of the model.
  returned: always (null when there is no model)
  type: str
  sample: churn-7
model_arn:
  description: ARN of the model.
  returned: always (null when there is no model)
  type: str
  sample: arn:aws:sagemaker:eu-west-1:123456789012:model/churn-7
replaced:
  description: Whether the model was deleted and created again (O(replace)).
  returned: always
  type: bool
differences:
  description:
    - When the model exists with other settings and O(replace) is false, each difference
      (the option, its current value -> the desired one).
  returned: on that failure
  type: list
  elements: str
  sample: ["primary_container.image: '...:3.17.2' -> '...:3.18.0'"]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_forms as forms
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.sagemaker_immutable import ImmutableManager, run


class ModelManager(ImmutableManager):
    KIND = "SageMaker model"
    RESULT = "model"
    NAME_KEY = "ModelName"
    ARN_KEY = "ModelArn"
    HINT = "give the new settings another name (and an endpoint configuration that points at it)"

    def describe(self):
        return api.describe_model(self.client, self.params["name"])

    def create(self, tags):
        request = forms.model_request(self.params["name"], forms.model_definition(self.params), api.boto3_tags(tags))
        api.create_model(self.client, request)

    def delete(self):
        api.delete_model(self.client, self.params["name"])

    def current(self, described):
        return forms.model_current(described)

    def desired(self):
        return forms.model_desired(self.params)


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.model_spec(), supports_check_mode=True)
    run(module, ModelManager, params_lib.validate_model(module.params))


if __name__ == "__main__":
    main()
