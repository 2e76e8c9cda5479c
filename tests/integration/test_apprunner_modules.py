"""apprunner_* modules against the App Runner emulator, run by ansible-playbook as users do."""

from __future__ import annotations

import pytest
from conftest import emulator, module

IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/module-test:1"
ROLE = "arn:aws:iam::123456789012:role/ecr-access"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
# No image is pulled: TCP health checks on a container that never starts would fail, so the
# emulator runs these services without Docker semantics only when Docker is absent. Here the
# image is the local Debian base under an ECR name, serving HTTP with python's http.server.
BASE = {
    "name": "module-svc",
    "image": IMAGE,
    "access_role_arn": ROLE,
    "port": 8080,
    "start_command": 'sh -c "exec python3 -m http.server --bind $LISTEN_ADDRESS $PORT"',
    "health_check": {"protocol": "HTTP", "path": "/"},
    "wait_timeout": 120,
}


@pytest.fixture(scope="module")
def image():
    import subprocess  # noqa: PLC0415

    subprocess.run(["docker", "tag", "mlops-mlflow-aws/debian-systemd:12", IMAGE], check=True)
    return IMAGE


def calls() -> dict[str, int]:
    return emulator("calls")["calls"]


@pytest.fixture
def fresh(apprunner_env, image):
    emulator("reset", {})
    return apprunner_env


def test_create_idempotence_update_pause_resume_absent(fresh, tmp_path):
    rc, result, out = module("apprunner_service", {**BASE, "tags": {"team": "ml"}}, fresh, tmp_path, "--diff")
    assert rc == 0, out
    assert result["changed"] and result["status"] == "RUNNING"
    assert result["service"]["tags"] == {"team": "ml"}
    assert result["diff"]["before"] == {}
    url = result["service_url"]
    import urllib.request  # noqa: PLC0415

    with urllib.request.urlopen(f"http://{url}/", timeout=10) as response:
        assert response.status == 200  # the ServiceUrl really serves the image

    emulator("calls/reset", {})
    rc, result, out = module("apprunner_service", BASE, fresh, tmp_path)
    assert rc == 0 and not result["changed"], out
    assert sum(calls().values()) <= 2, calls()  # ListServices + DescribeService
    emulator("calls/reset", {})
    rc, result, out = module("apprunner_service", {**BASE, "tags": {"team": "ml"}}, fresh, tmp_path)
    assert rc == 0 and not result["changed"], out
    assert sum(calls().values()) == 3, calls()  # + ListTagsForResource when tags are managed

    emulator("calls/reset", {})
    rc, result, out = module(
        "apprunner_service", {**BASE, "cpu": "2048", "memory": "4096"}, fresh, tmp_path, "--check", "--diff"
    )
    assert rc == 0 and result["changed"], out
    assert result["diff"]["after"]["InstanceConfiguration"]["Cpu"] == "2048"
    assert result["diff"]["before"]["InstanceConfiguration"]["Cpu"] == "1024"
    assert "UpdateService" not in calls()

    rc, result, out = module("apprunner_service", {**BASE, "cpu": "2048", "memory": "4096"}, fresh, tmp_path)
    assert rc == 0 and result["changed"], out
    assert calls()["UpdateService"] == 1
    assert result["service"]["instance_configuration"]["cpu"] == "2048"

    rc, result, out = module("apprunner_service", {**BASE, "state": "paused"}, fresh, tmp_path)
    assert rc == 0 and result["changed"] and result["status"] == "PAUSED", out
    rc, result, out = module("apprunner_service", {**BASE, "state": "paused"}, fresh, tmp_path)
    assert rc == 0 and not result["changed"], out
    rc, result, out = module("apprunner_service", {**BASE, "state": "running"}, fresh, tmp_path)
    assert rc == 0 and result["changed"] and result["status"] == "RUNNING", out

    rc, result, out = module("apprunner_service", {"name": "module-svc", "force_deployment": True}, fresh, tmp_path)
    assert rc == 0 and result["changed"] and calls()["StartDeployment"] == 1, out

    rc, result, out = module("apprunner_service", {"name": "module-svc", "state": "absent"}, fresh, tmp_path, "--check")
    assert rc == 0 and result["changed"] and "DeleteService" not in calls(), out
    rc, result, out = module("apprunner_service", {"name": "module-svc", "state": "absent"}, fresh, tmp_path)
    assert rc == 0 and result["changed"], out
    rc, result, out = module("apprunner_service_info", {"name": "module-svc"}, fresh, tmp_path)
    assert rc == 0 and result["services"] == [], out
    assert emulator("calls")["output_errors"] == []


def test_check_mode_creates_nothing(fresh, tmp_path):
    rc, result, out = module("apprunner_service", BASE, fresh, tmp_path, "--check")
    assert rc == 0 and result["changed"], out
    assert set(calls()) == {"ListServices"}


def test_failed_create_and_rolled_back_update_fail_clearly(fresh, tmp_path):
    emulator("faults", {"fail_next_create": True})
    rc, _result, out = module("apprunner_service", BASE, fresh, tmp_path)
    assert rc != 0
    assert "could not create service module-svc" in out and "ended FAILED, service status CREATE_FAILED" in out
    # The next run replaces the failed service.
    rc, result, out = module("apprunner_service", BASE, fresh, tmp_path)
    assert rc == 0 and result["status"] == "RUNNING", out
    assert "CREATE_FAILED from an earlier run: recreating it" in out
    emulator("faults", {"fail_next_update": True})
    rc, _result, out = module("apprunner_service", {**BASE, "environment": {"A": "1"}}, fresh, tmp_path)
    assert rc != 0 and "ended ROLLBACK_SUCCEEDED, service status RUNNING" in out, out
    rc, result, out = module("apprunner_service_info", {"name": "module-svc"}, fresh, tmp_path)
    image_config = result["services"][0]["source_configuration"]["image_repository"]["image_configuration"]
    assert "A" not in image_config.get("runtime_environment_variables", {})


def test_throttling_is_retried(fresh, tmp_path):
    emulator("faults", {"throttle": {"ListServices": 6}})
    rc, result, out = module("apprunner_service_info", {}, fresh, tmp_path)
    assert rc == 0 and result["services"] == [], out
    assert calls()["ListServices"] == 7  # six throttled answers, then the one that counted


def test_auto_scaling_revisions_and_vpc_connector_replacement(fresh, tmp_path):
    args = {"name": "module-scaling", "min_size": 1, "max_size": 4, "max_concurrency": 50}
    rc, first, out = module("apprunner_auto_scaling_configuration", args, fresh, tmp_path)
    assert rc == 0 and first["changed"] and first["revision"] == 1, out
    rc, again, out = module("apprunner_auto_scaling_configuration", args, fresh, tmp_path)
    assert rc == 0 and not again["changed"], out
    rc, second, out = module("apprunner_auto_scaling_configuration", {**args, "max_size": 6}, fresh, tmp_path)
    assert rc == 0 and second["changed"] and second["revision"] == 2, out
    assert second["deleted_revisions"] == [first["auto_scaling_configuration_arn"]]
    rc, gone, out = module(
        "apprunner_auto_scaling_configuration", {"name": "module-scaling", "state": "absent"}, fresh, tmp_path
    )
    assert rc == 0 and gone["changed"], out

    conn = {"name": "module-conn", "subnets": ["subnet-1", "subnet-2"], "security_groups": ["sg-1"]}
    rc, first, out = module("apprunner_vpc_connector", conn, fresh, tmp_path)
    assert rc == 0 and first["changed"] and not first["replaced"], out
    rc, again, out = module("apprunner_vpc_connector", conn, fresh, tmp_path)
    assert rc == 0 and not again["changed"], out
    rc, moved, out = module("apprunner_vpc_connector", {**conn, "security_groups": ["sg-2"]}, fresh, tmp_path, "--diff")
    assert rc == 0 and moved["changed"] and moved["replaced"], out
    assert moved["diff"]["after"]["replaced"] is True
    assert moved["vpc_connector_arn"] != first["vpc_connector_arn"]


BAD_INPUT = [
    ({"cpu": "1024", "memory": "8192"}, "cpu 1024 with memory 8192: App Runner allows memory 2048, 3072, 4096"),
    ({"cpu": "256", "memory": "4096"}, "cpu 256 with memory 4096"),
    ({"cpu": "3 vCPU"}, "cpu '3 vCPU': one of 256"),
    ({"memory": "5 GB"}, "memory '5 GB'"),
    ({"port": 70000}, "port 70000: must be between 1 and 65535"),
    ({"port": 0}, "port 0: must be between 1 and 65535"),
    ({"environment_secrets": {"DB": "my-db-password"}}, "environment_secrets.DB: 'my-db-password' is not a Secrets"),
    ({"environment": {"DB": "x"}, "environment_secrets": {"DB": SECRET}}, "a variable can be set only once"),
    ({"environment": {"AWSAPPRUNNER_X": "1"}}, "environment.AWSAPPRUNNER_X: not a valid variable name"),
    ({"egress_type": "VPC"}, "vpc_connector_arn: required with egress_type=VPC"),
    ({"image": "docker.io/library/mlflow:latest"}, "image 'docker.io/library/mlflow:latest': not an ECR image URI"),
    ({"access_role_arn": None}, "access_role_arn: required for a private ECR image"),
    ({"health_check": {"path": "health", "interval": 30}}, "health_check.interval 30: must be between 1 and 20"),
    ({"kms_key": "alias/mlflow"}, "kms_key 'alias/mlflow': App Runner needs a KMS key ARN"),
    ({"name": "ml"}, "name 'ml': 4-40 letters"),
]


@pytest.mark.parametrize(("override", "message"), BAD_INPUT, ids=[m[:40] for _o, m in BAD_INPUT])
def test_bad_input_fails_before_any_call(fresh, tmp_path, override, message):
    args = {k: v for k, v in {**BASE, **override}.items() if v is not None}
    rc, _result, out = module("apprunner_service", args, fresh, tmp_path)
    assert rc != 0
    assert message in out
    assert calls() == {}


def test_unknown_ingress_mode_is_refused_by_the_argument_spec(fresh, tmp_path):
    rc, _result, out = module("apprunner_service", {**BASE, "egress_type": "INTERNET"}, fresh, tmp_path)
    assert rc != 0 and "value of egress_type must be one of: DEFAULT, VPC" in out
    assert calls() == {}
