"""elasticbeanstalk_*: option checks, option settings' normal form, the comparison and the requests
(module_utils/elasticbeanstalk_params.py and elasticbeanstalk_settings.py; no AWS calls).
"""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_params as p
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_settings as s
from botocore.validate import validate_parameters
from elasticbeanstalk_samples import (
    _MODEL,
    APP,
    BUCKET,
    ENV_NS,
    KEY,
    NAME,
    NEW_STACK,
    SECRET,
    SECRETS_NS,
    STACK,
    described_settings,
    environment,
    options,
    setting,
)


def plan(params, env=None, described=None):
    return s.plan_update(env or environment(), described_settings() if described is None else described, params)


# ---------------------------------------------------------------- normal form
@pytest.mark.parametrize(
    ("given", "kept"),
    [(True, "true"), (False, "false"), (2, "2"), (1.0, "1"), (0.5, "0.5"), (["a", 1], "a,1"), ("x", "x")],
)
def test_values_are_the_strings_aws_keeps(given, kept):
    assert s.normalize_value(given) == kept


def test_values_compare_as_aws_means_them():
    key = ("aws:elasticbeanstalk:command", "IgnoreHealthCheck", "")
    assert s.same("FALSE", "false", key) and not s.same("true", "false", key)
    groups = ("aws:autoscaling:launchconfiguration", "SecurityGroups", "")
    assert s.same("sg-0b, sg-0a", "sg-0a,sg-0b", groups)
    types = ("aws:ec2:instances", "InstanceTypes", "")
    assert not s.same("t3.small,t3.medium", "t3.medium,t3.small", types), "the first instance type matters"
    assert not s.same(None, "", types)


# ---------------------------------------------------------------- the comparison
def test_the_same_settings_described_by_aws_are_no_change():
    result = plan(options())
    assert result.request == {} and not result.changed
    assert result.before == result.after
    assert result.before["option_settings"]["aws:autoscaling:asg"] == {"MaxSize": "2", "MinSize": "1"}
    assert "Cooldown" not in result.before["option_settings"]["aws:autoscaling:asg"], "only the given ones"


def test_one_changed_setting_is_the_only_one_sent():
    settings = options()["option_settings"]
    settings[3]["value"] = 4  # MaxSize
    result = plan(options(option_settings=settings))
    assert result.request == {
        "OptionSettings": [{"Namespace": "aws:autoscaling:asg", "OptionName": "MaxSize", "Value": "4"}]
    }
    assert result.before["option_settings"]["aws:autoscaling:asg"]["MaxSize"] == "2"
    assert result.after["option_settings"]["aws:autoscaling:asg"]["MaxSize"] == "4"
    validate_parameters(
        {"EnvironmentId": "e-1", **result.request}, _MODEL.operation_model("UpdateEnvironment").input_shape
    )


def test_a_setting_the_environment_lacks_is_sent_with_its_resource_name():
    extra = setting("aws:autoscaling:scheduledaction", "MinSize", 0, resource_name="night")
    result = plan(options(option_settings=[*options()["option_settings"], extra]))
    assert result.request["OptionSettings"] == [
        {"Namespace": "aws:autoscaling:scheduledaction", "OptionName": "MinSize", "Value": "0", "ResourceName": "night"}
    ]
    assert result.after["option_settings"]["aws:autoscaling:scheduledaction"] == {"MinSize (night)": "0"}


def test_version_stack_and_description_changes():
    assert plan(options(version_label="v2")).request == {"VersionLabel": "v2"}
    assert plan(options(solution_stack_name=NEW_STACK)).request == {"SolutionStackName": NEW_STACK}
    assert plan(options(description="MLflow")).request == {"Description": "MLflow"}
    assert plan(options(description="")).request == {}, "an empty description is no description"
    unset = plan(options(version_label=None, solution_stack_name=None, option_settings=None), described=[])
    assert unset.request == {} and unset.before == {"version_label": "v1"}


def test_purge_removes_only_the_properties_of_the_given_namespaces():
    settings = [s_ for s_ in options()["option_settings"] if s_["namespace"] != SECRETS_NS]
    result = plan(options(option_settings=settings, purge_option_settings=True))
    assert result.request == {"OptionsToRemove": [{"Namespace": ENV_NS, "OptionName": "OLD_SETTING"}]}
    assert result.before["option_settings"][ENV_NS]["OLD_SETTING"] == "1"
    assert "OLD_SETTING" not in result.after["option_settings"][ENV_NS]
    assert SECRETS_NS not in result.before["option_settings"], "a namespace not given keeps its options"
    assert plan(options(option_settings=settings)).request == {}, "no purge without purge_option_settings"


def test_create_request_is_what_aws_takes():
    params = options(description="MLflow", option_settings=options()["option_settings"][:3])
    request = s.create_request(params, p.tier(params), [{"Key": "Application", "Value": "mlflow"}])
    validate_parameters(request, _MODEL.operation_model("CreateEnvironment").input_shape)
    assert request["CNAMEPrefix"] == NAME and request["SolutionStackName"] == STACK and request["VersionLabel"] == "v1"
    assert request["Tier"] == {"Name": "WebServer", "Type": "Standard"}
    assert request["OptionSettings"][1] == {
        "Namespace": "aws:autoscaling:launchconfiguration",
        "OptionName": "SecurityGroups",
        "Value": "sg-0a,sg-0b",
    }
    bare = dict.fromkeys(options(), None)
    bare.update(name=NAME, application=APP, platform_arn="arn:aws:elasticbeanstalk:us-east-1::platform/Docker/4.5.0")
    assert s.create_request(bare, p.tier({"tier": "Worker"}), []) == {
        "ApplicationName": APP,
        "EnvironmentName": NAME,
        "Tier": {"Name": "Worker", "Type": "SQS/HTTP"},
        "PlatformArn": bare["platform_arn"],
    }
    view = s.create_view(params, p.tier(params))
    assert view["option_settings"]["aws:autoscaling:asg"] == {"MinSize": "1"} and view["tier"] == "WebServer"


def test_settings_view_is_sorted_snake_case():
    view = s.settings_view(
        [{"Namespace": "b", "OptionName": "x", "Value": "1", "ResourceName": "r"}, *described_settings()[:1]]
    )
    assert view[0] == {
        "namespace": "aws:autoscaling:launchconfiguration",
        "option_name": "InstanceType",
        "value": "t3.small",
    }
    assert view[-1] == {"namespace": "b", "option_name": "x", "value": "1", "resource_name": "r"}


# ---------------------------------------------------------------- input checks
def test_good_options_have_no_problem():
    assert p.validate_environment(options()) == []
    reference = setting(ENV_NS, "DB_SECRET_ARN", SECRET)
    assert p.validate_environment(options(option_settings=[reference])) == [], "an ARN is a reference, not a secret"
    plain_url = setting(ENV_NS, "MLFLOW_BACKEND_STORE_URI", "postgresql://mlflow@db:5432/mlflow")
    assert p.validate_environment(options(option_settings=[plain_url])) == [], "a user name alone is no secret"
    assert p.validate_environment(options(state="absent", cname_prefix="x", option_settings=[{}])) == []


def bad_setting(namespace, option_name, value):
    """option_settings with NAMESPACE OPTION_NAME set to VALUE (replaced when options() has it)."""
    given = [x for x in options()["option_settings"] if (x["namespace"], x["option_name"]) != (namespace, option_name)]
    return {"option_settings": [*given, setting(namespace, option_name, value)]}


LC = "aws:autoscaling:launchconfiguration"
PROCESS = "aws:elasticbeanstalk:environment:process:default"
BAD = [
    ({"name": "ml"}, "name 'ml': 4-40 letters, digits or hyphens"),
    ({"name": "mlflow_prod"}, "name 'mlflow_prod'"),
    ({"name": "-mlflow"}, "name '-mlflow'"),
    ({"application": "a/b"}, "application 'a/b': 1-100 characters, no '/'"),
    ({"cname_prefix": "ml"}, "cname_prefix 'ml': 4-63"),
    ({"cname_prefix": "mlflow.prod"}, "cname_prefix 'mlflow.prod'"),
    ({"tier": "Worker"}, "cname_prefix: a Worker environment has no CNAME"),
    ({"version_label": "v" * 101}, "version_label 'vvv"),
    ({"platform_arn": "arn:aws:elasticbeanstalk:us-east-1::platform/x"}, "solution_stack_name and platform_arn"),
    ({"platform_arn": "Docker", "solution_stack_name": None}, "platform_arn 'Docker': not a platform ARN"),
    ({"description": "d" * 201}, "description: 201 characters, at most 200"),
    ({"wait_timeout": 0}, "wait_timeout: 0"),
    ({"tags": {"elasticbeanstalk:environment-name": "x"}}, "tags.elasticbeanstalk:environment-name: the aws: and"),
    ({"tags": {"Team": ""}}, "tags.Team: keys 1-128 characters, values 1-256"),
    (bad_setting(LC, "InstanceType", "t3 small"), f"{LC} InstanceType: 't3 small' is not an EC2 instance type"),
    (bad_setting("aws:ec2:instances", "InstanceTypes", "t3.small,large"), "InstanceTypes: large: not EC2 instance"),
    (bad_setting("aws:autoscaling:asg", "MinSize", 3), "aws:autoscaling:asg MinSize 3 is greater than MaxSize 2"),
    ({"option_settings": [setting("aws:autoscaling:asg", "MaxSize", "two")]}, "MaxSize: 'two' is not a number of"),
    ({"option_settings": [setting("aws:autoscaling:asg", "MaxSize", 0)]}, "MaxSize: must be at least 1"),
    (
        bad_setting("aws:elbv2:listener:443", "SSLCertificateArns", "mlflow-cert"),
        "not an ACM certificate or IAM server",
    ),
    (
        bad_setting("elasticbeanstalk:environment", "EnvironmentType", "x"),
        "namespace 'elasticbeanstalk:environment' is not",
    ),
    (bad_setting(ENV_NS, "DB_PASSWORD", "hunter2"), f"{ENV_NS} DB_PASSWORD: looks like a secret"),
    (bad_setting(ENV_NS, "MLFLOW_FLASK_SERVER_SECRET_KEY", "x"), f"put it in the {SECRETS_NS} namespace"),
    (bad_setting(ENV_NS, "AWS_ACCESS_KEY_ID", "AKIA"), "AWS_ACCESS_KEY_ID: looks like a secret"),
    (
        bad_setting(ENV_NS, "MLFLOW_BACKEND_STORE_URI", "postgresql://mlflow:pw@db:5432/mlflow"),
        "MLFLOW_BACKEND_STORE_URI: the value is a URL with a password in it",
    ),
    (bad_setting(SECRETS_NS, "DB_URI", "postgresql://u:p@h/db"), "must be the ARN of a Secrets Manager secret or SSM"),
    (bad_setting(SECRETS_NS, "1DB", SECRET), f"{SECRETS_NS} 1DB: not an environment variable name"),
    (bad_setting("aws:ec2:vpc", "Subnets", "subnet-0a1b2c3d,private-a"), "Subnets: private-a: not subnet IDs"),
    (bad_setting("aws:ec2:vpc", "VPCId", "default"), "VPCId: 'default' is not a VPC ID"),
    (bad_setting(PROCESS, "Port", 0), "Port: '0' is not a port"),
    (bad_setting("aws:elasticbeanstalk:environment", "LoadBalancerType", "alb"), "classic, application or network"),
    (
        {"option_settings": [*options()["option_settings"], setting(ENV_NS, "MLFLOW_ARTIFACT_URI", "s3://x")]},
        "MLFLOW_ARTIFACT_URI: given twice (first as option_settings[6])",
    ),
    (bad_setting(ENV_NS, "CONFIG", {"a": 1}), "value is a mapping"),
    (bad_setting(PROCESS, "HealthCheckPath", "health"), "HealthCheckPath: 'health' must start with '/'"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_validate_names_the_option(overrides, message):
    problems = p.validate_environment(options(**overrides))
    assert any(message in problem for problem in problems), problems


VERSION = {
    "application": APP,
    "version_label": "v1",
    "description": None,
    "s3_bucket": BUCKET,
    "s3_key": KEY,
    "process": False,
    "state": "present",
    "delete_source_bundle": False,
    "wait": True,
    "wait_timeout": 600,
    "tags": None,
    "purge_tags": True,
}


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"s3_bucket": None}, "s3_bucket: required with state=present"),
        ({"s3_key": None}, "s3_key: required with state=present"),
        ({"s3_bucket": "My_Bucket"}, "s3_bucket 'My_Bucket': not an S3 bucket name"),
        ({"s3_key": "/v1.zip"}, "s3_key '/v1.zip'"),
        ({"version_label": "a/b"}, "version_label 'a/b'"),
        ({"version_label": ""}, "version_label ''"),
        ({"application": ""}, "application ''"),
        ({"tags": {"aws:x": "1"}}, "tags.aws:x"),
    ],
)
def test_version_checks(overrides, message):
    assert p.validate_version(dict(VERSION)) == []
    problems = p.validate_version(dict(VERSION, **overrides))
    assert any(message in problem for problem in problems), problems


def test_version_absent_needs_no_bundle_and_application_checks():
    assert p.validate_version(dict(VERSION, state="absent", s3_bucket=None, s3_key=None)) == []
    assert p.validate_application({"name": APP, "description": None, "tags": {"Team": "ml"}}) == []
    assert p.validate_application({"name": "x" * 101, "description": None, "tags": None}) == [
        f"name {'x' * 101!r}: 1-100 characters, no '/'"
    ]
