# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""sagemaker_model, sagemaker_endpoint_config, sagemaker_endpoint: module options and input checks (the
comparison with an existing resource: sagemaker_forms.py).

Pure functions (no AWS calls), unit-tested in tests/unit/plugins/test_sagemaker.py. Every check names the
option it is about; the modules fail with all of them before any AWS call.
"""

from __future__ import annotations

import re
from typing import Any

from ansible_collections.mlops.mlflow_aws.plugins.module_utils import aws_rules as rules

# SageMaker names (models, endpoint configurations, endpoints, variants): 1-63 letters, digits and hyphens,
# a letter or digit first and last.
NAME = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")
NAME_MAX = 63
NAME_CONTAINS = re.compile(r"^[a-zA-Z0-9-]{1,63}$")
ROLE_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$")
# ml.<family>.<size>: ml.m5.large, ml.g5.2xlarge, ml.p6-b200.48xlarge
INSTANCE_TYPE = re.compile(r"^ml\.[a-z0-9-]+\.[a-z0-9]+$")
S3_URL = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
SUBNET = re.compile(r"^subnet-[0-9a-f]{8,17}$")
SECURITY_GROUP = re.compile(r"^sg-[0-9a-f]{8,17}$")
ENV_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]{0,1023}$")
KMS_KEY = re.compile(r"^[a-zA-Z0-9:/_-]{1,2048}$")
TAG_TEXT = re.compile(r"^[\w\s.:/=+@-]*$")
SECRET_LIKE = re.compile(rules.SECRET_LIKE_NAME)
CONTENT_TYPE = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9.])*/[a-zA-Z0-9](-*[a-zA-Z0-9.+])*$")
MODES = ("SingleModel", "MultiModel")
S3_DATA_TYPES = ("S3Prefix", "S3Object")
COMPRESSION_TYPES = ("None", "Gzip")
CAPTURE_MODES = ("Input", "Output", "InputAndOutput")
MAX_ENVIRONMENT = 100
MAX_VARIANTS = 10
MAX_TAGS = 50


def _common() -> dict[str, Any]:
    return dict(
        state=dict(type="str", default="present", choices=["present", "absent"]),
        tags=dict(type="dict", aliases=["resource_tags"]),
        purge_tags=dict(type="bool", default=True),
    )


def model_spec() -> dict[str, Any]:
    """sagemaker_model's options (documented in plugins/modules/sagemaker_model.py)."""
    return dict(
        name=dict(type="str", required=True, aliases=["model_name"]),
        execution_role_arn=dict(type="str"),
        primary_container=dict(
            type="dict",
            options=dict(
                image=dict(type="str", required=True),
                model_data_url=dict(type="str"),
                model_data_source=dict(
                    type="dict",
                    options=dict(
                        s3_uri=dict(type="str", required=True),
                        s3_data_type=dict(type="str", default="S3Prefix", choices=list(S3_DATA_TYPES)),
                        compression_type=dict(type="str", default="None", choices=list(COMPRESSION_TYPES)),
                    ),
                ),
                environment=dict(type="dict"),
                mode=dict(type="str", default="SingleModel", choices=list(MODES)),
            ),
        ),
        vpc_config=dict(
            type="dict",
            options=dict(
                subnets=dict(type="list", elements="str", required=True),
                security_group_ids=dict(type="list", elements="str", required=True),
            ),
        ),
        enable_network_isolation=dict(type="bool", default=False),
        replace=dict(type="bool", default=False),
        **_common(),
    )


def endpoint_config_spec() -> dict[str, Any]:
    """sagemaker_endpoint_config's options (documented in plugins/modules/sagemaker_endpoint_config.py)."""
    return dict(
        name=dict(type="str", required=True, aliases=["endpoint_config_name"]),
        production_variants=dict(
            type="list",
            elements="dict",
            options=dict(
                variant_name=dict(type="str", required=True),
                model_name=dict(type="str", required=True),
                instance_type=dict(type="str", required=True),
                initial_instance_count=dict(type="int", default=1),
                initial_variant_weight=dict(type="float", default=1.0),
            ),
        ),
        data_capture=dict(
            type="dict",
            options=dict(
                destination_s3_uri=dict(type="str", required=True),
                initial_sampling_percentage=dict(type="int", default=100),
                enable_capture=dict(type="bool", default=True),
                capture_modes=dict(
                    type="list", elements="str", choices=list(CAPTURE_MODES), default=["Input", "Output"]
                ),
                kms_key_id=dict(type="str"),
                csv_content_types=dict(type="list", elements="str"),
                json_content_types=dict(type="list", elements="str"),
            ),
        ),
        kms_key_id=dict(type="str"),
        replace=dict(type="bool", default=False),
        **_common(),
    )


def endpoint_spec() -> dict[str, Any]:
    """sagemaker_endpoint's options (documented in plugins/modules/sagemaker_endpoint.py)."""
    return dict(
        name=dict(type="str", required=True, aliases=["endpoint_name"]),
        endpoint_config_name=dict(type="str"),
        wait=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=3600),
        **_common(),
    )


# ---------------------------------------------------------------- input checks
def name_problem(option: str, value: Any) -> str | None:
    if not isinstance(value, str) or not NAME.match(value) or len(value) > NAME_MAX:
        return f"{option} {value!r}: 1-63 letters, digits or hyphens, starting and ending with a letter or digit"
    return None


def tag_problems(tags: dict[str, Any] | None) -> list[str]:
    problems = []
    if len(tags or {}) > MAX_TAGS:
        problems.append(f"tags: {len(tags)} tags, SageMaker takes at most {MAX_TAGS}")
    for raw_key, raw_value in (tags or {}).items():
        key, value = str(raw_key), "" if raw_value is None else str(raw_value)
        if key.lower().startswith("aws:"):
            problems.append(f"tags.{key}: the aws: prefix is reserved by AWS")
        elif not 1 <= len(key) <= 128 or not TAG_TEXT.match(key):
            problems.append(f"tags.{key}: a key of 1-128 letters, digits, spaces or _.:/=+-@")
        if len(value) > 256 or not TAG_TEXT.match(value):
            problems.append(f"tags.{key}: a value of up to 256 letters, digits, spaces or _.:/=+-@")
    return problems


def _s3_problem(option: str, value: Any) -> str | None:
    if not isinstance(value, str) or not S3_URL.match(value) or len(value) > 1024:
        return f"{option} {value!r}: an S3 URL (s3://<bucket>/<key>)"
    return None


def _source_problems(source: dict[str, Any], container: dict[str, Any]) -> list[str]:
    """primary_container.model_data_source: uncompressed model data (an S3 prefix or object), or one .tar.gz."""
    where = "primary_container.model_data_source"
    problems = []
    if container.get("model_data_url") is not None:
        problems.append(
            f"{where}: mutually exclusive with primary_container.model_data_url (give the model data one way)"
        )
    if container.get("mode") == "MultiModel":
        problems.append(f"{where}: SageMaker takes it with mode=SingleModel only (give model_data_url instead)")
    uri, kind, compression = source.get("s3_uri"), source.get("s3_data_type"), source.get("compression_type")
    problem = _s3_problem(f"{where}.s3_uri", uri)
    if problem:
        problems.append(problem)
    elif kind == "S3Prefix" and not uri.endswith("/"):
        problems.append(
            f"{where}.s3_uri {uri!r}: with s3_data_type=S3Prefix, a key prefix ending in '/' (SageMaker copies every "
            "object under it to /opt/ml/model)"
        )
    elif kind == "S3Object" and uri.endswith("/"):
        problems.append(f"{where}.s3_uri {uri!r}: with s3_data_type=S3Object, the key of one object (no trailing '/')")
    if compression == "Gzip" and kind != "S3Object":
        problems.append(
            f"{where}.compression_type: Gzip takes s3_data_type=S3Object (one .tar.gz object); "
            "a prefix is uncompressed (compression_type=None)"
        )
    return problems


def _container_problems(container: dict[str, Any] | None) -> list[str]:
    if not container:
        return [
            "primary_container: required with state=present (image, model_data_url or model_data_source, "
            "environment, mode)"
        ]
    problems = []
    image = container.get("image") or ""
    problem = rules.image_uri_problem(image, "ECR")
    if problem or len(image) > 255:
        problems.append(f"primary_container.image {image!r}: {problem or 'longer than 255 characters'}")
    url, source = container.get("model_data_url"), container.get("model_data_source")
    if url is not None:
        problems.extend(filter(None, [_s3_problem("primary_container.model_data_url", url)]))
    if source is not None:
        problems.extend(_source_problems(source, container))
    elif url is None and container.get("mode") == "MultiModel":
        problems.append("primary_container.model_data_url: required with mode=MultiModel (the S3 prefix of the models)")
    environment = container.get("environment") or {}
    if len(environment) > MAX_ENVIRONMENT:
        problems.append(f"primary_container.environment: {len(environment)} variables, at most {MAX_ENVIRONMENT}")
    for key, value in environment.items():
        where = f"primary_container.environment.{key}"
        if not ENV_NAME.match(str(key)):
            problems.append(f"{where}: not a valid environment variable name")
        elif SECRET_LIKE.search(str(key)):
            problems.append(
                f"{where}: looks like a secret; SageMaker shows a model's environment to anyone who can describe "
                "it, so pass the name of a Secrets Manager secret the container reads instead"
            )
        if value is None or isinstance(value, (dict, list)) or len(str(value)) > 1024:
            problems.append(f"{where}: a value of up to 1024 characters")
    return problems


def validate_model(params: dict[str, Any]) -> list[str]:
    """Every problem with sagemaker_model's options, each naming the option; empty when fine (no AWS call)."""
    problems = list(filter(None, [name_problem("name", params.get("name"))]))
    if params.get("state") == "absent":
        return problems
    role = params.get("execution_role_arn")
    if not role:
        problems.append("execution_role_arn: required with state=present (the IAM role SageMaker runs the model as)")
    elif not ROLE_ARN.match(role) or len(role) > 2048:
        problems.append(f"execution_role_arn {role!r}: not an IAM role ARN (arn:aws:iam::<account>:role/<name>)")
    problems.extend(_container_problems(params.get("primary_container")))
    vpc = params.get("vpc_config")
    if vpc is not None:
        subnets, groups = vpc.get("subnets") or [], vpc.get("security_group_ids") or []
        if not 1 <= len(subnets) <= 16:
            problems.append(f"vpc_config.subnets: 1-16 subnet IDs, not {len(subnets)}")
        if not 1 <= len(groups) <= 5:
            problems.append(f"vpc_config.security_group_ids: 1-5 security group IDs, not {len(groups)}")
        problems.extend(
            f"vpc_config.subnets: {s!r} is not a subnet ID (subnet-<hex>)" for s in subnets if not SUBNET.match(s)
        )
        problems.extend(
            f"vpc_config.security_group_ids: {g!r} is not a security group ID (sg-<hex>)"
            for g in groups
            if not SECURITY_GROUP.match(g)
        )
    problems.extend(tag_problems(params.get("tags")))
    return problems


def _variant_problems(variants: list[dict[str, Any]] | None) -> list[str]:
    if not variants:
        return ["production_variants: at least one variant is required with state=present"]
    problems = []
    if len(variants) > MAX_VARIANTS:
        problems.append(f"production_variants: {len(variants)} variants, at most {MAX_VARIANTS}")
    names = [v.get("variant_name") for v in variants]
    for index, variant in enumerate(variants):
        where = f"production_variants[{index}]"
        problems.extend(
            filter(
                None,
                [
                    name_problem(f"{where}.variant_name", variant.get("variant_name")),
                    name_problem(f"{where}.model_name", variant.get("model_name")),
                ],
            )
        )
        kind = variant.get("instance_type")
        if not isinstance(kind, str) or not INSTANCE_TYPE.match(kind):
            problems.append(
                f"{where}.instance_type {kind!r}: a SageMaker instance type (ml.<family>.<size>, ml.m5.large)"
            )
        count = variant.get("initial_instance_count")
        if count is None or count < 1:
            problems.append(f"{where}.initial_instance_count {count}: must be at least 1")
        weight = variant.get("initial_variant_weight")
        if weight is None or weight < 0:
            problems.append(f"{where}.initial_variant_weight {weight}: must not be negative")
    for name in sorted({n for n in names if names.count(n) > 1 and n}):
        problems.append(f"production_variants: variant_name {name} is given more than once")
    if all((v.get("initial_variant_weight") or 0) <= 0 for v in variants):
        problems.append("production_variants: at least one initial_variant_weight must be greater than 0")
    return problems


def _capture_problems(capture: dict[str, Any] | None) -> list[str]:
    if capture is None:
        return []
    problems = list(filter(None, [_s3_problem("data_capture.destination_s3_uri", capture.get("destination_s3_uri"))]))
    percentage = capture.get("initial_sampling_percentage")
    if percentage is None or not 0 <= percentage <= 100:
        problems.append(f"data_capture.initial_sampling_percentage {percentage}: a percentage (0-100)")
    modes = capture.get("capture_modes") or []
    if not modes or len(set(modes)) != len(modes):
        problems.append("data_capture.capture_modes: one or more of Input, Output, InputAndOutput, each once")
    key = capture.get("kms_key_id")
    if key is not None and not KMS_KEY.match(key):
        problems.append(f"data_capture.kms_key_id {key!r}: a KMS key ID, ARN, alias or alias ARN")
    for option in ("csv_content_types", "json_content_types"):
        types = capture.get(option)
        if types is not None and not 1 <= len(types) <= 10:
            problems.append(f"data_capture.{option}: 1-10 content types")
        problems.extend(
            f"data_capture.{option}: {t!r} is not a content type (text/csv)"
            for t in types or []
            if not CONTENT_TYPE.match(t)
        )
    return problems


def validate_endpoint_config(params: dict[str, Any]) -> list[str]:
    """Every problem with sagemaker_endpoint_config's options, each naming the option (no AWS call)."""
    problems = list(filter(None, [name_problem("name", params.get("name"))]))
    if params.get("state") == "absent":
        return problems
    problems.extend(_variant_problems(params.get("production_variants")))
    problems.extend(_capture_problems(params.get("data_capture")))
    key = params.get("kms_key_id")
    if key is not None and not KMS_KEY.match(key):
        problems.append(f"kms_key_id {key!r}: a KMS key ID, ARN, alias or alias ARN")
    problems.extend(tag_problems(params.get("tags")))
    return problems


def validate_endpoint(params: dict[str, Any]) -> list[str]:
    """Every problem with sagemaker_endpoint's options, each naming the option (no AWS call)."""
    problems = list(filter(None, [name_problem("name", params.get("name"))]))
    if params.get("wait_timeout") is not None and params["wait_timeout"] <= 0:
        problems.append(f"wait_timeout: {params['wait_timeout']} is not a positive number of seconds")
    if params.get("state") == "absent":
        return problems
    config = params.get("endpoint_config_name")
    if not config:
        problems.append("endpoint_config_name: required with state=present (the endpoint configuration to deploy)")
    else:
        problems.extend(filter(None, [name_problem("endpoint_config_name", config)]))
    problems.extend(tag_problems(params.get("tags")))
    return problems
