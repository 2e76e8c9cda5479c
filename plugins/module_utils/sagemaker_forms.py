# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Normal forms of SageMaker models and endpoint configurations, which cannot change: what the options
describe, what SageMaker describes, the create requests, and the differences between the two.

Pure functions (no AWS calls), unit-tested in tests/unit/plugins/test_sagemaker.py. Both sides of a
comparison are in the API's CamelCase shape: ``*_desired`` from the options, ``*_current`` from the Describe
answer, each with what SageMaker fills in when a member is left out (a SingleModel container, no network
isolation, a variant weight of 1, data capture enabled) and sets sorted (subnets, security groups, capture
modes; variants by name). Every option is compared: an option left unset means the resource has none of it.
A model's request is ``model_definition`` (the options as given); its model data is compared in one form
(``_model_data``: a .tar.gz given as ModelDataUrl or as a ModelDataSource is the same model data).
"""

from __future__ import annotations

from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

# ---------------------------------------------------------------- models: normal forms
# What an S3DataSource of a model says (ETag and ManifestEtag: what AWS reads back from S3, not part of a request).
S3_DATA_SOURCE_MEMBERS = (
    "S3Uri",
    "S3DataType",
    "CompressionType",
    "ModelAccessConfig",
    "HubAccessConfig",
    "ManifestS3Uri",
)


def _model_data(container: dict[str, Any]) -> dict[str, Any]:
    """The container's model data as compared: ModelDataUrl, or ModelDataSource (its S3DataSource's members
    that a request sets). One gzip-compressed tar object said either way (ModelDataUrl X, or an S3DataSource
    X/S3Object/Gzip, or both, as DescribeModel may give them) is ModelDataUrl X on both sides."""
    url = container.get("ModelDataUrl") or None
    source = (container.get("ModelDataSource") or {}).get("S3DataSource") or {}
    source = {k: source[k] for k in S3_DATA_SOURCE_MEMBERS if source.get(k) is not None}
    tarball = {"S3Uri": source.get("S3Uri"), "S3DataType": "S3Object", "CompressionType": "Gzip"}
    if source and source == tarball and url in (None, source["S3Uri"]):
        return {"ModelDataUrl": source["S3Uri"]}
    data: dict[str, Any] = {}
    if url:
        data["ModelDataUrl"] = url
    if source:
        data["ModelDataSource"] = {"S3DataSource": source}
    return data


def model_definition(params: dict[str, Any]) -> dict[str, Any]:
    """The CreateModel members the options give (the request; model_desired is what it is compared as)."""
    container = params["primary_container"]
    want_container: dict[str, Any] = {"Image": container["image"], "Mode": container.get("mode") or "SingleModel"}
    if container.get("model_data_url"):
        want_container["ModelDataUrl"] = container["model_data_url"]
    source = container.get("model_data_source")
    if source:
        want_container["ModelDataSource"] = {
            "S3DataSource": {
                "S3Uri": source["s3_uri"],
                "S3DataType": source.get("s3_data_type") or "S3Prefix",
                "CompressionType": source.get("compression_type") or "None",
            }
        }
    if container.get("environment"):
        want_container["Environment"] = {str(k): str(v) for k, v in container["environment"].items()}
    want: dict[str, Any] = {"ExecutionRoleArn": params["execution_role_arn"], "PrimaryContainer": want_container}
    vpc = params.get("vpc_config")
    if vpc:
        want["VpcConfig"] = {"SecurityGroupIds": sorted(vpc["security_group_ids"]), "Subnets": sorted(vpc["subnets"])}
    want["EnableNetworkIsolation"] = bool(params.get("enable_network_isolation"))
    return want


def model_desired(params: dict[str, Any]) -> dict[str, Any]:
    want = model_definition(params)
    container = {k: v for k, v in want["PrimaryContainer"].items() if k not in ("ModelDataUrl", "ModelDataSource")}
    container.update(_model_data(want["PrimaryContainer"]))
    return dict(want, PrimaryContainer=container)


def model_current(described: dict[str, Any]) -> dict[str, Any]:
    container = described.get("PrimaryContainer") or {}
    have_container: dict[str, Any] = {"Image": container.get("Image"), "Mode": container.get("Mode") or "SingleModel"}
    have_container.update(_model_data(container))
    if container.get("Environment"):
        have_container["Environment"] = dict(container["Environment"])
    have: dict[str, Any] = {"ExecutionRoleArn": described.get("ExecutionRoleArn"), "PrimaryContainer": have_container}
    if described.get("Containers"):  # an inference pipeline: never what the options describe
        have["Containers"] = described["Containers"]
    vpc = described.get("VpcConfig") or {}
    if vpc.get("Subnets") or vpc.get("SecurityGroupIds"):
        have["VpcConfig"] = {
            "SecurityGroupIds": sorted(vpc.get("SecurityGroupIds") or []),
            "Subnets": sorted(vpc.get("Subnets") or []),
        }
    have["EnableNetworkIsolation"] = bool(described.get("EnableNetworkIsolation"))
    return have


def model_request(name: str, definition: dict[str, Any], tags: list[dict[str, str]]) -> dict[str, Any]:
    request = {"ModelName": name, **definition}
    if tags:
        request["Tags"] = tags
    return request


# ---------------------------------------------------------------- endpoint configurations: normal forms
def _capture_desired(capture: dict[str, Any]) -> dict[str, Any]:
    want: dict[str, Any] = {
        "EnableCapture": bool(capture.get("enable_capture", True)),
        "InitialSamplingPercentage": capture["initial_sampling_percentage"],
        "DestinationS3Uri": capture["destination_s3_uri"],
        "CaptureOptions": [{"CaptureMode": m} for m in sorted(capture["capture_modes"])],
    }
    if capture.get("kms_key_id"):
        want["KmsKeyId"] = capture["kms_key_id"]
    header = {}
    for option, member in (("csv_content_types", "CsvContentTypes"), ("json_content_types", "JsonContentTypes")):
        if capture.get(option):
            header[member] = sorted(capture[option])
    if header:
        want["CaptureContentTypeHeader"] = header
    return want


def _capture_current(capture: dict[str, Any]) -> dict[str, Any]:
    have: dict[str, Any] = {
        "EnableCapture": bool(capture.get("EnableCapture", True)),
        "InitialSamplingPercentage": capture.get("InitialSamplingPercentage"),
        "DestinationS3Uri": capture.get("DestinationS3Uri"),
        "CaptureOptions": [
            {"CaptureMode": m} for m in sorted(o.get("CaptureMode") for o in capture.get("CaptureOptions") or [])
        ],
    }
    if capture.get("KmsKeyId"):
        have["KmsKeyId"] = capture["KmsKeyId"]
    header = {k: sorted(v) for k, v in (capture.get("CaptureContentTypeHeader") or {}).items() if v}
    if header:
        have["CaptureContentTypeHeader"] = header
    return have


def _variant(name, model, kind, count, weight) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InstanceType": kind,
        "InitialInstanceCount": count,
        "InitialVariantWeight": float(weight),
    }


def endpoint_config_desired(params: dict[str, Any], *, ordered: bool = False) -> dict[str, Any]:
    """The configuration the options describe (ORDERED: the variants in the options' order, for the request)."""
    variants = [
        _variant(
            v["variant_name"],
            v["model_name"],
            v["instance_type"],
            v["initial_instance_count"],
            v["initial_variant_weight"],
        )
        for v in params["production_variants"]
    ]
    want: dict[str, Any] = {
        "ProductionVariants": variants if ordered else sorted(variants, key=lambda v: v["VariantName"])
    }
    if params.get("data_capture"):
        want["DataCaptureConfig"] = _capture_desired(params["data_capture"])
    if params.get("kms_key_id"):
        want["KmsKeyId"] = params["kms_key_id"]
    return want


def endpoint_config_current(described: dict[str, Any]) -> dict[str, Any]:
    variants = [
        _variant(
            v.get("VariantName"),
            v.get("ModelName"),
            v.get("InstanceType") or ("serverless" if v.get("ServerlessConfig") else None),
            v.get("InitialInstanceCount"),
            1.0 if v.get("InitialVariantWeight") is None else v["InitialVariantWeight"],
        )
        for v in described.get("ProductionVariants") or []
    ]
    have: dict[str, Any] = {"ProductionVariants": sorted(variants, key=lambda v: str(v["VariantName"]))}
    if described.get("DataCaptureConfig"):
        have["DataCaptureConfig"] = _capture_current(described["DataCaptureConfig"])
    if described.get("KmsKeyId"):
        have["KmsKeyId"] = described["KmsKeyId"]
    return have


def endpoint_config_request(name: str, params: dict[str, Any], tags: list[dict[str, str]]) -> dict[str, Any]:
    request = {"EndpointConfigName": name, **endpoint_config_desired(params, ordered=True)}
    if tags:
        request["Tags"] = tags
    return request


# ---------------------------------------------------------------- comparison and views
def view(normal: dict[str, Any] | None) -> dict[str, Any]:
    """A normal form in snake_case for the diff, environment variables as they are."""
    if not normal:
        return {}
    result = camel_dict_to_snake_dict(normal)
    environment = (normal.get("PrimaryContainer") or {}).get("Environment")
    if environment is not None:
        result["primary_container"]["environment"] = dict(environment)
    return result


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict) and value:
        flat: dict[str, Any] = {}
        for key, item in value.items():
            flat.update(_flatten(item, f"{prefix}.{key}" if prefix else key))
        return flat
    return {prefix: value}


def _by_variant(snake: dict[str, Any]) -> dict[str, Any]:
    variants = snake.get("production_variants")
    if isinstance(variants, list):
        snake = dict(snake, production_variants={str(v.get("variant_name")): v for v in variants})
    return snake


def differences(current: dict[str, Any], desired: dict[str, Any]) -> list[str]:
    """'option: current -> desired' for each member (dotted snake_case path, variants by name) that differs."""
    have, want = _flatten(_by_variant(view(current))), _flatten(_by_variant(view(desired)))
    return [
        f"{path}: {have.get(path)!r} -> {want.get(path)!r}"
        for path in sorted(set(have) | set(want))
        if have.get(path) != want.get(path)
    ]
