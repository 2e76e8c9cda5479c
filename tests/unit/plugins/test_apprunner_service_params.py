"""apprunner_service: option checks, request building, diffing and waiting."""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner_service_params as p
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apprunner_results import to_snake
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import compare_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

IMAGE = "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mlflow:3.17.2"


def options(**overrides):
    base = dict.fromkeys(
        (
            "image_repository_type",
            "environment",
            "environment_secrets",
            "start_command",
            "auto_deployments",
            "cpu",
            "memory",
            "instance_role_arn",
            "health_check",
            "auto_scaling_configuration_arn",
            "egress_type",
            "vpc_connector_arn",
            "publicly_accessible",
            "ip_address_type",
            "observability",
            "observability_configuration_arn",
            "kms_key",
        )
    )
    base.update(name="mlflow", image=IMAGE, port=8080, access_role_arn="arn:aws:iam::123456789012:role/pull")
    base.update(overrides)
    return base


def described(**image_config):
    """A DescribeService result as App Runner returns it (normalised CPU/memory, defaults filled)."""
    return {
        "ServiceName": "mlflow",
        "ServiceArn": "arn:aws:apprunner:eu-west-1:123456789012:service/mlflow/abc",
        "Status": "RUNNING",
        "SourceConfiguration": {
            "ImageRepository": {
                "ImageIdentifier": IMAGE,
                "ImageRepositoryType": "ECR",
                "ImageConfiguration": {"Port": "8080", **image_config},
            },
            "AutoDeploymentsEnabled": False,
            "AuthenticationConfiguration": {"AccessRoleArn": "arn:aws:iam::123456789012:role/pull"},
        },
        "InstanceConfiguration": {"Cpu": "1024", "Memory": "2048"},
        "HealthCheckConfiguration": {
            "Protocol": "TCP",
            "Path": "/",
            "Interval": 5,
            "Timeout": 2,
            "HealthyThreshold": 1,
            "UnhealthyThreshold": 5,
        },
        "NetworkConfiguration": {
            "EgressConfiguration": {"EgressType": "DEFAULT"},
            "IngressConfiguration": {"IsPubliclyAccessible": True},
            "IpAddressType": "IPV4",
        },
        "ObservabilityConfiguration": {"ObservabilityEnabled": False},
        "AutoScalingConfigurationSummary": {
            "AutoScalingConfigurationArn": "arn:aws:apprunner:eu-west-1:123456789012:autoscalingconfiguration/m/2/x"
        },
    }


@pytest.mark.parametrize(
    ("cpu", "memory", "ok"),
    [
        ("1024", "2048", True),
        ("1 vCPU", "4 GB", True),
        ("0.25 vCPU", "0.5 GB", True),
        ("4096", "12288", True),
        ("1024", "8192", False),
        ("256", "2048", False),
        ("2048", "2048", False),
        ("512", "512", False),
    ],
)
def test_cpu_memory_pairs(cpu, memory, ok):
    problems = p.validate(options(cpu=cpu, memory=memory))
    assert (problems == []) is ok, problems


def test_every_problem_is_reported_and_names_its_option():
    problems = p.validate(
        options(
            port=0,
            environment_secrets={"X": "plain"},
            egress_type="VPC",
            kms_key="alias/x",
            health_check={"timeout": 99, "path": "health"},
        )
    )
    joined = "; ".join(problems)
    for option in (
        "port 0",
        "environment_secrets.X",
        "vpc_connector_arn",
        "kms_key",
        "health_check.timeout",
        "health_check.path",
    ):
        assert option in joined
    assert len(problems) == 6


def test_public_images_need_no_access_role():
    assert p.validate(options(image="public.ecr.aws/abc/mlflow:1", access_role_arn=None)) == []
    assert (
        p.desired_sections(options(image="public.ecr.aws/abc/mlflow:1"))["SourceConfiguration"]["ImageRepository"][
            "ImageRepositoryType"
        ]
        == "ECR_PUBLIC"
    )


def test_desired_sections_carry_only_what_was_given():
    sections = p.desired_sections(options(cpu="1 vCPU", memory="2 GB", environment={"A": 1}))
    assert sections["InstanceConfiguration"] == {"Cpu": "1024", "Memory": "2048"}
    assert sections["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"] == {
        "Port": "8080",
        "RuntimeEnvironmentVariables": {"A": "1"},
    }
    assert "NetworkConfiguration" not in sections and "HealthCheckConfiguration" not in sections


def test_no_update_when_the_service_matches():
    desired = p.desired_sections(options(cpu="1 vCPU", memory="2048", environment={}))
    assert p.update_request(described(), desired) == {}


def test_update_carries_only_the_changed_member_merged_with_the_rest():
    request = p.update_request(
        described(RuntimeEnvironmentVariables={"A": "1"}), p.desired_sections(options(environment={"A": "2"}))
    )
    assert list(request) == ["SourceConfiguration"]
    image = request["SourceConfiguration"]["ImageRepository"]
    assert image["ImageConfiguration"] == {
        "Port": "8080",
        "RuntimeEnvironmentVariables": {"A": "2"},
        "RuntimeEnvironmentSecrets": {},
    }
    assert request["SourceConfiguration"]["AuthenticationConfiguration"]["AccessRoleArn"].endswith("role/pull")


def test_environment_maps_are_replaced_not_merged():
    request = p.update_request(
        described(RuntimeEnvironmentVariables={"A": "1", "B": "2"}), p.desired_sections(options(environment={"A": "1"}))
    )
    assert request["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]["RuntimeEnvironmentVariables"] == {
        "A": "1"
    }


def test_partial_auto_scaling_arn_matches_its_revision():
    base = "arn:aws:apprunner:eu-west-1:123456789012:autoscalingconfiguration/m"
    assert p.update_request(described(), {"AutoScalingConfigurationArn": base}) == {}
    assert p.update_request(described(), {"AutoScalingConfigurationArn": base + "/2"}) == {}
    assert p.update_request(described(), {"AutoScalingConfigurationArn": base + "/3"}) == {
        "AutoScalingConfigurationArn": base + "/3"
    }


def test_egress_change_replaces_the_egress_member():
    connector = "arn:aws:apprunner:eu-west-1:123456789012:vpcconnector/m/1/abc"
    request = p.update_request(described(), p.desired_sections(options(egress_type="VPC", vpc_connector_arn=connector)))
    assert request["NetworkConfiguration"]["EgressConfiguration"] == {"EgressType": "VPC", "VpcConnectorArn": connector}
    assert request["NetworkConfiguration"]["IngressConfiguration"] == {"IsPubliclyAccessible": True}


def test_snake_case_results_keep_variable_names():
    snake = to_snake(described(RuntimeEnvironmentVariables={"MLFLOW_X": "1"}))
    config = snake["source_configuration"]["image_repository"]["image_configuration"]
    assert config["runtime_environment_variables"] == {"MLFLOW_X": "1"}


class FakeClient:
    """describe_service answers from a script of statuses; records nothing else."""

    def __init__(self, statuses):
        self.statuses = list(statuses)

    def describe_service(self, ServiceArn):
        return {"Service": {"ServiceName": "mlflow", "ServiceArn": ServiceArn, "Status": self.statuses.pop(0)}}


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_waiting_polls_until_the_operation_ends():
    clock = FakeClock()
    client = FakeClient(["OPERATION_IN_PROGRESS"] * 3 + ["RUNNING"])
    service = api.wait_for_service(client, "arn:x", timeout=60, sleep=clock.sleep, clock=clock)
    assert service["Status"] == "RUNNING"
    assert clock.now == 3 * api.POLL_SECONDS


def test_waiting_gives_up_at_the_timeout_with_the_status():
    clock = FakeClock()
    client = FakeClient(["OPERATION_IN_PROGRESS"] * 100)
    with pytest.raises(WaitError, match=r"timed out after 10s waiting for service mlflow: still OPERATION_IN_PROGRESS"):
        api.wait_for_service(client, "arn:x", timeout=10, sleep=clock.sleep, clock=clock)


def test_a_deleted_service_ends_the_wait():
    clock = FakeClock()
    assert (
        api.wait_for_service(FakeClient(["OPERATION_IN_PROGRESS", "DELETED"]), "arn:x", 60, clock.sleep, clock) is None
    )


def test_tag_changes_leave_tags_alone_when_none_are_given():
    def calls(change):
        return change.to_set, change.to_remove

    assert calls(compare_tags({"a": "1"}, None, True)) == ({}, [])
    assert calls(compare_tags({"a": "1"}, {"b": "2"}, True)) == ({"b": "2"}, ["a"])
    assert calls(compare_tags({"a": "1"}, {"b": "2"}, False)) == ({"b": "2"}, [])
