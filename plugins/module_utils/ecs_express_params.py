# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecs_express_gateway_service: module options -> Create/UpdateExpressGatewayService members, input
checks, the comparison with the active configuration and the diff (the results: ecs_express_results.py).

Pure functions (no AWS calls), unit-tested in tests/unit/plugins/. Both sides of a comparison are in the
API's camelCase shape (``desired`` from the options, ``current`` from ``activeConfigurations[0]``):
subnets, security groups, environment variables and secrets sorted (AWS keeps them as sets), CPU and
memory as unit strings ("1 vCPU" -> "1024"), and the members AWS fills in when they were not given at
their defaults. Only what the options set is compared (``covers``).
"""

from __future__ import annotations

import copy
import re
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import aws_rules as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs import units

SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
CLUSTER = re.compile(r"^([A-Za-z0-9_-]{1,255}|arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster/[A-Za-z0-9_-]{1,255})$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
SECRETSMANAGER_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
SSM_PARAMETER_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/.+$")
# ECS container images: up to 255 letters, digits, '-', '_', ':', '.', '/', '#' (and '@' of a digest).
IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:#@-]{0,254}$")
SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
LOG_GROUP = re.compile(r"^[.\-_/#A-Za-z0-9]{1,512}$")
LOG_STREAM_PREFIX = re.compile(r"^[^:*]{1,512}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
PERCENT_METRICS = ("AVERAGE_CPU", "AVERAGE_MEMORY")

# What AWS uses for a member the request leaves out.
DEFAULT_CLUSTER = "default"
DEFAULT_LOG_STREAM_PREFIX = "ecs"
DEFAULT_SCALING = {
    "minTaskCount": 1,
    "maxTaskCount": 20,
    "autoScalingMetric": "AVERAGE_CPU",
    "autoScalingTargetValue": 60,
}
DEFAULTS = {
    "cpu": "1024",
    "memory": "2048",
    "cpuArchitecture": "X86_64",
    "healthCheckPath": "/ping",
    "scalingTarget": DEFAULT_SCALING,
}
DEFAULT_CONTAINER_PORT = 80

# The compared (and updatable) top-level members, in the order the diff shows them.
MEMBERS = (
    "primaryContainer",
    "executionRoleArn",
    "taskRoleArn",
    "cpu",
    "memory",
    "cpuArchitecture",
    "networkConfiguration",
    "healthCheckPath",
    "scalingTarget",
)
# Members of the task definition: changing one registers a revision and starts an ECS deployment.
TASK_MEMBERS = frozenset(("primaryContainer", "executionRoleArn", "taskRoleArn", "cpu", "memory", "cpuArchitecture"))
CONTAINER_KEYS = ("image", "containerPort", "awsLogsConfiguration", "repositoryCredentials", "command")
CONTAINER_KEYS += ("environment", "secrets")


def argument_spec() -> dict[str, Any]:
    """The module's options (documented in plugins/modules/ecs_express_gateway_service.py)."""
    return dict(
        name=dict(type="str", required=True, aliases=["service_name"]),
        cluster=dict(type="str", default=DEFAULT_CLUSTER),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        image=dict(type="str"),
        container_port=dict(type="int"),
        command=dict(type="list", elements="str"),
        environment=dict(type="dict"),
        secrets=dict(type="dict", no_log=False),
        log_group=dict(type="str"),
        log_stream_prefix=dict(type="str"),
        repository_credentials=dict(type="str", no_log=False),
        execution_role_arn=dict(type="str"),
        infrastructure_role_arn=dict(type="str"),
        task_role_arn=dict(type="str"),
        subnets=dict(type="list", elements="str"),
        security_groups=dict(type="list", elements="str"),
        cpu=dict(type="str"),
        memory=dict(type="str"),
        cpu_architecture=dict(type="str", choices=["X86_64", "ARM64"]),
        health_check_path=dict(type="str"),
        min_tasks=dict(type="int"),
        max_tasks=dict(type="int"),
        scaling_metric=dict(type="str", choices=["AVERAGE_CPU", "AVERAGE_MEMORY", "REQUEST_COUNT_PER_TARGET"]),
        scaling_target_value=dict(type="int"),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )


# ---------------------------------------------------------------- input checks
def cpu_units(value: Any) -> str:
    return units(value, "vcpu")


def memory_mib(value: Any) -> str:
    return units(value, "gb")


def _cpu_memory_problems(cpu: Any, memory: Any) -> list[str]:
    problems = []
    table = rules.FARGATE_CPU_MEMORY
    cpu_ok = cpu is None or (cpu_units(cpu).isdigit() and int(cpu_units(cpu)) in table)
    sizes = {size for allowed in table.values() for size in allowed}
    memory_ok = memory is None or (memory_mib(memory).isdigit() and int(memory_mib(memory)) in sizes)
    if not cpu_ok:
        problems.append(f"cpu {cpu!r}: one of {', '.join(str(c) for c in table)} (CPU units) or '1 vCPU' style")
    if not memory_ok:
        problems.append(f"memory {memory!r}: a Fargate memory size in MiB (512 ... 122880) or '2 GB' style")
    if cpu is not None and memory is not None and cpu_ok and memory_ok:
        allowed = table[int(cpu_units(cpu))]
        if int(memory_mib(memory)) not in allowed:
            problems.append(
                f"cpu {cpu} with memory {memory}: Fargate allows memory {allowed[0]}-{allowed[-1]} MiB with that CPU "
                f"({', '.join(str(m) for m in allowed[:6])}{' ...' if len(allowed) > 6 else ''})"
            )
    return problems


def _arn_problems(params: dict[str, Any]) -> list[str]:
    problems = []
    for option in ("execution_role_arn", "infrastructure_role_arn", "task_role_arn"):
        if params.get(option) is not None and not ROLE_ARN.match(params[option]):
            problems.append(f"{option} {params[option]!r}: not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    credentials = params.get("repository_credentials")
    if credentials is not None and not SECRETSMANAGER_ARN.match(credentials):
        problems.append(f"repository_credentials {credentials!r}: not a Secrets Manager secret ARN")
    for key, arn in (params.get("secrets") or {}).items():
        if not (SECRETSMANAGER_ARN.match(str(arn)) or SSM_PARAMETER_ARN.match(str(arn))):
            problems.append(f"secrets.{key}: {arn!r} is not a Secrets Manager secret or SSM parameter ARN")
    return problems


def _container_problems(params: dict[str, Any]) -> list[str]:
    problems = []
    image = params.get("image")
    if not image:
        problems.append("image: required with state=present (the container image to run)")
    elif not IMAGE.match(image):
        problems.append(f"image {image!r}: not a container image reference (registry/repository:tag, up to 255)")
    port = params.get("container_port")
    if port is not None and not 1 <= port <= 65535:
        problems.append(f"container_port {port}: must be between 1 and 65535")
    environment, secrets = params.get("environment") or {}, params.get("secrets") or {}
    for option, names in (("environment", environment), ("secrets", secrets)):
        for key in names:
            if not ENV_NAME.match(str(key)):
                problems.append(f"{option}.{key}: not a valid environment variable name")
    for key in sorted(set(environment) & set(secrets)):
        problems.append(f"environment.{key} and secrets.{key}: a variable can be set only once")
    group, prefix = params.get("log_group"), params.get("log_stream_prefix")
    if group is not None and not LOG_GROUP.match(group):
        problems.append(f"log_group {group!r}: 1-512 letters, digits, '.', '-', '_', '/', '#'")
    if prefix is not None and group is None:
        problems.append("log_stream_prefix: needs log_group")
    if prefix is not None and not LOG_STREAM_PREFIX.match(prefix):
        problems.append(f"log_stream_prefix {prefix!r}: 1-512 characters, no ':' or '*'")
    if any(not isinstance(part, str) or not part for part in params.get("command") or []):
        problems.append("command: every element must be a non-empty string")
    return problems


def _scaling_problems(params: dict[str, Any]) -> list[str]:
    problems = []
    low, high = params.get("min_tasks"), params.get("max_tasks")
    if low is not None and low < 0:
        problems.append(f"min_tasks {low}: must not be negative")
    if high is not None and high < 1:
        problems.append(f"max_tasks {high}: must be at least 1")
    if low is not None and high is not None and low > high:
        problems.append(f"min_tasks {low} is greater than max_tasks {high}")
    target, metric = params.get("scaling_target_value"), params.get("scaling_metric")
    if target is not None and target < 1:
        problems.append(f"scaling_target_value {target}: must be a positive number")
    if target is not None and metric in PERCENT_METRICS and target > 100:
        problems.append(f"scaling_target_value {target}: a percentage (1-100) with scaling_metric={metric}")
    return problems


def _network_problems(params: dict[str, Any]) -> list[str]:
    problems = []
    subnets, groups = params.get("subnets"), params.get("security_groups")
    problems.extend(f"subnets: {s!r} is not a subnet ID (subnet-<hex>)" for s in subnets or [] if not SUBNET.match(s))
    problems.extend(
        f"security_groups: {g!r} is not a security group ID (sg-<hex>)"
        for g in groups or []
        if not SECURITY_GROUP.match(g)
    )
    path = params.get("health_check_path")
    if path is not None and (not path.startswith("/") or re.search(r"\s", path)):
        problems.append(f"health_check_path {path!r}: must start with '/' (and have no spaces)")
    return problems


def validate(params: dict[str, Any]) -> list[str]:
    """Every problem with the options, each naming the option; empty when they are fine (no AWS call)."""
    problems = []
    if not SERVICE_NAME.match(params.get("name") or ""):
        problems.append(f"name {params.get('name')!r}: 1-255 letters, digits, '-' or '_'")
    if not CLUSTER.match(params.get("cluster") or ""):
        problems.append(f"cluster {params.get('cluster')!r}: a cluster name (1-255 letters, digits, '-', '_') or ARN")
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        problems.append(f"wait_timeout: {params['wait_timeout']} is not a positive number of seconds")
    if params.get("state") == "absent":
        return problems
    problems.extend(_container_problems(params))
    problems.extend(_cpu_memory_problems(params.get("cpu"), params.get("memory")))
    problems.extend(_scaling_problems(params))
    problems.extend(_network_problems(params))
    problems.extend(_arn_problems(params))
    for key in params.get("tags") or {}:
        if str(key).lower().startswith("aws:"):
            problems.append(f"tags.{key}: the aws: prefix is reserved by AWS")
    return problems


# ---------------------------------------------------------------- normal forms
def _named(pairs: dict[str, Any], value_key: str) -> list[dict[str, str]]:
    return sorted(({"name": str(k), value_key: str(v)} for k, v in pairs.items()), key=lambda p: p["name"])


def desired(params: dict[str, Any]) -> dict[str, Any]:
    """The members the options set (those left unset are absent), in the request's camelCase shape."""
    want: dict[str, Any] = {}
    container: dict[str, Any] = {}
    if params.get("image") is not None:
        container["image"] = params["image"]
    if params.get("container_port") is not None:
        container["containerPort"] = params["container_port"]
    if params.get("log_group") is not None:
        container["awsLogsConfiguration"] = {"logGroup": params["log_group"]}
        if params.get("log_stream_prefix") is not None:
            container["awsLogsConfiguration"]["logStreamPrefix"] = params["log_stream_prefix"]
    if params.get("repository_credentials") is not None:
        container["repositoryCredentials"] = {"credentialsParameter": params["repository_credentials"]}
    if params.get("command") is not None:
        container["command"] = list(params["command"])
    if params.get("environment") is not None:
        container["environment"] = _named(params["environment"], "value")
    if params.get("secrets") is not None:
        container["secrets"] = _named(params["secrets"], "valueFrom")
    if container:
        want["primaryContainer"] = container
    for option, key in (
        ("execution_role_arn", "executionRoleArn"),
        ("task_role_arn", "taskRoleArn"),
        ("cpu_architecture", "cpuArchitecture"),
        ("health_check_path", "healthCheckPath"),
    ):
        if params.get(option) is not None:
            want[key] = params[option]
    if params.get("cpu") is not None:
        want["cpu"] = cpu_units(params["cpu"])
    if params.get("memory") is not None:
        want["memory"] = memory_mib(params["memory"])
    network = {}  # an empty list is no list: AWS's default (the default VPC's subnets, its default group)
    if params.get("subnets"):
        network["subnets"] = sorted(set(params["subnets"]))
    if params.get("security_groups"):
        network["securityGroups"] = sorted(set(params["security_groups"]))
    if network:
        want["networkConfiguration"] = network
    scaling = {}
    for option, key in (
        ("min_tasks", "minTaskCount"),
        ("max_tasks", "maxTaskCount"),
        ("scaling_metric", "autoScalingMetric"),
        ("scaling_target_value", "autoScalingTargetValue"),
    ):
        if params.get(option) is not None:
            scaling[key] = params[option]
    if scaling:
        want["scalingTarget"] = scaling
    return want


def active_configuration(service: dict[str, Any] | None) -> dict[str, Any]:
    """activeConfigurations[0] of a DescribeExpressGatewayService answer ({} without one)."""
    configurations = (service or {}).get("activeConfigurations") or []
    return configurations[0] if configurations else {}


def normalize_container(container: dict[str, Any] | None) -> dict[str, Any]:
    """A described primaryContainer in the compared shape (defaults filled, sets sorted, empty lists)."""
    given = {k: copy.deepcopy(v) for k, v in (container or {}).items() if k in CONTAINER_KEYS and v is not None}
    given.setdefault("containerPort", DEFAULT_CONTAINER_PORT)
    given["command"] = list(given.get("command") or [])
    given["environment"] = sorted(given.get("environment") or [], key=lambda p: p.get("name", ""))
    given["secrets"] = sorted(given.get("secrets") or [], key=lambda p: p.get("name", ""))
    return given


def current(service: dict[str, Any] | None) -> dict[str, Any]:
    """The compared members of the service's active configuration, normalised like ``desired``."""
    config = active_configuration(service)
    view: dict[str, Any] = {"primaryContainer": normalize_container(config.get("primaryContainer"))}
    for key in ("executionRoleArn", "taskRoleArn"):
        if config.get(key):
            view[key] = config[key]
    view["cpu"] = cpu_units(config.get("cpu") or DEFAULTS["cpu"])
    view["memory"] = memory_mib(config.get("memory") or DEFAULTS["memory"])
    view["cpuArchitecture"] = config.get("cpuArchitecture") or DEFAULTS["cpuArchitecture"]
    network = config.get("networkConfiguration") or {}
    view["networkConfiguration"] = {
        "subnets": sorted(set(network.get("subnets") or [])),
        "securityGroups": sorted(set(network.get("securityGroups") or [])),
    }
    view["healthCheckPath"] = config.get("healthCheckPath") or DEFAULTS["healthCheckPath"]
    scaling = {k: v for k, v in (config.get("scalingTarget") or {}).items() if v is not None}
    view["scalingTarget"] = dict(DEFAULT_SCALING, **scaling)
    return view


def covers(have: Any, want: Any) -> bool:
    """Whether HAVE already has everything WANT sets (dicts: only WANT's keys are compared)."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(covers(have.get(k), v) for k, v in want.items())
    return have == want


def merge(have: Any, want: Any) -> Any:
    """HAVE with WANT's members set (dicts merged key by key; lists and values replaced)."""
    if not isinstance(want, dict):
        return copy.deepcopy(want)
    merged = copy.deepcopy(have) if isinstance(have, dict) else {}
    for key, value in want.items():
        merged[key] = merge(merged.get(key), value)
    return merged


def changes(have: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """The top-level members WANT sets to something HAVE does not have, in MEMBERS order."""
    return [key for key in MEMBERS if key in want and not covers(have.get(key), want[key])]


# ---------------------------------------------------------------- requests
def _request_container(container: dict[str, Any]) -> dict[str, Any]:
    """A primaryContainer to send: empty lists left out, a log configuration with both its members."""
    sent = {k: v for k, v in container.items() if k in CONTAINER_KEYS and v not in (None, [], {})}
    logs = sent.get("awsLogsConfiguration")
    if logs:
        sent["awsLogsConfiguration"] = dict(
            logs, logStreamPrefix=logs.get("logStreamPrefix") or DEFAULT_LOG_STREAM_PREFIX
        )
    return sent


def update_request(have: dict[str, Any], want: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """UpdateExpressGatewayService members for the changed FIELDS only, each whole (HAVE merged with WANT).

    primaryContainer goes as a whole (``image`` is required inside it; AWS replaces it), so does
    networkConfiguration and scalingTarget: the members the options leave unset keep their current value.
    """
    request = {}
    for field in fields:
        value = merge(have.get(field), want[field])
        request[field] = _request_container(value) if field == "primaryContainer" else value
    return request


def create_request(params: dict[str, Any], want: dict[str, Any], tags: list[dict[str, str]]) -> dict[str, Any]:
    """CreateExpressGatewayService's arguments: WANT, the name, cluster, infrastructure role and tags.

    The cluster is left out when it is "default", so that AWS creates it when it does not exist yet.
    """
    request: dict[str, Any] = {
        "serviceName": params["name"],
        "infrastructureRoleArn": params["infrastructure_role_arn"],
    }
    if params["cluster"] != DEFAULT_CLUSTER:
        request["cluster"] = params["cluster"]
    for key in MEMBERS:
        if key in want:
            request[key] = copy.deepcopy(want[key])
    if "primaryContainer" in request:
        request["primaryContainer"] = _request_container(request["primaryContainer"])
    if tags:
        request["tags"] = tags
    return request


# ---------------------------------------------------------------- diff
def view(config: dict[str, Any]) -> dict[str, Any]:
    """A compared configuration (camelCase) as the diff shows it: snake_case, in MEMBERS order."""
    ordered = {key: config[key] for key in MEMBERS if key in config}
    return camel_dict_to_snake_dict(copy.deepcopy(ordered))


def after(have: dict[str, Any], want: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """HAVE with the changed FIELDS as the update sets them (the diff's 'after')."""
    result = copy.deepcopy(have)
    result.update({field: merge(have.get(field), want[field]) for field in fields})
    if "primaryContainer" in fields:
        result["primaryContainer"] = normalize_container(_request_container(result["primaryContainer"]))
    return result


def create_view(want: dict[str, Any]) -> dict[str, Any]:
    """What a service created for WANT would compare as (the diff's 'after' of a create)."""
    return after(current({}), want, [key for key in MEMBERS if key in want])
