"""SageMaker real-time inference against the project's moto server (tests/local/moto_sagemaker.py): UpdateEndpoint
as AWS answers it, and the sagemaker_* modules run for real (main(), boto3, the server) end to end.

A moto server of this checkout (LOCAL_DATAPLANE=off) on a free port of 4690-4699 (from the top, the Express
emulator's test takes them from the bottom), with endpoints Creating for 0.5 s and Updating for 1 s. The server
counts the calls it answers (GET /_mlops/calls): a re-run must only describe, and bad input must make no call.
"""

from __future__ import annotations

import json
import sys
import urllib.request
from pathlib import Path

import boto3
import moto_process
import pytest
from botocore.exceptions import ClientError

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / ".collections"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from ansible.module_utils import api as ansible_api  # noqa: E402
from ansible.module_utils.testing import patch_module_args  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_forms as forms  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_endpoint as endpoint_lib  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_endpoint_config as config_lib  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_model as model_lib  # noqa: E402

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/sagemaker-execution"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.17.2"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
ARN = "arn:aws:sagemaker:us-east-1:123456789012"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with moto_process.moto_server(
        tmp_path_factory.mktemp("sagemaker-state"),
        range(4699, 4689, -1),
        MOTO_SAGEMAKER_ENDPOINT_CREATING_SECONDS="0.5",
        MOTO_SAGEMAKER_ENDPOINT_UPDATING_SECONDS="1",
    ) as url:
        yield url


@pytest.fixture
def client(server):
    return boto3.client("sagemaker", endpoint_url=server, region_name=REGION, **CREDENTIALS)


@pytest.fixture(autouse=True)
def fast(monkeypatch):
    monkeypatch.setattr(ansible_api.time, "sleep", lambda seconds: None)  # AWSRetry's backoff
    monkeypatch.setattr(api, "POLL_SECONDS", 0.2)


def _get(server: str, path: str) -> dict:
    with urllib.request.urlopen(server + path, timeout=5) as answer:
        return json.loads(answer.read())


def calls(server: str) -> dict[str, int]:
    return {k: v for k, v in _get(server, "/_mlops/calls")["calls"].items() if k.startswith("sagemaker:")}


def new_calls(server: str, before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in calls(server).items() if v != before.get(k, 0)}


def model_args(name: str, **overrides) -> dict:
    args = {
        "name": name,
        "execution_role_arn": ROLE,
        "primary_container": {"image": IMAGE, "model_data_url": f"s3://ml-artifacts/{name}/model.tar.gz"},
        "tags": {"Application": "churn"},
    }
    return {**args, **overrides}


def variant(**members) -> dict:
    return {"variant_name": "v", "model_name": "m", "instance_type": "ml.m5.large", **members}


def config_args(name: str, model: str, count: int = 1, **overrides) -> dict:
    variant = {"variant_name": "main", "model_name": model, "instance_type": "ml.m5.large"}
    return {"name": name, "production_variants": [dict(variant, initial_instance_count=count)], **overrides}


def run(main, args: dict, server: str, capsys) -> dict:
    """Run a module's main() against the server; its result."""
    full = dict(args, region=REGION, endpoint_url=server, access_key="testing", secret_key="testing")
    with patch_module_args(full), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- UpdateEndpoint
def _model_and_configs(client, prefix: str) -> None:
    model = forms.model_desired(
        {
            "execution_role_arn": ROLE,
            "primary_container": {"image": IMAGE, "model_data_url": "s3://b/m.tar.gz"},
            "enable_network_isolation": True,
        }
    )
    api.create_model(client, forms.model_request(f"{prefix}-m", model, []))
    for suffix, count in (("c1", 1), ("c2", 2)):
        params = {"production_variants": [{"variant_name": f"v-{suffix}", "model_name": f"{prefix}-m"}]}
        params["production_variants"][0].update(instance_type="ml.m5.large", initial_instance_count=count)
        params["production_variants"][0]["initial_variant_weight"] = 1.0
        api.create_endpoint_config(client, forms.endpoint_config_request(f"{prefix}-{suffix}", params, []))


def test_update_endpoint_switches_the_endpoint_to_the_new_configuration(client, server):
    _model_and_configs(client, "upd")
    assert api.describe_model(client, "upd-m")["EnableNetworkIsolation"] is True
    api.create_endpoint(client, "upd-e", "upd-c1", {"Application": "churn"})
    progress = api.Progress()
    created = api.wait_for_in_service(client, "upd-e", 30, config_name="upd-c1", progress=progress, delay=0.1)
    assert [seen["status"] for seen in progress.history] == ["Creating", "InService"]
    assert created["ProductionVariants"][0]["CurrentInstanceCount"] == 1

    assert api.update_endpoint(client, "upd-e", "upd-c2") == created["EndpointArn"]
    updating = api.describe_endpoint(client, "upd-e")
    assert updating["EndpointStatus"] == "Updating" and updating["EndpointConfigName"] == "upd-c1"
    assert api.pending_config(updating) == "upd-c2"
    progress = api.Progress()
    done = api.wait_for_in_service(client, "upd-e", 30, config_name="upd-c2", progress=progress, delay=0.1)
    assert [seen["status"] for seen in progress.history] == ["Updating", "InService"]
    assert done["EndpointConfigName"] == "upd-c2" and "PendingDeploymentSummary" not in done
    assert done["ProductionVariants"] == [
        {
            "VariantName": "v-c2",
            "CurrentWeight": 1.0,
            "DesiredWeight": 1.0,
            "CurrentInstanceCount": 2,
            "DesiredInstanceCount": 2,
        }
    ]
    assert done["LastModifiedTime"] > created["LastModifiedTime"]
    assert api.get_tags(client, done["EndpointArn"]) == {"Application": "churn"}
    assert _get(server, "/_mlops/sagemaker")["output_errors"] == []


@pytest.mark.parametrize(
    ("endpoint", "config", "message"),
    [
        ("nope", "err-c2", 'Could not find endpoint "' + ARN + ':endpoint/nope".'),
        ("err-e", "nope", 'Could not find endpoint configuration "' + ARN + ':endpoint-config/nope".'),
        (
            "err_e",
            "err-c2",
            "Value 'err_e' at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression",
        ),
        ("err-e", "err-c2", 'Cannot update in-progress endpoint "' + ARN + ':endpoint/err-e".'),
    ],
)
def test_update_endpoint_answers_validation_exception_as_aws_does(client, endpoint, config, message):
    if api.describe_endpoint(client, "err-e") is None:
        _model_and_configs(client, "err")
        api.create_endpoint(client, "err-e", "err-c1", None)
    elif "in-progress" in message:
        api.wait_for_in_service(client, "err-e", 30, delay=0.1)
        api.update_endpoint(client, "err-e", "err-c2")  # Updating for a second
    with pytest.raises(ClientError) as caught:
        client.update_endpoint(EndpointName=endpoint, EndpointConfigName=config)
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException" and message in error["Message"]


def test_creating_what_exists_is_refused_as_aws_does(client):
    _model_and_configs(client, "dup")
    api.create_endpoint(client, "dup-e", "dup-c1", None)
    variant = {"VariantName": "v", "ModelName": "dup-m", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
    for call, kwargs, what in (
        (
            client.create_model,
            {"ModelName": "dup-m", "ExecutionRoleArn": ROLE, "PrimaryContainer": {"Image": IMAGE}},
            "model",
        ),
        (
            client.create_endpoint_config,
            {"EndpointConfigName": "dup-c1", "ProductionVariants": [variant]},
            "endpoint configuration",
        ),
        (client.create_endpoint, {"EndpointName": "dup-e", "EndpointConfigName": "dup-c2"}, "endpoint"),
    ):
        with pytest.raises(ClientError) as caught:
            call(**kwargs)
        assert caught.value.response["Error"]["Code"] == "ValidationException"
        assert caught.value.response["Error"]["Message"].startswith(
            f'Cannot create already existing {what} "arn:aws:sagemaker'
        )


# ---------------------------------------------------------------- the modules for real
def test_the_modules_create_rerun_without_change_and_switch_the_endpoint(server, capsys):
    model = run(model_lib.main, model_args("e2e-m1", enable_network_isolation=True), server, capsys)
    assert model["changed"] and model["model"]["enable_network_isolation"] is True
    assert model["model"]["tags"] == {"Application": "churn"}
    run(config_lib.main, config_args("e2e-c1", "e2e-m1"), server, capsys)
    endpoint = run(endpoint_lib.main, {"name": "e2e", "endpoint_config_name": "e2e-c1"}, server, capsys)
    assert endpoint["changed"] and endpoint["endpoint_status"] == "InService"
    assert [seen["status"] for seen in endpoint["status_history"]] == ["Creating", "InService"]

    before = calls(server)
    assert not run(model_lib.main, model_args("e2e-m1", enable_network_isolation=True), server, capsys)["changed"]
    assert not run(config_lib.main, config_args("e2e-c1", "e2e-m1"), server, capsys)["changed"]
    assert not run(endpoint_lib.main, {"name": "e2e", "endpoint_config_name": "e2e-c1"}, server, capsys)["changed"]
    assert new_calls(server, before) == {
        "sagemaker:DescribeModel": 1,
        "sagemaker:DescribeEndpointConfig": 1,
        "sagemaker:DescribeEndpoint": 1,
        "sagemaker:ListTags": 3,
    }

    other = run(model_lib.main, model_args("e2e-m1", primary_container={"image": IMAGE}), server, capsys)
    assert other["failed"] and other["differences"] == [
        "enable_network_isolation: True -> False",
        "primary_container.model_data_url: 's3://ml-artifacts/e2e-m1/model.tar.gz' -> None",
    ]
    run(config_lib.main, config_args("e2e-c2", "e2e-m1", count=2), server, capsys)
    before = calls(server)
    switched = run(endpoint_lib.main, {"name": "e2e", "endpoint_config_name": "e2e-c2"}, server, capsys)
    assert switched["changed"] and switched["endpoint_config_name"] == "e2e-c2"
    assert [seen["status"] for seen in switched["status_history"]] == ["Updating", "InService"]
    assert switched["endpoint"]["production_variants"][0]["current_instance_count"] == 2
    assert new_calls(server, before)["sagemaker:UpdateEndpoint"] == 1

    gone = run(endpoint_lib.main, {"name": "e2e", "state": "absent"}, server, capsys)
    assert gone["changed"] and gone["endpoint"] == {} and gone["status_history"][-1]["status"] == "gone"
    replaced = run(model_lib.main, model_args("e2e-m1", replace=True), server, capsys)
    assert replaced["changed"] and replaced["replaced"] and replaced["model"]["enable_network_isolation"] is False


def test_uncompressed_model_data_round_trips_and_another_prefix_is_a_difference(server, capsys):
    prefix = "s3://ml-artifacts/mlflow/1/models/m-0123456789abcdef/artifacts/"
    container = {"image": IMAGE, "model_data_source": {"s3_uri": prefix}}
    created = run(model_lib.main, model_args("src-m1", primary_container=container), server, capsys)
    assert created["changed"], created
    assert created["model"]["primary_container"]["model_data_source"] == {
        "s3_data_source": {"s3_uri": prefix, "s3_data_type": "S3Prefix", "compression_type": "None"}
    }
    before = calls(server)
    assert not run(model_lib.main, model_args("src-m1", primary_container=container), server, capsys)["changed"]
    assert new_calls(server, before) == {"sagemaker:DescribeModel": 1, "sagemaker:ListTags": 1}
    other = {"image": IMAGE, "model_data_source": {"s3_uri": prefix.replace("m-0123", "m-4567")}}
    failed = run(model_lib.main, model_args("src-m1", primary_container=other), server, capsys)
    assert failed["failed"] and failed["differences"] == [
        "primary_container.model_data_source.s3_data_source.s3_uri: "
        f"{prefix!r} -> {prefix.replace('m-0123', 'm-4567')!r}"
    ]


BAD = [
    (model_lib.main, model_args("churn_7"), "name 'churn_7'"),
    (model_lib.main, model_args("m", execution_role_arn="role/x"), "execution_role_arn 'role/x'"),
    (
        model_lib.main,
        model_args("m", primary_container={"image": "nginx:latest"}),
        "primary_container.image 'nginx:latest'",
    ),
    (
        model_lib.main,
        model_args("m", primary_container={"image": IMAGE, "model_data_url": "models/m.tgz"}),
        "primary_container.model_data_url 'models/m.tgz'",
    ),
    (
        model_lib.main,
        model_args("m", primary_container={"image": IMAGE, "model_data_source": {"s3_uri": "s3://ml-artifacts/m"}}),
        "primary_container.model_data_source.s3_uri 's3://ml-artifacts/m': with s3_data_type=S3Prefix",
    ),
    (config_lib.main, config_args("c", "m", count=0), "production_variants[0].initial_instance_count 0"),
    (
        config_lib.main,
        config_args("c", "m", production_variants=[variant(instance_type="t3.large")]),
        "instance_type 't3.large'",
    ),
    (
        config_lib.main,
        config_args("c", "m", production_variants=[variant(initial_variant_weight=-1)]),
        "initial_variant_weight -1.0",
    ),
    (
        config_lib.main,
        config_args("c", "m", data_capture={"destination_s3_uri": "bucket/capture"}),
        "data_capture.destination_s3_uri 'bucket/capture'",
    ),
    (endpoint_lib.main, {"name": "e"}, "endpoint_config_name: required with state=present"),
    (endpoint_lib.main, {"name": "e" * 64, "endpoint_config_name": "c"}, "name 'eeee"),
    (endpoint_lib.main, {"name": "e", "endpoint_config_name": "c", "wait_timeout": -5}, "wait_timeout: -5"),
]


@pytest.mark.parametrize(("main", "args", "message"), BAD)
def test_bad_input_fails_with_no_api_call(server, capsys, main, args, message):
    before = calls(server)
    result = run(main, args, server, capsys)
    assert result["failed"] and message in result["msg"], result["msg"]
    assert new_calls(server, before) == {}
