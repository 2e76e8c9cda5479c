"""Describe-shaped SageMaker samples, module options and a fake SageMaker client for the sagemaker_* unit tests.

The fake client checks every call's arguments against botocore's ``sagemaker`` model (the requests the modules
build are ones SageMaker takes), records it, and answers from its state: models and endpoint configurations as
dicts the Create calls fill, DescribeEndpoint from a script (the last answer for ever; None: not found).
"""

from __future__ import annotations

import copy
import datetime

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters

ACCOUNT = "123456789012"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
IMAGE = f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/mlflow-pyfunc:3.17.2"
NEW_IMAGE = IMAGE.replace("3.17.2", "3.18.0")
MODEL_DATA = "s3://ml-artifacts/models/churn/7/model.tar.gz"
ARN = f"arn:aws:sagemaker:us-east-1:{ACCOUNT}"
T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

_MODEL = botocore.session.get_session().get_service_model("sagemaker")
_OPERATIONS = {botocore.xform_name(name): name for name in _MODEL.operation_names}


def client_error(code, operation, message="error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def _tag_dict(tags):
    return {t["Key"]: t["Value"] for t in tags or []}


# ---------------------------------------------------------------- options
def model_options(**overrides):
    params = {
        "name": "churn-7",
        "state": "present",
        "execution_role_arn": ROLE,
        "primary_container": {
            "image": IMAGE,
            "model_data_url": MODEL_DATA,
            "environment": {"MLFLOW_DEPLOYMENT_FLAVOR_NAME": "python_function", "WORKERS": 2},
            "mode": "SingleModel",
        },
        "vpc_config": None,
        "enable_network_isolation": False,
        "replace": False,
        "tags": {"Application": "churn"},
        "purge_tags": True,
    }
    params.update(overrides)
    return params


def variant(name="main", model="churn-7", kind="ml.m5.large", count=1, weight=1.0):
    return {
        "variant_name": name,
        "model_name": model,
        "instance_type": kind,
        "initial_instance_count": count,
        "initial_variant_weight": weight,
    }


def config_options(**overrides):
    params = {
        "name": "churn-7",
        "state": "present",
        "production_variants": [variant()],
        "data_capture": None,
        "kms_key_id": None,
        "replace": False,
        "tags": {"Application": "churn"},
        "purge_tags": True,
    }
    params.update(overrides)
    return params


def endpoint_options(**overrides):
    params = {
        "name": "churn",
        "endpoint_config_name": "churn-7",
        "state": "present",
        "wait": True,
        "wait_timeout": 600,
        "tags": {"Application": "churn"},
        "purge_tags": True,
    }
    params.update(overrides)
    return params


# ---------------------------------------------------------------- descriptions
def endpoint(status="InService", config="churn-7", reason=None, pending=None):
    described = {
        "EndpointName": "churn",
        "EndpointArn": f"{ARN}:endpoint/churn",
        "EndpointConfigName": config,
        "EndpointStatus": status,
        "ProductionVariants": [{"VariantName": "main", "CurrentInstanceCount": 1, "DesiredInstanceCount": 1}],
        "CreationTime": T0,
        "LastModifiedTime": T0,
    }
    if reason:
        described["FailureReason"] = reason
    if pending:
        described["PendingDeploymentSummary"] = {"EndpointConfigName": pending, "StartTime": T0}
    return described


# The resources FakeSageMaker keeps: the attribute of their Describe answers (name -> answer), the requests' name
# member, the answers' ARN member, the ARN's resource type, what SageMaker's messages call one.
_STORED = {
    "model": ("models", "ModelName", "ModelArn", "model", "model"),
    "endpoint_config": (
        "configs",
        "EndpointConfigName",
        "EndpointConfigArn",
        "endpoint-config",
        "endpoint configuration",
    ),
}


class FakeSageMaker:
    """A SageMaker client. MODELS and CONFIGS: name -> Describe answer; ENDPOINTS: DescribeEndpoint's answers in turn
    (the last one for ever, None: not found); TAGS: ARN -> {key: value}."""

    MUTATING = frozenset(
        (
            "create_model",
            "delete_model",
            "create_endpoint_config",
            "delete_endpoint_config",
            "create_endpoint",
            "update_endpoint",
            "delete_endpoint",
            "add_tags",
            "delete_tags",
        )
    )

    def __init__(self, models=None, configs=None, endpoints=(None,), tags=None):
        self.models = dict(models or {})
        self.configs = dict(configs or {})
        self.endpoints = list(endpoints)
        self.tags = {arn: dict(t) for arn, t in (tags or {}).items()}
        self.calls = []

    @property
    def names(self):
        return [name for name, _kwargs in self.calls]

    @property
    def mutations(self):
        return [(name, kwargs) for name, kwargs in self.calls if name in self.MUTATING]

    def _call(self, name, kwargs):
        validate_parameters(kwargs, _MODEL.operation_model(_OPERATIONS[name]).input_shape)
        self.calls.append((name, kwargs))

    @staticmethod
    def _missing(operation, what, name):
        return client_error("ValidationException", operation, f'Could not find {what} "{name}".')

    # models and endpoint configurations (_STORED)
    def _describe(self, resource, kwargs):
        store, key, _arn_key, _arn_type, what = _STORED[resource]
        self._call(f"describe_{resource}", kwargs)
        if kwargs[key] not in getattr(self, store):
            raise self._missing(_OPERATIONS[f"describe_{resource}"], what, kwargs[key])
        return copy.deepcopy(getattr(self, store)[kwargs[key]])

    def _create(self, resource, kwargs):
        store, key, arn_key, arn_type, _what = _STORED[resource]
        self._call(f"create_{resource}", kwargs)
        arn = f"{ARN}:{arn_type}/{kwargs[key]}"
        described = {k: v for k, v in kwargs.items() if k != "Tags"}
        getattr(self, store)[kwargs[key]] = {**described, arn_key: arn, "CreationTime": T0}
        self.tags[arn] = _tag_dict(kwargs.get("Tags"))
        return {arn_key: arn}

    def _delete(self, resource, kwargs):
        store, key, _arn_key, _arn_type, _what = _STORED[resource]
        self._call(f"delete_{resource}", kwargs)
        getattr(self, store).pop(kwargs[key])
        return {}

    def describe_model(self, **kwargs):
        return self._describe("model", kwargs)

    def create_model(self, **kwargs):
        return self._create("model", kwargs)

    def delete_model(self, **kwargs):
        return self._delete("model", kwargs)

    def describe_endpoint_config(self, **kwargs):
        return self._describe("endpoint_config", kwargs)

    def create_endpoint_config(self, **kwargs):
        return self._create("endpoint_config", kwargs)

    def delete_endpoint_config(self, **kwargs):
        return self._delete("endpoint_config", kwargs)

    # endpoints
    def describe_endpoint(self, **kwargs):
        self._call("describe_endpoint", kwargs)
        answer = self.endpoints.pop(0) if len(self.endpoints) > 1 else self.endpoints[0]
        if answer is None:
            raise self._missing("DescribeEndpoint", "endpoint", kwargs["EndpointName"])
        return copy.deepcopy(answer)

    def list_endpoints(self, **kwargs):
        self._call("list_endpoints", kwargs)
        live = [e for e in self.endpoints[:1] if e is not None]
        return {"Endpoints": [{k: e[k] for k in ("EndpointName", "EndpointArn", "EndpointStatus")} for e in live]}

    def create_endpoint(self, **kwargs):
        self._call("create_endpoint", kwargs)
        arn = f"{ARN}:endpoint/{kwargs['EndpointName']}"
        self.tags[arn] = _tag_dict(kwargs.get("Tags"))
        return {"EndpointArn": arn}

    def update_endpoint(self, **kwargs):
        self._call("update_endpoint", kwargs)
        return {"EndpointArn": f"{ARN}:endpoint/{kwargs['EndpointName']}"}

    def delete_endpoint(self, **kwargs):
        self._call("delete_endpoint", kwargs)
        return {}

    # tags
    def list_tags(self, **kwargs):
        self._call("list_tags", kwargs)
        tags = self.tags.get(kwargs["ResourceArn"], {})
        return {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}

    def add_tags(self, **kwargs):
        self._call("add_tags", kwargs)
        self.tags.setdefault(kwargs["ResourceArn"], {}).update(_tag_dict(kwargs["Tags"]))
        return {"Tags": kwargs["Tags"]}

    def delete_tags(self, **kwargs):
        self._call("delete_tags", kwargs)
        for key in kwargs["TagKeys"]:
            self.tags.get(kwargs["ResourceArn"], {}).pop(key, None)
        return {}


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
