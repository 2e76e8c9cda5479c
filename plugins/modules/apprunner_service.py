#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apprunner_service
short_description: Manage AWS App Runner services that run a container image
version_added: 0.1.0
description:
  - Creates, updates, pauses, resumes and deletes an AWS App Runner service whose source is an image
    in Amazon ECR or ECR Public.
  - An update sends one C(UpdateService) call carrying only the configuration members that differ.
    Options left unset are not compared and keep their current value.
  - While App Runner runs an operation on the service (status C(OPERATION_IN_PROGRESS)) the module waits
    for it to end before changing anything. A failed operation (C(CREATE_FAILED), an update that App Runner
    rolled back) fails the task with the service status and the operation status.
  - A service left in C(CREATE_FAILED) by an earlier run cannot be updated; it is deleted and created again.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the service (4 to 40 letters, digits, V(-) or V(_)).
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the service and leaves it running or paused as it is.
      - V(running) and V(paused) also resume or pause it.
      - V(absent) deletes it.
    type: str
    choices: [present, absent, running, paused]
    default: present
  image:
    description:
      - Image URI, V(<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>) or
        V(public.ecr.aws/<alias>/<repository>:<tag>). Required to create the service.
    type: str
  image_repository_type:
    description: V(ECR) or V(ECR_PUBLIC); derived from O(image) when not given.
    type: str
    choices: [ECR, ECR_PUBLIC]
  port:
    description:
      - Port the container listens on; App Runner passes it in the E(PORT) variable. App Runner's default is 8080.
    type: int
  environment:
    description:
      - Plain environment variables. Replaces the service's whole set when given.
      - Do not put secrets here; use O(environment_secrets).
    type: dict
  environment_secrets:
    description:
      - Environment variables App Runner fills from AWS Secrets Manager secrets or SSM parameters at
        deployment, as a mapping of variable name to secret or parameter ARN.
      - The instance role (O(instance_role_arn)) must be allowed to read them.
    type: dict
  start_command:
    description: Command that replaces the image's default command.
    type: str
  auto_deployments:
    description: Whether App Runner deploys automatically when the image tag is pushed again.
    type: bool
  access_role_arn:
    description: IAM role App Runner pulls a private ECR image with. Required for V(ECR) images.
    type: str
  cpu:
    description: vCPU units, V(256), V(512), V(1024), V(2048) or V(4096), or V(1 vCPU) style.
    type: str
  memory:
    description:
      - Memory in MB, or V(2 GB) style. App Runner accepts only some CPU/memory pairs
        (for example V(1024) CPU with V(2048), V(3072) or V(4096) MB); others fail before any call.
    type: str
  instance_role_arn:
    description: IAM role the application runs as (access to S3, secrets, ...).
    type: str
  health_check:
    description: How App Runner decides an instance is healthy.
    type: dict
    suboptions:
      protocol:
        description: V(HTTP) or V(TCP).
        type: str
        choices: [HTTP, TCP]
      path:
        description: Path of the HTTP check.
        type: str
      interval:
        description: Seconds between checks (1-20).
        type: int
      timeout:
        description: Seconds to wait for an answer (1-20).
        type: int
      healthy_threshold:
        description: Successes before an instance is healthy (1-20).
        type: int
      unhealthy_threshold:
        description: Failures before an instance is unhealthy (1-20).
        type: int
  auto_scaling_configuration_arn:
    description: Auto scaling configuration (see M(mlops.mlflow_aws.apprunner_auto_scaling_configuration)).
    type: str
  egress_type:
    description: V(DEFAULT) (internet) or V(VPC) (through O(vpc_connector_arn), for a private database).
    type: str
    choices: [DEFAULT, VPC]
  vpc_connector_arn:
    description: VPC connector for O(egress_type=VPC) (see M(mlops.mlflow_aws.apprunner_vpc_connector)).
    type: str
  publicly_accessible:
    description: V(false) makes the service reachable only through a VPC interface endpoint.
    type: bool
  ip_address_type:
    description: V(IPV4) or V(DUAL_STACK).
    type: str
    choices: [IPV4, DUAL_STACK]
  observability:
    description: Set V(false) to turn tracing off; set O(observability_configuration_arn) to turn it on.
    type: bool
  observability_configuration_arn:
    description: Observability configuration to trace the service with.
    type: str
  kms_key:
    description:
      - ARN of the KMS key that encrypts the service's stored copy of the source. Set at creation only;
        a different key on an existing service fails (the service must be recreated).
    type: str
  force_deployment:
    description:
      - Start a deployment (C(StartDeployment)) so App Runner pulls the image again, for a new image
        pushed behind the same tag. Skipped when the run updates the service anyway.
    type: bool
    default: false
  wait:
    description: Wait until App Runner finishes the operation the module started.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait, for the module's own operation and for one already running.
    type: int
    default: 1200
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: MLflow on App Runner, database reached through a VPC connector
  mlops.mlflow_aws.apprunner_service:
    name: mlflow
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow:3.17.2"
    access_role_arn: "arn:aws:iam::123456789012:role/mlflow-apprunner-ecr"
    instance_role_arn: "arn:aws:iam::123456789012:role/mlflow-apprunner-instance"
    port: 8080
    cpu: "1024"
    memory: "2048"
    environment:
      MLFLOW_ARTIFACT_URI: "s3://ml-artifacts/mlflow"
    environment_secrets:
      MLFLOW_DB_SECRET_JSON: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mlflow/db-AbCdEf"
    health_check:
      protocol: HTTP
      path: /health
    egress_type: VPC
    vpc_connector_arn: "{{ connector.vpc_connector.vpc_connector_arn }}"
    tags:
      team: ml-platform

- name: Roll out a new image pushed behind the same tag
  mlops.mlflow_aws.apprunner_service:
    name: mlflow
    force_deployment: true

- name: Pause it for the weekend
  mlops.mlflow_aws.apprunner_service:
    name: mlflow
    state: paused

- name: Delete it
  mlops.mlflow_aws.apprunner_service:
    name: mlflow
    state: absent
"""

RETURN = r"""
service_arn:
  description: ARN of the service.
  returned: when the service exists
  type: str
  sample: arn:aws:apprunner:eu-west-1:123456789012:service/mlflow/8fe1e10304f84fd2b0df550fe98a71fa
service_url:
  description: Domain name App Runner serves the service on (HTTPS).
  returned: when the service exists
  type: str
  sample: abcdefgh12.eu-west-1.awsapprunner.com
status:
  description: Service status after the run (C(RUNNING), C(PAUSED), C(OPERATION_IN_PROGRESS) without O(wait), ...).
  returned: when the service exists
  type: str
  sample: RUNNING
operation_ids:
  description: IDs of the App Runner operations the run started, oldest first.
  returned: always
  type: list
  elements: str
service:
  description: The service as C(DescribeService) returns it, in snake_case, plus its tags.
  returned: when the service exists
  type: dict
  contains:
    service_name:
      description: Name of the service.
      type: str
    service_id:
      description: ID App Runner gave the service.
      type: str
    source_configuration:
      description: Image, its configuration and the access role.
      type: dict
    instance_configuration:
      description: CPU, memory and the instance role.
      type: dict
    network_configuration:
      description: Egress (and VPC connector) and ingress settings.
      type: dict
    tags:
      description: Tags of the service.
      type: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner_service_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apprunner_results import service_result
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, boto3_tags, plan_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class ServiceManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.operation_ids = []
        self.diff = {"before": {}, "after": {}}
        self.tags = None

    # ------------------------------------------------------------ helpers
    def wait(self, service, timeout=None):
        return api.wait_for_service(self.client, service["ServiceArn"], timeout or self.params["wait_timeout"])

    def settle(self, service):
        """Wait out an operation someone else started, so the module acts on a stable service."""
        if service and service["Status"] == "OPERATION_IN_PROGRESS":
            service = self.wait(service)
        return service

    def run_operation(self, service, start, action):
        """Start an operation with START(arn) and, with wait, check how it ended."""
        operation_id = start(service["ServiceArn"])
        self.operation_ids.append(operation_id)
        if not self.params["wait"]:
            return api.find_service(self.client, arn=service["ServiceArn"])
        finished = self.wait(service)
        if finished is not None:
            api.check_operation(self.client, finished, operation_id, action)
        return finished

    # ------------------------------------------------------------ states
    def absent(self):
        service = api.find_service(self.client, name=self.params["name"])
        if service is None:
            return None
        self.changed = True
        self.diff = {"before": params_lib.comparable(service), "after": {}}
        if self.module.check_mode:
            return None
        service = self.settle(service)
        if service is None:
            return None
        self.operation_ids.append(api.delete_service(self.client, service["ServiceArn"]))
        if self.params["wait"]:
            self.wait(service)
            return None
        return api.find_service(self.client, arn=service["ServiceArn"])

    def create(self, desired, tags):
        if not self.params.get("image"):
            self.module.fail_json(msg="image: required to create App Runner service " + self.params["name"])
        self.changed = True
        self.diff["after"] = {**desired, "Status": "RUNNING"}
        self.tags = self.params["tags"]
        if self.module.check_mode:
            return None
        request = params_lib.create_request(self.params, desired, boto3_tags(tags))
        response = api.create_service(self.client, request)
        service, operation_id = response["Service"], response["OperationId"]
        self.operation_ids.append(operation_id)
        if not self.params["wait"]:
            return service
        finished = self.wait(service)
        api.check_operation(self.client, finished or service, operation_id, "create")
        return finished

    def present(self):
        desired = params_lib.desired_sections(self.params)
        service = api.find_service(self.client, name=self.params["name"])
        self.diff["before"] = params_lib.comparable(service)
        if service and service["Status"] == "CREATE_FAILED":
            self.module.warn(f"service {self.params['name']} is CREATE_FAILED from an earlier run: recreating it")
            self.changed = True
            if not self.module.check_mode:
                self.operation_ids.append(api.delete_service(self.client, service["ServiceArn"]))
                self.wait(service)
            service = None
        if service is None:
            return self.create(desired, self.params["tags"])
        current_key = (service.get("EncryptionConfiguration") or {}).get("KmsKey")
        if self.params.get("kms_key") and self.params["kms_key"] != current_key:
            self.module.fail_json(
                msg=f"kms_key: service {self.params['name']} is encrypted with {current_key or 'an AWS owned key'}; "
                "App Runner cannot change the key of an existing service (delete and recreate it)"
            )
        request = params_lib.update_request(service, desired)
        target = {"running": "RUNNING", "paused": "PAUSED"}.get(self.params["state"])
        # Compared now (check mode and the diff), applied once App Runner's operations are done.
        tag_change = plan_tags(
            self.client, api.TAGS, service["ServiceArn"], self.params["tags"], self.params["purge_tags"]
        )
        if self.params["tags"] is not None:
            self.tags = tag_change.after
        after = params_lib.comparable(service)
        after.update(request)
        if target:
            after["Status"] = target
        self.diff["after"] = after
        deploy = self.params["force_deployment"] and not request
        pause_change = target is not None and target != service["Status"]
        if service["Status"] == "OPERATION_IN_PROGRESS" and not (request or deploy or pause_change):
            pause_change = False  # someone else's operation; nothing of ours to do
        if not (request or deploy or pause_change or tag_change.changed):
            return service
        self.changed = True
        if self.module.check_mode:
            return service
        service = self.settle(service)
        was_paused = service["Status"] == "PAUSED"
        if (request or deploy) and was_paused:
            service = self.run_operation(service, lambda arn: api.resume_service(self.client, arn), "resume")
        if request:
            service = self.run_operation(
                service, lambda arn: self._update(arn, request), "update (App Runner rolled the change back)"
            )
        elif deploy:
            service = self.run_operation(service, lambda arn: api.start_deployment(self.client, arn), "deploy")
        final = target or ("PAUSED" if was_paused else None)
        if service and final == "PAUSED" and service["Status"] == "RUNNING":
            service = self.run_operation(service, lambda arn: api.pause_service(self.client, arn), "pause")
        elif service and final == "RUNNING" and service["Status"] == "PAUSED":
            service = self.run_operation(service, lambda arn: api.resume_service(self.client, arn), "resume")
        if service:
            apply_tags(self.client, api.TAGS, service["ServiceArn"], tag_change)
        return service

    def _update(self, arn, request):
        return api.update_service(self.client, {"ServiceArn": arn, **request})["OperationId"]


def main():
    argument_spec = dict(
        name=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent", "running", "paused"]),
        image=dict(type="str"),
        image_repository_type=dict(type="str", choices=["ECR", "ECR_PUBLIC"]),
        port=dict(type="int"),
        environment=dict(type="dict"),
        environment_secrets=dict(type="dict", no_log=False),
        start_command=dict(type="str"),
        auto_deployments=dict(type="bool"),
        access_role_arn=dict(type="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        instance_role_arn=dict(type="str"),
        health_check=dict(
            type="dict",
            options=dict(
                protocol=dict(type="str", choices=["HTTP", "TCP"]),
                path=dict(type="str"),
                interval=dict(type="int"),
                timeout=dict(type="int"),
                healthy_threshold=dict(type="int"),
                unhealthy_threshold=dict(type="int"),
            ),
        ),
        auto_scaling_configuration_arn=dict(type="str"),
        egress_type=dict(type="str", choices=["DEFAULT", "VPC"]),
        vpc_connector_arn=dict(type="str"),
        publicly_accessible=dict(type="bool"),
        ip_address_type=dict(type="str", choices=["IPV4", "DUAL_STACK"]),
        observability=dict(type="bool"),
        observability_configuration_arn=dict(type="str"),
        kms_key=dict(type="str", no_log=False),
        force_deployment=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1200),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if module.params["state"] != "absent":
        problems = params_lib.validate(module.params)
        if problems:
            module.fail_json(msg="Invalid App Runner service options: " + "; ".join(problems), problems=problems)

    client = module.client("apprunner")
    manager = ServiceManager(module, client)
    try:
        service = manager.absent() if module.params["state"] == "absent" else manager.present()
    except WaitError as exc:  # timed out, or the operation ended badly (api.AppRunnerWaitError)
        module.fail_json(msg=str(exc), operation_ids=manager.operation_ids)
    except is_boto3_error_code("InvalidRequestException") as exc:  # pylint: disable=duplicate-except
        module.fail_json_aws(exc, msg="App Runner rejected the request")
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:  # pylint: disable=duplicate-except
        module.fail_json_aws(exc, msg="App Runner call failed")

    result = dict(changed=manager.changed, operation_ids=manager.operation_ids)
    if module._diff:
        result["diff"] = manager.diff
    if service:
        result.update(service_result(service, manager.tags))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
