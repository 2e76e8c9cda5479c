"""What ECS Express Mode checks of a service's configuration, and the defaults it fills in.

A configuration is kept in the wire form of botocore's ``ExpressGatewayServiceConfiguration``
(camelCase members: cpu, memory, primaryContainer ...), without serviceRevisionArn, ingressPaths and
createdAt, which the service adds. Errors are ``ExpressError(code, message)``, answered by
tests/local/dataplane/express.py in the JSON protocol (HTTP 400, ``__type`` = code).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from moto.ec2.models import ec2_backends
from moto.iam.models import iam_backends

from .ecs import role_allows

INFRASTRUCTURE_POLICY = "AmazonECSInfrastructureRoleforExpressGatewayServices"
# moto loads AWS's managed policies only when configured to (iam.load_aws_managed_policies), so a role
# that allows what that policy grants (on "*") passes too.
INFRASTRUCTURE_ACTIONS = (
    "elasticloadbalancing:CreateLoadBalancer",
    "elasticloadbalancing:CreateTargetGroup",
    "elasticloadbalancing:CreateRule",
    "ec2:CreateSecurityGroup",
    "application-autoscaling:RegisterScalableTarget",
)
DEFAULTS: dict[str, Any] = {
    "cpu": "1024",
    "memory": "2048",
    "cpuArchitecture": "X86_64",
    "healthCheckPath": "/ping",
}
DEFAULT_PORT = 80
DEFAULT_SCALING = {
    "minTaskCount": 1,
    "maxTaskCount": 20,
    "autoScalingMetric": "AVERAGE_CPU",
    "autoScalingTargetValue": 60,
}
# Fargate's task sizes: CPU units -> the memory sizes (MiB) it takes.
FARGATE_SIZES: dict[int, list[int]] = {
    256: [512, 1024, 2048],
    512: list(range(1024, 4097, 1024)),
    1024: list(range(2048, 8193, 1024)),
    2048: list(range(4096, 16385, 1024)),
    4096: list(range(8192, 30721, 1024)),
    8192: list(range(16384, 61441, 4096)),
    16384: list(range(32768, 122881, 8192)),
}
# The configuration members of a task definition: a change registers a new revision and deploys it.
TASK_MEMBERS = ("executionRoleArn", "taskRoleArn", "cpu", "memory", "cpuArchitecture", "primaryContainer")
CONFIG_MEMBERS = (*TASK_MEMBERS, "networkConfiguration", "healthCheckPath", "scalingTarget")


class ExpressError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def invalid(message: str) -> ExpressError:
    return ExpressError("InvalidParameterException", message)


@dataclass
class Network:
    vpc_id: str
    vpc_cidr: str
    subnets: list[str]
    security_groups: list[str]
    public: bool


def _units(value: str, unit: str, scale: int) -> int | None:
    """'1024' -> 1024, '1 vCPU' -> 1024, '2 GB' -> 2048 (the forms task definitions take)."""
    text = str(value).strip()
    if text.isdigit():
        return int(text)
    match = re.fullmatch(rf"(\d+(?:\.\d+)?)\s*{unit}", text, re.IGNORECASE)
    return int(float(match.group(1)) * scale) if match else None


def check_size(cpu: str, memory: str) -> None:
    units, mib = _units(cpu, "vCPU", 1024), _units(memory, "GB", 1024)
    if units is None or mib is None or mib not in FARGATE_SIZES.get(units, []):
        raise invalid(
            f"Invalid 'cpu' and 'memory' combination for Fargate: cpu {cpu}, memory {memory}. "
            "See the supported task CPU and memory values."
        )


def with_defaults(params: dict[str, Any]) -> dict[str, Any]:
    """The configuration a Create request asks for, with Express Mode's defaults."""
    config = {member: copy.deepcopy(params[member]) for member in CONFIG_MEMBERS if params.get(member) is not None}
    for member, value in DEFAULTS.items():
        config.setdefault(member, value)
    config["scalingTarget"] = {**DEFAULT_SCALING, **config.get("scalingTarget", {})}
    if "primaryContainer" in config:
        config["primaryContainer"].setdefault("containerPort", DEFAULT_PORT)
    return config


def merged(current: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    """CURRENT with an Update's members: primaryContainer replaced whole, the other structures member by member."""
    config = copy.deepcopy(current)
    for member in CONFIG_MEMBERS:
        value = params.get(member)
        if value is None:
            continue
        if member in ("scalingTarget", "networkConfiguration"):
            config[member] = {**config.get(member, {}), **copy.deepcopy(value)}
        else:
            config[member] = copy.deepcopy(value)
    if "primaryContainer" in params:
        config["primaryContainer"].setdefault("containerPort", DEFAULT_PORT)
    return config


def check_config(config: dict[str, Any]) -> None:
    container = config.get("primaryContainer")
    if not container or not container.get("image"):
        raise invalid("primaryContainer with an image is required.")
    check_size(config["cpu"], config["memory"])
    port = container.get("containerPort", DEFAULT_PORT)
    if not 1 <= port <= 65535:
        raise invalid(f"containerPort {port} is invalid: it must be between 1 and 65535.")
    if not str(config.get("healthCheckPath", "")).startswith("/"):
        raise invalid(f"healthCheckPath '{config.get('healthCheckPath')}' is invalid: it must start with '/'.")
    scaling = config["scalingTarget"]
    low, high = scaling["minTaskCount"], scaling["maxTaskCount"]
    if low < 0 or high < 1:
        raise invalid("scalingTarget task counts must be at least 0 (minTaskCount) and 1 (maxTaskCount).")
    if low > high:
        raise invalid(f"minTaskCount ({low}) cannot be greater than maxTaskCount ({high}).")
    if scaling["autoScalingTargetValue"] <= 0:
        raise invalid("autoScalingTargetValue must be greater than 0.")


def _trusts_ecs(role: Any) -> bool:
    try:
        document = json.loads(role.assume_role_policy_document or "{}")
    except (TypeError, ValueError):
        return False
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        if statement.get("Effect") != "Allow":
            continue
        services = (statement.get("Principal") or {}).get("Service", [])
        if "ecs.amazonaws.com" in (services if isinstance(services, list) else [services]):
            return True
    return False


def _role(account: str, arn: str, what: str) -> Any:
    try:
        return iam_backends[account]["global"].get_role_by_arn(arn)
    except Exception:
        raise invalid(f"The {what} {arn} does not exist or is not a valid IAM role.") from None


def check_roles(account: str, infrastructure: str | None, config: dict[str, Any]) -> None:
    """Every role must exist; the infrastructure role must trust ECS and carry Express Mode's policy."""
    if infrastructure:
        role = _role(account, infrastructure, "infrastructure role")
        if not _trusts_ecs(role):
            raise ExpressError(
                "AccessDeniedException",
                f"ECS was unable to assume the role '{infrastructure}': its trust policy does not allow "
                "ecs.amazonaws.com to call sts:AssumeRole.",
            )
        attached = any(arn.endswith("/" + INFRASTRUCTURE_POLICY) for arn in role.managed_policies)
        if not attached and not all(role_allows(account, infrastructure, a, "*") for a in INFRASTRUCTURE_ACTIONS):
            raise ExpressError(
                "AccessDeniedException",
                f"The infrastructure role '{infrastructure}' is not authorized to manage Express service "
                f"resources: attach the {INFRASTRUCTURE_POLICY} managed policy.",
            )
    for member, what in (("executionRoleArn", "execution role"), ("taskRoleArn", "task role")):
        if config.get(member):
            _role(account, config[member], what)


def _public(ec2: Any, subnet: Any) -> bool:
    """A subnet is public when its route table (or its VPC's main one) routes to an internet gateway."""
    if getattr(subnet, "default_for_az", False):
        return True  # a default VPC's subnets are public
    tables = list(ec2.route_tables.values())
    own = [t for t in tables if subnet.id in t._associations.values()]
    main = [t for t in tables if t.vpc_id == subnet.vpc_id and t.main_association_id is not None]
    for table in own or main:
        for route in table.routes:
            gateway = getattr(route, "gateway", None)
            if gateway is not None and str(getattr(gateway, "id", "")).startswith("igw-"):
                return True
    return False


def resolve_network(account: str, region: str, config: dict[str, Any]) -> Network:
    """The configuration's subnets and security groups, checked (the default VPC's when not given).

    Fills config["networkConfiguration"] in when it was left out."""
    ec2 = ec2_backends[account][region]
    network = dict(config.get("networkConfiguration") or {})
    if not network.get("subnets"):
        vpc = ec2.get_default_vpc()
        if vpc is None:
            raise invalid("No networkConfiguration given and there is no default VPC in this region.")
        network["subnets"] = sorted(s.id for s in ec2.describe_subnets() if s.vpc_id == vpc.id and s.default_for_az)
        if not network["subnets"]:
            raise invalid("No networkConfiguration given and the default VPC has no default subnets.")
        if not network.get("securityGroups"):
            default = ec2.get_security_group_from_name("default", vpc.id)
            network["securityGroups"] = [default.id] if default is not None else []
    subnets = []
    for subnet_id in network["subnets"]:
        try:
            subnets.append(ec2.get_subnet(subnet_id))
        except Exception:
            raise invalid(f"The subnet ID '{subnet_id}' does not exist.") from None
    vpcs = {s.vpc_id for s in subnets}
    if len(vpcs) > 1:
        listed = ", ".join(network["subnets"])
        raise invalid(f"The subnets {listed} belong to several VPCs ({', '.join(sorted(vpcs))}).")
    vpc_id = vpcs.pop()
    for group_id in network.get("securityGroups") or []:
        group = ec2.get_security_group_from_id(group_id)
        if group is None:
            raise invalid(f"The security group '{group_id}' does not exist.")
        if group.vpc_id != vpc_id:
            raise invalid(f"The security group '{group_id}' is not in the subnets' VPC {vpc_id}.")
    config["networkConfiguration"] = {"securityGroups": list(network.get("securityGroups") or []), **network}
    return Network(
        vpc_id=vpc_id,
        vpc_cidr=ec2.get_vpc(vpc_id).cidr_block,
        subnets=list(network["subnets"]),
        security_groups=list(network.get("securityGroups") or []),
        public=any(_public(ec2, s) for s in subnets),
    )
