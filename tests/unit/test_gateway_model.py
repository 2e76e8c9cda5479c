"""The local API Gateway's reading of the API Gateway v2 state (tests/local/dataplane/gateway.py and
gateway_model.py): route order, where integrations lead, custom domains, and an nginx configuration
that nginx accepts. moto in process; nginx only checks the configuration (`nginx -t`)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local import acm_cert, moto_calls  # noqa: E402
from tests.local.dataplane import containers, gateway, gateway_model  # noqa: E402

REGION = "us-east-1"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/mlflow/0123456789abcdef/0123456789abcdef"
BALANCER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/mlflow/0123456789abcdef"


class Balancers:
    """What the gateway reads of the local load balancers (alb.AlbPlane)."""

    def __init__(self) -> None:
        self.listeners = {LISTENER: ("HTTPS", 443, BALANCER)}
        self.addresses = {BALANCER: "127.0.3.9"}


@pytest.fixture
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("MOTO_APIGATEWAYV2_VPC_LINK_PENDING_SECONDS", "0")
    monkeypatch.setenv("MOTO_APIGATEWAYV2_DOMAIN_NAME_UPDATING_SECONDS", "0")
    monkeypatch.setattr(acm_cert, "STATE", tmp_path / "ca")
    moto_calls.install()
    with mock_aws():
        ec2 = boto3.client("ec2", region_name=REGION)
        vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="link", Description="link", VpcId=vpc)["GroupId"]
        apigw = boto3.client("apigatewayv2", region_name=REGION)
        api = apigw.create_api(Name="mlflow", ProtocolType="HTTP")
        link = apigw.create_vpc_link(Name="mlflow", SubnetIds=[subnet], SecurityGroupIds=[group])
        private = apigw.create_integration(
            ApiId=api["ApiId"],
            IntegrationType="HTTP_PROXY",
            IntegrationMethod="ANY",
            IntegrationUri=LISTENER,
            ConnectionType="VPC_LINK",
            ConnectionId=link["VpcLinkId"],
            PayloadFormatVersion="1.0",
            TlsConfig={"ServerNameToVerify": "mlflow.internal.example.com"},
            TimeoutInMillis=12000,
        )
        outside = apigw.create_integration(
            ApiId=api["ApiId"],
            IntegrationType="HTTP_PROXY",
            IntegrationMethod="ANY",
            IntegrationUri="https://example.com/",
            PayloadFormatVersion="1.0",
        )
        for key, target in (
            ("ANY /{proxy+}", private),
            ("ANY /", private),
            ("GET /api/2.0/mlflow/experiments/search", private),
            ("POST /elsewhere", outside),
            ("$default", private),
        ):
            apigw.create_route(ApiId=api["ApiId"], RouteKey=key, Target=f"integrations/{target['IntegrationId']}")
        apigw.create_stage(
            ApiId=api["ApiId"],
            StageName="$default",
            AutoDeploy=True,
            DefaultRouteSettings={"ThrottlingRateLimit": 0.5, "ThrottlingBurstLimit": 3},
        )
        cert, key, chain = acm_cert.issue(["mlflow.example.com"], state=tmp_path / "ca")
        arn = boto3.client("acm", region_name=REGION).import_certificate(
            Certificate=cert, PrivateKey=key, CertificateChain=chain
        )["CertificateArn"]
        apigw.create_domain_name(
            DomainName="mlflow.example.com",
            DomainNameConfigurations=[{"CertificateArn": arn, "EndpointType": "REGIONAL"}],
        )
        apigw.create_api_mapping(DomainName="mlflow.example.com", ApiId=api["ApiId"], Stage="$default")
        plane = gateway.GatewayPlane(
            tmp_path, containers.AddressPool("127.0.9.30-127.0.9.39"), Balancers(), tmp_path / "s"
        )
        servers = plane._model()
        gateway_model.resolve(servers, Balancers())
        yield {"plane": plane, "servers": servers, "api": api}


def test_routes_are_tried_most_specific_first(state):
    server = next(s for s in state["servers"] if s["key"] == state["api"]["ApiId"])
    assert [r["key"] for r in server["routes"]] == [
        "GET /api/2.0/mlflow/experiments/search",
        "POST /elsewhere",
        "ANY /",
        "ANY /{proxy+}",
        "$default",
    ]
    greedy = next(r for r in server["routes"] if r["key"] == "ANY /{proxy+}")
    assert greedy["regex"] == "^/.+$"
    assert server["throttle"] == (0.5, 3)


def test_integrations_lead_to_loopback_only(state):
    server = next(s for s in state["servers"] if s["key"] == state["api"]["ApiId"])
    private = next(r for r in server["routes"] if r["key"] == "ANY /")["upstream"]
    assert private["target"] == "https://127.0.3.9:443"
    assert private["sni"] == "mlflow.internal.example.com" and private["timeout"] == 12
    outside = next(r for r in server["routes"] if r["key"] == "POST /elsewhere")["upstream"]
    assert "target" not in outside and outside["status"] == 500


def test_a_custom_domain_serves_its_api_with_its_certificate(state):
    domain = next(s for s in state["servers"] if s["key"] == "mlflow.example.com")
    assert domain["names"] == ["mlflow.example.com"] and b"BEGIN CERTIFICATE" in domain["cert"]
    assert next(r["key"] for r in domain["routes"]) == "GET /api/2.0/mlflow/experiments/search"
    assert next(r for r in domain["routes"] if r["key"] == "ANY /")["upstream"]["target"] == "https://127.0.3.9:443"


def test_the_rendered_configuration_is_accepted_by_nginx(state):
    if shutil.which("nginx") is None:
        pytest.fail("nginx is not installed (make setup installs nginx-light and libnginx-mod-http-lua)")
    plane = state["plane"]
    for server in state["servers"]:
        plane.addresses[server["key"]] = plane.pool.take(server["key"])
    conf, lua = plane.render(state["servers"])
    assert "limit_req_zone $server_addr" in conf and "rate=30r/m" in conf  # 0.5 requests per second
    assert "proxy_ssl_name mlflow.internal.example.com;" in conf and "proxy_read_timeout 12s;" in conf
    assert "server_name mlflow.example.com;" in conf
    assert 'regex = "^/.+$"' in lua
    (plane.dir / "gateway_routes.lua").write_text(lua)
    candidate = plane.dir / "check.conf"
    candidate.write_text(conf)
    check = subprocess.run(
        ["nginx", "-t", "-q", "-p", str(plane.dir), "-c", str(candidate)], capture_output=True, text=True, check=False
    )
    assert check.returncode == 0, check.stderr
