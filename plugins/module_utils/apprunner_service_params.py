# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""apprunner_service: module options -> App Runner request members, input checks and the diff.

Pure functions (no AWS calls), unit-tested in tests/unit/plugins/.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.mlops.mlflow_aws.plugins.module_utils import aws_rules as rules

# The CPU/memory table and the image URI rule are shared with the roles (module_utils/aws_rules.py).
CPU_MEMORY = rules.APPRUNNER_CPU_MEMORY
_CPU_ALIASES = rules.APPRUNNER_CPU_ALIASES
_MEMORY_ALIASES = rules.APPRUNNER_MEMORY_ALIASES
image_repository_type = rules.image_repository_type

SECRET_ARN = re.compile(
    r"^arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)$"
)
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
APPRUNNER_ARN = re.compile(
    r"^arn:aws[a-z-]*:apprunner:[a-z0-9-]+:\d{12}:(autoscalingconfiguration|vpcconnector|observabilityconfiguration)/.+$"
)
KMS_ARN = re.compile(r"^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key/[0-9a-f-]{36}$")
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{3,39}$")
ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
RESERVED_ENV_PREFIX = "AWSAPPRUNNER"


def cpu_units(value):
    """'1 vCPU' / '1024' / 1024 -> 1024; None for anything App Runner does not offer."""
    if value is None:
        return None
    text = str(value).strip()
    if text in _CPU_ALIASES:
        return _CPU_ALIASES[text]
    return int(text) if text.isdigit() and int(text) in CPU_MEMORY else None


def memory_mb(value):
    if value is None:
        return None
    text = str(value).strip()
    if text in _MEMORY_ALIASES:
        return _MEMORY_ALIASES[text]
    return int(text) if text.isdigit() and int(text) in _MEMORY_ALIASES.values() else None


def validate(params):
    """Every problem with the module options, each naming the option; empty when they are fine."""
    problems = []
    if not SERVICE_NAME.match(params["name"] or ""):
        problems.append(f"name {params['name']!r}: 4-40 letters, digits, '-' or '_', starting with a letter or digit")
    cpu, memory = params.get("cpu"), params.get("memory")
    if cpu is not None and cpu_units(cpu) is None:
        problems.append(f"cpu {cpu!r}: one of 256, 512, 1024, 2048, 4096 (or '0.25 vCPU' ... '4 vCPU')")
    if memory is not None and memory_mb(memory) is None:
        sizes = ", ".join(str(m) for m in sorted(_MEMORY_ALIASES.values()))
        problems.append(f"memory {memory!r}: one of {sizes} (MB), or '2 GB' style")
    if cpu_units(cpu) and memory_mb(memory) and memory_mb(memory) not in CPU_MEMORY[cpu_units(cpu)]:
        allowed = ", ".join(str(m) for m in CPU_MEMORY[cpu_units(cpu)])
        problems.append(f"cpu {cpu} with memory {memory}: App Runner allows memory {allowed} MB with that CPU")
    port = params.get("port")
    if port is not None and not 1 <= port <= 65535:
        problems.append(f"port {port}: must be between 1 and 65535")
    image = params.get("image")
    if image is not None:
        kind = params.get("image_repository_type") or image_repository_type(image)
        problem = rules.image_uri_problem(image, kind)
        if problem:
            problems.append(f"image {image!r}: {problem}")
        if kind == "ECR" and not params.get("access_role_arn"):
            problems.append("access_role_arn: required for a private ECR image (the role App Runner pulls it with)")
    environment = params.get("environment") or {}
    secrets = params.get("environment_secrets") or {}
    for option, names in (("environment", environment), ("environment_secrets", secrets)):
        for key in names:
            if not ENV_NAME.match(key) or key.upper().startswith(RESERVED_ENV_PREFIX):
                problems.append(f"{option}.{key}: not a valid variable name (or reserved by App Runner)")
    for key in sorted(set(environment) & set(secrets)):
        problems.append(f"environment.{key} and environment_secrets.{key}: a variable can be set only once")
    for key, arn in secrets.items():
        if not SECRET_ARN.match(str(arn)):
            problems.append(f"environment_secrets.{key}: {arn!r} is not a Secrets Manager secret or SSM parameter ARN")
    for option in ("access_role_arn", "instance_role_arn"):
        if params.get(option) and not ROLE_ARN.match(params[option]):
            problems.append(f"{option} {params[option]!r}: not an IAM role ARN")
    for option in ("auto_scaling_configuration_arn", "vpc_connector_arn", "observability_configuration_arn"):
        if params.get(option) and not APPRUNNER_ARN.match(params[option]):
            problems.append(f"{option} {params[option]!r}: not an App Runner ARN")
    if params.get("kms_key") and not KMS_ARN.match(params["kms_key"]):
        problems.append(
            f"kms_key {params['kms_key']!r}: App Runner needs a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)"
        )
    if params.get("egress_type") == "VPC" and not params.get("vpc_connector_arn"):
        problems.append("vpc_connector_arn: required with egress_type=VPC")
    if params.get("egress_type") == "DEFAULT" and params.get("vpc_connector_arn"):
        problems.append("vpc_connector_arn: only used with egress_type=VPC")
    health = params.get("health_check") or {}
    for key in ("interval", "timeout", "healthy_threshold", "unhealthy_threshold"):
        if health.get(key) is not None and not 1 <= health[key] <= 20:
            problems.append(f"health_check.{key} {health[key]}: must be between 1 and 20")
    if health.get("path") is not None and not str(health["path"]).startswith("/"):
        problems.append(f"health_check.path {health['path']!r}: must start with '/'")
    if params.get("start_command") and re.search(r"[\r\n]", params["start_command"]):
        problems.append("start_command: must be a single line")
    return problems


def desired_sections(params):
    """The request members the options set, each partial: only what the user gave is compared."""
    sections = {}
    image = {}
    if params.get("image") is not None:
        image["ImageIdentifier"] = params["image"]
        image["ImageRepositoryType"] = params.get("image_repository_type") or image_repository_type(params["image"])
    config = {}
    if params.get("port") is not None:
        config["Port"] = str(params["port"])
    if params.get("environment") is not None:
        config["RuntimeEnvironmentVariables"] = {k: str(v) for k, v in params["environment"].items()}
    if params.get("environment_secrets") is not None:
        config["RuntimeEnvironmentSecrets"] = {k: str(v) for k, v in params["environment_secrets"].items()}
    if params.get("start_command") is not None:
        config["StartCommand"] = params["start_command"]
    if config:
        image["ImageConfiguration"] = config
    source = {}
    if image:
        source["ImageRepository"] = image
    if params.get("auto_deployments") is not None:
        source["AutoDeploymentsEnabled"] = params["auto_deployments"]
    if params.get("access_role_arn") is not None:
        source["AuthenticationConfiguration"] = {"AccessRoleArn": params["access_role_arn"]}
    if source:
        sections["SourceConfiguration"] = source
    instance = {}
    if params.get("cpu") is not None:
        instance["Cpu"] = str(cpu_units(params["cpu"]))
    if params.get("memory") is not None:
        instance["Memory"] = str(memory_mb(params["memory"]))
    if params.get("instance_role_arn") is not None:
        instance["InstanceRoleArn"] = params["instance_role_arn"]
    if instance:
        sections["InstanceConfiguration"] = instance
    health = {k: v for k, v in (params.get("health_check") or {}).items() if v is not None}
    if health:
        names = {
            "protocol": "Protocol",
            "path": "Path",
            "interval": "Interval",
            "timeout": "Timeout",
            "healthy_threshold": "HealthyThreshold",
            "unhealthy_threshold": "UnhealthyThreshold",
        }
        sections["HealthCheckConfiguration"] = {names[k]: v for k, v in health.items()}
    network = {}
    if params.get("egress_type") is not None or params.get("vpc_connector_arn") is not None:
        egress = {"EgressType": params.get("egress_type") or "VPC"}
        if egress["EgressType"] == "VPC":
            egress["VpcConnectorArn"] = params["vpc_connector_arn"]
        network["EgressConfiguration"] = egress
    if params.get("publicly_accessible") is not None:
        network["IngressConfiguration"] = {"IsPubliclyAccessible": params["publicly_accessible"]}
    if params.get("ip_address_type") is not None:
        network["IpAddressType"] = params["ip_address_type"]
    if network:
        sections["NetworkConfiguration"] = network
    if params.get("observability_configuration_arn") is not None:
        sections["ObservabilityConfiguration"] = {
            "ObservabilityEnabled": True,
            "ObservabilityConfigurationArn": params["observability_configuration_arn"],
        }
    elif params.get("observability") is False:
        sections["ObservabilityConfiguration"] = {"ObservabilityEnabled": False}
    if params.get("auto_scaling_configuration_arn") is not None:
        sections["AutoScalingConfigurationArn"] = params["auto_scaling_configuration_arn"]
    return sections


# Members whose value replaces the current one as a whole (maps of variables), not merged into it.
_REPLACED = ("RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets", "EgressConfiguration")


def _merge(current, desired):
    merged = copy.deepcopy(current) if isinstance(current, dict) else {}
    for key, value in desired.items():
        if isinstance(value, dict) and key not in _REPLACED:
            merged[key] = _merge(merged.get(key, {}), value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def current_sections(service):
    """The comparable members of a DescribeService result, normalised like desired_sections."""
    sections = {}
    for key in (
        "SourceConfiguration",
        "InstanceConfiguration",
        "HealthCheckConfiguration",
        "NetworkConfiguration",
        "ObservabilityConfiguration",
    ):
        sections[key] = copy.deepcopy(service.get(key, {}))
    instance = sections["InstanceConfiguration"]
    for key, convert in (("Cpu", cpu_units), ("Memory", memory_mb)):
        if instance.get(key) is not None:
            instance[key] = str(convert(instance[key]))
    image_config = sections["SourceConfiguration"].get("ImageRepository", {}).get("ImageConfiguration", {})
    for key in ("RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets"):
        image_config.setdefault(key, {})
    sections["AutoScalingConfigurationArn"] = service.get("AutoScalingConfigurationSummary", {}).get(
        "AutoScalingConfigurationArn"
    )
    return sections


def _same_auto_scaling(current, desired):
    """A partial ARN (…/name or …/name/revision) matches the revision it resolves to."""
    return current == desired or bool(current and current.startswith(desired.rstrip("/") + "/"))


def update_request(service, desired):
    """The UpdateService members that differ (each the full merged member), or {} when nothing does."""
    current = current_sections(service)
    request = {}
    for key, value in desired.items():
        if key == "AutoScalingConfigurationArn":
            if not _same_auto_scaling(current[key], value):
                request[key] = value
            continue
        merged = _merge(current.get(key, {}), value)
        if merged != current.get(key, {}):
            request[key] = merged
    return request


def create_request(params, desired, tags):
    request = {"ServiceName": params["name"]}
    request.update(copy.deepcopy(desired))
    if params.get("kms_key"):
        request["EncryptionConfiguration"] = {"KmsKey": params["kms_key"]}
    if tags:
        request["Tags"] = tags
    return request


def comparable(service):
    """What the diff shows of a service: its configuration, without timestamps and IDs."""
    if not service:
        return {}
    view = current_sections(service)
    view["Status"] = service.get("Status")
    return view
