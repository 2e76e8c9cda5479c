"""Listener rules in the local load balancers' HAProxy configuration (tests/local/dataplane/alb.py).

Rules come before the default action, in priority order; host-header values have wildcards, are
case-insensitive and ignore the port; path-pattern is case-sensitive; forward, redirect and
fixed-response answer. Each configuration is checked with `haproxy -c`; the rules are read from
moto's ELBv2 state as the API leaves it (mock_aws).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local.dataplane import alb, containers  # noqa: E402
from tests.local.dataplane.alb import AlbPlane  # noqa: E402

LB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:loadbalancer/app/shared/1"
API = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/api/1"
WEB = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/web/2"
NOT_FOUND = {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "404", "ContentType": "text/plain"}}


def group(targets: list[tuple[str, int, str]]) -> dict:
    return {
        "protocol": "HTTP",
        "path": "/ping",
        "matcher": "200",
        "interval": 30,
        "healthy": 5,
        "unhealthy": 2,
        "enabled": True,
        "targets": targets,
    }


def rule(priority: int, action: dict, **conditions: list[str]) -> dict:
    fields = {"host": "host-header", "path": "path-pattern", "method": "http-request-method"}
    return {
        "priority": priority,
        "conditions": [{"field": fields[k], "values": v} for k, v in conditions.items()],
        "action": action,
    }


@pytest.fixture
def plane(tmp_path):
    made = AlbPlane(tmp_path, containers.AddressPool("127.0.3.1-127.0.3.4"), dict)
    made.addresses[LB] = "127.0.3.1"
    return made


def render(plane: AlbPlane, rules: list[dict], default: dict) -> str:
    balancer = {
        "arn": LB,
        "dns": "shared-1.eu-west-1.elb.amazonaws.com",
        "idle": 60,
        "listeners": [{"arn": "l", "port": 8443, "protocol": "HTTP", "certs": [], "action": default, "rules": rules}],
        "groups": {API: group([("10.0.0.1", 8080, "healthy")]), WEB: group([("10.0.0.2", 80, "healthy")])},
    }
    return plane.render([balancer], {"10.0.0.1": "127.0.2.1", "10.0.0.2": "127.0.2.2"})


def haproxy_accepts(path: Path, text: str) -> None:
    # The data plane's load balancers are HAProxy: without it this test, like the data plane, fails.
    assert shutil.which("haproxy"), "haproxy is not installed (make setup installs it)"
    path.write_text(text)
    check = subprocess.run(["haproxy", "-c", "-f", str(path)], capture_output=True, text=True, check=False)
    assert check.returncode == 0, check.stdout + check.stderr


def test_rules_in_priority_order_before_the_default(plane, tmp_path):
    rules = [
        rule(20, {"Type": "forward", "TargetGroupArn": WEB}, host=["*.Example.com"]),
        rule(10, {"Type": "forward", "TargetGroupArn": API}, host=["api.example.com"], path=["/v?/*"]),
        rule(
            30, {"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS", "StatusCode": "HTTP_302"}}, path=["/old"]
        ),
        rule(40, {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "403"}}, method=["delete"]),
    ]
    text = render(plane, sorted(rules, key=lambda r: -r["priority"]), NOT_FOUND)
    haproxy_accepts(tmp_path / "rules.cfg", text)
    frontend = text.split("frontend ", 1)[1].split("\nbackend ", 1)[0]
    lines = frontend.splitlines()
    # acl r0_*: priority 10 (host AND path), then r1: 20, r2: 30, r3: 40
    assert "  acl r0_0 req.hdr(host),field(1,:),lower -m reg ^api[.]example[.]com$" in lines
    assert "  acl r0_1 path -m reg ^/v./.*$" in lines
    assert "  acl r1_0 req.hdr(host),field(1,:),lower -m reg ^.*[.]example[.]com$" in lines
    assert "  acl r3_0 method DELETE" in lines
    undecided = "!{ var(txn.route) -m found }"
    assert f"  http-request set-var(txn.route) str(r0) if {undecided} r0_0 r0_1" in lines
    assert f"  http-request set-var(txn.route) str(r1) if {undecided} r1_0" in lines
    assert any(
        line.startswith("  http-request redirect code 302") and line.endswith(f"{undecided} r2_0") for line in lines
    )
    assert any(
        line.startswith("  http-request return status 403") and line.endswith(f"{undecided} r3_0") for line in lines
    )
    # the default answers only when no rule did, after every rule
    default = next(i for i, line in enumerate(lines) if "return status 404" in line)
    assert lines[default].endswith(f"if {undecided}")
    assert default > max(i for i, line in enumerate(lines) if "r3_0" in line)
    api, web = f"tg_{alb._ident(LB)}_{alb._ident(API)}", f"tg_{alb._ident(LB)}_{alb._ident(WEB)}"
    assert f"  use_backend {api} if {{ var(txn.route) -m str r0 }}" in lines
    assert f"  use_backend {web} if {{ var(txn.route) -m str r1 }}" in lines
    # every http-request line comes before the use_backend lines (HAProxy runs them first anyway)
    last_request = max(i for i, line in enumerate(lines) if line.startswith("  http-request"))
    assert last_request < min(i for i, line in enumerate(lines) if line.startswith("  use_backend"))
    assert f"backend {api}" in text and "server t0 127.0.2.1:8080" in text


def test_a_forward_default_stays_the_default_backend(plane, tmp_path):
    rules = [rule(1, NOT_FOUND, path=["/private*"])]
    text = render(plane, rules, {"Type": "forward", "TargetGroupArn": WEB})
    haproxy_accepts(tmp_path / "forward.cfg", text)
    assert text.rstrip().count("default_backend") == 1
    assert "  acl r0_0 path -m reg ^/private.*$" in text


def test_listeners_without_rules_render_as_before(plane, tmp_path):
    text = render(plane, [], {"Type": "forward", "TargetGroupArn": API})
    haproxy_accepts(tmp_path / "plain.cfg", text)
    assert "txn.route" not in text and "acl " not in text


def test_values_are_written_without_haproxy_metacharacters():
    assert alb._wildcard("a b\\c#d") == "^a.b.c.d$"
    assert alb._wildcard("/api/(v1)+$") == "^/api/[(]v1[)][+][$]$"
    assert re.fullmatch(alb._wildcard("*.ecs.us-east-1.on.aws"), "svc-0123456789.ecs.us-east-1.on.aws")


@mock_aws
def test_rules_are_read_from_moto_and_their_target_groups_get_backends(tmp_path):
    ec2 = boto3.client("ec2", region_name="eu-west-1")
    elbv2 = boto3.client("elbv2", region_name="eu-west-1")
    vpc = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.1.{i}.0/24", AvailabilityZone=f"eu-west-1{z}")["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    lb = elbv2.create_load_balancer(Name="shared", Subnets=subnets)["LoadBalancers"][0]["LoadBalancerArn"]
    groups = [
        elbv2.create_target_group(Name=name, Protocol="HTTP", Port=8080, VpcId=vpc, TargetType="ip")["TargetGroups"][0][
            "TargetGroupArn"
        ]
        for name in ("one", "two")
    ]
    listener = elbv2.create_listener(LoadBalancerArn=lb, Protocol="HTTP", Port=80, DefaultActions=[NOT_FOUND])
    listener_arn = listener["Listeners"][0]["ListenerArn"]
    for priority, (name, target) in enumerate(zip(("one", "two"), groups, strict=True), start=1):
        elbv2.create_rule(
            ListenerArn=listener_arn,
            Priority=priority,
            Conditions=[{"Field": "host-header", "HostHeaderConfig": {"Values": [f"{name}.example.com"]}}],
            Actions=[{"Type": "forward", "TargetGroupArn": target}],
        )
    elbv2.create_rule(
        ListenerArn=listener_arn,
        Priority=9,
        Conditions=[{"Field": "source-ip", "SourceIpConfig": {"Values": ["10.0.0.0/8"]}}],
        Actions=[NOT_FOUND],
    )
    plane = AlbPlane(tmp_path, containers.AddressPool("127.0.3.1-127.0.3.4"), dict)
    (balancer,) = plane._model()[0]
    (served,) = balancer["listeners"]
    assert [r["priority"] for r in served["rules"]] == [1, 2]  # source-ip is not served locally: left out
    assert served["rules"][0]["conditions"] == [{"field": "host-header", "values": ["one.example.com"]}]
    assert set(balancer["groups"]) == set(groups)
    plane.addresses[balancer["arn"]] = "127.0.3.1"
    haproxy_accepts(tmp_path / "moto.cfg", plane.render([balancer], {}))
