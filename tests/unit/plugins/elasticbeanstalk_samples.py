"""Elastic Beanstalk-shaped samples and a fake client for the elasticbeanstalk unit tests (no AWS).

The fake client checks every call's arguments against botocore's ``elasticbeanstalk`` model (the request
shapes the modules build are the ones AWS takes), records it, and answers from scripts. Events are logged
when a mutating call is made (``logs``: method -> [(severity, message), ...]), dated then, so that
DescribeEvents' StartTime filter works as AWS's does.
"""

from __future__ import annotations

import copy
import datetime

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

REGION = "us-east-1"
ACCOUNT = "123456789012"
APP = "mlflow"
NAME = "mlflow-prod"
ENV_ID = "e-abcde12345"
STACK = "64bit Amazon Linux 2023 v4.5.0 running Docker"
NEW_STACK = "64bit Amazon Linux 2023 v4.6.0 running Docker"
APP_ARN = f"arn:aws:elasticbeanstalk:{REGION}:{ACCOUNT}:application/{APP}"
ENV_ARN = f"arn:aws:elasticbeanstalk:{REGION}:{ACCOUNT}:environment/{APP}/{NAME}"
CNAME = f"{NAME}.{REGION}.elasticbeanstalk.com"
SECRET = f"arn:aws:secretsmanager:{REGION}:{ACCOUNT}:secret:mlflow/db-AbCdEf"
CERTIFICATE = f"arn:aws:acm:{REGION}:{ACCOUNT}:certificate/0f2c0f7e-6b1a-4a4f-9d6b-7f6a0f9c1e2d"
BUCKET = "ml-deploy-bundles"
KEY = "mlflow/v1.zip"
T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)

ENV_NS = "aws:elasticbeanstalk:application:environment"
SECRETS_NS = "aws:elasticbeanstalk:application:environmentsecrets"

_MODEL = botocore.session.get_session().get_service_model("elasticbeanstalk")
_OPERATIONS = {botocore.xform_name(name): name for name in _MODEL.operation_names}


def environment(status="Ready", health="Green", version="v1", **members):
    """A DescribeEnvironments environment."""
    env = {
        "EnvironmentName": NAME,
        "EnvironmentId": ENV_ID,
        "ApplicationName": APP,
        "VersionLabel": version,
        "SolutionStackName": STACK,
        "PlatformArn": f"arn:aws:elasticbeanstalk:{REGION}::platform/Docker running on 64bit Amazon Linux 2023/4.5.0",
        "EndpointURL": "awseb-e-a-AWSEBLoa-1.us-east-1.elb.amazonaws.com",
        "CNAME": CNAME,
        "DateCreated": T0,
        "DateUpdated": T0,
        "Status": status,
        "AbortableOperationInProgress": False,
        "Health": health,
        "Tier": {"Name": "WebServer", "Type": "Standard", "Version": "1.0"},
        "EnvironmentArn": ENV_ARN,
    }
    env.update(members)
    return env


def described_settings(**changes):
    """DescribeConfigurationSettings' OptionSettings: every option AWS lists (defaults too), CHANGES applied
    as {(namespace, option): value}."""
    settings = {
        ("aws:autoscaling:launchconfiguration", "InstanceType"): "t3.small",
        ("aws:autoscaling:launchconfiguration", "SecurityGroups"): "sg-0b,sg-0a",
        ("aws:autoscaling:asg", "MinSize"): "1",
        ("aws:autoscaling:asg", "MaxSize"): "2",
        ("aws:autoscaling:asg", "Availability Zones"): "Any",
        ("aws:autoscaling:asg", "Cooldown"): "360",
        ("aws:elasticbeanstalk:environment", "EnvironmentType"): "LoadBalanced",
        ("aws:elasticbeanstalk:environment", "LoadBalancerType"): "application",
        ("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath"): "/health",
        ("aws:elasticbeanstalk:command", "IgnoreHealthCheck"): "false",
        (ENV_NS, "MLFLOW_ARTIFACT_URI"): "s3://ml-artifacts/mlflow",
        (ENV_NS, "OLD_SETTING"): "1",
        (SECRETS_NS, "DB_PASSWORD"): SECRET,
    }
    settings.update(changes)
    return [
        {"Namespace": ns, "OptionName": option, "Value": value}
        for (ns, option), value in settings.items()
        if value is not None
    ]


def setting(namespace, option_name, value, resource_name=None):
    return {"namespace": namespace, "option_name": option_name, "value": value, "resource_name": resource_name}


def option_settings():
    """The module's option_settings matching described_settings() (integers, a boolean, a set reordered)."""
    return [
        setting("aws:autoscaling:launchconfiguration", "InstanceType", "t3.small"),
        setting("aws:autoscaling:launchconfiguration", "SecurityGroups", ["sg-0a", "sg-0b"]),
        setting("aws:autoscaling:asg", "MinSize", 1),
        setting("aws:autoscaling:asg", "MaxSize", 2),
        setting("aws:elasticbeanstalk:environment:process:default", "HealthCheckPath", "/health"),
        setting("aws:elasticbeanstalk:command", "IgnoreHealthCheck", False),
        setting(ENV_NS, "MLFLOW_ARTIFACT_URI", "s3://ml-artifacts/mlflow"),
        setting(SECRETS_NS, "DB_PASSWORD", SECRET),
    ]


def options(**overrides):
    """elasticbeanstalk_environment's options matching environment() and described_settings() (a no-op)."""
    params = {
        "name": NAME,
        "application": APP,
        "state": "present",
        "description": None,
        "solution_stack_name": STACK,
        "platform_arn": None,
        "version_label": "v1",
        "cname_prefix": NAME,
        "tier": "WebServer",
        "option_settings": option_settings(),
        "purge_option_settings": False,
        "tags": None,
        "purge_tags": True,
        "wait": True,
        "wait_timeout": 600,
    }
    params.update(overrides)
    return params


def application(**members):
    app = {
        "ApplicationArn": APP_ARN,
        "ApplicationName": APP,
        "Description": "MLflow tracking server",
        "DateCreated": T0,
        "DateUpdated": T0,
        "Versions": ["v1"],
    }
    app.update(members)
    return app


def version(label="v1", bucket=BUCKET, key=KEY, status="Unprocessed", **members):
    described = {
        "ApplicationVersionArn": f"arn:aws:elasticbeanstalk:{REGION}:{ACCOUNT}:applicationversion/{APP}/{label}",
        "ApplicationName": APP,
        "Description": "MLflow 3.17.2",
        "VersionLabel": label,
        "SourceBundle": {"S3Bucket": bucket, "S3Key": key},
        "DateCreated": T0,
        "DateUpdated": T0,
        "Status": status,
    }
    described.update(members)
    return described


def client_error(code, operation, message="error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def now():
    return datetime.datetime.now(datetime.UTC)


class FakeBeanstalk:
    """An Elastic Beanstalk client.

    environments: DescribeEnvironments' answers in turn (the last one for ever; None: no environment); they
        come back with other environments around them (the filters are ignored, as the local emulators do).
    settings: DescribeConfigurationSettings' OptionSettings. tags: ARN -> tag dict.
    logs: method -> [(severity, message)] logged (dated now) when the method is called; old_events: events
        logged an hour ago. errors: method -> error codes it raises first, one per call.
    """

    MUTATING = frozenset(
        (
            "create_application",
            "update_application",
            "delete_application",
            "create_application_version",
            "update_application_version",
            "delete_application_version",
            "create_environment",
            "update_environment",
            "terminate_environment",
            "update_tags_for_resource",
        )
    )

    def __init__(  # noqa: PLR0913 (scripts)
        self,
        environments=(None,),
        *,
        settings=None,
        tags=None,
        logs=None,
        old_events=(),
        applications=(None,),
        versions=(None,),
        health=None,
        errors=None,
    ):
        self.environments = list(environments)
        self.settings = described_settings() if settings is None else settings
        self.tags = {k: dict(v) for k, v in (tags or {}).items()}
        self.logs = {k: list(v) for k, v in (logs or {}).items()}
        self.events = [self._event(sev, msg, now() - datetime.timedelta(hours=1)) for sev, msg in old_events]
        self.applications = list(applications)
        self.versions = list(versions)
        self.health = health
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.calls = []

    @property
    def names(self):
        return [name for name, _kwargs in self.calls]

    @property
    def mutations(self):
        return [(name, kwargs) for name, kwargs in self.calls if name in self.MUTATING]

    def kwargs_of(self, method):
        return [kwargs for name, kwargs in self.calls if name == method]

    @staticmethod
    def _event(severity, message, date):
        return {"EventDate": date, "Severity": severity, "Message": message, "EnvironmentName": NAME}

    def _call(self, name, kwargs):
        validate_parameters(kwargs, _MODEL.operation_model(_OPERATIONS[name]).input_shape)
        self.calls.append((name, kwargs))
        if self.errors.get(name):
            raise client_error(self.errors[name].pop(0), _OPERATIONS[name])
        for severity, message in self.logs.pop(name, []):  # dated in order, a microsecond apart at least
            date = max(
                now(), max((e["EventDate"] for e in self.events), default=now()) + datetime.timedelta(microseconds=1)
            )
            self.events.append(self._event(severity, message, date))

    @staticmethod
    def _next(script):
        answer = script.pop(0) if len(script) > 1 else script[0]
        return copy.deepcopy(answer)

    # ------------------------------------------------------------ environments
    def describe_environments(self, **kwargs):
        self._call("describe_environments", kwargs)
        answer = self._next(self.environments)
        other = environment(EnvironmentName="other-env", EnvironmentId="e-other", ApplicationName="other")
        gone = environment(EnvironmentId="e-old", Status="Terminated")
        return {"Environments": [other, gone] + ([answer] if answer else [])}

    def create_environment(self, **kwargs):
        self._call("create_environment", kwargs)
        return environment(status="Launching", health="Grey", version=kwargs.get("VersionLabel"))

    def update_environment(self, **kwargs):
        self._call("update_environment", kwargs)
        return environment(status="Updating", health="Grey")

    def terminate_environment(self, **kwargs):
        self._call("terminate_environment", kwargs)
        return environment(status="Terminating", health="Grey")

    def describe_configuration_settings(self, **kwargs):
        self._call("describe_configuration_settings", kwargs)
        deployed = {"ApplicationName": APP, "EnvironmentName": NAME, "DeploymentStatus": "deployed"}
        draft = dict(deployed, DeploymentStatus="pending", OptionSettings=[])
        return {"ConfigurationSettings": [draft, dict(deployed, OptionSettings=copy.deepcopy(self.settings))]}

    def describe_events(self, **kwargs):
        self._call("describe_events", kwargs)
        since = kwargs.get("StartTime")
        found = [e for e in self.events if since is None or e["EventDate"] >= since]
        newest = sorted(copy.deepcopy(found), key=lambda e: e["EventDate"], reverse=True)
        return {"Events": newest[: kwargs.get("MaxRecords", 1000)]}

    def describe_environment_health(self, **kwargs):
        self._call("describe_environment_health", kwargs)
        if self.health is None:
            raise client_error("InvalidRequestException", "DescribeEnvironmentHealth", "enhanced health is off")
        return copy.deepcopy(self.health)

    # ------------------------------------------------------------ tags
    def list_tags_for_resource(self, **kwargs):
        self._call("list_tags_for_resource", kwargs)
        tags = self.tags.get(kwargs["ResourceArn"], {})
        return {"ResourceArn": kwargs["ResourceArn"], "ResourceTags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def update_tags_for_resource(self, **kwargs):
        self._call("update_tags_for_resource", kwargs)
        return {}

    # ------------------------------------------------------------ applications and versions
    def describe_applications(self, **kwargs):
        self._call("describe_applications", kwargs)
        answer = self._next(self.applications)
        other = application(ApplicationName="other", ApplicationArn=APP_ARN.replace(APP, "other"))
        return {"Applications": [other] + ([answer] if answer else [])}

    def create_application(self, **kwargs):
        self._call("create_application", kwargs)
        return {"Application": application(Description=kwargs.get("Description"), Versions=[])}

    def update_application(self, **kwargs):
        self._call("update_application", kwargs)
        return {"Application": application(Description=kwargs["Description"])}

    def delete_application(self, **kwargs):
        self._call("delete_application", kwargs)
        return {}

    def describe_application_versions(self, **kwargs):
        self._call("describe_application_versions", kwargs)
        answer = self._next(self.versions)
        other = version(label="v0")
        return {"ApplicationVersions": [other] + ([answer] if answer else [])}

    def create_application_version(self, **kwargs):
        self._call("create_application_version", kwargs)
        bundle = kwargs["SourceBundle"]
        status = "Processing" if kwargs.get("Process") else "Unprocessed"
        created = version(kwargs["VersionLabel"], bundle["S3Bucket"], bundle["S3Key"], status=status)
        return {"ApplicationVersion": created}

    def update_application_version(self, **kwargs):
        self._call("update_application_version", kwargs)
        return {"ApplicationVersion": version(kwargs["VersionLabel"], Description=kwargs["Description"])}

    def delete_application_version(self, **kwargs):
        self._call("delete_application_version", kwargs)
        return {}


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.warnings = []

    def fail_json(self, **result):
        raise Failed(result)

    def warn(self, message):
        self.warnings.append(message)
