#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_task_definition
short_description: Manage Amazon ECS task definitions
version_added: 1.0.0
description:
  - Task definitions are immutable and versioned by revision. This module compares the options with the
    latest C(ACTIVE) revision of O(family) and registers a new revision only when something differs,
    be it the task size, roles, network mode, runtime platform, launch types, or any container field.
  - Inside a container the fields given are compared, after filling in what ECS adds itself (C(essential),
    port mapping C(protocol) and C(hostPort), health check timings, empty lists) and sorting
    C(environment) and C(secrets) by name. A field ECS never fills in that the latest revision has and
    the options no longer give (a C(command), a C(healthCheck) ...) counts as a difference too.
  - Tags alone do not register a revision; they are changed on the latest revision.
  - O(state=absent) deregisters every C(ACTIVE) revision of the family.
  - Replaces M(community.aws.ecs_taskdefinition), which misses changes of task size, roles and most
    container fields.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  family:
    description: Family of the task definition (1 to 255 letters, digits, hyphens or underscores).
    type: str
    required: true
  state:
    description: Whether the family has an C(ACTIVE) revision like the options.
    type: str
    choices: [present, absent]
    default: present
  container_definitions:
    description:
      - The containers, each a dict in the shape of the ECS API (camelCase, as in C(RegisterTaskDefinition)),
        sent as given. Each needs C(name) and C(image). Required with O(state=present).
    type: list
    elements: dict
  cpu:
    description: Task CPU units (V(256), V(512), V(1024) ...) or vCPUs (V(1 vCPU)). Required for Fargate.
    type: str
  memory:
    description: Task memory in MiB (V(2048)) or GB (V(2 GB)). Required for Fargate.
    type: str
  network_mode:
    description: Docker networking mode of the containers (Fargate needs V(awsvpc)).
    type: str
    choices: [bridge, host, awsvpc, none]
    default: awsvpc
  requires_compatibilities:
    description: Launch types the task definition is validated for.
    type: list
    elements: str
    default: [FARGATE]
  execution_role_arn:
    description: IAM role ECS pulls the image and reads secrets with, and writes C(awslogs) logs as.
    type: str
  task_role_arn:
    description: IAM role the containers' AWS calls are made as.
    type: str
  runtime_platform:
    description: Operating system and CPU architecture the task runs on.
    type: dict
    suboptions:
      cpu_architecture:
        description: CPU architecture.
        type: str
        choices: [X86_64, ARM64]
      operating_system_family:
        description: Operating system family (C(LINUX), or a C(WINDOWS_SERVER_...) value).
        type: str
        default: LINUX
  ephemeral_storage:
    description: Ephemeral storage of a Fargate task, in GiB (21 to 200; Fargate's default is 20).
    type: int
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - There is no C(wait) option. C(RegisterTaskDefinition) and C(DeregisterTaskDefinition) are synchronous,
    a revision is C(ACTIVE) (or C(INACTIVE)) when the call returns; waiting would wait for nothing.
  - Older revisions stay C(ACTIVE), as services may still run them. O(state=absent) deregisters them all.
  - A new revision gets the latest revision's tags, changed as O(tags) and O(purge_tags) say.
"""

EXAMPLES = r"""
- name: MLflow on Fargate
  mlops.mlflow_aws.ecs_task_definition:
    family: mlflow
    cpu: "1024"
    memory: "2048"
    execution_role_arn: "{{ execution_role.iam_role.arn }}"
    task_role_arn: "{{ task_role.iam_role.arn }}"
    runtime_platform:
      cpu_architecture: ARM64
    container_definitions:
      - name: mlflow
        image: "{{ image_uri }}"
        portMappings:
          - containerPort: 5000
        environment:
          - name: MLFLOW_ARTIFACTS_DESTINATION
            value: s3://my-mlflow-artifacts
        secrets:
          - name: MLFLOW_BACKEND_STORE_URI
            valueFrom: "{{ backend_secret_arn }}"
        logConfiguration:
          logDriver: awslogs
          options:
            awslogs-group: /ecs/mlflow
            awslogs-region: eu-west-1
            awslogs-stream-prefix: mlflow
    tags:
      Application: mlflow
  register: taskdef

- name: Deregister every revision
  mlops.mlflow_aws.ecs_task_definition:
    family: mlflow
    state: absent
"""

RETURN = r"""
task_definition_arn:
  description: ARN of the latest C(ACTIVE) revision (the one registered, if any).
  returned: when state is present, except in check mode when a revision would be registered
  type: str
  sample: arn:aws:ecs:eu-west-1:123456789012:task-definition/mlflow:3
revision:
  description: Its revision number.
  returned: when task_definition_arn is
  type: int
  sample: 3
family:
  description: The family.
  returned: always
  type: str
deregistered_revisions:
  description: ARNs of the revisions deregistered (in check mode, that would be).
  returned: when state is absent
  type: list
  elements: str
task_definition:
  description:
    - The revision as ECS describes it (in check mode, the one that would be registered), with its tags.
    - Keys are in snake_case down to the container fields; user data keeps its spelling (environment and
      secret names, C(docker_labels), C(log_configuration.options), C(firelens_configuration.options)).
  returned: when state is present
  type: dict
  contains:
    container_definitions:
      description: The containers.
      type: list
      elements: dict
    cpu:
      description: Task CPU units.
      type: str
    memory:
      description: Task memory (MiB).
      type: str
    tags:
      description: Tags of the revision.
      type: dict
"""

import datetime
import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, compare_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

FAMILY = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
# Free-form maps inside a container: their keys are user data, not field names.
USER_MAPS = (("logConfiguration", "log_configuration"), ("firelensConfiguration", "firelens_configuration"))


def build_request(params):
    """RegisterTaskDefinition's arguments for the options (without tags)."""
    request = {
        "family": params["family"],
        "containerDefinitions": api.coerce_container_numbers(params["container_definitions"]),
        "networkMode": params["network_mode"],
    }
    if params["requires_compatibilities"]:
        request["requiresCompatibilities"] = params["requires_compatibilities"]
    for option, key, unit in (("cpu", "cpu", "vcpu"), ("memory", "memory", "gb")):
        if params[option] is not None:
            request[key] = api.units(params[option], unit)
    for option, key in (("execution_role_arn", "executionRoleArn"), ("task_role_arn", "taskRoleArn")):
        if params[option] is not None:
            request[key] = params[option]
    platform = params["runtime_platform"]
    if platform:
        architecture, family = platform["cpu_architecture"], platform["operating_system_family"]
        request["runtimePlatform"] = api.prune({"cpuArchitecture": architecture, "operatingSystemFamily": family})
    if params["ephemeral_storage"] is not None:
        request["ephemeralStorage"] = {"sizeInGiB": params["ephemeral_storage"]}
    return request


def validate(params):
    """Every problem with the options, before any AWS call."""
    problems = []
    if not FAMILY.match(params["family"]):
        problems.append(f"family {params['family']!r}: 1-255 letters, digits, '-' or '_'")
    if params["state"] == "absent":
        return problems
    names = []
    for index, container in enumerate(params["container_definitions"] or []):
        where = f"container_definitions[{index}]"
        problems.extend(f"{where}: {key} is required" for key in ("name", "image") if not container.get(key))
        names.append(container.get("name"))
        for item in container.get("environment") or []:
            if "value" in item and not isinstance(item["value"], str):
                problems.append(f"{where}.environment {item.get('name')}: value must be a string (quote it)")
        for item in container.get("secrets") or []:
            if not item.get("name") or not item.get("valueFrom"):
                problems.append(f"{where}.secrets: each secret needs name and valueFrom")
    problems.extend(f"container_definitions: name {n!r} is used twice" for n in set(names) if n and names.count(n) > 1)
    for option, unit in (("cpu", "vcpu"), ("memory", "gb")):
        if params[option] is not None and not api.units(params[option], unit).isdigit():
            problems.append(f"{option} {params[option]!r}: give a number ({'units' if unit == 'vcpu' else 'MiB'})")
    if "FARGATE" in (params["requires_compatibilities"] or []):
        if params["network_mode"] != "awsvpc":
            problems.append(f"network_mode {params['network_mode']}: Fargate needs awsvpc")
        problems.extend(f"{option} is required for Fargate" for option in ("cpu", "memory") if params[option] is None)
    if params["ephemeral_storage"] is not None and not 21 <= params["ephemeral_storage"] <= 200:
        problems.append(f"ephemeral_storage {params['ephemeral_storage']}: must be between 21 and 200 GiB")
    return problems


def snake_container(container):
    """A container definition in snake_case; free-form maps (labels, log options) keep their keys."""
    snake = camel_dict_to_snake_dict(container, ignore_list=("dockerLabels",))
    for camel, key in USER_MAPS:
        if isinstance(container.get(camel), dict) and "options" in container[camel]:
            snake[key]["options"] = container[camel]["options"]
    return snake


def view(definition, tags):
    """What the result and the diff show of a task definition."""
    top = {k: v for k, v in definition.items() if k != "containerDefinitions"}
    snake = camel_dict_to_snake_dict(
        {k: v.isoformat() if isinstance(v, datetime.datetime) else v for k, v in top.items()}
    )
    if "ephemeral_storage" in snake:
        snake["ephemeral_storage"] = {"size_in_gib": definition["ephemeralStorage"].get("sizeInGiB")}
    snake["container_definitions"] = [snake_container(c) for c in definition.get("containerDefinitions", [])]
    snake["tags"] = tags
    return snake


def ensure_absent(module, client, result):
    arns = api.list_active_task_definitions(client, module.params["family"])
    result["deregistered_revisions"] = arns
    if arns:
        result["changed"] = True
        result["diff"] = dict(before={"family": module.params["family"], "revisions": arns}, after={})
        if not module.check_mode:
            for arn in arns:
                api.deregister_task_definition(client, arn)
    return result


def ensure_present(module, client, result):
    params = module.params
    desired = build_request(params)
    current, current_tags = api.latest_active_task_definition(client, params["family"])
    tag_change = compare_tags(current_tags, params["tags"], params["purge_tags"])
    before, after = api.compared_definitions(desired, current)
    register = before != after
    if register or tag_change.changed:
        result["changed"] = True
        result["diff"] = dict(
            before=view(before, tag_change.before) if before else {}, after=view(after, tag_change.after)
        )
    if register and module.check_mode:
        result["task_definition"] = view(desired, tag_change.after)
        return result
    definition, tags = current, tag_change.after
    if register:
        request = dict(desired, tags=api.ecs_tags(tags)) if tags else desired
        definition, _tags = api.register_task_definition(client, request)
    elif tag_change.changed and not module.check_mode:
        apply_tags(client, api.TAGS, current["taskDefinitionArn"], tag_change)
    result.update(
        task_definition=view(definition, tags),
        task_definition_arn=definition["taskDefinitionArn"],
        revision=definition["revision"],
    )
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            family=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            container_definitions=dict(type="list", elements="dict"),
            cpu=dict(type="str"),
            memory=dict(type="str"),
            network_mode=dict(type="str", default="awsvpc", choices=["bridge", "host", "awsvpc", "none"]),
            requires_compatibilities=dict(type="list", elements="str", default=["FARGATE"]),
            execution_role_arn=dict(type="str"),
            task_role_arn=dict(type="str"),
            runtime_platform=dict(
                type="dict",
                options=dict(
                    cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"]),
                    operating_system_family=dict(type="str", default="LINUX"),
                ),
            ),
            ephemeral_storage=dict(type="int"),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        required_if=[("state", "present", ["container_definitions"])],
        supports_check_mode=True,
    )
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="Invalid ECS task definition options: " + "; ".join(problems), problems=problems)
    client = module.client("ecs")
    result = dict(changed=False, family=module.params["family"])
    try:
        if module.params["state"] == "absent":
            ensure_absent(module, client, result)
        else:
            ensure_present(module, client, result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage ECS task definition family {module.params['family']}")
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
