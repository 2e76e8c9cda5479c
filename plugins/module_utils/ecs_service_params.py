# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ecs_service: module options -> CreateService/UpdateService members, input checks and the diff.

Pure functions (no AWS calls), unit-tested in tests/unit/plugins/. Both sides of a comparison are
brought to one snake_case shape (``compared``): subnet and security group lists as sorted sets,
``assignPublicIp`` as a bool, the members AWS fills in when they were not given at their defaults.
The diff shows these shapes.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs import parse_task_definition, tags_dict
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs_service import latest_events

SERVICE_NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
TASK_DEFINITION = re.compile(
    r"^(arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:task-definition/[A-Za-z0-9_-]{1,255}:\d+|[A-Za-z0-9_-]{1,255}(:\d+)?)$"
)
DEFAULT_DEPLOYMENT = {"minimum_healthy_percent": 100, "maximum_percent": 200}
NO_BREAKER = {"enable": False, "rollback": False}
# Compared fields, in the order the diff shows them, and the UpdateService member of each.
UPDATE_MEMBERS = {
    "task_definition": "taskDefinition",
    "desired_count": "desiredCount",
    "platform_version": "platformVersion",
    "network_configuration": "networkConfiguration",
    "load_balancers": "loadBalancers",
    "health_check_grace_period_seconds": "healthCheckGracePeriodSeconds",
    "deployment_configuration": "deploymentConfiguration",
    "enable_execute_command": "enableExecuteCommand",
    "propagate_tags": "propagateTags",
}


def argument_spec() -> dict[str, Any]:
    """The module's options (documented in plugins/modules/ecs_service.py)."""
    return dict(
        name=dict(type="str", required=True, aliases=["service"]),
        cluster=dict(type="str", required=True),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        task_definition=dict(type="str"),
        desired_count=dict(type="int"),
        preserve_desired_count=dict(type="bool", default=False),
        launch_type=dict(type="str", default="FARGATE", choices=["FARGATE", "EC2"]),
        platform_version=dict(type="str"),
        network_configuration=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_groups=dict(type="list", elements="str"),
                assign_public_ip=dict(type="bool", default=False),
            ),
        ),
        load_balancers=dict(
            type="list",
            elements="dict",
            options=dict(
                target_group_arn=dict(type="str", required=True),
                container_name=dict(type="str", required=True),
                container_port=dict(type="int", required=True),
            ),
        ),
        health_check_grace_period_seconds=dict(type="int"),
        deployment_configuration=dict(
            type="dict",
            options=dict(
                minimum_healthy_percent=dict(type="int", default=100),
                maximum_percent=dict(type="int", default=200),
                circuit_breaker=dict(
                    type="dict",
                    options=dict(enable=dict(type="bool", default=False), rollback=dict(type="bool", default=False)),
                ),
            ),
        ),
        enable_execute_command=dict(type="bool", default=False),
        propagate_tags=dict(type="str", default="SERVICE", choices=["SERVICE", "TASK_DEFINITION", "NONE"]),
        force_new_deployment=dict(type="bool", default=False),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )


def validate(params: dict[str, Any]) -> list[str]:
    """Every problem with the options, each naming the option; empty when they are fine."""
    problems = []
    if not SERVICE_NAME.match(params["name"] or ""):
        problems.append(f"name {params['name']!r}: 1-255 letters, digits, '-' or '_'")
    if not params["cluster"]:
        problems.append("cluster: give the cluster's name or ARN")
    if params["state"] == "absent":
        return problems
    ref = params["task_definition"]
    if ref is not None and not TASK_DEFINITION.match(ref):
        problems.append(f"task_definition {ref!r}: give a family, family:revision or a task definition ARN")
    for option in ("desired_count", "health_check_grace_period_seconds"):
        if params[option] is not None and params[option] < 0:
            problems.append(f"{option}: {params[option]} is negative")
    if params["wait_timeout"] <= 0:
        problems.append(f"wait_timeout: {params['wait_timeout']} is not a positive number of seconds")
    if params["launch_type"] == "EC2" and params["platform_version"] is not None:
        problems.append("platform_version: only Fargate services have a platform version")
    network = params["network_configuration"]
    if network is not None and not network["subnets"]:
        problems.append("network_configuration.subnets: give at least one subnet")
    deployment = params["deployment_configuration"]
    if deployment is not None:
        if not 0 <= deployment["minimum_healthy_percent"] <= 100:
            problems.append(
                f"deployment_configuration.minimum_healthy_percent: {deployment['minimum_healthy_percent']} "
                "is not between 0 and 100"
            )
        if deployment["maximum_percent"] < max(deployment["minimum_healthy_percent"], 1):
            problems.append(
                "deployment_configuration.maximum_percent: must be at least minimum_healthy_percent (and above 0)"
            )
        breaker = deployment.get("circuit_breaker")
        if breaker and breaker["rollback"] and not breaker["enable"]:
            problems.append("deployment_configuration.circuit_breaker.rollback: needs enable: true")
    return problems


# ---------------------------------------------------------------- normal forms
def network_view(awsvpc: dict[str, Any] | None) -> dict[str, Any] | None:
    """An awsvpcConfiguration (as ECS describes it) in the compared shape; None without one."""
    if not awsvpc:
        return None
    return {
        "subnets": sorted(set(awsvpc.get("subnets") or [])),
        "security_groups": sorted(set(awsvpc.get("securityGroups") or [])),
        "assign_public_ip": awsvpc.get("assignPublicIp", "DISABLED") == "ENABLED",
    }


def load_balancers_view(balancers: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    view = [
        {
            "target_group_arn": b.get("targetGroupArn"),
            "container_name": b.get("containerName"),
            "container_port": b.get("containerPort"),
        }
        for b in balancers or []
    ]
    return sorted(view, key=lambda b: (b["target_group_arn"] or "", b["container_name"] or "", b["container_port"]))


def deployment_view(config: dict[str, Any] | None) -> dict[str, Any]:
    config = config or {}
    breaker = config.get("deploymentCircuitBreaker") or {}
    return {
        "minimum_healthy_percent": config.get("minimumHealthyPercent", DEFAULT_DEPLOYMENT["minimum_healthy_percent"]),
        "maximum_percent": config.get("maximumPercent", DEFAULT_DEPLOYMENT["maximum_percent"]),
        "circuit_breaker": {"enable": bool(breaker.get("enable")), "rollback": bool(breaker.get("rollback"))},
    }


def compared(service: dict[str, Any]) -> dict[str, Any]:
    """The compared fields of SERVICE (as DescribeServices returns it), normalised."""
    return {
        "task_definition": service.get("taskDefinition"),
        "desired_count": service.get("desiredCount"),
        "launch_type": service.get("launchType"),
        "platform_version": service.get("platformVersion"),
        "network_configuration": network_view((service.get("networkConfiguration") or {}).get("awsvpcConfiguration")),
        "load_balancers": load_balancers_view(service.get("loadBalancers")),
        "health_check_grace_period_seconds": service.get("healthCheckGracePeriodSeconds") or 0,
        "deployment_configuration": deployment_view(service.get("deploymentConfiguration")),
        "enable_execute_command": bool(service.get("enableExecuteCommand")),
        "propagate_tags": service.get("propagateTags") or "NONE",
    }


def platform_version(params: dict[str, Any]) -> str | None:
    if params["platform_version"] is not None:
        return params["platform_version"]
    return "LATEST" if params["launch_type"] == "FARGATE" else None


def desired(params: dict[str, Any], task_definition: str | None, current: dict[str, Any] | None) -> dict[str, Any]:
    """The compared fields the options set (those left unset are absent), in the shape of ``compared``.

    TASK_DEFINITION is the resolved reference (an ARN for a family); CURRENT the service's compared
    fields (None when it is to be created): options that leave part of a field unset keep its current
    value (security groups, the circuit breaker).
    """
    current = current or {}
    want: dict[str, Any] = {"launch_type": params["launch_type"]}
    if task_definition is not None:
        want["task_definition"] = task_definition
    if params["desired_count"] is not None and not (params["preserve_desired_count"] and current):
        want["desired_count"] = params["desired_count"]
    version = platform_version(params)
    if version is not None:
        want["platform_version"] = version
    network = params["network_configuration"]
    if network is not None:
        groups = network["security_groups"]
        if groups is None:
            groups = (current.get("network_configuration") or {}).get("security_groups", [])
        want["network_configuration"] = {
            "subnets": sorted(set(network["subnets"])),
            "security_groups": sorted(set(groups)),
            "assign_public_ip": bool(network["assign_public_ip"]),
        }
    if params["load_balancers"] is not None:
        want["load_balancers"] = load_balancers_view(camel_load_balancers(params["load_balancers"]))
    if params["health_check_grace_period_seconds"] is not None:
        want["health_check_grace_period_seconds"] = params["health_check_grace_period_seconds"]
    deployment = params["deployment_configuration"]
    if deployment is not None:
        breaker = deployment.get("circuit_breaker")
        now = (current.get("deployment_configuration") or {}).get("circuit_breaker", NO_BREAKER)
        want["deployment_configuration"] = {
            "minimum_healthy_percent": deployment["minimum_healthy_percent"],
            "maximum_percent": deployment["maximum_percent"],
            "circuit_breaker": {"enable": breaker["enable"], "rollback": breaker["rollback"]} if breaker else dict(now),
        }
    want["enable_execute_command"] = params["enable_execute_command"]
    want["propagate_tags"] = params["propagate_tags"]
    return want


def same_task_definition(current: str | None, wanted: str) -> bool:
    """Whether CURRENT (an ARN) and WANTED (an ARN or family:revision) are one revision."""
    return current is not None and parse_task_definition(current) == parse_task_definition(wanted)


def changes(current: dict[str, Any], want: dict[str, Any]) -> list[str]:
    """The compared fields WANT sets to another value than CURRENT has (launch_type aside: it cannot change)."""
    changed = []
    for field in UPDATE_MEMBERS:
        if field not in want:
            continue
        if field == "task_definition":
            if not same_task_definition(current.get(field), want[field]):
                changed.append(field)
        elif want[field] != current.get(field):
            changed.append(field)
    return changed


# ---------------------------------------------------------------- requests
def awsvpc(network: dict[str, Any]) -> dict[str, Any]:
    config = {"subnets": network["subnets"], "assignPublicIp": "ENABLED" if network["assign_public_ip"] else "DISABLED"}
    if network["security_groups"]:
        config["securityGroups"] = network["security_groups"]
    return {"awsvpcConfiguration": config}


def camel_load_balancers(balancers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = (("targetGroupArn", "target_group_arn"), ("containerName", "container_name"))
    keys += (("containerPort", "container_port"),)
    return [{camel: b[snake] for camel, snake in keys} for b in balancers]


def deployment_configuration(view: dict[str, Any], described: dict[str, Any] | None = None) -> dict[str, Any]:
    """DeploymentConfiguration for VIEW; members this module does not manage (alarms ...) kept from DESCRIBED."""
    config = dict(described or {})
    breaker = view["circuit_breaker"]
    config.update(
        minimumHealthyPercent=view["minimum_healthy_percent"],
        maximumPercent=view["maximum_percent"],
        deploymentCircuitBreaker={"enable": breaker["enable"], "rollback": breaker["rollback"]},
    )
    return config


def member(field: str, value: Any, service: dict[str, Any] | None = None) -> Any:
    """The CreateService/UpdateService value of a compared FIELD."""
    if field == "network_configuration":
        return awsvpc(value)
    if field == "load_balancers":
        return camel_load_balancers(value)
    if field == "deployment_configuration":
        return deployment_configuration(value, (service or {}).get("deploymentConfiguration"))
    return value


def update_request(service: dict[str, Any], want: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """UpdateService members for the changed FIELDS only."""
    return {UPDATE_MEMBERS[f]: member(f, want[f], service) for f in fields}


def create_request(params: dict[str, Any], want: dict[str, Any], tags: list[dict[str, str]]) -> dict[str, Any]:
    """CreateService's arguments: WANT (from ``desired``), 1 task when desired_count is not given."""
    request: dict[str, Any] = {
        "cluster": params["cluster"],
        "serviceName": params["name"],
        "launchType": want["launch_type"],
        "desiredCount": want.get("desired_count", 1),
    }
    for field, name in UPDATE_MEMBERS.items():
        if field in want and field != "desired_count":
            request[name] = member(field, want[field])
    if tags:
        request["tags"] = tags
    return request


def after_view(before: dict[str, Any], want: dict[str, Any], fields: list[str]) -> dict[str, Any]:
    """BEFORE with the changed FIELDS set as WANT has them (the diff's 'after')."""
    after = dict(before)
    after.update({f: want[f] for f in fields})
    return after


def create_view(want: dict[str, Any]) -> dict[str, Any]:
    """What a service created for WANT would compare as (the diff's 'after' of a create)."""
    view = dict(want)
    view.setdefault("desired_count", 1)
    view.setdefault("network_configuration", None)
    view.setdefault("load_balancers", [])
    view.setdefault("health_check_grace_period_seconds", 0)
    view.setdefault("deployment_configuration", dict(DEFAULT_DEPLOYMENT, circuit_breaker=dict(NO_BREAKER)))
    return {k: view.get(k) for k in ("launch_type", *UPDATE_MEMBERS)}


# ---------------------------------------------------------------- result
EVENTS_RETURNED = 10


def plain(value: Any) -> Any:
    """VALUE with datetimes as ISO strings (events, deployments)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def service_view(service: dict[str, Any] | None, tags: dict[str, str] | None = None) -> dict[str, Any] | None:
    """SERVICE for the result: snake_case, tags as a dict (TAGS when given), the 10 latest events only."""
    if service is None:
        return None
    trimmed = {k: v for k, v in service.items() if k != "tags"}
    trimmed["events"] = latest_events(service, EVENTS_RETURNED)
    snake = camel_dict_to_snake_dict(plain(trimmed))
    snake["tags"] = tags_dict(service.get("tags")) if tags is None else tags
    return snake
