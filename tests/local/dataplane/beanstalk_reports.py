"""What the Elastic Beanstalk emulator's environments report: DescribeConfigurationSettings,
DescribeConfigurationOptions, ValidateConfigurationSettings, DescribeEvents,
DescribeEnvironmentHealth and DescribeEnvironmentResources. Handlers take a beanstalk_state.Call
and answer the output shape's structure (tests/local/dataplane/beanstalk.py writes it as XML).
"""

from __future__ import annotations

import time
from typing import Any

from . import beanstalk_environments as environments
from . import beanstalk_options as options
from . import beanstalk_state as state
from .beanstalk_state import BeanstalkError, Call, Environment, invalid

SEVERITIES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
HEALTH_ATTRIBUTES = (
    "Status",
    "Color",
    "Causes",
    "ApplicationMetrics",
    "InstancesHealth",
    "HealthStatus",
    "RefreshedAt",
)
INSTANCE_STATES = ("NoData", "Unknown", "Pending", "Ok", "Info", "Warning", "Degraded", "Severe")


# ------------------------------------------------------------------ configuration
def _config_environment(call: Call) -> Environment | None:
    environments.no_template(call.params.get("TemplateName"))
    name = call.params.get("EnvironmentName")
    return environments.find(call, None, name, call.params.get("ApplicationName")) if name else None


def describe_configuration_settings(call: Call) -> dict[str, Any]:
    env = _config_environment(call)
    if env is None:
        raise BeanstalkError("MissingParameter", "Either EnvironmentName or TemplateName must be specified.")
    settings = [
        {"Namespace": ns, "OptionName": name, "Value": value}
        for (ns, name), value in sorted(options.effective(env.settings).items())
    ]
    description = {
        "SolutionStackName": env.stack,
        "PlatformArn": env.platform_arn,
        "ApplicationName": env.application,
        "EnvironmentName": env.name,
        "DeploymentStatus": "pending" if env.operation is not None else "deployed",
        "DateCreated": env.created,
        "DateUpdated": env.updated,
        "OptionSettings": settings,
    }
    if env.description:
        description["Description"] = env.description
    return {"ConfigurationSettings": [description]}


def describe_configuration_options(call: Call) -> dict[str, Any]:
    p = call.params
    env = _config_environment(call)
    if env is not None:
        stack, arn = env.stack, env.platform_arn
    elif p.get("SolutionStackName") or p.get("PlatformArn"):
        stack, arn = environments.platform_of(call, p.get("SolutionStackName"), p.get("PlatformArn"))
    else:
        raise BeanstalkError(
            "MissingParameter", "Specify a solution stack, a platform ARN, an environment or a configuration template."
        )
    wanted = p.get("Options") or []
    found = [options.description(o) for o in options.CATALOGUE.values()]
    if env is not None:
        found += [options.user_description(ns, n) for ns, n in sorted(env.settings) if ns in options.USER_NAMESPACES]

    def asked(option: dict[str, Any]) -> bool:
        return not wanted or any(
            w.get("Namespace") in (None, option["Namespace"]) and w.get("OptionName") in (None, option["Name"])
            for w in wanted
        )

    return {"SolutionStackName": stack, "PlatformArn": arn, "Options": [o for o in found if asked(o)]}


def validate_configuration_settings(call: Call) -> dict[str, Any]:
    if call.params["ApplicationName"] not in call.place.applications:
        raise invalid(f"No Application named '{call.params['ApplicationName']}' found.")
    env = _config_environment(call)
    settings = dict(env.settings) if env is not None else {}
    settings.update(options.from_request(call.params.get("OptionSettings")))
    return {"Messages": options.problems(settings)}


# ------------------------------------------------------------------ events, health, resources
def describe_events(call: Call) -> dict[str, Any]:
    p = call.params
    env_name, env_id = p.get("EnvironmentName"), p.get("EnvironmentId")
    floor = SEVERITIES.index(p["Severity"]) if p.get("Severity") else 0
    found = [
        e
        for e in reversed(call.place.events)
        if (not p.get("ApplicationName") or e["ApplicationName"] == p["ApplicationName"])
        and (not env_name or e["EnvironmentName"] == env_name)
        and (not env_id or e["_env_id"] == env_id)
        and (not p.get("VersionLabel") or e.get("VersionLabel") == p["VersionLabel"])
        and (not p.get("RequestId") or e.get("RequestId") == p["RequestId"])
        and SEVERITIES.index(e["Severity"]) >= floor
        and (p.get("StartTime") is None or e["EventDate"] >= p["StartTime"])
        and (p.get("EndTime") is None or e["EventDate"] < p["EndTime"])
    ]
    page, extra = state.page(found, {**p, "MaxRecords": p.get("MaxRecords") or state.MAX_EVENTS})
    return {"Events": [{k: v for k, v in e.items() if not k.startswith("_")} for e in page], **extra}


def describe_environment_health(call: Call) -> dict[str, Any]:
    env = environments.find(call, call.params.get("EnvironmentId"), call.params.get("EnvironmentName"))
    if options.effective(env.settings)[("aws:elasticbeanstalk:healthreporting:system", "SystemType")] != "enhanced":
        raise BeanstalkError(
            "InvalidRequestException", f"Enhanced health reporting is not enabled for environment {env.name}."
        )
    names = call.params.get("AttributeNames") or []
    wanted = HEALTH_ATTRIBUTES if "All" in names else names
    counts = {status: 0 for status in INSTANCE_STATES}
    for status in env.instances.values():
        counts[status if status in counts else "Unknown"] += 1
    values = {
        "Status": env.status,  # AWS answers the environment's status here (the model's enum says colour)
        "Color": env.health,
        "Causes": list(env.causes),
        "ApplicationMetrics": {"RequestCount": 0},
        "InstancesHealth": counts,
        "HealthStatus": env.health_status,
        "RefreshedAt": time.time(),
    }
    return {"EnvironmentName": env.name, **{k: values[k] for k in wanted if k in values}}


def describe_environment_resources(call: Call) -> dict[str, Any]:
    env = environments.find(call, call.params.get("EnvironmentId"), call.params.get("EnvironmentName"))
    r = env.resources
    return {
        "EnvironmentResources": {
            "EnvironmentName": env.name,
            "AutoScalingGroups": [{"Name": r["AutoScalingGroup"]}],
            "Instances": [{"Id": i} for i in sorted(env.instances)],
            "LaunchConfigurations": [],
            "LaunchTemplates": [{"Id": r["LaunchTemplate"]}],
            "LoadBalancers": [{"Name": r["LoadBalancer"]}] if "LoadBalancer" in r else [],
            "Triggers": [],
            "Queues": [],
        }
    }


HANDLERS = {
    "DescribeConfigurationSettings": describe_configuration_settings,
    "DescribeConfigurationOptions": describe_configuration_options,
    "ValidateConfigurationSettings": validate_configuration_settings,
    "DescribeEvents": describe_events,
    "DescribeEnvironmentHealth": describe_environment_health,
    "DescribeEnvironmentResources": describe_environment_resources,
}
