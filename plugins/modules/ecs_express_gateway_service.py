#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_express_gateway_service
short_description: Manage Amazon ECS Express Mode services
version_added: 0.1.0
description:
  - Creates, updates and deletes an Amazon ECS Express Mode service (C(CreateExpressGatewayService)), that is one
    container on Fargate behind an HTTPS endpoint C(<name>-<id>.ecs.<region>.on.aws) of a load balancer AWS
    creates and shares between the Express services of a VPC, with auto scaling.
  - The service is found with C(DescribeServices) (an C(INACTIVE) service counts as absent), then described
    with C(DescribeExpressGatewayService). An existing service is compared with its active configuration,
    normalised the way AWS describes it (subnets, security groups, environment variables and secrets as sets,
    V(1 vCPU) as V(1024), the defaults AWS fills in). Options left unset are not compared and keep their value.
    One C(UpdateExpressGatewayService) call then carries only the members that differ; the container goes as
    a whole when any of its settings differs. A run that changes nothing makes two calls.
  - O(infrastructure_role_arn) cannot change on an existing service; the module fails before changing
    anything when it differs (delete the service and create it again).
  - With O(wait), the module follows the ECS deployment a change starts until it is C(COMPLETED) with all its
    tasks running. A failed deployment fails the task with the service's status, the deployment's
    C(rolloutStateReason), the reasons its tasks stopped and the latest service events.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the service (up to 255 letters, digits, V(-) or V(_)); its endpoint starts with it.
    type: str
    required: true
    aliases: [service_name]
  cluster:
    description:
      - Name or ARN of the ECS cluster. AWS creates the V(default) cluster when it does not exist; another
        cluster must exist.
    type: str
    default: default
  state:
    description:
      - V(present) creates or updates the service; a deleted (C(INACTIVE)) service is created again.
      - V(absent) deletes it (C(DeleteExpressGatewayService)); with O(wait), until it is C(INACTIVE).
    type: str
    choices: [present, absent]
    default: present
  image:
    description: Container image to run (any registry the execution role can pull from). Required with O(state=present).
    type: str
  container_port:
    description: Port the container listens on (1-65535). AWS's default is 80.
    type: int
  command:
    description: Command that replaces the image's default command. An empty list removes it.
    type: list
    elements: str
  environment:
    description:
      - Plain environment variables of the container. Replaces the whole set when given.
      - Do not put secrets here; use O(secrets).
    type: dict
  secrets:
    description:
      - Environment variables ECS fills from AWS Secrets Manager secrets or SSM parameters, as a mapping of
        variable name to secret or parameter ARN (C(valueFrom)). The execution role must be allowed to read them.
      - Replaces the whole set when given.
    type: dict
  log_group:
    description:
      - CloudWatch Logs group of the container's output. AWS's default is C(/aws/ecs/<cluster>/<name>).
    type: str
  log_stream_prefix:
    description:
      - Prefix of the log streams in O(log_group). Needs O(log_group). Not given, a new configuration uses V(ecs)
        and an existing one keeps its prefix.
    type: str
  repository_credentials:
    description: ARN of the Secrets Manager secret holding the credentials of a private registry.
    type: str
  execution_role_arn:
    description: IAM role ECS pulls the image, reads O(secrets) and writes the logs with.
    type: str
  infrastructure_role_arn:
    description:
      - IAM role ECS manages the load balancer, security groups, auto scaling and endpoint with (a role
        trusting C(ecs.amazonaws.com) with the C(AmazonECSInfrastructureRoleforExpressGatewayServices) policy).
      - Required to create the service. It cannot change afterwards.
    type: str
  task_role_arn:
    description: IAM role the application runs as.
    type: str
  subnets:
    description:
      - Subnet IDs of the tasks, all in one VPC. Public subnets give an internet-facing endpoint, private
        ones an internal one. Not given (or empty), a new service uses the default VPC's subnets and an
        existing one keeps its subnets.
    type: list
    elements: str
  security_groups:
    description:
      - Security group IDs of the tasks, besides the one AWS creates for the service. Not given (or empty), a
        new service in the default VPC gets its default group and an existing one keeps its groups.
    type: list
    elements: str
  cpu:
    description:
      - CPU units of the task, V(256) to V(16384), or V(1 vCPU) style. AWS's default is V(1024).
      - With O(memory), the pair must be one Fargate offers; others fail before any call.
    type: str
  memory:
    description: Memory of the task in MiB, or V(2 GB) style. AWS's default is V(2048).
    type: str
  cpu_architecture:
    description: CPU architecture of the task. AWS's default is V(X86_64).
    type: str
    choices: [X86_64, ARM64]
  health_check_path:
    description: Path the load balancer checks the container on; must start with V(/). AWS's default is V(/ping).
    type: str
  min_tasks:
    description: Fewest tasks auto scaling keeps. AWS's default is 1.
    type: int
  max_tasks:
    description: Most tasks auto scaling starts. AWS's default is 20.
    type: int
  scaling_metric:
    description: Metric auto scaling tracks. AWS's default is V(AVERAGE_CPU).
    type: str
    choices: [AVERAGE_CPU, AVERAGE_MEMORY, REQUEST_COUNT_PER_TARGET]
  scaling_target_value:
    description:
      - Target value of O(scaling_metric) (a percentage for the averages, requests per task for
        V(REQUEST_COUNT_PER_TARGET)). AWS's default is 60.
    type: int
  wait:
    description:
      - Wait until the deployment a change started is C(COMPLETED) with all its tasks running (with
        O(state=absent), until the service is C(INACTIVE)). A run that changes nothing waits only for a
        deployment still in progress.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: MLflow as an Express service in private subnets
  mlops.mlflow_aws.ecs_express_gateway_service:
    name: mlflow
    cluster: mlflow
    image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow:3.17.2"
    container_port: 5000
    health_check_path: /health
    environment:
      MLFLOW_ARTIFACT_URI: "s3://ml-artifacts/mlflow"
    secrets:
      MLFLOW_DB_SECRET_JSON: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:mlflow/db-AbCdEf"
    execution_role_arn: "arn:aws:iam::123456789012:role/mlflow-execution"
    infrastructure_role_arn: "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices"
    task_role_arn: "arn:aws:iam::123456789012:role/mlflow-task"
    subnets: "{{ private_subnet_ids }}"
    security_groups: ["{{ mlflow_sg.group_id }}"]
    cpu: "1 vCPU"
    memory: "2 GB"
    min_tasks: 1
    max_tasks: 4
    tags:
      Application: mlflow
  register: mlflow_express

- name: Its URL
  ansible.builtin.debug:
    msg: "{{ mlflow_express.url }}"

- name: Delete it
  mlops.mlflow_aws.ecs_express_gateway_service:
    name: mlflow
    cluster: mlflow
    state: absent
"""

RETURN = r"""
service:
  description:
    - The service as C(DescribeExpressGatewayService) returns it, in snake_case, with its tags as a dict.
    - Empty when there is no service (deleted, or to be created in check mode).
  returned: always
  type: dict
  contains:
    service_name:
      description: Name of the service.
      type: str
    cluster:
      description: ARN of the cluster.
      type: str
    infrastructure_role_arn:
      description: The infrastructure role.
      type: str
    status:
      description: C(status_code) (C(ACTIVE), C(DRAINING), C(INACTIVE)) and C(status_reason).
      type: dict
    current_deployment:
      description: ARN of the service deployment.
      type: str
    active_configurations:
      description: The active configurations (container, roles, CPU, memory, network, scaling, C(ingress_paths)).
      type: list
      elements: dict
    tags:
      description: Tags of the service.
      type: dict
service_arn:
  description: ARN of the service.
  returned: always (null when there is no service)
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:service/mlflow/mlflow
status:
  description: C(ACTIVE), C(DRAINING) or C(INACTIVE).
  returned: always (null when there is no service)
  type: str
  sample: ACTIVE
endpoint:
  description: Host name of the service's endpoint.
  returned: always (null when there is no active service)
  type: str
  sample: mlflow-0123456789.ecs.eu-west-1.on.aws
url:
  description: C(https://<endpoint>/).
  returned: always (null when there is no active service)
  type: str
  sample: https://mlflow-0123456789.ecs.eu-west-1.on.aws/
deployment_id:
  description: ID of the ECS deployment the module waited for.
  returned: when the module waited for a deployment, and when waiting fails
  type: str
  sample: ecs-svc/1234567890123456789
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express_results as results_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs_service import primary_deployment
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class ExpressServiceManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.diff = {"before": {}, "after": {}}
        self.deployment_id = None
        self.arn = None
        self.tags = None

    @property
    def where(self):
        return f"ECS Express service {self.params['name']} in cluster {self.params['cluster']}"

    def find(self):
        found, express = api.find(self.client, self.params["cluster"], self.params["name"])
        if found is not None and express is None:
            self.module.fail_json(
                msg=f"name: the ECS service {self.params['name']} in cluster {self.params['cluster']} "
                f"({found.get('status')}) is not an Express service; manage it with mlops.mlflow_aws.ecs_service, "
                "or give the Express service another name"
            )
        if express is not None:
            self.arn = express["serviceArn"]
        return found, express

    def wait_for_rollout(self, before):
        """Follow the deployment (see api.wait_for_rollout; it raises api.ExpressRolloutError)."""
        try:
            _service, self.deployment_id = api.wait_for_rollout(
                self.client,
                self.arn,
                self.params["cluster"],
                self.params["name"],
                self.params["wait_timeout"],
                before=before,
            )
        except api.ExpressRolloutError as exc:
            self.deployment_id = exc.deployment_id
            raise

    def wait_inactive(self):
        return api.wait_for_inactive(self.client, self.arn, self.params["name"], self.params["wait_timeout"])

    # ------------------------------------------------------------ states
    def absent(self):
        _found, express = self.find()
        if express is None or results_lib.status(express) == "INACTIVE":
            return None
        if results_lib.status(express) == "DRAINING":  # deleted already, still being torn down
            if self.params["wait"] and not self.module.check_mode:
                return self.wait_inactive()
            return express
        self.changed = True
        before = params_lib.view(params_lib.current(express))
        self.diff = {"before": dict(before, tags=ecs.tags_dict(express.get("tags"))), "after": {}}
        if self.module.check_mode:
            return express
        deleted = api.delete(self.client, self.arn)
        if self.params["wait"]:
            return self.wait_inactive()
        return deleted or api.describe(self.client, self.arn)

    def present(self):
        found, express = self.find()
        if express is not None and results_lib.status(express) == "DRAINING":
            if not self.params["wait"]:
                self.module.fail_json(
                    msg=f"{self.where} is DRAINING (being deleted); run again once it is INACTIVE, or with wait"
                )
            if not self.module.check_mode:
                self.wait_inactive()
            express = None
        if express is None or results_lib.status(express) == "INACTIVE":
            return self.create()
        return self.update(found, express)

    def create(self):
        if not self.params["infrastructure_role_arn"]:
            self.module.fail_json(
                msg=f"infrastructure_role_arn: required to create {self.where} (the IAM role ECS manages "
                "the load balancer, security groups and auto scaling with)"
            )
        want = params_lib.desired(self.params)
        self.tags = dict(self.params["tags"] or {})
        self.changed = True
        after = params_lib.view(params_lib.create_view(want))
        self.diff = {"before": {}, "after": dict(after, tags=self.tags)}
        if self.module.check_mode:
            return None
        request = params_lib.create_request(self.params, want, ecs.ecs_tags(self.tags))
        created = api.create(self.client, request)
        self.arn = created["serviceArn"]
        if not self.params["wait"]:
            return created
        self.wait_for_rollout(before=set())
        return api.describe(self.client, self.arn) or created

    def update(self, found, express):
        role = self.params["infrastructure_role_arn"]
        if role and role != express.get("infrastructureRoleArn"):
            self.module.fail_json(
                msg=f"infrastructure_role_arn: {self.where} was created with infrastructure role "
                f"{express.get('infrastructureRoleArn')}, not {role}; AWS cannot change the infrastructure role of "
                "an existing Express service (delete it with state=absent and create it again)",
                **results_lib.results(express),
            )
        have = params_lib.current(express)
        want = params_lib.desired(self.params)
        fields = params_lib.changes(have, want)
        request = params_lib.update_request(have, want, fields)
        tag_change = plan_tags(
            self.client,
            ecs.TAGS,
            self.arn,
            self.params["tags"],
            self.params["purge_tags"],
            current=ecs.tags_dict(express.get("tags")),
        )
        self.tags = tag_change.after
        if not (request or tag_change.changed):
            self.settle(found)
            return express
        self.changed = True
        after = params_lib.view(params_lib.after(have, want, fields))
        self.diff = {
            "before": dict(params_lib.view(have), tags=tag_change.before),
            "after": dict(after, tags=tag_change.after),
        }
        if self.module.check_mode:
            return express
        before = api.deployment_ids(found)
        if request:
            api.update(self.client, self.arn, request)
        apply_tags(self.client, ecs.TAGS, self.arn, tag_change)
        if not request:
            return express
        if self.params["wait"]:
            starts_deployment = bool(set(fields) & params_lib.TASK_MEMBERS)
            self.wait_for_rollout(before=before if starts_deployment else None)
        return api.describe(self.client, self.arn) or express

    def settle(self, found):
        """Nothing to change: wait for a deployment still under way (none: no call); warn about a failed one."""
        deployment = primary_deployment(found) or {}
        state = deployment.get("rolloutState")
        if state == "FAILED":
            self.module.warn(
                f"{self.where}: the latest deployment {deployment.get('id')} FAILED "
                f"({deployment.get('rolloutStateReason') or 'no reason given'})"
            )
        elif state == "IN_PROGRESS" and self.params["wait"] and not self.module.check_mode:
            self.wait_for_rollout(before=None)


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.argument_spec(), supports_check_mode=True)
    problems = params_lib.validate(module.params)
    if problems:
        module.fail_json(msg="Invalid ECS Express service options: " + "; ".join(problems), problems=problems)

    client = module.client("ecs")
    manager = ExpressServiceManager(module, client)
    try:
        service = manager.absent() if module.params["state"] == "absent" else manager.present()
    except api.ExpressRolloutError as exc:
        module.fail_json(
            msg=str(exc),
            deployment_id=manager.deployment_id,
            changed=manager.changed,
            **results_lib.results(exc.express, manager.tags),
        )
    except WaitError as exc:
        module.fail_json(msg=str(exc), changed=manager.changed, service_arn=manager.arn)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage {manager.where}")

    result = dict(changed=manager.changed)
    if module._diff:
        result["diff"] = manager.diff
    result.update(results_lib.results(service, manager.tags))
    if manager.deployment_id:
        result["deployment_id"] = manager.deployment_id
    module.exit_json(**result)


if __name__ == "__main__":
    main()
