"""The apigatewayv2_* modules against the local moto server, run by ansible-playbook.

moto 5.2 lacks UpdateStage, CreateDeployment and tags on stages, and makes every VPC link AVAILABLE at
once; tests/local/moto_calls.py adds them (a link is PENDING for a moment, FAILED without its
network). Which calls a run made is read from the moto server's request log: a no-op run makes
only GET calls, a one-field change one update call.
"""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

import pytest
from aws_state import client, vpc_with_subnets
from conftest import REPO, module

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane

REGION = "us-east-1"
LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/mlflow/0123456789abcdef/fedcba9876543210"
LOG_GROUP = "arn:aws:logs:us-east-1:123456789012:log-group:/mlflow/api-access"


class Calls:
    """The API Gateway calls the moto server logs from now on, as 'METHOD /path' strings."""

    LOG = Path(os.environ.get("LOCAL_STATE_DIR", REPO / "tests/output/local")) / "moto.log"

    def __init__(self):
        self.start = self.LOG.stat().st_size

    def made(self):
        with self.LOG.open("rb") as log:
            log.seek(self.start)
            text = log.read().decode(errors="replace")
        return re.findall(r'"(?:\x1b\[[0-9;]*m)?([A-Z]+ /v2/\S*) HTTP', text)

    def writes(self):
        return [c for c in self.made() if not c.startswith("GET ")]


@pytest.fixture(scope="module")
def net(aws_env):
    ec2 = client("ec2", aws_env)
    ident = f"gw{uuid.uuid4().hex[:8]}"
    vpc, subnets = vpc_with_subnets(aws_env, "ab")
    groups = [
        ec2.create_security_group(GroupName=f"{ident}-{n}", Description="vpc link", VpcId=vpc)["GroupId"]
        for n in (1, 2)
    ]
    return dict(ident=ident, subnets=subnets, groups=groups, gw=client("apigatewayv2", aws_env))


def apis_named(net, name):
    return [a for a in net["gw"].get_apis()["Items"] if a["Name"] == name]


def test_api_life_cycle(net, aws_env, tmp_path):
    name = net["ident"]
    args = {
        "name": name,
        "description": "MLflow",
        "cors_configuration": {"allow_origins": ["https://ui.example.com"], "allow_methods": ["GET", "POST"]},
        "tags": {"Application": "mlflow"},
    }
    rc, task, out = module("apigatewayv2_api", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {} and task["diff"]["after"]["description"] == "MLflow"
    assert task["diff"]["after"]["tags"] == {"Application": "mlflow"}
    assert apis_named(net, name) == [], "check mode created the API"

    rc, task, out = module("apigatewayv2_api", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    api_id = task["api"]["api_id"]
    assert task["api"]["api_endpoint"] == f"https://{api_id}.execute-api.{REGION}.amazonaws.com"
    assert task["api"]["protocol_type"] == "HTTP" and task["api"]["tags"] == {"Application": "mlflow"}
    assert task["api_arn"] == f"arn:aws:apigateway:{REGION}::/apis/{api_id}"
    created = net["gw"].get_api(ApiId=api_id)
    assert created["CorsConfiguration"]["AllowMethods"] == ["GET", "POST"] and created["Description"] == "MLflow"

    calls = Calls()
    rc, task, out = module("apigatewayv2_api", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    assert calls.writes() == [], "a no-op run wrote"

    # One field: the diff says so in check mode, one UpdateApi applies it, the rest stays.
    changed = dict(args, description="MLflow tracking")
    rc, task, out = module("apigatewayv2_api", changed, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert (task["diff"]["before"]["description"], task["diff"]["after"]["description"]) == (
        "MLflow",
        "MLflow tracking",
    )
    assert net["gw"].get_api(ApiId=api_id)["Description"] == "MLflow"
    calls = Calls()
    rc, task, out = module("apigatewayv2_api", changed, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert calls.writes() == [f"PATCH /v2/apis/{api_id}"]
    now = net["gw"].get_api(ApiId=api_id)
    assert now["Description"] == "MLflow tracking" and now["CorsConfiguration"]["AllowOrigins"] == [
        "https://ui.example.com"
    ]

    # Tags: purged by default, kept with purge_tags=false.
    rc, task, out = module("apigatewayv2_api", dict(changed, tags={"Team": "ml"}), aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"] and task["api"]["tags"] == {"Team": "ml"}, out
    assert task["diff"]["before"]["tags"] == {"Application": "mlflow"}
    keep = dict(changed, tags={"Application": "mlflow"}, purge_tags=False)
    rc, task, out = module("apigatewayv2_api", keep, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    arn = f"arn:aws:apigateway:{REGION}::/apis/{api_id}"
    assert net["gw"].get_tags(ResourceArn=arn)["Tags"] == {"Team": "ml", "Application": "mlflow"}

    # CORS removed with {}.
    rc, task, out = module("apigatewayv2_api", dict(keep, cors_configuration={}), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and "CorsConfiguration" not in net["gw"].get_api(ApiId=api_id), out


def test_api_name_is_its_identity(net, aws_env, tmp_path):
    name = f"{net['ident']}-named"
    keep = {"name": name}
    rc, task, out = module("apigatewayv2_api", keep, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out

    # A second API of the same name: the module refuses to guess.
    twin = net["gw"].create_api(Name=name, ProtocolType="HTTP")["ApiId"]
    rc, task, out = module("apigatewayv2_api", keep, aws_env, tmp_path)
    assert rc != 0 and f"2 APIs are named '{name}'" in task["msg"] and twin in task["msg"], out
    net["gw"].delete_api(ApiId=twin)

    absent = {"name": name, "state": "absent"}
    rc, task, out = module("apigatewayv2_api", absent, aws_env, tmp_path, "--check")
    assert rc == 0 and task["changed"] and apis_named(net, name), out
    rc, task, out = module("apigatewayv2_api", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and apis_named(net, name) == [], out
    rc, task, out = module("apigatewayv2_api", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_vpc_link_life_cycle(net, aws_env, tmp_path):
    name = f"{net['ident']}-link"
    args = {"name": name, "subnet_ids": net["subnets"], "security_group_ids": [net["groups"][0]], "tags": {"A": "1"}}

    def links():
        return [v for v in net["gw"].get_vpc_links()["Items"] if v["Name"] == name]

    rc, task, out = module("apigatewayv2_vpc_link", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["subnet_ids"] == sorted(net["subnets"]), out
    assert links() == []

    # A new link is PENDING at first: the module waits until it is AVAILABLE.
    calls = Calls()
    rc, task, out = module("apigatewayv2_vpc_link", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert task["vpc_link"]["vpc_link_status"] == "AVAILABLE" and task["vpc_link"]["tags"] == {"A": "1"}
    link_id = task["vpc_link_id"]
    assert calls.made().count(f"GET /v2/vpclinks/{link_id}") >= 2, "no wait for a PENDING link"

    calls = Calls()
    rc, task, out = module("apigatewayv2_vpc_link", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and calls.writes() == [], out

    rc, task, out = module("apigatewayv2_vpc_link", dict(args, tags={"B": "2"}), aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["tags"] == {"B": "2"}, out
    assert net["gw"].get_vpc_link(VpcLinkId=link_id)["Tags"] == {"B": "2"}

    # Security groups cannot change in AWS: a clear failure, the link stays.
    rc, task, out = module("apigatewayv2_vpc_link", dict(args, security_group_ids=net["groups"]), aws_env, tmp_path)
    assert rc != 0 and "security_group_ids cannot change" in task["msg"], out
    assert net["gw"].get_vpc_link(VpcLinkId=link_id)["SecurityGroupIds"] == [net["groups"][0]]

    # A link whose network does not exist fails; the wait ends with its status message.
    broken = {"name": f"{name}-broken", "subnet_ids": ["subnet-0123456789abcdef0"], "wait_timeout": 30}
    rc, task, out = module("apigatewayv2_vpc_link", broken, aws_env, tmp_path)
    assert rc != 0 and "is FAILED: VPC link creation failed: subnet-0123456789abcdef0 not found" in task["msg"], out
    rc, task, out = module("apigatewayv2_vpc_link", dict(broken, state="absent"), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out

    absent = {"name": name, "state": "absent"}
    rc, task, out = module("apigatewayv2_vpc_link", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and links() == [], out
    rc, task, out = module("apigatewayv2_vpc_link", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


@pytest.fixture
def http_api(net):
    api_id = net["gw"].create_api(Name=f"{net['ident']}-{uuid.uuid4().hex[:4]}", ProtocolType="HTTP")["ApiId"]
    link = net["gw"].create_vpc_link(Name=f"{net['ident']}-l", SubnetIds=net["subnets"])["VpcLinkId"]
    yield dict(api_id=api_id, link=link)
    net["gw"].delete_api(ApiId=api_id)
    net["gw"].delete_vpc_link(VpcLinkId=link)


def test_integration(net, http_api, aws_env, tmp_path):
    api_id, gw = http_api["api_id"], net["gw"]
    args = {
        "api_id": api_id,
        "integration_uri": LISTENER,
        "connection_id": http_api["link"],
        "timeout_in_millis": 29000,
        "tls_config": {"server_name_to_verify": "mlflow.internal"},
        "request_parameters": {"overwrite:header.x-forwarded-prefix": "/mlflow"},
    }
    rc, task, out = module("apigatewayv2_integration", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["timeout_in_millis"] == 29000, out
    assert gw.get_integrations(ApiId=api_id)["Items"] == []

    rc, task, out = module("apigatewayv2_integration", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    integration_id = task["integration_id"]
    made = gw.get_integration(ApiId=api_id, IntegrationId=integration_id)
    assert (made["IntegrationType"], made["IntegrationMethod"], made["ConnectionType"]) == (
        "HTTP_PROXY",
        "ANY",
        "VPC_LINK",
    )
    assert made["PayloadFormatVersion"] == "1.0" and made["ConnectionId"] == http_api["link"]
    assert task["integration"]["request_parameters"] == {"overwrite:header.x-forwarded-prefix": "/mlflow"}

    calls = Calls()
    rc, task, out = module("apigatewayv2_integration", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["integration_id"] == integration_id, out
    assert calls.writes() == []

    calls = Calls()
    rc, task, out = module("apigatewayv2_integration", dict(args, timeout_in_millis=10000), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert calls.writes() == [f"PATCH /v2/apis/{api_id}/integrations/{integration_id}"]
    assert gw.get_integration(ApiId=api_id, IntegrationId=integration_id)["TimeoutInMillis"] == 10000

    # Parameters given are exactly the integration's: one removed, one added.
    params = {"overwrite:path": "$request.path"}
    rc, task, out = module("apigatewayv2_integration", dict(args, request_parameters=params), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert gw.get_integration(ApiId=api_id, IntegrationId=integration_id)["RequestParameters"] == params

    absent = {"api_id": api_id, "integration_id": integration_id, "state": "absent"}
    rc, task, out = module("apigatewayv2_integration", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and gw.get_integrations(ApiId=api_id)["Items"] == [], out
    rc, task, out = module("apigatewayv2_integration", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_route(net, http_api, aws_env, tmp_path):
    api_id, gw = http_api["api_id"], net["gw"]
    target = "integrations/" + gw.create_integration(
        ApiId=api_id, IntegrationType="HTTP_PROXY", IntegrationMethod="ANY", IntegrationUri=LISTENER,
        ConnectionType="VPC_LINK", ConnectionId=http_api["link"], PayloadFormatVersion="1.0",
    )["IntegrationId"]  # fmt: skip
    args = {"api_id": api_id, "route_key": "ANY /{proxy+}", "target": target}
    rc, task, out = module("apigatewayv2_route", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["route_key"] == "ANY /{proxy+}", out
    assert gw.get_routes(ApiId=api_id)["Items"] == []

    rc, task, out = module("apigatewayv2_route", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["route"]["target"] == target, out
    route_id = task["route_id"]
    calls = Calls()
    rc, task, out = module("apigatewayv2_route", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and calls.writes() == [], out

    calls = Calls()
    rc, task, out = module("apigatewayv2_route", dict(args, authorization_type="AWS_IAM"), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert calls.writes() == [f"PATCH /v2/apis/{api_id}/routes/{route_id}"]
    assert gw.get_route(ApiId=api_id, RouteId=route_id)["AuthorizationType"] == "AWS_IAM"

    rc, task, out = module("apigatewayv2_route", dict(args, route_key="$default"), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert sorted(r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]) == ["$default", "ANY /{proxy+}"]

    absent = dict(args, state="absent")
    rc, task, out = module("apigatewayv2_route", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert [r["RouteKey"] for r in gw.get_routes(ApiId=api_id)["Items"]] == ["$default"]
    rc, task, out = module("apigatewayv2_route", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_stage_and_info(net, http_api, aws_env, tmp_path):
    api_id, gw = http_api["api_id"], net["gw"]
    args = {
        "api_id": api_id,
        "auto_deploy": True,
        "access_log_settings": {"destination_arn": LOG_GROUP, "format": "$context.requestId $context.status"},
        "default_route_settings": {"throttling_burst_limit": 100, "throttling_rate_limit": 50},
        "tags": {"Application": "mlflow"},
    }
    rc, task, out = module("apigatewayv2_stage", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["stage_name"] == "$default", out
    assert gw.get_stages(ApiId=api_id)["Items"] == []

    rc, task, out = module("apigatewayv2_stage", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["stage"]["auto_deploy"] is True, out
    assert task["stage"]["default_route_settings"]["throttling_rate_limit"] == 50
    stage_arn = f"arn:aws:apigateway:{REGION}::/apis/{api_id}/stages/$default"
    assert task["stage_arn"] == stage_arn and task["stage"]["tags"] == {"Application": "mlflow"}

    calls = Calls()
    rc, task, out = module("apigatewayv2_stage", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and calls.writes() == [], out

    # One throttling value: one UpdateStage (moto_calls.py), the other value kept.
    changed = dict(args, default_route_settings={"throttling_rate_limit": 20.5})
    rc, task, out = module("apigatewayv2_stage", changed, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["after"]["default_route_settings"]["throttling_rate_limit"] == 20.5
    calls = Calls()
    rc, task, out = module("apigatewayv2_stage", changed, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert calls.writes() == [f"PATCH /v2/apis/{api_id}/stages/$default"]
    settings = gw.get_stage(ApiId=api_id, StageName="$default")["DefaultRouteSettings"]
    assert (settings["ThrottlingRateLimit"], settings["ThrottlingBurstLimit"]) == (20.5, 100)

    # Stage tags live on the stage's ARN.
    rc, task, out = module("apigatewayv2_stage", dict(changed, tags={"Team": "ml"}), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["stage"]["tags"] == {"Team": "ml"}, out
    assert gw.get_tags(ResourceArn=stage_arn)["Tags"] == {"Team": "ml"}

    # A stage without auto-deploy serves the deployment CreateDeployment gives it (moto_calls.py).
    rc, task, out = module("apigatewayv2_stage", {"api_id": api_id, "stage_name": "manual"}, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    deployment = gw.create_deployment(ApiId=api_id, StageName="manual")
    assert deployment["DeploymentStatus"] == "DEPLOYED"
    assert gw.get_stage(ApiId=api_id, StageName="manual")["DeploymentId"] == deployment["DeploymentId"]
    with pytest.raises(gw.exceptions.BadRequestException):
        gw.create_deployment(ApiId=api_id, StageName="$default")

    rc, task, out = module(
        "apigatewayv2_api_info", {"api_id": api_id, "include": ["stages", "routes", "integrations"]}, aws_env, tmp_path
    )
    assert rc == 0 and not task["changed"], out
    (found,) = task["apis"]
    assert sorted(s["stage_name"] for s in found["stages"]) == ["$default", "manual"]
    assert found["routes"] == [] and found["integrations"] == []
    rc, task, out = module("apigatewayv2_api_info", {"name": "no-such-api"}, aws_env, tmp_path)
    assert rc == 0 and task["apis"] == [], out

    absent = {"api_id": api_id, "state": "absent"}
    rc, task, out = module("apigatewayv2_stage", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert [s["StageName"] for s in gw.get_stages(ApiId=api_id)["Items"]] == ["manual"]
    rc, task, out = module("apigatewayv2_stage", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


GOOD_INTEGRATION = {"api_id": "a1b2c3", "integration_uri": LISTENER, "connection_id": "vl1"}


@pytest.mark.preflight
@pytest.mark.parametrize(
    ("module_name", "args", "message"),
    [
        ("apigatewayv2_integration", dict(GOOD_INTEGRATION, timeout_in_millis=30001), "timeout_in_millis: 30001"),
        ("apigatewayv2_integration", dict(GOOD_INTEGRATION, timeout_in_millis=49), "timeout_in_millis: 49"),
        ("apigatewayv2_integration", dict(GOOD_INTEGRATION, integration_uri="http://alb"), "not a load balancer"),
        ("apigatewayv2_integration", dict(GOOD_INTEGRATION, connection_id=None), "connection_id: the VPC link ID"),
        ("apigatewayv2_integration", dict(GOOD_INTEGRATION, request_parameters={"path": "/x"}), "'path' is not"),
        ("apigatewayv2_route", {"api_id": "a", "route_key": "ANY proxy"}, "the path starts with '/'"),
        ("apigatewayv2_route", {"api_id": "a", "route_key": "FETCH /x"}, "METHOD one of"),
        ("apigatewayv2_route", {"api_id": "a", "route_key": "ANY /{proxy+}/x"}, "must be the last segment"),
        ("apigatewayv2_route", {"api_id": "a", "route_key": "ANY /", "target": "int/1"}, "target: 'int/1'"),
        (
            "apigatewayv2_stage",
            {
                "api_id": "a",
                "access_log_settings": {"destination_arn": LOG_GROUP + ":*", "format": "$context.requestId"},
            },
            "without ':*'",
        ),
        (
            "apigatewayv2_stage",
            {"api_id": "a", "default_route_settings": {"throttling_rate_limit": -1}},
            "throttling_rate_limit: -1.0 is negative",
        ),
        ("apigatewayv2_stage", {"api_id": "a", "stage_name": "prod stage"}, "stage_name 'prod stage'"),
        ("apigatewayv2_vpc_link", {"name": "l", "subnet_ids": ["10.0.1.0/24"]}, "'10.0.1.0/24' is not a subnet ID"),
        ("apigatewayv2_vpc_link", {"name": "l", "subnet_ids": ["subnet-1"], "security_group_ids": ["web"]}, "'web'"),
        ("apigatewayv2_api", {"name": "x" * 129}, "1 to 128 characters"),
        ("apigatewayv2_api", {"name": "m", "cors_configuration": {"max_age": 90000}}, "max_age: 90000"),
    ],
)
def test_bad_input_fails_before_any_call(module_name, args, message, aws_env, tmp_path):
    # Nothing listens on port 9: any AWS call would fail with a connection error instead.
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    rc, task, out = module(module_name, args, env, tmp_path)
    assert rc != 0, out
    assert message in task["msg"], out
    assert "Could not connect" not in out and "Could not manage" not in out
