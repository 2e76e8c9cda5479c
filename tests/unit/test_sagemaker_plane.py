"""The SageMaker part of the local data plane (tests/local/dataplane/sagemaker.py, sagemaker_fleet.py and
sagemaker_model.py) with moto_sagemaker.py's readiness hook: an endpoint is Creating until its containers answer
``GET /ping``, Failed (or, for an update, rolled back with the old containers serving) when they do not; the
execution role is checked as SageMaker checks it; the model data is unpacked as the container sees it.

No container runs: each is a stand-in, a real HTTP server thread on the container's loopback address and port 8080
(tests/unit/sagemaker_standin.py); moto runs in this process (``mock_aws``) and the plane's steps run when the test
says so.
"""

from __future__ import annotations

import json

import boto3
import pytest
import sagemaker_standin as standin
from moto import mock_aws

from tests.local import moto_sagemaker

PING_FAILED = (
    "The primary container for production variant AllTraffic did not pass the ping health check. "
    "Please check CloudWatch logs for this endpoint."
)


@pytest.fixture
def aws(monkeypatch):
    standin.install()
    monkeypatch.setenv("MOTO_SAGEMAKER_ENDPOINT_UPDATING_SECONDS", "0")
    monkeypatch.setenv("MOTO_SAGEMAKER_PING_TIMEOUT_SECONDS", "0.3")
    moto_sagemaker.reset()
    with mock_aws():
        yield standin.clients()


docker, plane = standin.docker, standin.plane  # fixtures: the stand-ins' Docker, the plane on it


def create(aws, name: str, variants: dict, container: dict | None = None) -> None:
    standin.deploy(aws[0], name, variants, container)
    aws[0].create_endpoint(EndpointName=name, EndpointConfigName=name)


def invoked(aws, name: str) -> str:
    return aws[1].invoke_endpoint(EndpointName=name, Body=b"{}")["InvokedProductionVariant"]


def test_an_endpoint_is_creating_until_its_containers_answer_ping(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {"mode": "gated", "count": 2}})
    standin.steps(plane, 3)
    assert standin.status(aws[0], "churn") == ("Creating", None, "churn")
    assert len(docker.running) == 2, "InitialInstanceCount containers"
    spec = docker.specs[0]
    assert spec.command == ["serve"] and spec.entry_point == []
    assert spec.environment["SAGEMAKER_BIND_TO_PORT"] == "8080"
    assert spec.environment["LISTEN_ADDRESS"] == spec.address and spec.address.startswith("127.0.9.")
    assert spec.environment["MODEL"] == "churn-AllTraffic", "the model's Environment"
    assert spec.aws_environment["AWS_REGION"] == "us-east-1" and spec.mounts == {}
    docker.gate.set()
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn") == ("InService", None, "churn")
    assert invoked(aws, "churn") == "AllTraffic"


@pytest.mark.parametrize("mode", ["no-ping", "exit"])
def test_a_container_that_fails_its_ping_fails_the_creation(aws, plane, docker, mode):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {"mode": mode}})
    standin.steps(plane, 4, pause=0.15)
    assert standin.status(aws[0], "churn") == ("Failed", PING_FAILED, "churn")
    standin.steps(plane, 1)
    assert docker.running == {}, "a failed endpoint runs nothing"


def test_an_update_switches_once_the_new_containers_answer(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"blue": {}})
    standin.steps(plane, 2)
    standin.deploy(aws[0], "churn-2", {"green": {"mode": "gated"}})
    aws[0].update_endpoint(EndpointName="churn", EndpointConfigName="churn-2")
    standin.steps(plane, 3)
    assert standin.status(aws[0], "churn") == ("Updating", None, "churn")
    assert invoked(aws, "churn") == "blue", "the old configuration serves during the update"
    assert len(docker.running) == 2
    docker.gate.set()
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn") == ("InService", None, "churn-2")
    assert invoked(aws, "churn") == "green"
    assert [name.split("-")[2] for name in docker.running] == ["green"], "the old containers stopped"


def test_a_failed_update_rolls_back_and_the_old_containers_keep_serving(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {}})
    standin.steps(plane, 2)
    first = set(docker.running)
    standin.deploy(aws[0], "churn-2", {"AllTraffic": {"mode": "no-ping"}})
    aws[0].update_endpoint(EndpointName="churn", EndpointConfigName="churn-2")
    standin.steps(plane, 4, pause=0.15)
    assert standin.status(aws[0], "churn") == ("InService", PING_FAILED, "churn")
    assert set(docker.running) == first, "the new containers stopped, the old ones serve"
    assert invoked(aws, "churn") == "AllTraffic"
    assert docker.requests[-1][2] == b"{}" and docker.requests[-1][0] in first


def test_a_serving_container_that_exits_is_replaced(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {}})
    standin.steps(plane, 2)
    (first,) = docker.running.values()
    first.mode = "exit"
    standin.steps(plane, 3)
    assert first.spec.name in docker.removed and len(docker.running) == 1
    assert standin.status(aws[0], "churn")[0] == "InService"
    assert invoked(aws, "churn") == "AllTraffic"


def test_deleting_an_endpoint_stops_its_containers(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {"count": 2}})
    standin.steps(plane, 2)
    aws[0].delete_endpoint(EndpointName="churn")
    standin.steps(plane, 1)
    assert docker.running == {} and len(docker.removed) == 2
    assert plane.records == {} and plane.pool.used == {}


def test_the_containers_output_goes_to_cloudwatch_logs(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {}})
    standin.steps(plane, 2)
    instance = next(iter(plane.records.values())).serving.instances[0]
    logs = boto3.client("logs", region_name="us-east-1")
    events = logs.get_log_events(
        logGroupName="/aws/sagemaker/Endpoints/churn", logStreamName=f"AllTraffic/{instance.instance_id}"
    )["events"]
    assert [e["message"] for e in events] == [f"{instance.name} started"], "each line once"


# ------------------------------------------------------------------ the model data and the execution role
def test_a_model_archive_is_extracted_at_opt_ml_model(aws, plane, docker):
    standin.setup_aws()
    url = standin.put_model_archive("churn/model.tar.gz", {"MLmodel": b"flavors: {}", "data/model.pkl": b"\x80"})
    create(aws, "churn", {"AllTraffic": {}}, {"ModelDataUrl": url})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[0] == "InService"
    ((directory, target),) = docker.specs[0].mounts.items()
    assert target == "/opt/ml/model"
    found = {str(p.relative_to(directory)): p.read_bytes() for p in sorted(standin.Path(directory).rglob("*.*"))}
    assert found == {"data/model.pkl": b"\x80"} and (standin.Path(directory) / "MLmodel").read_bytes() == b"flavors: {}"
    assert (standin.Path(directory) / "MLmodel").stat().st_mode & 0o444 == 0o444, "readable by the image's user"
    aws[0].delete_endpoint(EndpointName="churn")
    standin.steps(plane, 1)
    assert not standin.Path(directory).exists(), "the model data goes with the containers"


def test_an_s3_prefix_is_copied_object_by_object(aws, plane, docker):
    standin.setup_aws()
    s3 = boto3.client("s3", region_name="us-east-1")
    for key in ("churn/v1/MLmodel", "churn/v1/artifacts/model.pkl", "churn/v10/other"):
        s3.put_object(Bucket=standin.BUCKET, Key=key, Body=key.encode())
    source = {"S3Uri": f"s3://{standin.BUCKET}/churn/v1/", "S3DataType": "S3Prefix", "CompressionType": "None"}
    create(aws, "churn", {"AllTraffic": {}}, {"ModelDataSource": {"S3DataSource": source}})
    standin.steps(plane, 2)
    ((directory, _target),) = docker.specs[0].mounts.items()
    files = {str(p.relative_to(directory)) for p in standin.Path(directory).rglob("*") if p.is_file()}
    assert files == {"MLmodel", "artifacts/model.pkl"}


def test_an_uncompressed_object_is_named_by_its_key_s_last_part(aws, plane, docker):
    standin.setup_aws()
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=standin.BUCKET, Key="churn/v1/model.onnx", Body=b"1")
    source = {
        "S3Uri": f"s3://{standin.BUCKET}/churn/v1/model.onnx",
        "S3DataType": "S3Object",
        "CompressionType": "None",
    }
    create(aws, "churn", {"AllTraffic": {}}, {"ModelDataSource": {"S3DataSource": source}})
    standin.steps(plane, 2)
    ((directory, _target),) = docker.specs[0].mounts.items()
    assert [p.name for p in standin.Path(directory).iterdir()] == ["model.onnx"]


def test_an_archive_that_is_no_tar_gz_fails_the_endpoint(aws, plane):
    standin.setup_aws()
    boto3.client("s3", region_name="us-east-1").put_object(Bucket=standin.BUCKET, Key="m.tar.gz", Body=b"PK\x03\x04")
    create(aws, "churn", {"AllTraffic": {}}, {"ModelDataUrl": f"s3://{standin.BUCKET}/m.tar.gz"})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[:2] == (
        "Failed",
        f'Failed to extract model data archive from URL "s3://{standin.BUCKET}/m.tar.gz". Please ensure that the '
        "object located at the URL is a valid tar.gz archive.",
    )


def access_denied(uri: str) -> str:
    return (
        f'Could not access model data at {uri}. Please ensure that the role "{standin.ROLE}" exists and that its '
        'trust relationship policy allows the action "sts:AssumeRole" for the service principal '
        '"sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and that the object is '
        "located in us-east-1."
    )


ECS_TRUST = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}],
}
ECR_ONLY = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "ecr:*", "Resource": "*"}]}


@pytest.mark.parametrize(
    "case",
    [
        {"trust": ECS_TRUST, "key": "churn/model.tar.gz"},  # the role does not trust SageMaker
        {"policy": ECR_ONLY, "key": "churn/model.tar.gz"},  # no s3:GetObject
        {"key": "churn/missing.tar.gz"},  # no such object
    ],
)
def test_the_execution_role_must_reach_the_model_data(aws, plane, docker, case):
    key = case["key"]
    standin.setup_aws(policy=case.get("policy"), trust=case.get("trust"))
    standin.put_model_archive("churn/model.tar.gz", {"MLmodel": b""})
    uri = f"s3://{standin.BUCKET}/{key}"
    create(aws, "churn", {"AllTraffic": {}}, {"ModelDataUrl": uri})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[:2] == ("Failed", access_denied(uri))
    assert docker.specs == [], "no container starts"


def test_a_bucket_of_another_region_is_refused(aws, plane):
    standin.setup_aws()
    s3 = boto3.client("s3", region_name="eu-west-1")
    s3.create_bucket(Bucket="models-eu", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    s3.put_object(Bucket="models-eu", Key="m.tar.gz", Body=b"")
    policy = json.loads(json.dumps(standin.READ_MODELS).replace(f"{standin.BUCKET}*", "*"))
    boto3.client("iam").put_role_policy(
        RoleName=standin.ROLE_NAME, PolicyName="models", PolicyDocument=json.dumps(policy)
    )
    create(aws, "churn", {"AllTraffic": {}}, {"ModelDataUrl": "s3://models-eu/m.tar.gz"})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[1] == access_denied("s3://models-eu/m.tar.gz")


def test_an_ecr_image_needs_the_role_s_pull_permissions(aws, plane):
    s3_only = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    standin.setup_aws(policy=s3_only)
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/serving:1"
    create(aws, "churn", {"AllTraffic": {"image": image}})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[:2] == (
        "Failed",
        f'The role "{standin.ROLE}" does not grant ecr:BatchGetImage on '
        '"arn:aws:ecr:us-east-1:123456789012:repository/serving": SageMaker cannot pull the image '
        f'"{image}". Please ensure that the role has "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" and '
        '"ecr:GetAuthorizationToken" permissions.',
    )


def test_an_ecr_image_the_role_may_pull_runs(aws, plane, docker):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {"image": "123456789012.dkr.ecr.us-east-1.amazonaws.com/serving:1"}})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[0] == "InService"
    assert docker.specs[0].image == "123456789012.dkr.ecr.us-east-1.amazonaws.com/serving:1", "the local image"


def test_an_image_the_docker_engine_lacks_fails_the_endpoint(aws, plane):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {"image": "local/serving:missing"}})
    standin.steps(plane, 2)
    assert standin.status(aws[0], "churn")[:2] == (
        "Failed",
        "The image local/serving:missing of production variant AllTraffic could not be run: "
        "CannotPullContainerError: local/serving:missing: not found",
    )


def test_without_a_data_plane_the_timers_alone_decide(aws):
    standin.setup_aws()
    create(aws, "churn", {"AllTraffic": {"mode": "no-ping"}})
    assert standin.status(aws[0], "churn") == ("InService", None, "churn")
