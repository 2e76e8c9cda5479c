#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_service
short_description: Manage Amazon ECS services and wait for their deployments
version_added: 0.1.0
description:
  - Creates, updates and deletes an Amazon ECS service (REPLICA scheduling, ECS deployment controller).
  - An existing service is compared with the options, normalised the way ECS describes it (subnet and
    security group lists as sets, V(ENABLED)/V(DISABLED) public IP, the deployment defaults AWS fills in);
    one C(UpdateService) call then carries only the members that differ. Options left unset are not compared.
  - A O(task_definition) given as a family resolves to the family's latest C(ACTIVE) revision, so that
    registering a new revision is a change and a no-op run is unchanged.
  - With O(wait), the module follows the deployment C(CreateService) or C(UpdateService) started until it
    is C(COMPLETED) with all its tasks running. A deployment that fails, or that the deployment circuit breaker
    rolls back, fails the task with the deployment's reason, the reasons its tasks stopped and the latest
    service events.
  - It replaces C(community.aws.ecs_service), which needs a C(family:revision) to be idempotent, misses
    network and deployment configuration changes, sets tags only at creation and does not wait.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the service (up to 255 letters, digits, V(-) or V(_)).
    type: str
    required: true
    aliases: [service]
  cluster:
    description: Name or ARN of the cluster.
    type: str
    required: true
  state:
    description:
      - V(present) creates or updates the service; a deleted (C(INACTIVE)) service is created again.
      - V(absent) scales the service to 0 tasks and deletes it.
    type: str
    choices: [present, absent]
    default: present
  task_definition:
    description:
      - V(family), V(family:revision) or a task definition ARN. A family means its latest C(ACTIVE) revision.
      - Required to create the service.
    type: str
  desired_count:
    description:
      - Number of tasks. Not given, a new service gets 1 task and an existing one keeps its count.
    type: int
  preserve_desired_count:
    description:
      - Leave the desired count of an existing service alone (Application Auto Scaling owns it);
        O(desired_count) is then only used to create the service.
    type: bool
    default: false
  launch_type:
    description: Where the tasks run. It cannot be changed on an existing service; the module fails if it differs.
    type: str
    choices: [FARGATE, EC2]
    default: FARGATE
  platform_version:
    description: Fargate platform version. Defaults to V(LATEST) for Fargate; not used with V(EC2).
    type: str
  network_configuration:
    description: The tasks' network (task definitions with the C(awsvpc) network mode; required for Fargate).
    type: dict
    suboptions:
      subnets:
        description: Subnet IDs.
        type: list
        elements: str
        required: true
      security_groups:
        description:
          - Security group IDs.
          - Not given, a new service gets the VPC's default group and an existing one keeps its groups.
        type: list
        elements: str
      assign_public_ip:
        description: Give the tasks public IP addresses.
        type: bool
        default: false
  load_balancers:
    description:
      - Target groups the tasks are registered in. An empty list removes them; not given, they are left alone.
    type: list
    elements: dict
    suboptions:
      target_group_arn:
        description: ARN of the target group.
        type: str
        required: true
      container_name:
        description: Container to register.
        type: str
        required: true
      container_port:
        description: Its port.
        type: int
        required: true
  health_check_grace_period_seconds:
    description: Seconds ECS ignores failing load balancer and container health checks of a new task.
    type: int
  deployment_configuration:
    description: How deployments replace tasks. Not given, it is left alone (AWS's defaults for a new service).
    type: dict
    suboptions:
      minimum_healthy_percent:
        description: Lower limit of running tasks during a deployment, in percent of the desired count.
        type: int
        default: 100
      maximum_percent:
        description: Upper limit of running and pending tasks during a deployment, in percent of the desired count.
        type: int
        default: 200
      circuit_breaker:
        description: Deployment circuit breaker. Not given, it is left as it is.
        type: dict
        suboptions:
          enable:
            description: Fail a deployment whose tasks keep failing to start.
            type: bool
            default: false
          rollback:
            description:
              - Roll a failed deployment back to the last completed one.
              - Needs O(deployment_configuration.circuit_breaker.enable).
            type: bool
            default: false
  enable_execute_command:
    description: Allow ECS Exec into the tasks.
    type: bool
    default: false
  propagate_tags:
    description: Copy the tags of the service or of the task definition to the tasks.
    type: str
    choices: [SERVICE, TASK_DEFINITION, NONE]
    default: SERVICE
  force_new_deployment:
    description: Start a new deployment (for example to pull a moved image tag again). Always reports a change.
    type: bool
    default: false
  wait:
    description:
      - Wait until the deployment the module started is C(COMPLETED) with all its tasks running (with
        O(state=absent), until the service is C(INACTIVE)). A run that changes nothing does not wait.
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
- name: MLflow on Fargate behind a target group, rolled back when the new tasks keep failing
  mlops.mlflow_aws.ecs_service:
    name: mlflow
    cluster: mlflow
    task_definition: mlflow
    desired_count: 2
    preserve_desired_count: true
    network_configuration:
      subnets: "{{ private_subnet_ids }}"
      security_groups: ["{{ mlflow_sg.group_id }}"]
    load_balancers:
      - target_group_arn: "{{ target_group.target_group_arn }}"
        container_name: mlflow
        container_port: 5000
    health_check_grace_period_seconds: 60
    deployment_configuration:
      circuit_breaker:
        enable: true
        rollback: true
    tags:
      Application: mlflow
  register: service

- name: Delete it
  mlops.mlflow_aws.ecs_service:
    name: mlflow
    cluster: mlflow
    state: absent
"""

RETURN = r"""
service:
  description:
    - The service as DescribeServices returns it, in snake_case, with its tags as a dict and its 10 latest events.
    - Also returned when waiting for a deployment fails.
  returned: when the service exists (not in check mode for a service to be created)
  type: dict
  contains:
    status:
      description: C(ACTIVE), C(DRAINING) or C(INACTIVE).
      type: str
    task_definition:
      description: ARN of the task definition of the PRIMARY deployment.
      type: str
    desired_count:
      description: Desired number of tasks.
      type: int
    deployments:
      description: The deployments, the PRIMARY one first, each with C(rollout_state).
      type: list
      elements: dict
    events:
      description: The 10 latest service events, newest first.
      type: list
      elements: dict
    tags:
      description: Tags of the service.
      type: dict
service_arn:
  description: ARN of the service.
  returned: when the service exists
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:service/mlflow/mlflow
deployment_id:
  description: ID of the PRIMARY deployment (the one the module waited for).
  returned: when the service is ACTIVE, and when waiting for a deployment fails
  type: str
  sample: ecs-svc/1234567890123456789
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_service as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_service_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags
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
        self.diff = {"before": {}, "after": {}}
        self.deployment_id = None
        self.tags = None

    @property
    def where(self):
        return f"ECS service {self.params['name']} in cluster {self.params['cluster']}"

    def describe(self):
        return api.describe_service(self.client, self.params["cluster"], self.params["name"])

    def task_definition(self):
        ref = self.params["task_definition"]
        if ref is None:
            return None
        arn = api.resolve_task_definition(self.client, ref)
        if arn is None:
            self.module.fail_json(msg=f"task_definition: family {ref} has no ACTIVE revision ({self.where})")
        return arn

    def wait_for(self, service):
        """With wait, follow the PRIMARY deployment of SERVICE (a CreateService/UpdateService response)."""
        self.deployment_id = (api.primary_deployment(service) or {}).get("id")
        if not self.params["wait"] or self.deployment_id is None:
            return service
        return api.wait_for_deployment(
            self.client, self.params["cluster"], self.params["name"], self.deployment_id, self.params["wait_timeout"]
        )

    # ------------------------------------------------------------ states
    def absent(self):
        service = self.describe()
        if service is None or service["status"] == "INACTIVE":
            return service
        if service["status"] == "DRAINING":  # deleted already, tasks still stopping
            if self.params["wait"] and not self.module.check_mode:
                service = self._wait_inactive()
            return service
        self.changed = True
        self.diff = {"before": dict(params_lib.compared(service), tags=ecs.tags_dict(service.get("tags"))), "after": {}}
        if self.module.check_mode:
            return service
        if service.get("desiredCount"):
            api.update_service(self.client, self.params["cluster"], self.params["name"], {"desiredCount": 0})
        deleted = api.delete_service(self.client, self.params["cluster"], self.params["name"])
        if self.params["wait"]:
            return self._wait_inactive()
        return deleted or self.describe()

    def _wait_inactive(self):
        return api.wait_for_inactive(
            self.client, self.params["cluster"], self.params["name"], self.params["wait_timeout"]
        )

    def present(self):
        service = self.describe()
        if service is not None and service["status"] == "DRAINING":
            if not self.params["wait"]:
                self.module.fail_json(
                    msg=f"{self.where} is DRAINING (being deleted); run again once it is INACTIVE, or with wait"
                )
            if not self.module.check_mode:
                service = self._wait_inactive()
        if service is None or service["status"] in ("INACTIVE", "DRAINING"):
            return self.create()
        return self.update(service)

    def create(self):
        if self.params["task_definition"] is None:
            self.module.fail_json(msg=f"task_definition: required to create {self.where}")
        want = params_lib.desired(self.params, self.task_definition(), None)
        self.tags = dict(self.params["tags"] or {})
        self.changed = True
        self.diff = {"before": {}, "after": dict(params_lib.create_view(want), tags=self.tags)}
        if self.module.check_mode:
            return None
        request = params_lib.create_request(self.params, want, ecs.ecs_tags(self.tags))
        return self.wait_for(api.create_service(self.client, request))

    def update(self, service):
        current = params_lib.compared(service)
        if current["launch_type"] != self.params["launch_type"]:
            self.module.fail_json(
                msg=f"launch_type: {self.where} runs with "
                f"{current['launch_type'] or 'a capacity provider strategy'}, not {self.params['launch_type']}; "
                "ECS cannot change the launch type of an existing service (delete it with state=absent and "
                "create it again)",
                service=params_lib.service_view(service),
            )
        want = params_lib.desired(self.params, self.task_definition(), current)
        fields = params_lib.changes(current, want)
        request = params_lib.update_request(service, want, fields)
        if self.params["force_new_deployment"]:
            request["forceNewDeployment"] = True
        tag_change = plan_tags(
            self.client,
            ecs.TAGS,
            service["serviceArn"],
            self.params["tags"],
            self.params["purge_tags"],
            current=ecs.tags_dict(service.get("tags")),
        )
        self.tags = tag_change.after
        self.deployment_id = (api.primary_deployment(service) or {}).get("id")
        if not (request or tag_change.changed):
            return service
        self.changed = True
        after = params_lib.after_view(current, want, fields)
        if "task_definition" in fields and not want["task_definition"].startswith("arn:"):
            after["task_definition"] = want["task_definition"]
        self.diff = {"before": dict(current, tags=tag_change.before), "after": dict(after, tags=tag_change.after)}
        if self.module.check_mode:
            return service
        updated = request and api.update_service(self.client, self.params["cluster"], self.params["name"], request)
        apply_tags(self.client, ecs.TAGS, service["serviceArn"], tag_change)
        return self.wait_for(updated) if updated else service


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.argument_spec(), supports_check_mode=True)
    problems = params_lib.validate(module.params)
    if problems:
        module.fail_json(msg="Invalid ECS service options: " + "; ".join(problems), problems=problems)

    client = module.client("ecs")
    manager = ServiceManager(module, client)
    try:
        service = manager.absent() if module.params["state"] == "absent" else manager.present()
    except WaitError as exc:
        module.fail_json(
            msg=str(exc),
            service=params_lib.service_view(exc.last),
            deployment_id=manager.deployment_id,
            changed=manager.changed,
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage {manager.where}")

    result = dict(changed=manager.changed)
    if module._diff:
        result["diff"] = manager.diff
    if service is not None:
        result.update(service=params_lib.service_view(service, manager.tags), service_arn=service["serviceArn"])
        if service.get("status") == "ACTIVE":
            result["deployment_id"] = (api.primary_deployment(service) or {}).get("id") or manager.deployment_id
    module.exit_json(**result)


if __name__ == "__main__":
    main()
