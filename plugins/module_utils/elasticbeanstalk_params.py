# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""elasticbeanstalk_*: the modules' options and their checks (no AWS call).

Each ``validate_*`` returns every problem with the options, each starting with the option it is about
(``option_settings[2] aws:autoscaling:asg MinSize ...``), so that the module fails before any AWS call.
What only AWS knows (a namespace or option name it does not have, a solution stack it does not offer)
is left to AWS; the checks catch the typos and the mistakes that would fail late (after a long update)
or leak a secret. The option settings' normal form and comparison are in elasticbeanstalk_settings.py.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.mlops.mlflow_aws.plugins.module_utils import aws_rules as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.elasticbeanstalk_settings import (
    ENVIRONMENT,
    ENVIRONMENT_SECRETS,
    key_of,
    label,
    normalize_value,
)

APPLICATION_NAME = re.compile(r"^[^/]{1,100}$")
VERSION_LABEL = re.compile(r"^[^/]{1,100}$")
ENVIRONMENT_NAME = re.compile(rules.BEANSTALK_ENVIRONMENT_NAME)
CNAME_PREFIX = re.compile(rules.BEANSTALK_CNAME_PREFIX)
INSTANCE_TYPE = re.compile(rules.EC2_INSTANCE_TYPE)
SECRET_LIKE_NAME = re.compile(rules.SECRET_LIKE_NAME)
CERTIFICATE_ARN = re.compile(f"{rules.ACM_CERTIFICATE_ARN}|{rules.IAM_SERVER_CERTIFICATE_ARN}")
SECRETSMANAGER_ARN = re.compile(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$")
SSM_PARAMETER_ARN = re.compile(r"^arn:aws[a-z-]*:ssm:[a-z0-9-]+:\d{12}:parameter/.+$")
PLATFORM_ARN = re.compile(r"^arn:aws[a-z-]*:elasticbeanstalk:[a-z0-9-]+:(\d{12})?:platform/.+$")
NAMESPACE = re.compile(r"^aws:[a-z0-9]+(:[A-Za-z0-9._-]+)*$")
ENV_VAR_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
VPC = re.compile(r"^vpc-[0-9a-f]{8,17}$")
# A URL with a password in it (postgresql://user:password@host/db).
URL_WITH_PASSWORD = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@")
MAX_DESCRIPTION = 200
TIERS = {"WebServer": {"Name": "WebServer", "Type": "Standard"}, "Worker": {"Name": "Worker", "Type": "SQS/HTTP"}}


def _tags_spec() -> dict[str, Any]:
    return dict(tags=dict(type="dict", aliases=["resource_tags"]), purge_tags=dict(type="bool", default=True))


def application_spec() -> dict[str, Any]:
    """elasticbeanstalk_application's options."""
    return dict(
        name=dict(type="str", required=True, aliases=["application_name", "app_name"]),
        description=dict(type="str"),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        terminate_by_force=dict(type="bool", default=False),
        **_tags_spec(),
    )


def version_spec() -> dict[str, Any]:
    """elasticbeanstalk_application_version's options."""
    return dict(
        application=dict(type="str", required=True, aliases=["application_name"]),
        version_label=dict(type="str", required=True, aliases=["label"]),
        description=dict(type="str"),
        s3_bucket=dict(type="str"),
        s3_key=dict(type="str", no_log=False),
        process=dict(type="bool", default=False),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        delete_source_bundle=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=600),
        **_tags_spec(),
    )


def environment_spec() -> dict[str, Any]:
    """elasticbeanstalk_environment's options."""
    return dict(
        name=dict(type="str", required=True, aliases=["environment_name"]),
        application=dict(type="str", required=True, aliases=["application_name"]),
        state=dict(type="str", default="present", choices=["present", "absent"]),
        description=dict(type="str"),
        solution_stack_name=dict(type="str"),
        platform_arn=dict(type="str"),
        version_label=dict(type="str"),
        cname_prefix=dict(type="str"),
        tier=dict(type="str", default="WebServer", choices=list(TIERS)),
        option_settings=dict(
            type="list",
            elements="dict",
            options=dict(
                namespace=dict(type="str", required=True),
                option_name=dict(type="str", required=True),
                value=dict(type="raw", required=True),
                resource_name=dict(type="str"),
            ),
        ),
        purge_option_settings=dict(type="bool", default=False),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=1800),
        **_tags_spec(),
    )


# ---------------------------------------------------------------- common checks
def _common_problems(params: dict[str, Any], application_option: str) -> list[str]:
    problems = []
    application = params.get(application_option)
    if not APPLICATION_NAME.match(application or ""):
        problems.append(f"{application_option} {application!r}: 1-100 characters, no '/'")
    description = params.get("description")
    if description is not None and len(description) > MAX_DESCRIPTION:
        problems.append(f"description: {len(description)} characters, at most {MAX_DESCRIPTION}")
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        problems.append(f"wait_timeout: {params['wait_timeout']} is not a positive number of seconds")
    for key, value in (params.get("tags") or {}).items():
        if str(key).lower().startswith(("aws:", "elasticbeanstalk:")):
            problems.append(f"tags.{key}: the aws: and elasticbeanstalk: prefixes are reserved by AWS")
        elif not 1 <= len(str(key)) <= 128 or not 1 <= len(str(value)) <= 256:
            problems.append(f"tags.{key}: keys 1-128 characters, values 1-256 (Elastic Beanstalk takes no empty value)")
    return problems


def validate_application(params: dict[str, Any]) -> list[str]:
    return _common_problems(params, "name")


def validate_version(params: dict[str, Any]) -> list[str]:
    problems = _common_problems(params, "application")
    label_ = params.get("version_label")
    if not VERSION_LABEL.match(label_ or ""):
        problems.append(f"version_label {label_!r}: 1-100 characters, no '/'")
    if params.get("state") == "absent":
        return problems
    bucket, key = params.get("s3_bucket"), params.get("s3_key")
    if not bucket:
        problems.append("s3_bucket: required with state=present (the bucket of the source bundle)")
    elif not S3_BUCKET.match(bucket) or ".." in bucket:
        problems.append(f"s3_bucket {bucket!r}: not an S3 bucket name (3-63 lower-case letters, digits, '.', '-')")
    if not key:
        problems.append("s3_key: required with state=present (the key of the source bundle, a .zip)")
    elif len(key) > 1024 or key.startswith("/"):
        problems.append(f"s3_key {key!r}: an S3 key (up to 1024 characters, no leading '/')")
    return problems


# ---------------------------------------------------------------- environment checks
def validate_environment(params: dict[str, Any]) -> list[str]:
    problems = _common_problems(params, "application")
    name = params.get("name")
    if not ENVIRONMENT_NAME.match(name or ""):
        problems.append(f"name {name!r}: 4-40 letters, digits or hyphens, not starting or ending with a hyphen")
    if params.get("state") == "absent":
        return problems
    prefix = params.get("cname_prefix")
    if prefix is not None and not CNAME_PREFIX.match(prefix):
        problems.append(f"cname_prefix {prefix!r}: 4-63 letters, digits or hyphens, not starting or ending with one")
    if prefix is not None and params.get("tier") == "Worker":
        problems.append("cname_prefix: a Worker environment has no CNAME")
    label_ = params.get("version_label")
    if label_ is not None and not VERSION_LABEL.match(label_):
        problems.append(f"version_label {label_!r}: 1-100 characters, no '/'")
    if params.get("solution_stack_name") and params.get("platform_arn"):
        problems.append("solution_stack_name and platform_arn: give one of them")
    arn = params.get("platform_arn")
    if arn is not None and not PLATFORM_ARN.match(arn):
        problems.append(f"platform_arn {arn!r}: not a platform ARN (arn:aws:elasticbeanstalk:<region>::platform/...)")
    problems.extend(option_settings_problems(params.get("option_settings") or []))
    return problems


def option_settings_problems(settings: list[dict[str, Any]]) -> list[str]:
    """The problems of the option_settings list: shapes, duplicates, secrets, the known options' formats."""
    problems = []
    seen: dict[tuple[str, str, str], int] = {}
    values: dict[tuple[str, str], str] = {}
    for index, setting in enumerate(settings):
        where = f"option_settings[{index}] {label(setting)}"
        namespace = str(setting.get("namespace") or "")
        if not NAMESPACE.match(namespace):
            problems.append(f"{where}: namespace {namespace!r} is not an option namespace (aws:<service>:...)")
            continue
        if not str(setting.get("option_name") or "").strip():
            problems.append(f"{where}: option_name is empty")
            continue
        try:
            value = normalize_value(setting.get("value"))
        except ValueError as exc:
            problems.append(f"{where}: {exc}")
            continue
        key = key_of(setting)
        if key in seen:
            problems.append(f"{where}: given twice (first as option_settings[{seen[key]}])")
            continue
        seen[key] = index
        values[(namespace, setting["option_name"])] = value
        problems.extend(f"{where}: {problem}" for problem in _value_problems(namespace, setting["option_name"], value))
    problems.extend(_scaling_problems(values))
    return problems


def _is_secret_reference(value: str) -> bool:
    return bool(SECRETSMANAGER_ARN.match(value) or SSM_PARAMETER_ARN.match(value))


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _value_problems(namespace: str, option: str, value: str) -> list[str]:
    if namespace == ENVIRONMENT:
        if SECRET_LIKE_NAME.search(option) and not _is_secret_reference(value):
            return [
                "looks like a secret; plain environment properties are visible in the console and the API: "
                f"put it in the {ENVIRONMENT_SECRETS} namespace with the ARN of a Secrets Manager secret or "
                "SSM parameter as its value"
            ]
        if URL_WITH_PASSWORD.match(value):
            return [
                "the value is a URL with a password in it; plain environment properties are visible in the console "
                f"and the API: put the URL (or the password) in the {ENVIRONMENT_SECRETS} namespace with the ARN of "
                "a Secrets Manager secret or SSM parameter as its value"
            ]
        return []
    if namespace == ENVIRONMENT_SECRETS:
        problems = []
        if not ENV_VAR_NAME.match(option):
            problems.append("not an environment variable name")
        if not _is_secret_reference(value):
            problems.append(f"the value must be the ARN of a Secrets Manager secret or SSM parameter, not {value!r}")
        return problems
    if (namespace, option) == ("aws:autoscaling:launchconfiguration", "InstanceType") and not INSTANCE_TYPE.match(
        value
    ):
        return [f"{value!r} is not an EC2 instance type (t3.small style)"]
    if (namespace, option) == ("aws:ec2:instances", "InstanceTypes"):
        bad = [item for item in _list(value) if not INSTANCE_TYPE.match(item)]
        return (
            [f"{', '.join(bad) or repr(value)}: not EC2 instance types (t3.small,t3.medium style)"]
            if bad or not _list(value)
            else []
        )
    if option in ("SSLCertificateArns", "SSLCertificateId") and namespace.startswith(
        ("aws:elbv2:listener", "aws:elb:")
    ):
        bad = [item for item in _list(value) if not CERTIFICATE_ARN.match(item)]
        if bad or not _list(value):
            return [f"{', '.join(bad) or repr(value)}: not an ACM certificate or IAM server certificate ARN"]
        return []
    if namespace == "aws:ec2:vpc" and option in ("Subnets", "ELBSubnets"):
        bad = [item for item in _list(value) if not SUBNET.match(item)]
        return [f"{', '.join(bad)}: not subnet IDs (subnet-<hex>)"] if bad else []
    if (namespace, option) == ("aws:ec2:vpc", "VPCId") and not VPC.match(value):
        return [f"{value!r} is not a VPC ID (vpc-<hex>)"]
    if option == "HealthCheckPath" and namespace.startswith("aws:elasticbeanstalk:"):
        return [] if value.startswith("/") else [f"{value!r} must start with '/'"]
    if option in ("Port", "ListenerPort", "InstancePort") and namespace.startswith(
        ("aws:elasticbeanstalk:", "aws:elb")
    ):
        return [] if value.isdigit() and 1 <= int(value) <= 65535 else [f"{value!r} is not a port (1-65535)"]
    if (namespace, option) == ("aws:elasticbeanstalk:environment", "EnvironmentType"):
        return [] if value in ("SingleInstance", "LoadBalanced") else [f"{value!r}: SingleInstance or LoadBalanced"]
    if (namespace, option) == ("aws:elasticbeanstalk:environment", "LoadBalancerType"):
        return [] if value in ("classic", "application", "network") else [f"{value!r}: classic, application or network"]
    return []


def _scaling_problems(values: dict[tuple[str, str], str]) -> list[str]:
    problems = []
    sizes = {}
    for option in ("MinSize", "MaxSize"):
        value = values.get(("aws:autoscaling:asg", option))
        if value is None:
            continue
        if not value.isdigit() or not 0 <= int(value) <= 10000:
            problems.append(
                f"option_settings aws:autoscaling:asg {option}: {value!r} is not a number of instances (0-10000)"
            )
        else:
            sizes[option] = int(value)
    if sizes.get("MaxSize") == 0:
        problems.append("option_settings aws:autoscaling:asg MaxSize: must be at least 1")
    if "MinSize" in sizes and "MaxSize" in sizes and sizes["MinSize"] > sizes["MaxSize"]:
        problems.append(
            f"option_settings aws:autoscaling:asg MinSize {sizes['MinSize']} is greater than MaxSize {sizes['MaxSize']}"
        )
    return problems


def tier(params: dict[str, Any]) -> dict[str, str]:
    return dict(TIERS[params.get("tier") or "WebServer"])
