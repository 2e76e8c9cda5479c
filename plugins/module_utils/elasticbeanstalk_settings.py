# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""elasticbeanstalk_environment: option settings in their normal form, the comparison with the
environment's configuration (DescribeConfigurationSettings), the Create/UpdateEnvironment requests and
the diff. Pure functions (no AWS calls).

An option setting is keyed by (namespace, option name, resource name or ''); its value is a string, as
AWS returns it (``normalize_value``: true/false for booleans, digits for numbers, comma-joined lists).
Only the settings the options give are compared; values compare as AWS means them (booleans in any
case, the known comma-separated sets in any order).
"""

from __future__ import annotations

import copy
from typing import Any

ENVIRONMENT = "aws:elasticbeanstalk:application:environment"
ENVIRONMENT_SECRETS = "aws:elasticbeanstalk:application:environmentsecrets"
# Namespaces whose option names are the user's own (environment properties and secrets): the only ones
# purge_option_settings purges (the others list every option AWS has, with its default).
PURGEABLE = (ENVIRONMENT, ENVIRONMENT_SECRETS)
# Comma-separated values AWS treats as sets.
SET_OPTIONS = frozenset(
    (
        ("aws:ec2:vpc", "Subnets"),
        ("aws:ec2:vpc", "ELBSubnets"),
        ("aws:autoscaling:launchconfiguration", "SecurityGroups"),
        ("aws:elbv2:loadbalancer", "SecurityGroups"),
        ("aws:elb:loadbalancer", "SecurityGroups"),
        ("aws:autoscaling:asg", "Availability Zones"),
    )
)

Key = tuple[str, str, str]


# ---------------------------------------------------------------- normal form
def _get(setting: dict[str, Any], snake: str, camel: str) -> Any:
    return setting.get(snake) if snake in setting else setting.get(camel)


def key_of(setting: dict[str, Any]) -> Key:
    """(namespace, option name, resource name or '') of a setting given as options or as AWS describes it."""
    return (
        str(_get(setting, "namespace", "Namespace") or ""),
        str(_get(setting, "option_name", "OptionName") or ""),
        str(_get(setting, "resource_name", "ResourceName") or ""),
    )


def key_label(key: Key) -> str:
    namespace, option, resource = key
    return f"{namespace} {option}" + (f" (resource {resource})" if resource else "")


def label(setting: dict[str, Any]) -> str:
    return key_label(key_of(setting))


def normalize_value(value: Any) -> str:
    """VALUE as the string Elastic Beanstalk keeps: booleans true/false, numbers as digits, lists comma-joined.

    Raises ValueError for what has no string form (no value, a mapping).
    """
    if value is None:
        raise ValueError("value is missing (Elastic Beanstalk option values are strings)")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, (list, tuple)):
        return ",".join(normalize_value(item) for item in value)
    if isinstance(value, dict):
        raise ValueError("value is a mapping; Elastic Beanstalk option values are strings")
    return str(value)


def desired(settings: list[dict[str, Any]] | None) -> dict[Key, str]:
    """The given option settings as {key: value string}, in the order given."""
    return {key_of(setting): normalize_value(setting.get("value")) for setting in settings or []}


def current(described: list[dict[str, Any]] | None) -> dict[Key, str]:
    """DescribeConfigurationSettings' OptionSettings as {key: value} (an option without a value: '')."""
    return {key_of(setting): str(setting.get("Value") or "") for setting in described or []}


def _items(value: str) -> list[str]:
    return sorted(item.strip() for item in value.split(",") if item.strip())


def same(have: str | None, want: str, key: Key) -> bool:
    """Whether HAVE (None: not set) already is WANT, as AWS means the value of KEY."""
    if have is None:
        return False
    if want.lower() in ("true", "false"):
        return have.lower() == want.lower()
    if key[:2] in SET_OPTIONS:
        return _items(have) == _items(want)
    return have == want


def changed_keys(have: dict[Key, str], want: dict[Key, str]) -> list[Key]:
    return [key for key, value in want.items() if not same(have.get(key), value, key)]


def purged_keys(have: dict[Key, str], want: dict[Key, str]) -> list[Key]:
    """The environment properties and secrets HAVE holds in the PURGEABLE namespaces WANT names, but WANT
    does not give."""
    namespaces = {key[0] for key in want} & set(PURGEABLE)
    return [key for key in have if key[0] in namespaces and key not in want]


def _setting(key: Key, value: str) -> dict[str, str]:
    namespace, option, resource = key
    setting = {"Namespace": namespace, "OptionName": option, "Value": value}
    if resource:
        setting["ResourceName"] = resource
    return setting


def _specification(key: Key) -> dict[str, str]:
    namespace, option, resource = key
    spec = {"Namespace": namespace, "OptionName": option}
    if resource:
        spec["ResourceName"] = resource
    return spec


# ---------------------------------------------------------------- requests
def create_request(params: dict[str, Any], tier: dict[str, str], tags: list[dict[str, str]]) -> dict[str, Any]:
    """CreateEnvironment's arguments from the options."""
    request: dict[str, Any] = {
        "ApplicationName": params["application"],
        "EnvironmentName": params["name"],
        "Tier": dict(tier),
    }
    for option, member in (
        ("cname_prefix", "CNAMEPrefix"),
        ("version_label", "VersionLabel"),
        ("solution_stack_name", "SolutionStackName"),
        ("platform_arn", "PlatformArn"),
        ("description", "Description"),
    ):
        if params.get(option):
            request[member] = params[option]
    settings = [_setting(key, value) for key, value in desired(params.get("option_settings")).items()]
    if settings:
        request["OptionSettings"] = settings
    if tags:
        request["Tags"] = tags
    return request


# What UpdateEnvironment changes for an option, and the environment's member it compares with.
TOP_LEVEL = (
    ("version_label", "VersionLabel"),
    ("solution_stack_name", "SolutionStackName"),
    ("platform_arn", "PlatformArn"),
    ("description", "Description"),
)


class Plan:
    """What one UpdateEnvironment changes: ``request`` (only the changed members; {} for nothing) and the
    diff's ``before``/``after`` (the compared settings, nested by namespace, and the version)."""

    def __init__(self, request: dict[str, Any], before: dict[str, Any], after: dict[str, Any]):
        self.request = request
        self.before = before
        self.after = after

    @property
    def changed(self) -> bool:
        return bool(self.request)


def plan_update(env: dict[str, Any], described: list[dict[str, Any]] | None, params: dict[str, Any]) -> Plan:
    """Compare ENV (DescribeEnvironments) and its option settings DESCRIBED with the options."""
    want = desired(params.get("option_settings"))
    have = current(described)
    changed = changed_keys(have, want)
    removed = purged_keys(have, want) if params.get("purge_option_settings") else []
    request: dict[str, Any] = {}
    before: dict[str, Any] = {"version_label": env.get("VersionLabel")}
    after: dict[str, Any] = {"version_label": env.get("VersionLabel")}
    for option, member in TOP_LEVEL:
        wanted = params.get(option)
        if wanted is None or (member == "Description" and wanted == "" and not env.get(member)):
            continue
        before[option] = env.get(member)
        after[option] = wanted
        if env.get(member) != wanted:
            request[member] = wanted
    if changed:
        request["OptionSettings"] = [_setting(key, want[key]) for key in changed]
    if removed:
        request["OptionsToRemove"] = [_specification(key) for key in removed]
    if want or removed:
        compared = [key for key in have if key in want or key in removed] + [key for key in want if key not in have]
        before["option_settings"] = nested({key: have[key] for key in compared if key in have})
        after["option_settings"] = nested(
            {key: want[key] if key in changed else have[key] for key in compared if key in want}
        )
    return Plan(request, before, after)


def create_view(params: dict[str, Any], tier: dict[str, str]) -> dict[str, Any]:
    """The diff's 'after' of a create."""
    view: dict[str, Any] = {"version_label": params.get("version_label"), "tier": tier["Name"]}
    for option in ("solution_stack_name", "platform_arn", "cname_prefix", "description"):
        if params.get(option) is not None:
            view[option] = params[option]
    if params.get("option_settings"):
        view["option_settings"] = nested(desired(params["option_settings"]))
    return view


def nested(settings: dict[Key, str]) -> dict[str, dict[str, str]]:
    """{key: value} as {namespace: {option (resource): value}} (namespaces and options sorted), for the diff."""
    view: dict[str, dict[str, str]] = {}
    for key in sorted(settings):
        namespace, option, resource = key
        view.setdefault(namespace, {})[f"{option} ({resource})" if resource else option] = settings[key]
    return copy.deepcopy(view)


def settings_view(described: list[dict[str, Any]] | None) -> list[dict[str, str]]:
    """Option settings as the modules return them: namespace, option_name, value (and resource_name)."""
    result = []
    for key, value in sorted(current(described).items()):
        item = {"namespace": key[0], "option_name": key[1], "value": value}
        if key[2]:
            item["resource_name"] = key[2]
        result.append(item)
    return result
