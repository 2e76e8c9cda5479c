"""The Elastic Beanstalk emulator's environments: Create/Describe/Update/TerminateEnvironment.

Handlers take a beanstalk_state.Call and answer the output shape's structure
(tests/local/dataplane/beanstalk.py writes it as XML); the asynchronous statuses are
beanstalk_state.py's, what environments report (configuration, events, health, resources)
beanstalk_reports.py's.
"""

from __future__ import annotations

import copy
import re
import time
import uuid
from typing import Any

from . import beanstalk_options as options
from . import beanstalk_state as state
from .beanstalk_state import BeanstalkError, Call, Environment, Operation, invalid

ENV_NAME = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{2,38})[A-Za-z0-9]")
CNAME_PREFIX = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{2,61})[A-Za-z0-9]")
DELETED_SHOWN_SECONDS = 3600  # AWS lists a terminated environment for about an hour


def _hex(size: int) -> str:
    return uuid.uuid4().hex[:size]


def cname_of(call: Call, prefix: str) -> str:
    return f"{prefix.lower()}.{call.region}.elasticbeanstalk.com"


def cname_taken(call: Call, cname: str) -> bool:
    return any(e.cname == cname for e in call.place.environments if e.status != "Terminated")


def _check(settings: options.Settings) -> None:
    found = options.problems(settings)
    if found:
        raise BeanstalkError(
            "ConfigurationValidationException", f"Configuration validation exception: {found[0]['Message']}"
        )


def platform_of(call: Call, stack: str | None, arn: str | None) -> tuple[str, str]:
    if stack and arn:
        raise BeanstalkError(
            "InvalidParameterCombination", "You can't specify both a solution stack and a platform ARN."
        )
    found = options.platform(call.region, stack, arn)
    if isinstance(found, str):
        raise invalid(found)
    return found


def _version(call: Call, application: str, label: str) -> None:
    app = call.place.applications[application]
    version = app.versions.get(label)
    if version is None:
        raise invalid(f"No Application Version named '{label}' found.")
    if version.status in ("Processing", "Building"):
        raise invalid(f"Application version {label} is still being processed; deploy it once it is Processed.")
    if version.status == "Failed":
        raise invalid(f"Application version {label} failed processing and can't be deployed.")


def no_template(name: str | None) -> None:
    if name:
        raise invalid(f"No Configuration Template named '{name}' found.")


def describe(env: Environment) -> dict[str, Any]:
    """An EnvironmentDescription."""
    body: dict[str, Any] = {
        "EnvironmentName": env.name,
        "EnvironmentId": env.env_id,
        "ApplicationName": env.application,
        "VersionLabel": env.version_label,
        "SolutionStackName": env.stack,
        "PlatformArn": env.platform_arn,
        "Description": env.description,
        "EndpointURL": env.endpoint_url,
        "CNAME": env.cname,
        "DateCreated": env.created,
        "DateUpdated": env.updated,
        "Status": env.status,
        "AbortableOperationInProgress": env.operation is not None and env.operation.kind == "update",
        "Health": env.health,
        "HealthStatus": env.health_status,
        "Tier": dict(env.tier),
        "EnvironmentLinks": [],
        "EnvironmentArn": env.arn,
        "OperationsRole": env.operations_role,
    }
    return {k: v for k, v in body.items() if v is not None}


def find(call: Call, env_id: str | None, name: str | None, application: str | None = None) -> Environment:
    """A live (not Terminated) environment by ID or name; AWS's error when there is none."""
    if not env_id and not name:
        raise BeanstalkError("MissingParameter", "Either EnvironmentName or EnvironmentId must be specified.")
    for env in call.place.environments:
        if env.status == "Terminated" or (application and env.application != application):
            continue
        if (env_id and env.env_id == env_id) or (not env_id and env.name == name):
            return env
    key, value = ("EnvironmentId", env_id) if env_id else ("EnvironmentName", name)
    raise invalid(f"No Environment found for {key} = '{value}'.")


# ------------------------------------------------------------------ lifecycle
def create_environment(call: Call) -> dict[str, Any]:
    p = call.params
    if p["ApplicationName"] not in call.place.applications:
        raise invalid(f"No Application named '{p['ApplicationName']}' found.")
    name = p.get("EnvironmentName")
    if not name:
        raise BeanstalkError("MissingParameter", "An environment name is required (EnvironmentName).")
    if not ENV_NAME.fullmatch(name):
        raise invalid(
            f"Environment name '{name}' is invalid: 4 to 40 letters, numbers and hyphens, "
            "not starting or ending with a hyphen."
        )
    if any(e.name == name and e.status != "Terminated" for e in call.place.environments):
        raise invalid(f"Environment {name} already exists.")
    no_template(p.get("TemplateName"))
    if (p.get("Tier") or {}).get("Name", "WebServer") != "WebServer":
        raise invalid("Only the WebServer tier is emulated locally.")
    stack, arn = platform_of(call, p.get("SolutionStackName"), p.get("PlatformArn"))
    if p.get("VersionLabel"):
        _version(call, p["ApplicationName"], p["VersionLabel"])
    prefix = p.get("CNAMEPrefix")
    if prefix and not CNAME_PREFIX.fullmatch(prefix):
        raise invalid(f"CNAME prefix '{prefix}' is invalid: 4 to 63 letters, numbers and hyphens.")
    cname = cname_of(call, prefix) if prefix else f"{name.lower()}.eba-{_hex(8)}.{call.region}.elasticbeanstalk.com"
    if cname_taken(call, cname):
        raise invalid(f"DNS name ({cname}) is not available.")
    settings = options.from_request(p.get("OptionSettings"))
    for item in p.get("OptionsToRemove") or []:
        settings.pop((item.get("Namespace", ""), item.get("OptionName", "")), None)
    _check(settings)
    env = _new_environment(call, name, (stack, arn), cname, settings)
    call.place.environments.append(env)
    # a new environment of a terminated one's name (and ARN) does not inherit its tags
    call.place.tags[env.arn] = {t["Key"]: t.get("Value", "") for t in p.get("Tags") or []}
    state.start(env, Operation("launch", call.request_id, time.time()))
    return describe(env)


def _new_environment(
    call: Call, name: str, platform: tuple[str, str], cname: str, settings: options.Settings
) -> Environment:
    p, now, env_id = call.params, time.time(), f"e-{_hex(10)}"
    env = Environment(
        account=call.account,
        region=call.region,
        env_id=env_id,
        name=name,
        application=p["ApplicationName"],
        arn=call.arn("environment", f"{p['ApplicationName']}/{name}"),
        cname=cname,
        endpoint_url=None,
        stack=platform[0],
        platform_arn=platform[1],
        tier={"Name": "WebServer", "Type": "Standard", "Version": "1.0"},
        settings=settings,
        created=now,
        updated=now,
        version_label=p.get("VersionLabel"),
        description=p.get("Description"),
        operations_role=p.get("OperationsRole"),
    )
    env.resources = {
        "AutoScalingGroup": f"awseb-{env_id}-stack-AWSEBAutoScalingGroup-{_hex(12).upper()}",
        "LaunchTemplate": f"lt-{_hex(17)}",
    }
    if options.effective(settings)[("aws:elasticbeanstalk:environment", "EnvironmentType")] == "LoadBalanced":
        balancer = _hex(12)
        env.resources["LoadBalancer"] = f"awseb-AWSEB-{balancer.upper()}"
        env.endpoint_url = f"awseb-awseb-{balancer}-{int(_hex(8), 16) % 10**10}.{call.region}.elb.amazonaws.com"
    return env


def describe_environments(call: Call) -> dict[str, Any]:
    p, now = call.params, time.time()
    back_to = max(now - DELETED_SHOWN_SECONDS, p.get("IncludedDeletedBackTo") or 0)
    found = []
    for env in call.place.environments:
        if env.status == "Terminated" and (p.get("IncludeDeleted") is False or (env.deleted_at or 0) < back_to):
            continue
        if (
            (p.get("ApplicationName") and env.application != p["ApplicationName"])
            or (p.get("EnvironmentNames") and env.name not in p["EnvironmentNames"])
            or (p.get("EnvironmentIds") and env.env_id not in p["EnvironmentIds"])
            or (p.get("VersionLabel") and env.version_label != p["VersionLabel"])
        ):
            continue
        found.append(env)
    page, extra = state.page(found, p)
    return {"Environments": [describe(e) for e in page], **extra}


def update_environment(call: Call) -> dict[str, Any]:
    p = call.params
    env = find(call, p.get("EnvironmentId"), p.get("EnvironmentName"), p.get("ApplicationName"))
    if env.status != "Ready":
        raise invalid(f"Environment named {env.name} is in an invalid state for this operation. Must be Ready.")
    no_template(p.get("TemplateName"))
    if p.get("Tier") and p["Tier"].get("Name", "WebServer") != "WebServer":
        raise invalid("Only the WebServer tier is emulated locally.")
    platform = None
    if p.get("SolutionStackName") or p.get("PlatformArn"):
        platform = platform_of(call, p.get("SolutionStackName"), p.get("PlatformArn"))
    if p.get("VersionLabel"):
        _version(call, env.application, p["VersionLabel"])
    settings = dict(env.settings)
    for item in p.get("OptionsToRemove") or []:
        settings.pop((item.get("Namespace", ""), item.get("OptionName", "")), None)
    settings.update(options.from_request(p.get("OptionSettings")))
    before, after = options.effective(env.settings), options.effective(settings)
    for key in sorted(options.CREATE_ONLY):
        if before.get(key) != after.get(key):
            spec = f"(Namespace: '{key[0]}', OptionName: '{key[1]}')"
            message = (
                f"Invalid option specification {spec}: this option can't be changed after the environment is created."
            )
            raise BeanstalkError("ConfigurationValidationException", f"Configuration validation exception: {message}")
    _check(settings)
    if p.get("Description") is not None:
        env.description = p["Description"]
    if not (platform or p.get("VersionLabel") or p.get("OptionSettings") or p.get("OptionsToRemove")):
        env.updated = time.time()
        return describe(env)  # a description alone changes at once
    operation = Operation(
        "update",
        call.request_id,
        time.time(),
        previous_version=env.version_label,
        previous_settings=copy.deepcopy(env.settings),
        new_version=bool(p.get("VersionLabel")) and p["VersionLabel"] != env.version_label,
    )
    if p.get("VersionLabel"):
        env.version_label = p["VersionLabel"]
    if platform:
        env.stack, env.platform_arn = platform
    env.settings = settings
    state.start(env, operation)
    return describe(env)


def terminate(call: Call, env: Environment) -> None:
    state.start(env, Operation("terminate", call.request_id, time.time()))


def terminate_environment(call: Call) -> dict[str, Any]:
    env = find(call, call.params.get("EnvironmentId"), call.params.get("EnvironmentName"))
    if env.status == "Terminating" or (env.status != "Ready" and not call.params.get("ForceTerminate")):
        raise invalid(f"Environment named {env.name} is in an invalid state for this operation. Must be Ready.")
    terminate(call, env)
    return describe(env)


HANDLERS = {
    "CreateEnvironment": create_environment,
    "DescribeEnvironments": describe_environments,
    "UpdateEnvironment": update_environment,
    "TerminateEnvironment": terminate_environment,
}
