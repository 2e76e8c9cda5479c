"""SageMaker Runtime's InvokeEndpoint as the project's moto server answers it (tests/local/moto_sagemaker_runtime.py):
the request and the answer checked against botocore's ``sagemaker-runtime`` model, AWS's 6 MB limits, its errors,
and the call routed by the SageMaker plane (tests/local/dataplane/sagemaker.py) to one serving container.

No container runs: each is a stand-in, a real HTTP server thread on the container's loopback address and port 8080
(tests/unit/sagemaker_standin.py); moto runs in this process (``mock_aws``), boto3 calls it as it calls AWS.
"""

from __future__ import annotations

import json
import urllib.request
from collections import Counter

import boto3
import moto_process
import pytest
import sagemaker_standin as standin
from botocore.exceptions import ClientError
from moto import mock_aws

from tests.local import moto_sagemaker

ENDPOINT = "churn"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
LOGS = "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#logEventViewer:group="


@pytest.fixture
def aws(monkeypatch):
    standin.install()
    monkeypatch.setenv("MOTO_SAGEMAKER_ENDPOINT_UPDATING_SECONDS", "0")
    moto_sagemaker.reset()
    with mock_aws():
        standin.setup_aws()
        yield standin.clients()


docker, plane = standin.docker, standin.plane  # fixtures: the stand-ins' Docker, the plane on it


def serve(aws, plane, variants: dict, name: str = ENDPOINT) -> None:
    """An endpoint InService on VARIANTS (their stand-in modes, weights, counts)."""
    sagemaker = aws[0]
    standin.deploy(sagemaker, f"{name}-config", variants)
    sagemaker.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-config")
    standin.steps(plane, 3)
    assert standin.status(sagemaker, name)[0] == "InService"


def error_of(call) -> dict:
    with pytest.raises(ClientError) as caught:
        call()
    return caught.value.response


def test_the_answer_is_the_container_s(aws, plane, docker):
    serve(aws, plane, {"AllTraffic": {}})
    answer = aws[1].invoke_endpoint(
        EndpointName=ENDPOINT,
        Body=json.dumps({"inputs": [1, 2]}),
        ContentType="application/json",
        Accept="application/json",
        CustomAttributes="trace=1",
    )
    assert json.loads(answer["Body"].read()) == {"inputs": [1, 2]}
    assert (answer["ContentType"], answer["InvokedProductionVariant"]) == ("application/json", "AllTraffic")
    assert answer["CustomAttributes"] == "trace=1"
    name, headers, body = docker.requests[-1]
    assert name.startswith("sagemaker-churn-AllTraffic-") and body == b'{"inputs": [1, 2]}'
    assert headers["Content-Type"] == headers["Accept"] == "application/json"
    assert headers["X-Amzn-SageMaker-Custom-Attributes"] == "trace=1"


def test_a_body_over_6_mb_is_refused_before_anything_else(aws, plane):
    serve(aws, plane, {"AllTraffic": {}})
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName="no-such-endpoint", Body=b"x" * (6291456 + 1)))
    request_id = error["ResponseMetadata"]["RequestId"]
    assert error["Error"] == {"Code": "ValidationError", "Message": f"Request {request_id} has oversize body."}
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    answer = aws[1].invoke_endpoint(EndpointName=ENDPOINT, Body=b"x" * 6291456)
    assert len(answer["Body"].read()) == 6291456


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            {"CustomAttributes": "a" * 1025},
            "1 validation error detected: Value '***' at 'customAttributes' failed to satisfy constraint: "
            "Member must have length less than or equal to 1024",
        ),
        (
            {"TargetVariant": "not_a_variant"},
            "1 validation error detected: Value 'not_a_variant' at 'targetVariant' failed to satisfy constraint: "
            "Member must satisfy regular expression pattern: ^[a-zA-Z0-9](-*[a-zA-Z0-9])*",
        ),
        (
            {"TargetModel": "model-a.tar.gz"},
            "TargetModel is not supported by the local SageMaker endpoints (one model, one container).",
        ),
    ],
)
def test_the_request_is_checked_against_botocore_s_model(aws, plane, members, message):
    serve(aws, plane, {"AllTraffic": {}})
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}", **members))
    assert error["Error"] == {"Code": "ValidationError", "Message": message}


def test_an_endpoint_that_does_not_serve_is_not_found(aws, plane):
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName="missing", Body=b"{}"))
    assert error["Error"]["Message"] == "Endpoint missing of account 123456789012 not found."
    standin.deploy(aws[0], "waiting", {"AllTraffic": {"mode": "gated"}})
    aws[0].create_endpoint(EndpointName="waiting", EndpointConfigName="waiting")
    standin.steps(plane, 2)
    assert standin.status(aws[0], "waiting")[0] == "Creating"
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName="waiting", Body=b"{}"))
    message = "Endpoint waiting of account 123456789012 not found."
    assert error["Error"] == {"Code": "ValidationError", "Message": message}


@pytest.mark.parametrize(("code", "kind"), [(400, "client"), (503, "server")])
def test_a_container_s_error_is_a_model_error(aws, plane, code, kind):
    serve(aws, plane, {"AllTraffic": {"mode": f"status:{code}"}})
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}"))
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 424
    assert error["Error"] == {
        "Code": "ModelError",
        "Message": f'Received {kind} error ({code}) from primary with message "error {code}". '
        f"See {LOGS}/aws/sagemaker/Endpoints/churn in account 123456789012 for more information.",
    }
    assert (error["OriginalStatusCode"], error["OriginalMessage"]) == (code, f"error {code}")
    stream = next(iter(plane.records.values())).serving.instances[0]
    assert error["LogStreamArn"] == (
        "arn:aws:logs:us-east-1:123456789012:log-group:/aws/sagemaker/Endpoints/churn"
        f":log-stream:AllTraffic/{stream.instance_id}"
    )


def test_a_container_that_does_not_answer_in_time_is_a_model_error(aws, plane, monkeypatch):
    monkeypatch.setenv("MOTO_SAGEMAKER_INVOCATION_TIMEOUT_SECONDS", "0.5")  # SageMaker's: 60 s
    serve(aws, plane, {"AllTraffic": {"mode": "sleep:3"}})
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}"))
    assert error["Error"]["Message"].startswith(
        'Received server error (0) from primary with message "Your invocation timed out while waiting for a '
        "response from container primary. Review the latency metrics for each container in Amazon CloudWatch, "
        'resolve the issue, and try again.". See '
    )
    assert error["OriginalStatusCode"] == 0


def test_an_answer_over_6_mb_is_a_model_error(aws, plane):
    serve(aws, plane, {"AllTraffic": {"mode": "big"}})
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}"))
    assert error["Error"]["Code"] == "ModelError"
    assert error["OriginalMessage"] == "The response payload is larger than the maximum of 6291456 bytes."


def test_the_target_variant_or_the_weights_pick_the_container(aws, plane):
    serve(aws, plane, {"blue": {"weight": 1.0}, "green": {"weight": 1.0}, "dark": {"weight": 0.0}})
    runtime = aws[1]
    seen = Counter(
        runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}")["InvokedProductionVariant"] for call in range(40)
    )
    assert set(seen) == {"blue", "green"}, "weight 0: only by TargetVariant"
    for variant in ("dark", "green"):
        answer = runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}", TargetVariant=variant)
        assert answer["InvokedProductionVariant"] == variant
    error = error_of(lambda: runtime.invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}", TargetVariant="red"))
    assert error["Error"]["Message"] == "Endpoint churn of account 123456789012 has no production variant named red."


def test_the_answers_match_botocore_s_model(aws, plane):
    serve(aws, plane, {"AllTraffic": {"mode": "status:500"}})
    error_of(lambda: aws[1].invoke_endpoint(EndpointName=ENDPOINT, Body=b"{}"))
    error_of(lambda: aws[1].invoke_endpoint(EndpointName="missing", Body=b"{}"))
    assert moto_sagemaker.OUTPUT_ERRORS == []


def test_without_a_data_plane_moto_s_answer_follows_the_checks(aws):
    standin.deploy(aws[0], "timers", {"AllTraffic": {}})
    aws[0].create_endpoint(EndpointName="timers", EndpointConfigName="timers")
    assert standin.status(aws[0], "timers")[0] == "InService", "LOCAL_DATAPLANE=off: the timers alone"
    answer = aws[1].invoke_endpoint(EndpointName="timers", Body=b"{}")
    assert answer["Body"].read() == b"body"  # moto's canned answer
    error = error_of(lambda: aws[1].invoke_endpoint(EndpointName="missing", Body=b"{}"))
    assert error["Error"]["Message"] == "Endpoint missing of account 123456789012 not found."


# ------------------------------------------------------------------ through the moto server
@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The project's moto server (LOCAL_DATAPLANE=off), as tests/local/moto.sh starts it."""
    ports = (*range(4695, 4700), *range(4690, 4695))  # from 4695: the Express emulator's test starts at 4690
    with moto_process.moto_server(tmp_path_factory.mktemp("runtime-state"), ports) as url:
        yield url


def test_the_server_sends_sagemaker_runtime_calls_here(server):
    """boto3's sagemaker-runtime client, signed for the service "sagemaker", reaches this InvokeEndpoint: binary
    bodies, AWS's errors, counted by name, answered outside the server's lock."""
    options = {"endpoint_url": server, "region_name": standin.REGION, **CREDENTIALS}
    sagemaker, runtime = boto3.client("sagemaker", **options), boto3.client("sagemaker-runtime", **options)
    standin.deploy(sagemaker, "served", {"AllTraffic": {}})
    sagemaker.create_endpoint(EndpointName="served", EndpointConfigName="served")
    answer = runtime.invoke_endpoint(EndpointName="served", Body=bytes(range(256)))
    assert answer["Body"].read() == b"body", "no data plane: moto's canned answer after the checks"
    error = error_of(lambda: runtime.invoke_endpoint(EndpointName="served", Body=b"x" * (6291456 + 1)))
    assert error["Error"]["Message"] == f"Request {error['ResponseMetadata']['RequestId']} has oversize body."
    error = error_of(lambda: runtime.invoke_endpoint(EndpointName="gone", Body=b"{}"))
    assert (error["Error"]["Code"], error["ResponseMetadata"]["HTTPStatusCode"]) == ("ValidationError", 400)
    with urllib.request.urlopen(f"{server}/_mlops/calls", timeout=5) as calls:
        assert json.loads(calls.read())["calls"]["sagemaker:InvokeEndpoint"] == 3
