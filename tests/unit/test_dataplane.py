"""The local data plane's pure parts (tests/local/dataplane, tests/local/moto_calls.py), without Docker.

The HAProxy configuration is checked with `haproxy -c`, the added moto calls against botocore's
service model, the container flags against what ECS task definitions say.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local.dataplane import containers  # noqa: E402
from tests.local.dataplane.alb import AlbPlane  # noqa: E402
from tests.local.dataplane.hosts import HostsBlock  # noqa: E402
from tests.local.dataplane.plane import MachineTaken, claim_machine  # noqa: E402

FORWARD_ARN = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/tasks/0123456789abcdef"


def balancer(listeners: list[dict], targets: list[tuple[str, int]]) -> dict:
    return {
        "arn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/mlflow/1",
        "dns": "mlflow-1.eu-west-1.elb.amazonaws.com",
        "idle": 300,
        "listeners": listeners,
        "groups": {
            FORWARD_ARN: {
                "protocol": "HTTP",
                "path": "/health",
                "matcher": "200",
                "interval": 15,
                "healthy": 2,
                "unhealthy": 3,
                "enabled": True,
                "targets": targets,
            }
        },
    }


@pytest.fixture
def plane(tmp_path):
    alb = AlbPlane(tmp_path, containers.AddressPool("127.0.3.1-127.0.3.4"), dict)
    alb.addresses["arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/mlflow/1"] = "127.0.3.1"
    return alb


def test_haproxy_configuration_of_a_redirect_and_a_forward(plane):
    forward = {"Type": "forward", "TargetGroupArn": FORWARD_ARN}
    redirect = {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}}
    text = plane.render(
        [
            balancer(
                [
                    {"port": 80, "protocol": "HTTP", "certs": [], "action": redirect},
                    {"port": 8443, "protocol": "HTTP", "certs": [], "action": forward},
                ],
                [("10.0.1.5", 8080, "healthy"), ("10.0.2.9", 8080, "healthy"), ("10.0.3.3", 8080, "initial")],
            )
        ],
        {"10.0.1.5": "127.0.2.7", "10.0.3.3": "127.0.2.8"},
    )
    assert "bind 127.0.3.1:80" in text and "bind 127.0.3.1:8443" in text
    assert (
        "http-request redirect code 301 location https://%[req.hdr(host),regsub(:[0-9]+$,)]%[capture.req.uri]" in text
    )
    assert "timeout client 300s" in text and "timeout server 300s" in text
    assert "server t0 127.0.2.7:8080\n" in text
    # A target the data plane has no loopback address for is left out: no traffic to 10.x.
    assert "10.0.2.9" not in text and "10.0.1.5" not in text
    # A target that has not passed a health check yet gets no requests while others are healthy.
    assert "127.0.2.8" not in text
    assert "retries 0" in text
    if shutil.which("haproxy") is None:
        pytest.fail("haproxy is not installed (make setup installs it)")
    config = plane.dir / "check.cfg"
    config.write_text(text)
    check = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_hosts_block_is_added_and_removed(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    block = HostsBlock(hosts)
    names = {"mlflow-1.eu-west-1.elb.amazonaws.com": "127.0.3.1"}
    names["abc.execute-api.eu-west-1.amazonaws.com"] = "127.0.4.1"
    block.write(names)
    assert "127.0.3.1 mlflow-1.eu-west-1.elb.amazonaws.com" in hosts.read_text()
    assert "127.0.4.1 abc.execute-api.eu-west-1.amazonaws.com" in hosts.read_text()
    block.write({})
    assert hosts.read_text() == "127.0.0.1 localhost\n"


def test_matcher_ranges():
    assert containers.status_matches(204, "200-299") and not containers.status_matches(301, "200,202")


def test_ecs_health_check_becomes_docker_flags():
    health = {"command": ["CMD", "/opt/mlflow/bin/python", "/x y", "healthcheck"], "interval": 15, "retries": 3}
    flags = containers.health_args(health)
    assert flags[:2] == ["--health-cmd", "/opt/mlflow/bin/python '/x y' healthcheck"]
    assert "--health-interval" in flags and "15s" in flags and "--health-timeout" in flags
    assert (
        containers.health_args({"command": ["CMD-SHELL", "curl -f localhost || exit 1"]})[1]
        == "curl -f localhost || exit 1"
    )
    assert containers.health_args(None) == []


def test_secret_references_resolve_whole_or_by_json_key():
    values = {"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf": json.dumps({"password": "pw"})}

    class Fake:
        def __init__(self, service, region_name):
            assert service == "secretsmanager" and region_name == "eu-west-1"

        def get_secret_value(self, SecretId):
            return {"SecretString": values[SecretId]}

    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
    assert containers.resolve_secret(arn, "us-east-1", Fake) == values[arn]
    assert containers.resolve_secret(arn + ":password::", "us-east-1", Fake) == "pw"
    with pytest.raises(containers.ContainerError, match="has no JSON key 'user'"):
        containers.resolve_secret(arn + ":user::", "us-east-1", Fake)
    with pytest.raises(containers.ContainerError, match="not a Secrets Manager or SSM parameter ARN"):
        containers.resolve_secret("plain-text", "us-east-1", Fake)


def test_address_pool_gives_each_owner_one_address_and_takes_it_back():
    pool = containers.AddressPool("127.0.2.1-127.0.2.2")
    first = pool.take("a")
    assert pool.take("a") == first and pool.take("b") != first
    with pytest.raises(containers.ContainerError):
        pool.take("c")
    pool.give_back("a")
    assert pool.take("c") == first
    with pytest.raises(ValueError, match="loopback"):
        containers.AddressPool("10.0.0.1-10.0.0.2")


@pytest.mark.parametrize(
    ("operation", "request_members", "response_members"),
    [
        ("TagResource", {"ResourceARN", "Tags"}, set()),
        ("UntagResource", {"ResourceARN", "TagKeys"}, set()),
        ("ListTagsForResource", {"ResourceARN"}, {"Tags"}),
        ("RegisterScalableTarget", {"Tags"}, {"ScalableTargetARN"}),
    ],
)
def test_added_moto_calls_speak_botocores_model(operation, request_members, response_members):
    """tests/local/moto_calls.py reads and answers exactly these members of the operations."""
    model = botocore.session.get_session().get_service_model("application-autoscaling").operation_model(operation)
    assert request_members <= set(model.input_shape.members)
    assert response_members <= set(model.output_shape.members if model.output_shape else {})
    source = (ROOT / "tests/local/moto_calls.py").read_text()
    for member in request_members | response_members:
        assert f'"{member}"' in source, member


def test_all_targets_get_requests_when_none_is_healthy(plane):
    forward = {"Type": "forward", "TargetGroupArn": FORWARD_ARN}
    text = plane.render(
        [balancer([{"port": 80, "protocol": "HTTP", "certs": [], "action": forward}], [("10.0.3.3", 8080, "failing")])],
        {"10.0.3.3": "127.0.2.8"},
    )
    assert "server t0 127.0.2.8:8080" in text


def test_one_data_plane_per_machine(tmp_path):
    """Its address ranges, /etc/hosts block and containers are the machine's: a second plane is refused,
    naming the first, and may start once the first has gone."""
    lock = tmp_path / "dataplane.lock"
    first = claim_machine(tmp_path / "first", lock)
    with pytest.raises(MachineTaken, match=r"pid \d+, state .*/first\b.*LOCAL_DATAPLANE=off"):
        claim_machine(tmp_path / "second", lock)
    first.close()
    second = claim_machine(tmp_path / "second", lock)
    assert lock.read_text().endswith("/second\n")
    second.close()
