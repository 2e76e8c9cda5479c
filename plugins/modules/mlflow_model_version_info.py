#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: mlflow_model_version_info
short_description: Read one registered model version from an MLflow tracking server
version_added: 0.1.0
description:
  - Reads one version of a registered model from an MLflow tracking server's REST API, by number (O(version),
    C(GET /api/2.0/mlflow/model-versions/get)) or by alias (O(alias),
    C(GET /api/2.0/mlflow/registered-models/alias)), then where its files are
    (C(GET /api/2.0/mlflow/model-versions/get-download-uri)), for example to deploy it with
    M(mlops.mlflow_aws.sagemaker_model).
  - The version must be C(READY); a version still registering, or whose registration failed, fails the task.
  - The module needs no C(mlflow) package, only Python's C(urllib) and botocore. It runs where the task runs (on
    the controller when the task is delegated to C(localhost)) and makes GET requests only, in check mode too; it
    never changes anything.
  - With a server behind the collection's C(nginx_basic_auth) role or MLflow's own basic-auth, O(auth=basic) with
    O(username) and O(password); behind an API Gateway with IAM authorization, O(auth=sigv4) signs each request
    with the AWS credentials the usual AWS options give (O(access_key), O(profile), ... or the environment's
    credential chain) for C(execute-api) in O(region).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  tracking_uri:
    description:
      - The tracking server's base URL (C(https://mlflow.example.com), or with a path prefix such as an API
        Gateway stage's); the API is under C(<tracking_uri>/api/2.0/mlflow/).
      - C(https://), so that neither the login nor the signature crosses the network in clear; C(http://) only to a
        loopback address (a server on this host, or a tunnel to one). No login in the URL.
    type: str
    required: true
  name:
    description: Name of the registered model.
    type: str
    required: true
  version:
    description:
      - The version's number (C(3)). Mutually exclusive with O(alias); one of them is required.
    type: str
  alias:
    description:
      - An alias of the registered model (C(champion)), which points at one version. Mutually exclusive with
        O(version); one of them is required.
    type: str
  auth:
    description:
      - V(basic), HTTP basic authentication with O(username) and O(password) (sent with the first request).
      - V(sigv4), each request signed with AWS Signature Version 4 for C(execute-api) in O(region), with the module's
        AWS credentials.
      - V(none), no credentials.
    type: str
    choices: [basic, sigv4, none]
    default: basic
  username:
    description: The login's user name. Required with O(auth=basic) (and only with it).
    type: str
  password:
    description: The login's password. Required with O(auth=basic) (and only with it).
    type: str
  ca_path:
    description:
      - A PEM bundle of the CA certificates to verify the tracking server's TLS certificate with (instead of the
        system's), for example a private CA's or a self-signed certificate.
    type: path
  validate_certs:
    description:
      - Whether to verify the TLS certificates of the tracking server (and of AWS APIs). Only V(false) for a test
        server; the login or signature is then sent to whoever answers.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for each answer of the tracking server.
    type: int
    default: 30
  artifacts_destination:
    description:
      - The tracking server's C(--artifacts-destination) (C(s3://<bucket>[/<prefix>])), when it serves the artifacts
        (C(--serve-artifacts)); it turns an RV(artifact_uri) of C(mlflow-artifacts:/<path>) into
        RV(model_s3_uri) C(s3://<bucket>/<prefix>/<path>/). The module reads nothing from S3.
    type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Only the model registry's read calls are made; the user (or IAM principal) needs read permission on the
    registered model, nothing more.
"""

EXAMPLES = r"""
- name: The champion of the churn model, on a server behind basic auth
  mlops.mlflow_aws.mlflow_model_version_info:
    tracking_uri: https://mlflow.example.com
    name: churn
    alias: champion
    username: deployer
    password: "{{ vault_mlflow_password }}"
    artifacts_destination: s3://ml-artifacts/mlflow  # the server's --artifacts-destination
  delegate_to: localhost
  register: champion

- name: Deploy its files as they are in the bucket (no model.tar.gz)
  mlops.mlflow_aws.sagemaker_model:
    name: "churn-{{ champion.model_version.version }}"
    execution_role_arn: "arn:aws:iam::123456789012:role/sagemaker-execution"
    primary_container:
      image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow-pyfunc:3.17.2"
      model_data_source:
        s3_uri: "{{ champion.model_s3_uri }}"

- name: Version 3, through an API Gateway with IAM authorization (ecs_private), with the AWS profile's credentials
  mlops.mlflow_aws.mlflow_model_version_info:
    tracking_uri: https://abc123.execute-api.eu-west-1.amazonaws.com
    name: churn
    version: "3"
    auth: sigv4
    profile: deployer
    region: eu-west-1
  register: churn_3

- name: A server with a certificate from a private CA
  mlops.mlflow_aws.mlflow_model_version_info:
    tracking_uri: https://mlflow.internal.example.com
    name: churn
    version: "3"
    username: deployer
    password: "{{ vault_mlflow_password }}"
    ca_path: /etc/ssl/private-ca.pem
"""

RETURN = r"""
model_version:
  description: The model version as MLflow describes it (its members are snake_case already), with its tags as a dict.
  returned: success
  type: dict
  contains:
    name:
      description: Name of the registered model.
      type: str
      sample: churn
    version:
      description: The version's number.
      type: str
      sample: "3"
    source:
      description: What the version was registered from (C(models:/m-<id>) for a logged model, or a URI).
      type: str
      sample: models:/m-0123456789abcdef0123456789abcdef
    run_id:
      description: The run that produced it (empty when none).
      type: str
      sample: 768f5f2a495c48408749e706e1367642
    status:
      description: C(READY) (any other status fails the task).
      type: str
      sample: READY
    aliases:
      description: The registered model's aliases that point at this version.
      type: list
      elements: str
      sample: [champion]
    tags:
      description: The version's tags.
      type: dict
      sample: {validated: "true"}
    creation_timestamp:
      description: When the version was registered (milliseconds since the epoch).
      type: int
      sample: 1795702401515
    last_updated_timestamp:
      description: When it last changed (milliseconds since the epoch).
      type: int
      sample: 1795702401515
    description:
      description: Its description (empty when none).
      type: str
    model_id:
      description: The logged model's ID (MLflow 3), when the server gives it.
      type: str
      returned: when the server gives it
    user_id:
      description: Who registered it, when the server gives it.
      type: str
      returned: when the server gives it
    current_stage:
      description: Its stage (MLflow's deprecated stages), when the server gives one.
      type: str
      returned: when the server gives it
    status_message:
      description: MLflow's message about the status, when it gives one.
      type: str
      returned: when the server gives it
artifact_uri:
  description:
    - Where the version's files are, as C(GET model-versions/get-download-uri) answers (C(s3://...), or
      C(mlflow-artifacts:/...) when the server serves the artifacts).
  returned: success
  type: str
  sample: mlflow-artifacts:/1/models/m-0123456789abcdef0123456789abcdef/artifacts
model_s3_uri:
  description:
    - The version's files as an S3 prefix ending in C(/), as
      O(mlops.mlflow_aws.sagemaker_model#module:primary_container.model_data_source.s3_uri) takes it.
    - RV(artifact_uri) when it is C(s3://) already, or C(mlflow-artifacts:/<path>) through
      O(artifacts_destination). Empty when neither says where in S3 the files are.
  returned: success
  type: str
  sample: s3://ml-artifacts/mlflow/1/models/m-0123456789abcdef0123456789abcdef/artifacts/
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import mlflow_rest as rest

try:
    import botocore.session
    from botocore.exceptions import BotoCoreError
except ImportError:
    pass  # Handled by AnsibleAWSModule


def sigv4_credentials(module):
    """(frozen credentials, region) from the module's AWS options, as amazon.aws modules resolve them (the given
    keys, else the profile, else botocore's credential chain)."""
    region, _endpoint, connection = get_aws_connection_info(module)
    if not region:
        module.fail_json(msg="region: required with auth=sigv4 (the API's region, which the signature names)")
    try:
        session = botocore.session.Session(profile=connection.get("profile_name"))
        if connection.get("aws_access_key_id") or connection.get("aws_secret_access_key"):
            session.set_credentials(
                connection.get("aws_access_key_id"),
                connection.get("aws_secret_access_key"),
                connection.get("aws_session_token"),
            )
        credentials = session.get_credentials()
        frozen = credentials.get_frozen_credentials() if credentials is not None else None
    except BotoCoreError as exc:
        module.fail_json_aws(exc, msg="Could not get the AWS credentials to sign with (auth=sigv4)")
    if frozen is None or not frozen.access_key or not frozen.secret_key:
        module.fail_json(
            msg="auth=sigv4: no AWS credentials found (give access_key and secret_key, or profile, or credentials "
            "in the environment's AWS credential chain)"
        )
    return frozen, region


def read(server, params):
    """(model_version, artifact_uri, model_s3_uri); raises rest.MlflowError."""
    found = rest.find_version(server, params["name"], version=params.get("version"), alias=params.get("alias"))
    version = rest.snake_version(found)
    if version["status"] != rest.READY:
        said = f": {version['status_message']}" if version.get("status_message") else ""
        raise rest.MlflowError(
            f"Version {version['version']} of registered model {version['name']} is {version['status']}, not "
            f"{rest.READY}{said}"
        )
    artifact_uri = rest.download_uri(server, version["name"], version["version"])
    return version, artifact_uri, rest.s3_location(artifact_uri, params.get("artifacts_destination"))


def main():
    module = AnsibleAWSModule(
        argument_spec=rest.spec(),
        mutually_exclusive=[("version", "alias")],
        required_one_of=[("version", "alias")],
        required_if=[("auth", "basic", ("username", "password"))],
        supports_check_mode=True,
    )
    problems = rest.validate(module.params)
    if problems:
        module.fail_json(msg="Invalid mlflow_model_version_info options: " + "; ".join(problems), problems=problems)
    credentials, region = sigv4_credentials(module) if module.params["auth"] == "sigv4" else (None, None)
    server = rest.Server(module.params, credentials=credentials, region=region)
    try:
        version, artifact_uri, model_s3_uri = read(server, module.params)
    except rest.MlflowError as exc:
        module.fail_json(msg=str(exc), status=exc.status, error_code=exc.error_code)
    module.exit_json(changed=False, model_version=version, artifact_uri=artifact_uri, model_s3_uri=model_s3_uri)


if __name__ == "__main__":
    main()
