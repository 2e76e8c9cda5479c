"""The App Runner emulator answers like App Runner: model validation, life cycle, faults."""

from __future__ import annotations

import time

import boto3
import botocore.exceptions
import pytest
from conftest import emulator

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/emulator-test:1"
ROLE = "arn:aws:iam::123456789012:role/ecr-access"


@pytest.fixture
def client(apprunner_env, monkeypatch):
    for key in (
        "AWS_ENDPOINT_URL",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL_APPRUNNER",
    ):
        monkeypatch.setenv(key, apprunner_env[key])
    emulator("reset", {})
    return boto3.client("apprunner")


def source(**config):
    return {
        "ImageRepository": {
            "ImageIdentifier": IMAGE,
            "ImageRepositoryType": "ECR",
            "ImageConfiguration": {"Port": "8080", **config},
        },
        "AuthenticationConfiguration": {"AccessRoleArn": ROLE},
    }


def wait_running(client, arn, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = client.describe_service(ServiceArn=arn)["Service"]["Status"]
        if status != "OPERATION_IN_PROGRESS":
            return status
        time.sleep(0.5)
    raise AssertionError("operation did not end")


def error_of(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call(**kwargs)
    return info.value.response["Error"]


@pytest.mark.parametrize(
    ("instance", "fragment"),
    [
        ({"Cpu": "3 vCPU"}, "at 'instanceConfiguration.cpu' failed to satisfy constraint: Member must satisfy regular"),
        ({"Memory": "99 GB"}, "at 'instanceConfiguration.memory'"),
        ({"InstanceRoleArn": "arn:aws:iam::123456789012:user/bob"}, "at 'instanceConfiguration.instanceRoleArn'"),
    ],
)
def test_requests_are_checked_against_the_service_model(client, instance, fragment):
    error = error_of(
        client.create_service, ServiceName="model-check", SourceConfiguration=source(), InstanceConfiguration=instance
    )
    assert error["Code"] == "InvalidRequestException"
    assert fragment in error["Message"]
    assert client.list_services()["ServiceSummaryList"] == []


def test_raw_requests_missing_members_or_with_bad_enums_are_rejected(apprunner_env):
    """Below boto3's own client-side checks: what a hand-written or other-SDK request gets."""
    import json  # noqa: PLC0415
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    def raw(target, body):
        request = urllib.request.Request(
            "http://127.0.0.1:4567/",
            data=json.dumps(body).encode(),
            headers={
                "X-Amz-Target": f"AppRunner.{target}",
                "Content-Type": "application/x-amz-json-1.0",
                "Authorization": "AWS4-HMAC-SHA256 Credential=testing/20261124/us-east-1/apprunner/aws4_request",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as exc:
            return exc.code, json.loads(exc.read())

    status, body = raw("CreateService", {"ServiceName": "no-source"})
    assert status == 400 and body["__type"] == "InvalidRequestException"
    assert "Value null at 'sourceConfiguration'" in body["Message"]
    status, body = raw(
        "CreateService",
        {
            "ServiceName": "bad-enum",
            "SourceConfiguration": {"ImageRepository": {"ImageIdentifier": IMAGE, "ImageRepositoryType": "DOCKERHUB"}},
        },
    )
    assert "enum value set: [ECR, ECR_PUBLIC]" in body["Message"]
    status, body = raw("CreateAutoScalingConfiguration", {"AutoScalingConfigurationName": "x" * 40})
    assert "length less than or equal to 32" in body["Message"]
    status, body = raw("UpdateService", {"ServiceArn": 42})
    assert status == 400 and "Member must be a string" in body["Message"]


def test_service_life_cycle(client):
    asc = client.create_auto_scaling_configuration(AutoScalingConfigurationName="life", MinSize=1, MaxSize=2)
    created = client.create_service(
        ServiceName="life-cycle",
        SourceConfiguration=source(),
        AutoScalingConfigurationArn=asc["AutoScalingConfiguration"]["AutoScalingConfigurationArn"],
        Tags=[{"Key": "team", "Value": "ml"}],
    )
    arn = created["Service"]["ServiceArn"]
    assert created["Service"]["Status"] == "OPERATION_IN_PROGRESS"
    error = error_of(client.update_service, ServiceArn=arn, InstanceConfiguration={"Cpu": "2048", "Memory": "4096"})
    assert error["Code"] == "InvalidStateException"
    ops = client.list_operations(ServiceArn=arn)["OperationSummaryList"]
    assert [(o["Type"], o["Status"]) for o in ops] == [("CREATE_SERVICE", "IN_PROGRESS")]
    # The image does not exist in the engine (or there is no engine): the service may fail or run,
    # depending on Docker; either way the operation ends and says how.
    final = wait_running(client, arn)
    ops = client.list_operations(ServiceArn=arn)["OperationSummaryList"]
    assert (final, ops[0]["Status"]) in (("RUNNING", "SUCCEEDED"), ("CREATE_FAILED", "FAILED"))
    assert client.list_tags_for_resource(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    calls = emulator("calls")
    assert calls["output_errors"] == []
    assert calls["calls"]["ListOperations"] == 2


def test_auto_scaling_revisions_and_connectors(client):
    first = client.create_auto_scaling_configuration(AutoScalingConfigurationName="revs", MaxSize=2)
    second = client.create_auto_scaling_configuration(AutoScalingConfigurationName="revs", MaxSize=3)
    assert second["AutoScalingConfiguration"]["AutoScalingConfigurationRevision"] == 2
    latest = client.list_auto_scaling_configurations(AutoScalingConfigurationName="revs", LatestOnly=True)
    assert [c["AutoScalingConfigurationRevision"] for c in latest["AutoScalingConfigurationSummaryList"]] == [2]
    client.delete_auto_scaling_configuration(
        AutoScalingConfigurationArn=first["AutoScalingConfiguration"]["AutoScalingConfigurationArn"]
    )
    remaining = client.list_auto_scaling_configurations(AutoScalingConfigurationName="revs")
    assert len(remaining["AutoScalingConfigurationSummaryList"]) == 1
    error = error_of(
        client.create_auto_scaling_configuration, AutoScalingConfigurationName="too-big", MaxConcurrency=500
    )
    assert error["Code"] == "InvalidRequestException"
    connector = client.create_vpc_connector(VpcConnectorName="conn-1", Subnets=["subnet-1"], SecurityGroups=["sg-1"])
    arn = connector["VpcConnector"]["VpcConnectorArn"]
    assert client.describe_vpc_connector(VpcConnectorArn=arn)["VpcConnector"]["Status"] == "ACTIVE"
    client.delete_vpc_connector(VpcConnectorArn=arn)
    assert client.list_vpc_connectors()["VpcConnectors"] == []
    assert emulator("calls")["output_errors"] == []


def test_injected_throttling_is_answered_and_counted(client):
    emulator("faults", {"throttle": {"ListServices": 2}})
    emulator("calls/reset", {})
    assert client.list_services()["ServiceSummaryList"] == []  # botocore retried through both
    assert emulator("calls")["calls"]["ListServices"] == 3
