"""module_utils/aws_rules.py and the aws_rule filter: one CPU/memory table and one image URI rule."""

from __future__ import annotations

import re

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.mlops.mlflow_aws.plugins.filter.aws_rules import FilterModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner_service_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import aws_rules

aws_rule = FilterModule().filters()["aws_rule"]

# The pattern roles/apprunner/vars/main.yml carried before it asked the filter for it.
ROLE_PATTERN_BEFORE = (
    r"^([0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com|public\.ecr\.aws/[a-z0-9._-]+)/[a-z0-9._/-]+"
    r"(:[A-Za-z0-9_.+=:@/-]+|@sha256:[0-9a-f]{64})$"
)
DIGEST = "@sha256:" + "a" * 64
URIS = [
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow:3.17.2",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/mlflow:abc123",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow" + DIGEST,
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow",
    "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow@sha256:short",
    "12345.dkr.ecr.eu-west-1.amazonaws.com/mlflow:1",
    "public.ecr.aws/abc/mlflow:1",
    "public.ecr.aws/abc/mlflow",
    "public.ecr.aws/ABC/mlflow:1",
    "docker.io/library/mlflow:latest",
    "mlflow:latest",
    "",
]


def test_the_filter_serves_the_modules_table_as_strings():
    table = aws_rule("apprunner_cpu_memory")
    assert table == {
        "256": ["512", "1024"],
        "512": ["1024"],
        "1024": ["2048", "3072", "4096"],
        "2048": ["4096"],
        "4096": ["8192", "10240", "12288"],
    }
    assert list(table) == ["256", "512", "1024", "2048", "4096"]  # the role's "must be one of" list, in order
    assert {int(cpu): tuple(int(m) for m in sizes) for cpu, sizes in table.items()} == params_lib.CPU_MEMORY


@pytest.mark.parametrize("uri", URIS)
def test_the_image_rule_is_the_one_the_role_had(uri):
    assert bool(re.match(aws_rule("ecr_image_uri"), uri)) is bool(re.match(ROLE_PATTERN_BEFORE, uri))


@pytest.mark.parametrize("uri", URIS)
def test_the_module_and_the_role_agree_on_tagged_uris(uri):
    module_accepts = not aws_rules.image_uri_problem(uri)
    role_accepts = bool(re.match(aws_rules.ECR_IMAGE_URI, uri))
    tagged = uri.rsplit("/", 1)[-1].count(":") or "@" in uri
    assert role_accepts == (module_accepts and bool(tagged))


def test_image_problems():
    assert aws_rules.image_uri_problem("docker.io/library/mlflow:latest") == (
        "not an ECR image URI (<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)"
    )
    assert aws_rules.image_uri_problem("public.ecr.aws/abc/mlflow:1", "ECR").startswith("not an ECR image URI")
    assert aws_rules.image_uri_problem("public.ecr.aws/abc") == (
        "not an ECR_PUBLIC image URI (public.ecr.aws/<alias>/<repo>:<tag>)"
    )
    untagged = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow"
    assert aws_rules.image_uri_problem(untagged) == ""  # App Runner pulls 'latest'
    assert aws_rules.image_uri_problem(untagged, reference_required=True) == (
        "has no tag (:<tag>) or digest (@sha256:<digest>)"
    )


def test_the_module_message_is_unchanged():
    problems = params_lib.validate(
        {
            "name": "mlflow",
            "image": "docker.io/library/mlflow:latest",
            "image_repository_type": None,
            "access_role_arn": "arn:aws:iam::123456789012:role/pull",
        }
    )
    assert problems == [
        "image 'docker.io/library/mlflow:latest': not an ECR image URI "
        "(<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)"
    ]


def test_patterns_by_repository_type():
    assert re.match(aws_rules.image_uri_pattern("ECR_PUBLIC"), "public.ecr.aws/abc/x:1")
    assert not re.match(aws_rules.image_uri_pattern("ECR_PUBLIC"), "123456789012.dkr.ecr.eu-west-1.amazonaws.com/x:1")
    assert re.match(aws_rules.image_uri_pattern(reference_required=False), "public.ecr.aws/abc/x")


def test_an_unknown_rule_names_the_known_ones():
    known = "acm_certificate_arn, apprunner_cpu_memory, beanstalk_cname_prefix, beanstalk_environment_name, "
    known += "ec2_instance_type, ecr_image_uri, fargate_cpu_memory, log_retention_days, secret_like_name"
    with pytest.raises(AnsibleFilterError, match=f"known rules: {known}"):
        aws_rule("lambda_memory")


def test_fargate_sizes_are_the_ones_aws_documents():
    table = aws_rule("fargate_cpu_memory")
    assert table["256"] == ["512", "1024", "2048"]
    assert table["1024"][0] == "2048" and table["1024"][-1] == "8192"
    assert table["4096"][-1] == "30720" and "16384" in table["8192"] and "17408" not in table["8192"]
    assert "1024" not in table["1024"]


def test_acm_certificate_arn_pattern():
    good = "arn:aws:acm:eu-west-1:123456789012:certificate/0f2c0f7e-6b1a-4a4f-9d6b-7f6a0f9c1e2d"
    assert re.match(aws_rule("acm_certificate_arn"), good)
    assert not re.match(aws_rule("acm_certificate_arn"), "arn:aws:iam::123456789012:server-certificate/mlflow")


def test_beanstalk_rules():
    for name in ("mlflow", "ml-prod-1", "a" * 40):
        assert re.match(aws_rule("beanstalk_environment_name"), name), name
    for name in ("ml", "-mlflow", "mlflow-", "ml_flow", "a" * 41):
        assert not re.match(aws_rule("beanstalk_environment_name"), name), name
    assert re.match(aws_rule("beanstalk_cname_prefix"), "a" * 63)
    assert not re.match(aws_rule("beanstalk_cname_prefix"), "a" * 64)
    for kind in ("t3.small", "m7g.xlarge", "u-6tb1.metal", "c6gn.16xlarge"):
        assert re.match(aws_rule("ec2_instance_type"), kind), kind
    for kind in ("t3", "T3.small", "t3.small ", "small"):
        assert not re.match(aws_rule("ec2_instance_type"), kind), kind
    for name in ("DB_PASSWORD", "MLFLOW_FLASK_SERVER_SECRET_KEY", "AWS_ACCESS_KEY_ID", "api_key", "GH_TOKEN"):
        assert re.search(aws_rule("secret_like_name"), name), name
    for name in ("MLFLOW_S3_ENDPOINT_URL", "MONKEY", "KEYBOARD_LAYOUT", "PORT"):
        assert not re.search(aws_rule("secret_like_name"), name), name
