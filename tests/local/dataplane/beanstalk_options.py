"""The Elastic Beanstalk configuration options the local emulator knows, and their checks.

A catalogue of the namespaces a Docker environment on Amazon Linux 2023 uses (the values, types,
ranges and defaults of AWS's "General options for all environments" and the Docker platform's
options), the solution stacks and platform ARNs accepted (Docker on Amazon Linux 2023 only), and
the checks CreateEnvironment, UpdateEnvironment and ValidateConfigurationSettings apply, with AWS's
messages (``Invalid option specification (Namespace: 'x', OptionName: 'y'): Unknown configuration
setting.``). Settings are kept as ``{(namespace, option name): value}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

# Real names of the Docker platform on Amazon Linux 2023 (Docker platform branch, 2024-2025).
DOCKER_VERSIONS = ("4.3.0", "4.4.0", "4.4.1", "4.5.0", "4.5.1", "4.6.0")
SOLUTION_STACKS = tuple(f"64bit Amazon Linux 2023 v{v} running Docker" for v in DOCKER_VERSIONS)
PLATFORM_NAME = "Docker running on 64bit Amazon Linux 2023"

ENV_NAMESPACE = "aws:elasticbeanstalk:application:environment"
SECRETS_NAMESPACE = "aws:elasticbeanstalk:application:environmentsecrets"
USER_NAMESPACES = (ENV_NAMESPACE, SECRETS_NAMESPACE)
SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:(secretsmanager:[a-z0-9-]+:\d{12}:secret:.+|ssm:[a-z0-9-]+:\d{12}:parameter/.+)"
)
PROPERTY_NAME = re.compile(r"[A-Za-z0-9_.:/+\\@-]{1,128}")
PROPERTIES_MAX_BYTES = 4096
BOOL = ("true", "false")


@dataclass(frozen=True)
class Option:
    namespace: str
    name: str
    default: str | None = None
    value_type: str = "Scalar"  # or List (comma-separated)
    values: tuple[str, ...] = ()
    low: int | None = None
    high: int | None = None
    regex: tuple[str, str] | None = None  # (pattern, label)
    severity: str = "NoInterruption"


def _options(namespace: str, *options: Option) -> list[Option]:
    return [replace(o, namespace=namespace) for o in options]


def _o(name: str, default: str | None = None, **kw: Any) -> Option:
    return Option("", name, default, **kw)


START_TIME = (r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun):([01]\d|2[0-3]):[0-5]\d$", "day:hour:minute")
HTTP_CODES = (r"^((\d{3}(-\d{3})?)|(\d{3}(,\d{3})*))$", "HTTP codes")
CATALOGUE: dict[tuple[str, str], Option] = {
    (o.namespace, o.name): o
    for o in [
        *_options(
            "aws:autoscaling:asg",
            _o("MinSize", "1", low=1, high=10000),
            _o("MaxSize", "4", low=1, high=10000),
            _o("Availability Zones", "Any", values=("Any", "Any 1", "Any 2", "Any 3")),
            _o("Cooldown", "360", low=0, high=10000),
        ),
        *_options(
            "aws:autoscaling:launchconfiguration",
            _o("InstanceType", "t3.micro", severity="RestartEnvironment"),
            _o("IamInstanceProfile", severity="RestartEnvironment"),
            _o("SecurityGroups", value_type="List", severity="RestartEnvironment"),
            _o("EC2KeyName", severity="RestartEnvironment"),
            _o("RootVolumeSize", low=8, high=16384, severity="RestartEnvironment"),
            _o("DisableIMDSv1", "true", values=BOOL, severity="RestartEnvironment"),
        ),
        *_options("aws:ec2:instances", _o("InstanceTypes", "t3.micro,t3.small", value_type="List")),
        *_options(
            "aws:elasticbeanstalk:environment",
            _o("EnvironmentType", "LoadBalanced", values=("LoadBalanced", "SingleInstance"), severity="Unknown"),
            _o("LoadBalancerType", "application", values=("classic", "application", "network"), severity="Unknown"),
            _o("ServiceRole"),
            _o("LoadBalancerIsShared", "false", values=BOOL),
        ),
        *_options("aws:elasticbeanstalk:environment:proxy", _o("ProxyServer", "nginx", values=("nginx", "none"))),
        *_options(
            "aws:elasticbeanstalk:command",
            _o(
                "DeploymentPolicy",
                "AllAtOnce",
                values=("AllAtOnce", "Rolling", "RollingWithAdditionalBatch", "Immutable", "TrafficSplitting"),
            ),
            _o("BatchSizeType", "Percentage", values=("Percentage", "Fixed")),
            _o("BatchSize", "100", low=1, high=10000),
            _o("Timeout", "600", low=1, high=3600),
            _o("IgnoreHealthCheck", "false", values=BOOL),
        ),
        *_options(
            "aws:autoscaling:updatepolicy:rollingupdate",
            _o("RollingUpdateEnabled", "false", values=BOOL),
            _o("RollingUpdateType", "Time", values=("Time", "Health", "Immutable")),
            _o("MaxBatchSize", low=1, high=10000),
            _o("MinInstancesInService", low=0, high=9999),
        ),
        *_options(
            "aws:elasticbeanstalk:healthreporting:system",
            _o("SystemType", "enhanced", values=("basic", "enhanced")),
            _o("HealthCheckSuccessThreshold", "Ok", values=("Ok", "Warning", "Degraded", "Severe")),
        ),
        *_options(
            "aws:elasticbeanstalk:environment:process:default",
            _o("HealthCheckPath", "/"),
            _o("Port", "80", low=1, high=65535),
            _o("Protocol", "HTTP", values=("HTTP", "HTTPS", "TCP")),
            _o("MatcherHTTPCode", "200", regex=HTTP_CODES),
            _o("HealthCheckInterval", "15", low=5, high=300),
            _o("HealthCheckTimeout", "5", low=1, high=60),
            _o("HealthyThresholdCount", "3", low=2, high=10),
            _o("UnhealthyThresholdCount", "5", low=2, high=10),
            _o("DeregistrationDelay", "20", low=0, high=3600),
        ),
        *_options(
            "aws:elbv2:listener:default",
            _o("ListenerEnabled", "true", values=BOOL),
            _o("Protocol", "HTTP", values=("HTTP", "HTTPS")),
        ),
        *_options(
            "aws:elbv2:listener:443",
            _o("ListenerEnabled", "true", values=BOOL),
            _o("Protocol", "HTTP", values=("HTTP", "HTTPS")),
            _o("SSLCertificateArns", value_type="List"),
            _o("SSLPolicy"),
            _o("DefaultProcess", "default"),
        ),
        *_options(
            "aws:elbv2:loadbalancer",
            _o("IdleTimeout", low=1, high=4000),
            _o("SecurityGroups", value_type="List"),
            _o("ManagedSecurityGroup"),
        ),
        *_options(
            "aws:elasticbeanstalk:managedactions",
            _o("ManagedActionsEnabled", "false", values=BOOL),
            _o("PreferredStartTime", regex=START_TIME),
            _o("ServiceRoleForManagedUpdates"),
        ),
        *_options(
            "aws:elasticbeanstalk:managedactions:platformupdate",
            _o("UpdateLevel", values=("patch", "minor")),
            _o("InstanceRefreshEnabled", "false", values=BOOL),
        ),
        *_options(
            "aws:ec2:vpc",
            _o("VPCId", severity="Unknown"),
            _o("Subnets", value_type="List", severity="Unknown"),
            _o("ELBSubnets", value_type="List", severity="Unknown"),
            _o("ELBScheme", "public", values=("public", "internal"), severity="Unknown"),
            _o("AssociatePublicIpAddress", values=BOOL, severity="RestartEnvironment"),
        ),
        *_options(
            "aws:elasticbeanstalk:cloudwatch:logs",
            _o("StreamLogs", "false", values=BOOL),
            _o("DeleteOnTerminate", "false", values=BOOL),
            _o(
                "RetentionInDays",
                "7",
                values=tuple(
                    str(d) for d in (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1827, 3653)
                ),
            ),
        ),
    ]
}
# Options set only when an environment is created (AWS refuses a change with UpdateEnvironment).
CREATE_ONLY = {("aws:elasticbeanstalk:environment", "LoadBalancerType"), ("aws:ec2:vpc", "VPCId")}
Settings = dict[tuple[str, str], str]
MANAGED = ("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled", "true")


def from_request(items: list[dict[str, str]] | None) -> Settings:
    """A request's OptionSettings (or OptionsToRemove, values "") as settings."""
    return {(s.get("Namespace", ""), s.get("OptionName", "")): s.get("Value", "") for s in items or []}


def platform_arn(region: str, version: str) -> str:
    return f"arn:aws:elasticbeanstalk:{region}::platform/{PLATFORM_NAME}/{version}"


def platform(region: str, stack: str | None, arn: str | None) -> tuple[str, str] | str:
    """(solution stack, platform ARN), or the error message when neither names a known platform."""
    for version, name in zip(DOCKER_VERSIONS, SOLUTION_STACKS, strict=True):
        if stack == name or arn == platform_arn(region, version):
            return name, platform_arn(region, version)
    if stack:
        return f"No Solution Stack named '{stack}' found."
    return f"No Platform named '{arn}' found."


def _spec(namespace: str, name: str) -> str:
    return f"(Namespace: '{namespace}', OptionName: '{name}')"


def _value_problem(option: Option, value: str) -> str | None:
    items = [v.strip() for v in value.split(",")] if option.value_type == "List" else [value]
    for item in items:
        if option.values and item not in option.values:
            return f"Value is not one of the allowed values: [{', '.join(option.values)}]"
        if option.low is not None or option.high is not None:
            if not re.fullmatch(r"-?\d+", item):
                return "Value does not satisfy regex: '^[0-9]+$' [integer]"
            if option.low is not None and int(item) < option.low:
                return f"Value is less than minimum allowed value: {option.low}"
            if option.high is not None and int(item) > option.high:
                return f"Value is greater than maximum allowed value: {option.high}"
        if option.regex and not re.search(option.regex[0], item):
            return f"Value does not satisfy regex: '{option.regex[0]}' [{option.regex[1]}]"
    return None


def problems(settings: Settings) -> list[dict[str, str]]:
    """What AWS reports of SETTINGS (the environment's whole configuration after a change):
    ValidationMessage structures, severity ``error``."""
    messages: list[dict[str, str]] = []

    def error(namespace: str, name: str, text: str) -> None:
        messages.append({"Message": text, "Severity": "error", "Namespace": namespace, "OptionName": name})

    for (namespace, name), value in sorted(settings.items()):
        option = CATALOGUE.get((namespace, name))
        if namespace in USER_NAMESPACES:
            if not PROPERTY_NAME.fullmatch(name):
                error(namespace, name, f"Invalid option specification {_spec(namespace, name)}: Invalid property name.")
            elif namespace == SECRETS_NAMESPACE and not SECRET_ARN.fullmatch(value):
                error(
                    namespace,
                    name,
                    f"Invalid option value: '{value}' {_spec(namespace, name)}: The value must be the ARN of a "
                    "Secrets Manager secret or a Systems Manager parameter.",
                )
            elif namespace == SECRETS_NAMESPACE and (ENV_NAMESPACE, name) in settings:
                error(
                    namespace,
                    name,
                    f"Invalid option specification {_spec(namespace, name)}: An environment property and an "
                    "environment secret can't have the same name.",
                )
        elif option is None:
            error(
                namespace,
                name,
                f"Invalid option specification {_spec(namespace, name)}: Unknown configuration setting.",
            )
        elif (problem := _value_problem(option, value)) is not None:
            error(namespace, name, f"Invalid option value: '{value}' {_spec(namespace, name)}: {problem}")
    if not messages:
        messages.extend(_combined(settings))
    return messages


def _combined(settings: Settings) -> list[dict[str, str]]:
    """The checks across options, once each option's value is valid."""
    found: list[tuple[str, str, str, str]] = []
    get = effective(settings).get
    low, high = int(get(("aws:autoscaling:asg", "MinSize"), "1")), int(get(("aws:autoscaling:asg", "MaxSize"), "4"))
    if low > high:
        found.append(("aws:autoscaling:asg", "MinSize", str(low), f"MinSize must not exceed MaxSize ({high})."))
    if get(("aws:ec2:vpc", "VPCId")) and not get(("aws:ec2:vpc", "Subnets")):
        lb = get(("aws:elasticbeanstalk:environment", "LoadBalancerType"))
        found.append(
            ("aws:ec2:vpc", "Subnets", "null", f"Specify the subnets for the VPC for load balancer type {lb}.")
        )
    if get(("aws:elasticbeanstalk:managedactions", "ManagedActionsEnabled")) == "true":
        if not get(("aws:elasticbeanstalk:managedactions:platformupdate", "UpdateLevel")):
            found.append((*MANAGED, "Managed platform updates need an UpdateLevel (patch or minor)."))
        if get(("aws:elasticbeanstalk:healthreporting:system", "SystemType")) != "enhanced":
            found.append((*MANAGED, "Managed platform updates require enhanced health reporting."))
    properties = sum(len(n) + len(v) + 1 for (ns, n), v in settings.items() if ns == ENV_NAMESPACE)
    if properties > PROPERTIES_MAX_BYTES:
        found.append((ENV_NAMESPACE, "", "", f"Environment properties exceed {PROPERTIES_MAX_BYTES} bytes in total."))
    return [
        {
            "Message": f"Invalid option value: '{value}' {_spec(ns, name)}: {text}",
            "Severity": "error",
            "Namespace": ns,
            "OptionName": name,
        }
        for ns, name, value, text in found
    ]


def effective(settings: Settings) -> Settings:
    """SETTINGS over the catalogue's defaults: what DescribeConfigurationSettings lists."""
    merged = {key: o.default for key, o in CATALOGUE.items() if o.default is not None}
    merged.update(settings)
    return merged


def description(option: Option) -> dict[str, Any]:
    """A ConfigurationOptionDescription."""
    answer: dict[str, Any] = {
        "Namespace": option.namespace,
        "Name": option.name,
        "ChangeSeverity": option.severity,
        "UserDefined": False,
        "ValueType": option.value_type,
    }
    if option.default is not None:
        answer["DefaultValue"] = option.default
    if option.values:
        answer["ValueOptions"] = list(option.values)
    if option.low is not None:
        answer["MinValue"] = option.low
    if option.high is not None:
        answer["MaxValue"] = option.high
    if option.regex:
        answer["Regex"] = {"Pattern": option.regex[0], "Label": option.regex[1]}
    return answer


def user_description(namespace: str, name: str) -> dict[str, Any]:
    """An environment property's or secret's ConfigurationOptionDescription."""
    answer: dict[str, Any] = {
        "Namespace": namespace,
        "Name": name,
        "ChangeSeverity": "RestartApplicationServer",
        "UserDefined": True,
        "ValueType": "Scalar",
        "MaxLength": 4096,
    }
    if namespace == SECRETS_NAMESPACE:
        answer["Regex"] = {"Pattern": SECRET_ARN.pattern, "Label": "secret or parameter ARN"}
    return answer
