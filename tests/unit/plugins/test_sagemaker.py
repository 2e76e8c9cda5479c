"""sagemaker_model, sagemaker_endpoint_config, sagemaker_endpoint(_info): input checks, normal forms, and the
modules' decisions and calls with a fake SageMaker client (module_utils/sagemaker*.py, plugins/modules/sagemaker_*).
"""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import api as ansible_api
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_forms as forms
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_endpoint as endpoint_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_endpoint_config as config_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_model as model_lib
from sagemaker_samples import (
    ARN,
    IMAGE,
    MODEL_DATA,
    NEW_IMAGE,
    ROLE,
    Failed,
    FakeModule,
    FakeSageMaker,
    config_options,
    endpoint_options,
    model_options,
    variant,
)

MODEL_ARN = f"{ARN}:model/churn-7"
CONFIG_ARN = f"{ARN}:endpoint-config/churn-7"
ENDPOINT_ARN = f"{ARN}:endpoint/churn"


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """AWSRetry's backoff sleeps through ansible.module_utils.api's time module: not in tests."""
    monkeypatch.setattr(ansible_api.time, "sleep", lambda seconds: None)


def container(**members):
    return dict(model_options()["primary_container"], **members)


PREFIX = "s3://ml-artifacts/mlflow/1/models/m-0123456789abcdef/artifacts/"


def source(s3_uri=PREFIX, s3_data_type="S3Prefix", compression_type="None"):
    return {"s3_uri": s3_uri, "s3_data_type": s3_data_type, "compression_type": compression_type}


def uncompressed(**members):
    """A container whose model data is an MLflow model directory (model_data_source, no model_data_url)."""
    return container(model_data_url=None, model_data_source=source(**members))


def capture(**members):
    base = {"destination_s3_uri": "s3://b/c", "initial_sampling_percentage": 100, "enable_capture": True}
    return {**base, "capture_modes": ["Input"], **members}


# (module, options changed, what the message says): each fails before any AWS call.
BAD = [
    ("model", {"name": "churn_7"}, "name 'churn_7': 1-63 letters, digits or hyphens"),
    ("model", {"name": "a" * 64}, "1-63 letters"),
    ("model", {"name": "-churn"}, "starting and ending with a letter or digit"),
    (
        "model",
        {"execution_role_arn": "sagemaker-execution"},
        "execution_role_arn 'sagemaker-execution': not an IAM role ARN",
    ),
    ("model", {"execution_role_arn": None}, "execution_role_arn: required with state=present"),
    (
        "model",
        {"primary_container": container(image="docker.io/mlflow:3")},
        "primary_container.image 'docker.io/mlflow:3': not an ECR",
    ),
    (
        "model",
        {"primary_container": container(model_data_url="https://example.com/m.tgz")},
        "primary_container.model_data_url",
    ),
    (
        "model",
        {"primary_container": container(model_data_url=None, mode="MultiModel")},
        "required with mode=MultiModel",
    ),
    (
        "model",
        {"primary_container": container(environment={"DB_PASSWORD": "x"})},
        "primary_container.environment.DB_PASSWORD: looks like a secret",
    ),
    ("model", {"primary_container": container(environment={"1BAD": "x"})}, "not a valid environment variable name"),
    (
        "model",
        {"primary_container": container(model_data_source=source())},
        "primary_container.model_data_source: mutually exclusive with primary_container.model_data_url",
    ),
    (
        "model",
        {"primary_container": uncompressed(s3_uri=PREFIX.rstrip("/"))},
        "primary_container.model_data_source.s3_uri 's3://ml-artifacts/mlflow/1/models/m-0123456789abcdef/artifacts'"
        ": with s3_data_type=S3Prefix, a key prefix ending in '/'",
    ),
    (
        "model",
        {"primary_container": uncompressed(s3_uri="ml-artifacts/model/")},
        "primary_container.model_data_source.s3_uri 'ml-artifacts/model/': an S3 URL",
    ),
    (
        "model",
        {"primary_container": uncompressed(s3_data_type="S3Object")},
        "with s3_data_type=S3Object, the key of one object (no trailing '/')",
    ),
    (
        "model",
        {"primary_container": uncompressed(compression_type="Gzip")},
        "primary_container.model_data_source.compression_type: Gzip takes s3_data_type=S3Object",
    ),
    (
        "model",
        {"primary_container": dict(uncompressed(), mode="MultiModel")},
        "primary_container.model_data_source: SageMaker takes it with mode=SingleModel only",
    ),
    (
        "model",
        {"vpc_config": {"subnets": ["subnet-1"], "security_group_ids": ["sg-0123456789abcdef0"]}},
        "vpc_config.subnets: 'subnet-1'",
    ),
    (
        "model",
        {"vpc_config": {"subnets": ["subnet-0a1b2c3d"], "security_group_ids": []}},
        "vpc_config.security_group_ids: 1-5",
    ),
    ("model", {"tags": {"aws:owner": "x"}}, "tags.aws:owner: the aws: prefix is reserved"),
    ("config", {"production_variants": []}, "production_variants: at least one variant"),
    ("config", {"production_variants": [variant(kind="m5.large")]}, "production_variants[0].instance_type 'm5.large'"),
    (
        "config",
        {"production_variants": [variant(count=0)]},
        "production_variants[0].initial_instance_count 0: must be at least 1",
    ),
    ("config", {"production_variants": [variant(weight=-1.0)]}, "initial_variant_weight -1.0: must not be negative"),
    (
        "config",
        {"production_variants": [variant(weight=0.0)]},
        "at least one initial_variant_weight must be greater than 0",
    ),
    (
        "config",
        {"production_variants": [variant(), variant(model="churn-8")]},
        "variant_name main is given more than once",
    ),
    ("config", {"production_variants": [variant(model="churn.7")]}, "production_variants[0].model_name 'churn.7'"),
    ("config", {"data_capture": capture(destination_s3_uri="capture/")}, "data_capture.destination_s3_uri 'capture/'"),
    ("config", {"data_capture": capture(initial_sampling_percentage=101)}, "initial_sampling_percentage 101"),
    ("config", {"kms_key_id": "key with spaces"}, "kms_key_id 'key with spaces'"),
    ("endpoint", {"endpoint_config_name": None}, "endpoint_config_name: required with state=present"),
    ("endpoint", {"endpoint_config_name": "churn_7"}, "endpoint_config_name 'churn_7'"),
    ("endpoint", {"wait_timeout": 0}, "wait_timeout: 0 is not a positive number"),
]
VALIDATE = {
    "model": (params_lib.validate_model, model_options),
    "config": (params_lib.validate_endpoint_config, config_options),
    "endpoint": (params_lib.validate_endpoint, endpoint_options),
}
MAINS = {"model": model_lib.main, "config": config_lib.main, "endpoint": endpoint_lib.main}
TITLES = {"model": "SageMaker model", "config": "SageMaker endpoint configuration", "endpoint": "SageMaker endpoint"}


@pytest.mark.parametrize(("kind", "overrides", "message"), BAD)
def test_each_bad_option_is_named(kind, overrides, message):
    validate, options = VALIDATE[kind]
    problems = validate(options(**overrides))
    assert any(message in problem for problem in problems), problems


@pytest.mark.parametrize("kind", ["model", "config", "endpoint"])
def test_good_options_and_absent_need_little(kind):
    validate, options = VALIDATE[kind]
    assert validate(options()) == []
    assert validate({"name": "churn-7", "state": "absent"}) == []


def run_main(main, args, monkeypatch, capsys):
    """Run a module's main() with ARGS; (result, the services module.client was asked for)."""
    asked = []

    def client(self, service, retry_decorator=None, **extra):
        asked.append(service)
        raise AssertionError(f"no AWS client expected, asked for {service}")

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    with patch_module_args(dict(args, region="us-east-1")), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out), asked


@pytest.mark.parametrize(("kind", "overrides", "message"), BAD[::3] + BAD[-3:])
def test_bad_input_fails_before_any_client_exists(kind, overrides, message, monkeypatch, capsys):
    _validate, options = VALIDATE[kind]
    args = {k: v for k, v in options(**overrides).items() if v is not None}
    result, asked = run_main(MAINS[kind], args, monkeypatch, capsys)
    assert result["failed"] and asked == []
    assert result["msg"].startswith(f"Invalid {TITLES[kind]} options: ") and message in result["msg"]


# ---------------------------------------------------------------- normal forms
def test_a_model_as_aws_describes_it_matches_its_options():
    params = model_options(vpc_config={"subnets": ["subnet-0b", "subnet-0a"], "security_group_ids": ["sg-1"]})
    described = {
        "ModelName": "churn-7",
        "ModelArn": MODEL_ARN,
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {  # no Mode: SageMaker's default; environment values are strings
            "Image": IMAGE,
            "ModelDataUrl": params["primary_container"]["model_data_url"],
            "Environment": {"WORKERS": "2", "MLFLOW_DEPLOYMENT_FLAVOR_NAME": "python_function"},
        },
        "VpcConfig": {"Subnets": ["subnet-0a", "subnet-0b"], "SecurityGroupIds": ["sg-1"]},
        "Containers": [],
    }
    assert forms.differences(forms.model_current(described), forms.model_desired(params)) == []
    described["EnableNetworkIsolation"] = True
    described["PrimaryContainer"]["Environment"]["EXTRA"] = "1"
    changes = forms.differences(forms.model_current(described), forms.model_desired(params))
    assert changes == [
        "enable_network_isolation: True -> False",
        "primary_container.environment.EXTRA: '1' -> None",
    ]


def test_an_endpoint_config_compares_variants_by_name_and_capture_modes_as_sets():
    capture = {
        "destination_s3_uri": "s3://ml-artifacts/capture",
        "initial_sampling_percentage": 10,
        "enable_capture": True,
        "capture_modes": ["Output", "Input"],
        "kms_key_id": None,
        "csv_content_types": None,
        "json_content_types": ["application/json"],
    }
    params = config_options(production_variants=[variant("b", weight=1), variant("a", count=2)], data_capture=capture)
    described = {
        "EndpointConfigName": "churn-7",
        "EndpointConfigArn": CONFIG_ARN,
        "ProductionVariants": [
            {"VariantName": "a", "ModelName": "churn-7", "InstanceType": "ml.m5.large", "InitialInstanceCount": 2},
            {"VariantName": "b", "ModelName": "churn-7", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
        ],
        "DataCaptureConfig": {
            "InitialSamplingPercentage": 10,
            "DestinationS3Uri": "s3://ml-artifacts/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
            "CaptureContentTypeHeader": {"JsonContentTypes": ["application/json"]},
        },
    }
    assert forms.differences(forms.endpoint_config_current(described), forms.endpoint_config_desired(params)) == []
    described["ProductionVariants"][0]["InstanceType"] = "ml.m5.xlarge"
    assert forms.differences(forms.endpoint_config_current(described), forms.endpoint_config_desired(params)) == [
        "production_variants.a.instance_type: 'ml.m5.xlarge' -> 'ml.m5.large'"
    ]
    request = forms.endpoint_config_request("churn-7", params, [])
    assert [v["VariantName"] for v in request["ProductionVariants"]] == ["b", "a"], "the options' order"


def test_results_keep_environment_names_and_give_tags_as_a_dict():
    described = {"ModelName": "m", "PrimaryContainer": {"Image": IMAGE, "Environment": {"MLFLOW_URI": "x"}}}
    result = api.snake(dict(described, ResponseMetadata={}), {"Team": "ml"})
    assert result == {
        "model_name": "m",
        "primary_container": {"image": IMAGE, "environment": {"MLFLOW_URI": "x"}},
        "tags": {"Team": "ml"},
    }


# ---------------------------------------------------------------- immutable resources
def model_manager(client, check_mode=False, **overrides):
    return model_lib.ModelManager(FakeModule(model_options(**overrides), check_mode=check_mode), client)


def created_model_client():
    client = FakeSageMaker()
    model_manager(client).present()
    client.calls.clear()
    return client


def test_a_new_model_is_one_create_call_with_its_tags():
    client = FakeSageMaker()
    manager = model_manager(client)
    found = manager.present()
    assert manager.changed and not manager.replaced and found["ModelArn"] == MODEL_ARN
    assert client.names == ["describe_model", "create_model", "describe_model"]
    request = client.mutations[0][1]
    assert request["PrimaryContainer"]["Environment"] == {
        "MLFLOW_DEPLOYMENT_FLAVOR_NAME": "python_function",
        "WORKERS": "2",
    }
    assert request["Tags"] == [{"Key": "Application", "Value": "churn"}] and request["EnableNetworkIsolation"] is False
    assert manager.diff["after"]["primary_container"]["image"] == IMAGE and manager.diff["after"]["tags"] == {
        "Application": "churn"
    }


def test_a_model_that_matches_is_a_describe_and_a_list_tags_call_and_tags_change_in_place():
    client = created_model_client()
    manager = model_manager(client)
    manager.present()
    assert not manager.changed and client.names == ["describe_model", "list_tags"]
    client.calls.clear()
    manager = model_manager(client, tags={"Application": "churn", "Team": "ml"})
    manager.present()
    assert manager.changed and not manager.replaced
    assert client.mutations == [("add_tags", {"ResourceArn": MODEL_ARN, "Tags": [{"Key": "Team", "Value": "ml"}]})]


def test_a_model_with_other_settings_fails_naming_each_difference_and_changes_nothing():
    client = created_model_client()
    with pytest.raises(Failed) as failed:
        model_manager(client, primary_container=container(image=NEW_IMAGE)).present()
    result = failed.value.args[0]
    assert result["differences"] == [f"primary_container.image: {IMAGE!r} -> {NEW_IMAGE!r}"]
    assert "SageMaker cannot change it in place" in result["msg"] and "replace=true" in result["msg"]
    assert result["model_arn"] == MODEL_ARN and client.mutations == []


def test_replace_deletes_and_creates_the_model_keeping_its_tags():
    client = created_model_client()
    client.tags[MODEL_ARN]["Owner"] = "ml-platform"
    check = model_manager(client, check_mode=True, replace=True, primary_container=container(image=NEW_IMAGE))
    check.present()
    assert check.changed and check.replaced and client.mutations == []
    manager = model_manager(client, replace=True, purge_tags=False, primary_container=container(image=NEW_IMAGE))
    found = manager.present()
    assert [name for name, _args in client.mutations] == ["delete_model", "create_model"]
    assert client.mutations[1][1]["Tags"] == [
        {"Key": "Application", "Value": "churn"},
        {"Key": "Owner", "Value": "ml-platform"},
    ]
    assert found["PrimaryContainer"]["Image"] == NEW_IMAGE and manager.replaced
    assert manager.diff["before"]["primary_container"]["image"] == IMAGE


def test_absent_deletes_and_check_mode_only_says_so():
    client = created_model_client()
    manager = model_manager(client, check_mode=True, state="absent")
    assert manager.absent() is not None and manager.changed and client.mutations == []
    manager = model_manager(client, state="absent")
    assert manager.absent() is None and manager.changed
    assert client.mutations == [("delete_model", {"ModelName": "churn-7"})]
    manager = model_manager(client, state="absent")
    manager.absent()
    assert not manager.changed


def test_an_endpoint_config_with_another_instance_type_fails_unless_replaced():
    client = FakeSageMaker()
    config_lib.EndpointConfigManager(FakeModule(config_options()), client).present()
    client.calls.clear()
    again = config_lib.EndpointConfigManager(FakeModule(config_options()), client)
    again.present()
    assert not again.changed and client.names == ["describe_endpoint_config", "list_tags"]
    bigger = config_options(production_variants=[variant(kind="ml.m5.xlarge")])
    with pytest.raises(Failed) as failed:
        config_lib.EndpointConfigManager(FakeModule(bigger), client).present()
    assert failed.value.args[0]["differences"] == [
        "production_variants.main.instance_type: 'ml.m5.large' -> 'ml.m5.xlarge'"
    ]
    bigger["replace"] = True
    manager = config_lib.EndpointConfigManager(FakeModule(bigger), client)
    assert manager.present()["ProductionVariants"][0]["InstanceType"] == "ml.m5.xlarge" and manager.replaced


# ---------------------------------------------------------------- uncompressed model data (model_data_source)
def test_model_data_source_is_sent_as_aws_takes_it_and_a_rerun_changes_nothing():
    client = FakeSageMaker()
    manager = model_manager(client, primary_container=uncompressed())
    found = manager.present()
    request = client.mutations[0][1]["PrimaryContainer"]
    assert request["ModelDataSource"] == {
        "S3DataSource": {"S3Uri": PREFIX, "S3DataType": "S3Prefix", "CompressionType": "None"}
    }
    assert "ModelDataUrl" not in request and found["PrimaryContainer"]["ModelDataSource"] == request["ModelDataSource"]
    assert manager.diff["after"]["primary_container"]["model_data_source"] == {
        "s3_data_source": {"s3_uri": PREFIX, "s3_data_type": "S3Prefix", "compression_type": "None"}
    }
    client.calls.clear()
    again = model_manager(client, primary_container=uncompressed())
    again.present()
    assert not again.changed and client.names == ["describe_model", "list_tags"]


def test_another_prefix_or_the_tarball_instead_is_a_listed_difference():
    client = FakeSageMaker()
    model_manager(client, primary_container=uncompressed()).present()
    client.calls.clear()
    other = PREFIX.replace("m-0123456789abcdef", "m-fedcba9876543210")
    with pytest.raises(Failed) as failed:
        model_manager(client, primary_container=uncompressed(s3_uri=other)).present()
    assert failed.value.args[0]["differences"] == [
        f"primary_container.model_data_source.s3_data_source.s3_uri: {PREFIX!r} -> {other!r}"
    ]
    with pytest.raises(Failed) as failed:
        model_manager(client).present()  # the same model as a model.tar.gz (model_data_url)
    assert failed.value.args[0]["differences"] == [
        "primary_container.model_data_source.s3_data_source.compression_type: 'None' -> None",
        "primary_container.model_data_source.s3_data_source.s3_data_type: 'S3Prefix' -> None",
        f"primary_container.model_data_source.s3_data_source.s3_uri: {PREFIX!r} -> None",
        f"primary_container.model_data_url: None -> {MODEL_DATA!r}",
    ]
    assert client.mutations == []


def test_a_tarball_is_the_same_model_data_as_a_url_or_as_a_source_and_etags_are_not_compared():
    tarball = {"S3Uri": MODEL_DATA, "S3DataType": "S3Object", "CompressionType": "Gzip"}
    params = model_options()  # model_data_url=MODEL_DATA
    described = {
        "ExecutionRoleArn": ROLE,
        "PrimaryContainer": {
            "Image": IMAGE,
            "ModelDataUrl": MODEL_DATA,
            "ModelDataSource": {"S3DataSource": dict(tarball, ETag="abc")},  # the URL said again
            "Environment": {"WORKERS": "2", "MLFLOW_DEPLOYMENT_FLAVOR_NAME": "python_function"},
        },
    }
    assert forms.differences(forms.model_current(described), forms.model_desired(params)) == []
    as_source = model_options(primary_container=uncompressed(s3_uri=MODEL_DATA, s3_data_type="S3Object"))
    as_source["primary_container"]["model_data_source"]["compression_type"] = "Gzip"
    assert params_lib.validate_model(as_source) == []
    assert forms.differences(forms.model_current(described), forms.model_desired(as_source)) == []
    request = forms.model_request("churn-7", forms.model_definition(as_source), [])
    assert request["PrimaryContainer"]["ModelDataSource"] == {"S3DataSource": tarball}, "sent as given"
    assert "ModelDataUrl" not in request["PrimaryContainer"]
