"""The Elastic Beanstalk emulator (tests/local/dataplane/beanstalk*.py) in the project's moto server.

A moto server of this checkout (LOCAL_DATAPLANE=off: no instance runs; each operation ends after
MOTO_EB_LAUNCH_SECONDS) on a free port of 4680-4689, driven with boto3: every answer must parse
as the query protocol's XML and pass botocore's output shape; settings, filters, checks, the
asynchronous statuses, events, faults and hooks must be AWS's.
"""

from __future__ import annotations

import io
import json
import socket
import subprocess
import time
import urllib.request
import zipfile
from pathlib import Path

import boto3
import moto_process
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

REGION = "us-east-1"
STACK = "64bit Amazon Linux 2023 v4.4.0 running Docker"
PLATFORM = f"arn:aws:elasticbeanstalk:{REGION}::platform/Docker running on 64bit Amazon Linux 2023/4.6.0"
SECRET = f"arn:aws:secretsmanager:{REGION}:123456789012:secret:mlflow-db-AbCdEf"
ASG, ENV_NS, SECRETS_NS = (
    "aws:autoscaling:asg",
    "aws:elasticbeanstalk:application:environment",
    ("aws:elasticbeanstalk:application:environmentsecrets"),
)
SECONDS = 0.3


def _start(port: int, state: Path, log) -> subprocess.Popen | None:
    """A server on PORT, or None when the port is taken (another test run may start one at the same time)."""
    with socket.socket() as sock:
        if sock.connect_ex(("127.0.0.1", port)) == 0:
            return None
    process = moto_process.launch(port, state, log, MOTO_EB_LAUNCH_SECONDS=str(SECONDS))
    for _attempt in range(150):
        if process.poll() is not None:
            return None  # it could not bind the port
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/_mlops/calls", timeout=1).close()
        except OSError:
            time.sleep(0.1)
            continue
        time.sleep(0.3)
        if process.poll() is None:
            return process
        return None
    process.kill()
    pytest.fail((state / "moto.log").read_text()[-3000:])


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    state = tmp_path_factory.mktemp("beanstalk-state")
    log = open(state / "moto.log", "ab")  # noqa: SIM115 - the server writes it until the end
    for port in range(4680, 4690):
        process = _start(port, state, log)
        if process is not None:
            break
    else:
        pytest.fail("no free port in 4680-4689 for the test's own moto server: stop what listens there")
    yield f"http://127.0.0.1:{port}"
    moto_process.stop(process, log)


def client(url: str, service: str = "elasticbeanstalk", **config):
    return boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )


def hook(url: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{url}/_mlops/{path}", data=data), timeout=5) as answer:
        return json.loads(answer.read())


def error(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


def _zip() -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("Dockerfile", "FROM mlflow\n")
    return data.getvalue()


@pytest.fixture(scope="module")
def eb(url):
    s3 = client(url, "s3")
    s3.create_bucket(Bucket="bundles")
    for key in ("v1.zip", "v2.zip", "v3.zip"):
        s3.put_object(Bucket="bundles", Key=key, Body=_zip())
    s3.put_object(Bucket="bundles", Key="broken.zip", Body=b"not a zip")
    s3.create_bucket(Bucket="bundles-west", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    s3.put_object(Bucket="bundles-west", Key="v1.zip", Body=_zip())
    eb = client(url)
    eb.create_application(ApplicationName="mlflow", Description="MLflow", Tags=[{"Key": "team", "Value": "ml"}])
    for label in ("v1", "v2", "v3"):
        eb.create_application_version(
            ApplicationName="mlflow", VersionLabel=label, SourceBundle={"S3Bucket": "bundles", "S3Key": f"{label}.zip"}
        )
    return eb


def wait(eb, env_id: str, status: str) -> dict:
    for _attempt in range(100):
        (env,) = eb.describe_environments(EnvironmentIds=[env_id])["Environments"]
        if env["Status"] == status:
            return env
        time.sleep(0.05)
    pytest.fail(f"{env_id} never became {status}: {env}")


def create(eb, name: str, **extra) -> dict:
    platform = {} if "PlatformArn" in extra else {"SolutionStackName": STACK}
    return eb.create_environment(ApplicationName="mlflow", EnvironmentName=name, **{**platform, **extra})


def messages(eb, env_id: str, **filters) -> list[tuple[str, str]]:
    return [(e["Severity"], e["Message"]) for e in eb.describe_events(EnvironmentId=env_id, **filters)["Events"]]


@pytest.fixture(scope="module")
def web(eb):
    env = create(
        eb,
        "mlflow-web",
        VersionLabel="v1",
        CNAMEPrefix="mlflow-web",
        OptionSettings=[
            {"Namespace": ASG, "OptionName": "MaxSize", "Value": "3"},
            {"Namespace": ENV_NS, "OptionName": "MLFLOW_PORT", "Value": "8080"},
            {"Namespace": SECRETS_NS, "OptionName": "DB_PASSWORD", "Value": SECRET},
        ],
    )
    assert (env["Status"], env["Health"], env["HealthStatus"]) == ("Launching", "Grey", "Pending")
    return wait(eb, env["EnvironmentId"], "Ready")


def settings_of(eb, name: str) -> dict[tuple[str, str], str]:
    (config,) = eb.describe_configuration_settings(ApplicationName="mlflow", EnvironmentName=name)[
        "ConfigurationSettings"
    ]
    return {(s["Namespace"], s["OptionName"]): s["Value"] for s in config["OptionSettings"]}


def test_applications(eb):
    (app,) = eb.describe_applications(ApplicationNames=["mlflow"])["Applications"]
    assert app["Description"] == "MLflow" and sorted(app["Versions"]) == ["v1", "v2", "v3"]
    assert error(eb.create_application, ApplicationName="mlflow") == (
        "InvalidParameterValue",
        "Application mlflow already exists.",
    )
    tags = eb.list_tags_for_resource(ResourceArn=app["ApplicationArn"])["ResourceTags"]
    assert tags == [{"Key": "team", "Value": "ml"}]
    assert (
        eb.update_application(ApplicationName="mlflow", Description="MLflow 3")["Application"]["Description"]
        == "MLflow 3"
    )
    version = eb.update_application_version(ApplicationName="mlflow", VersionLabel="v1", Description="first")
    assert version["ApplicationVersion"]["Description"] == "first"
    stacks = eb.list_available_solution_stacks()["SolutionStacks"]
    assert STACK in stacks and all(s.endswith("running Docker") for s in stacks)
    eb.create_application(ApplicationName="scratch")
    eb.create_environment(ApplicationName="scratch", EnvironmentName="scratch-env", SolutionStackName=STACK)
    assert "running environments: scratch-env" in error(eb.delete_application, ApplicationName="scratch")[1]
    eb.delete_application(ApplicationName="scratch", TerminateEnvByForce=True)
    (gone,) = eb.describe_environments(EnvironmentNames=["scratch-env"])["Environments"]
    assert gone["Status"] == "Terminating"
    assert eb.describe_applications(ApplicationNames=["scratch"])["Applications"] == []
    assert error(eb.delete_application, ApplicationName="scratch")[1] == "No Application named 'scratch' found."


def test_application_versions(eb, url):
    code, message = error(
        eb.create_application_version,
        ApplicationName="mlflow",
        VersionLabel="nope",
        SourceBundle={"S3Bucket": "bundles", "S3Key": "missing.zip"},
    )
    assert code == "InvalidParameterCombination" and message.endswith("Reason: Not Found")
    west = {"S3Bucket": "bundles-west", "S3Key": "v1.zip"}
    code, message = error(eb.create_application_version, ApplicationName="mlflow", VersionLabel="w", SourceBundle=west)
    assert "The bucket is in this region: us-west-2" in message
    assert error(eb.create_application_version, ApplicationName="mlflow", VersionLabel="v1")[1] == (
        "Application Version v1 already exists."
    )
    broken = {"S3Bucket": "bundles", "S3Key": "broken.zip"}
    made = eb.create_application_version(
        ApplicationName="mlflow", VersionLabel="bad", SourceBundle=broken, Process=True
    )
    assert made["ApplicationVersion"]["Status"] == "Processing"
    time.sleep(SECONDS)
    (bad,) = eb.describe_application_versions(ApplicationName="mlflow", VersionLabels=["bad"])["ApplicationVersions"]
    assert bad["Status"] == "Failed"
    assert "failed processing" in error(create, eb, "bad-env", VersionLabel="bad")[1]
    eb.delete_application_version(ApplicationName="mlflow", VersionLabel="bad", DeleteSourceBundle=True)
    assert "Contents" not in client(url, "s3").list_objects_v2(Bucket="bundles", Prefix="broken")
    first = eb.describe_application_versions(ApplicationName="mlflow", MaxRecords=2)
    rest = eb.describe_application_versions(ApplicationName="mlflow", MaxRecords=2, NextToken=first["NextToken"])
    labels = [v["VersionLabel"] for v in first["ApplicationVersions"] + rest["ApplicationVersions"]]
    assert labels == ["v3", "v2", "v1"] and "NextToken" not in rest


def test_create_environment_keeps_what_it_was_given(eb, web):
    assert web["CNAME"] == f"mlflow-web.{REGION}.elasticbeanstalk.com"
    assert (web["VersionLabel"], web["SolutionStackName"], web["Health"]) == ("v1", STACK, "Green")
    assert web["PlatformArn"].endswith("/Docker running on 64bit Amazon Linux 2023/4.4.0")
    settings = settings_of(eb, "mlflow-web")
    assert settings[(ASG, "MaxSize")] == "3" and settings[(ASG, "MinSize")] == "1"  # given, and the default
    assert settings[(ENV_NS, "MLFLOW_PORT")] == "8080" and settings[(SECRETS_NS, "DB_PASSWORD")] == SECRET
    assert messages(eb, web["EnvironmentId"])[-1] == ("INFO", "createEnvironment is starting.")
    assert ("INFO", "Successfully launched environment: mlflow-web") in messages(eb, web["EnvironmentId"])
    available = eb.check_dns_availability(CNAMEPrefix="mlflow-web")
    assert available == {**available, "Available": False, "FullyQualifiedCNAME": web["CNAME"]}


def test_create_environment_refusals(eb, web):
    python = "64bit Amazon Linux 2023 v4.6.0 running Python 3.12"
    assert error(create, eb, "other", SolutionStackName=python)[1] == f"No Solution Stack named '{python}' found."
    assert error(create, eb, "mlflow-web")[1] == "Environment mlflow-web already exists."
    assert error(create, eb, "other", CNAMEPrefix="mlflow-web")[1] == (
        f"DNS name (mlflow-web.{REGION}.elasticbeanstalk.com) is not available."
    )
    assert error(create, eb, "other", VersionLabel="v9")[1] == "No Application Version named 'v9' found."
    bad = [{"Namespace": "aws:autoscaling:asg", "OptionName": "Colour", "Value": "x"}]
    code, message = error(create, eb, "other", OptionSettings=bad)
    assert code == "ConfigurationValidationException"
    assert message == (
        "Configuration validation exception: Invalid option specification "
        "(Namespace: 'aws:autoscaling:asg', OptionName: 'Colour'): Unknown configuration setting."
    )
    plain = [{"Namespace": SECRETS_NS, "OptionName": "DB_PASSWORD", "Value": "hunter2"}]
    assert (
        "Secrets Manager secret or a Systems Manager parameter" in error(create, eb, "other", OptionSettings=plain)[1]
    )
    low = [{"Namespace": ASG, "OptionName": "MinSize", "Value": "0"}]
    assert error(create, eb, "other", OptionSettings=low)[1].endswith("Value is less than minimum allowed value: 1")


def test_describe_environments_filters(eb, web):
    other = create(eb, "mlflow-other", PlatformArn=PLATFORM)
    assert other["SolutionStackName"] == "64bit Amazon Linux 2023 v4.6.0 running Docker"
    assert other["CNAME"].startswith("mlflow-other.eba-") and "VersionLabel" not in other

    def names(**filters):
        return sorted(e["EnvironmentName"] for e in eb.describe_environments(**filters)["Environments"])

    assert names(ApplicationName="mlflow") == ["mlflow-other", "mlflow-web"]
    assert names(ApplicationName="nothing") == []
    assert names(EnvironmentNames=["mlflow-other"]) == ["mlflow-other"]
    assert names(EnvironmentIds=[web["EnvironmentId"]]) == ["mlflow-web"]
    assert names(VersionLabel="v1") == ["mlflow-web"]
    assert error(eb.update_environment, EnvironmentName="mlflow-other", VersionLabel="v2")[1] == (
        "Environment named mlflow-other is in an invalid state for this operation. Must be Ready."
    )
    wait(eb, other["EnvironmentId"], "Ready")
    eb.terminate_environment(EnvironmentName="mlflow-other")
    assert wait(eb, other["EnvironmentId"], "Terminated")["Health"] == "Grey"
    assert names(EnvironmentNames=["mlflow-other"]) == ["mlflow-other"]  # IncludeDeleted defaults to true
    assert names(EnvironmentNames=["mlflow-other"], IncludeDeleted=False) == []
    assert ("INFO", "terminateEnvironment completed successfully.") in messages(eb, other["EnvironmentId"])
    again = create(eb, "mlflow-other", PlatformArn=PLATFORM)  # the name is free again
    assert again["EnvironmentId"] != other["EnvironmentId"]
    assert len(eb.describe_environments(EnvironmentNames=["mlflow-other"])["Environments"]) == 2
    wait(eb, again["EnvironmentId"], "Ready")
    eb.terminate_environment(EnvironmentId=again["EnvironmentId"])


def test_update_merges_settings_and_deploys_a_version(eb, web):
    env_id = web["EnvironmentId"]
    answer = eb.update_environment(
        EnvironmentId=env_id,
        VersionLabel="v2",
        OptionSettings=[{"Namespace": ASG, "OptionName": "MinSize", "Value": "2"}],
        OptionsToRemove=[{"Namespace": ENV_NS, "OptionName": "MLFLOW_PORT"}],
    )
    assert (answer["Status"], answer["VersionLabel"]) == ("Updating", "v2")
    request_id = answer["ResponseMetadata"]["RequestId"]
    assert wait(eb, env_id, "Ready")["Health"] == "Green"
    missing = error(eb.update_environment, EnvironmentId=env_id, VersionLabel="v9")[1]
    assert missing == "No Application Version named 'v9' found."
    settings = settings_of(eb, "mlflow-web")
    assert (settings[(ASG, "MinSize")], settings[(ASG, "MaxSize")]) == ("2", "3")
    assert (ENV_NS, "MLFLOW_PORT") not in settings and (SECRETS_NS, "DB_PASSWORD") in settings
    assert messages(eb, env_id, RequestId=request_id)[::-1][:3] == [
        ("INFO", "Environment update is starting."),
        ("INFO", "Deploying new version to instance(s)."),
        ("INFO", "Environment health has transitioned from Ok to Info. Application update in progress."),
    ]
    assert ("INFO", "Environment update completed successfully.") in messages(eb, env_id, RequestId=request_id)
    change = [{"Namespace": "aws:elasticbeanstalk:environment", "OptionName": "LoadBalancerType", "Value": "network"}]
    code, _message = error(eb.update_environment, EnvironmentId=env_id, OptionSettings=change)
    assert code == "ConfigurationValidationException"
    bigger = [{"Namespace": ASG, "OptionName": "MinSize", "Value": "5"}]
    assert (
        "MinSize must not exceed MaxSize (3)"
        in error(eb.update_environment, EnvironmentId=env_id, OptionSettings=bigger)[1]
    )


def test_failed_update_returns_to_the_previous_version(eb, url, web):
    env_id = web["EnvironmentId"]
    wait(eb, env_id, "Ready")
    before = settings_of(eb, "mlflow-web")
    hook(url, "beanstalk/faults", {"fail_next_update": "the container exited (code 1)"})
    change = [{"Namespace": ASG, "OptionName": "MaxSize", "Value": "4"}]
    eb.update_environment(EnvironmentName="mlflow-web", VersionLabel="v3", OptionSettings=change)
    env = wait(eb, env_id, "Ready")
    assert (env["VersionLabel"], env["Health"]) == ("v2", "Red")
    assert settings_of(eb, "mlflow-web") == before
    assert ("ERROR", "the container exited (code 1)") in messages(eb, env_id, Severity="ERROR")
    assert all(severity == "ERROR" for severity, _message in messages(eb, env_id, Severity="ERROR"))
    health = eb.describe_environment_health(EnvironmentId=env_id, AttributeNames=["All"])
    assert (health["Status"], health["Color"], health["HealthStatus"]) == ("Ready", "Red", "Severe")
    assert health["Causes"] == ["the container exited (code 1)"]
    time.sleep(SECONDS * 2)
    assert eb.describe_environments(EnvironmentIds=[env_id])["Environments"][0]["Health"] == "Green"
    assert hook(url, "beanstalk")["faults"]["fail_next_update"] is None


def test_configuration_options_and_validation(eb, web):
    answer = eb.describe_configuration_options(SolutionStackName=STACK, Options=[{"Namespace": ASG}])
    sizes = {o["Name"]: o for o in answer["Options"]}
    assert (sizes["MinSize"]["MinValue"], sizes["MaxSize"]["MaxValue"], sizes["MaxSize"]["DefaultValue"]) == (
        1,
        10000,
        "4",
    )
    wanted = [{"Namespace": "aws:elasticbeanstalk:command", "OptionName": "DeploymentPolicy"}]
    (policy,) = eb.describe_configuration_options(
        ApplicationName="mlflow", EnvironmentName="mlflow-web", Options=wanted
    )["Options"]
    assert "Immutable" in policy["ValueOptions"] and policy["ValueType"] == "Scalar"
    mine = eb.describe_configuration_options(ApplicationName="mlflow", EnvironmentName="mlflow-web")["Options"]
    assert {"Namespace": SECRETS_NS, "Name": "DB_PASSWORD"}.items() <= next(o for o in mine if o["UserDefined"]).items()
    valid = eb.validate_configuration_settings(
        ApplicationName="mlflow",
        EnvironmentName="mlflow-web",
        OptionSettings=[{"Namespace": "aws:elbv2:listener:443", "OptionName": "Protocol", "Value": "HTTPS"}],
    )
    assert valid["Messages"] == []
    found = eb.validate_configuration_settings(
        ApplicationName="mlflow",
        OptionSettings=[
            {"Namespace": "x", "OptionName": "y", "Value": "1"},
            {"Namespace": "aws:elasticbeanstalk:command", "OptionName": "BatchSizeType", "Value": "Half"},
        ],
    )["Messages"]
    assert [m["Severity"] for m in found] == ["error", "error"]
    assert (
        found[1]["Message"]
        == "Invalid option specification (Namespace: 'x', OptionName: 'y'): Unknown configuration setting."
    )
    assert "Value is not one of the allowed values: [Percentage, Fixed]" in found[0]["Message"]


def test_health_resources_and_tags(eb, web):
    env_id = web["EnvironmentId"]
    assert eb.describe_environment_health(EnvironmentId=env_id)["EnvironmentName"] == "mlflow-web"
    health = eb.describe_environment_health(EnvironmentName="mlflow-web", AttributeNames=["InstancesHealth", "Color"])
    assert "Causes" not in health and health["InstancesHealth"]["Ok"] == 0
    resources = eb.describe_environment_resources(EnvironmentId=env_id)["EnvironmentResources"]
    assert resources["AutoScalingGroups"][0]["Name"].startswith(f"awseb-{env_id}-stack-AWSEBAutoScalingGroup-")
    assert len(resources["LoadBalancers"]) == 1 and resources["Instances"] == []
    arn = web["EnvironmentArn"]
    eb.update_tags_for_resource(ResourceArn=arn, TagsToAdd=[{"Key": "stage", "Value": "dev"}])
    assert eb.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == [{"Key": "stage", "Value": "dev"}]
    eb.update_tags_for_resource(ResourceArn=arn, TagsToRemove=["stage"])
    assert eb.list_tags_for_resource(ResourceArn=arn)["ResourceTags"] == []
    assert error(eb.list_tags_for_resource, ResourceArn=arn + "x")[0] == "ResourceNotFoundException"
    used = error(eb.delete_application_version, ApplicationName="mlflow", VersionLabel="v2")[1]
    assert used == "Unable to delete application version v2 because it is being used by environment(s): mlflow-web."


def test_server_side_validation_throttling_and_call_counts(eb, url):
    raw = client(url, parameter_validation=False)
    code, message = error(raw.create_application, ApplicationName="x" * 101)
    assert code == "ValidationError" and "Member must have length less than or equal to 100" in message
    hook(url, "beanstalk/faults", {"throttle": {"DescribeEnvironments": 2}})
    for _attempt in range(2):
        assert error(eb.describe_environments) == ("Throttling", "Rate exceeded")
    eb.describe_environments()
    calls = hook(url, "calls")["calls"]
    assert calls["elasticbeanstalk:CreateEnvironment"] >= 1 and calls["elasticbeanstalk:DescribeEnvironments"] >= 3


def test_no_answer_failed_its_output_shape(url):
    state = hook(url, "beanstalk")
    assert state["output_errors"] == []
    web = next(e for e in state["environments"] if e["name"] == "mlflow-web")
    assert web["source_bundle"] == {"S3Bucket": "bundles", "S3Key": "v2.zip"}
    assert web["settings"][ASG] == {"MinSize": "2", "MaxSize": "3", "Availability Zones": "Any", "Cooldown": "360"}
