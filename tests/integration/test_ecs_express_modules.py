"""ecs_express_gateway_service(_info) against the local ECS Express emulator and data plane, run by
ansible-playbook as users run it.

The service's tasks run as containers (the Debian base image under an ECR name, serving HTTP with
python's http.server) behind the local load balancer Express shares, and its endpoint answers HTTPS
with the local CA's certificate. API calls are counted by the project's moto server
(GET /_mlops/calls), faults injected through POST /_mlops/express/faults.
"""

from __future__ import annotations

import json
import ssl
import subprocess
import urllib.error
import urllib.request
import uuid

import pytest
from aws_state import client, vpc_with_subnets
from conftest import module
from e2e import CA, wait_for

REGION = "us-east-1"
IMAGE = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/express-module:1"
IMAGE_2 = f"123456789012.dkr.ecr.{REGION}.amazonaws.com/express-module:2"
TRUST_ECS = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
TRUST_TASKS = {
    "Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs-tasks.amazonaws.com"}, "Action": "sts:AssumeRole"}]
}
POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"


def hook(env: dict, path: str, body: dict | None = None) -> dict:
    """The project's moto server's test hooks (/_mlops/...)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{env['AWS_ENDPOINT_URL']}/_mlops/{path}", data=data)
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read() or b"{}")


def ecs_calls(env: dict) -> dict[str, int]:
    return {k: v for k, v in hook(env, "calls")["calls"].items() if k.startswith("ecs:")}


def https_status(host: str) -> int:
    context = ssl.create_default_context(cafile=str(CA))
    try:
        with urllib.request.urlopen(f"https://{host}/", timeout=10, context=context) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


@pytest.fixture(scope="module")
def setup(aws_env):
    """Two public subnets, the three roles, the image under its ECR names; each test its own service."""
    for tag in (IMAGE, IMAGE_2):
        subprocess.run(["docker", "tag", "mlops-mlflow-aws/debian-systemd:12", tag], check=True)
    env = {**aws_env, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    ec2, iam = client("ec2", env), client("iam", env)
    vpc, subnets = vpc_with_subnets(env, "ab")
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=vpc)
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    for subnet in subnets:
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    ident = uuid.uuid4().hex[:6]
    roles = {}
    for kind, trust in (("infra", TRUST_ECS), ("exec", TRUST_TASKS), ("task", TRUST_TASKS)):
        name = f"express-mod-{kind}-{ident}"
        roles[kind] = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if kind == "infra":
            iam.attach_role_policy(RoleName=name, PolicyArn=POLICY)
    group = ec2.create_security_group(GroupName=f"express-mod-{ident}", Description="tasks", VpcId=vpc)["GroupId"]
    return {"env": env, "subnets": subnets, "roles": roles, "group": group}


def args(setup, name: str, **extra) -> dict:
    return {
        "name": name,
        "image": IMAGE,
        "container_port": 8080,
        "command": ["sh", "-c", "exec python3 -m http.server --bind $LISTEN_ADDRESS $PORT"],
        "environment": {"PORT": "8080"},
        "health_check_path": "/",
        "execution_role_arn": setup["roles"]["exec"],
        "task_role_arn": setup["roles"]["task"],
        "infrastructure_role_arn": setup["roles"]["infra"],
        "subnets": setup["subnets"],
        "security_groups": [setup["group"]],
        "cpu": "256",
        "memory": "512",
        "min_tasks": 1,
        "max_tasks": 2,
        "tags": {"team": "ml"},
        "wait_timeout": 300,
        **extra,
    }


def test_create_serve_noop_one_change_check_mode_tags_absent(setup, tmp_path):
    env, name = setup["env"], f"exp-{uuid.uuid4().hex[:6]}"
    rc, result, out = module("ecs_express_gateway_service", args(setup, name), env, tmp_path, "--diff")
    assert rc == 0, out[-3000:]
    assert result["changed"] and result["diff"]["before"] == {}
    endpoint = result["endpoint"]
    assert endpoint.startswith(f"{name}-") and endpoint.endswith(f".ecs.{REGION}.on.aws"), endpoint
    assert result["url"] == f"https://{endpoint}/"
    assert result["service"]["tags"] == {"team": "ml"}
    # The URL really serves the image, over HTTPS, through the load balancer Express shares.
    wait_for(lambda: https_status(endpoint) == 200, 60, f"https://{endpoint}/ to answer 200")

    hook(env, "calls/reset", {})
    rc, result, out = module("ecs_express_gateway_service", args(setup, name), env, tmp_path)
    assert rc == 0 and not result["changed"], out[-3000:]
    made = ecs_calls(env)
    assert sum(made.values()) <= 2, made  # DescribeServices + DescribeExpressGatewayService

    # Check mode plans the change and makes none.
    hook(env, "calls/reset", {})
    rc, result, out = module(
        "ecs_express_gateway_service", args(setup, name, max_tasks=3), env, tmp_path, "--check", "--diff"
    )
    assert rc == 0 and result["changed"], out[-3000:]
    assert "UpdateExpressGatewayService" not in json.dumps(ecs_calls(env))
    assert result["diff"]["after"] != result["diff"]["before"]

    # One field changes: exactly one update, of that field.
    hook(env, "calls/reset", {})
    rc, result, out = module("ecs_express_gateway_service", args(setup, name, max_tasks=3), env, tmp_path)
    assert rc == 0 and result["changed"], out[-3000:]
    assert ecs_calls(env).get("ecs:UpdateExpressGatewayService") == 1, ecs_calls(env)
    ecs = client("ecs", env)
    described = ecs.describe_express_gateway_service(serviceArn=result["service_arn"])["service"]
    assert described["activeConfigurations"][0]["scalingTarget"]["maxTaskCount"] == 3
    target = client("application-autoscaling", env).describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[f"service/default/{name}"]
    )["ScalableTargets"]
    assert target and target[0]["MaxCapacity"] == 3, target

    # Tags only: no update call, the ECS service's tags.
    hook(env, "calls/reset", {})
    rc, result, out = module(
        "ecs_express_gateway_service", args(setup, name, max_tasks=3, tags={"team": "data"}), env, tmp_path
    )
    assert rc == 0 and result["changed"], out[-3000:]
    assert "ecs:UpdateExpressGatewayService" not in ecs_calls(env)
    assert result["service"]["tags"] == {"team": "data"}

    # The info module sees what the service module made.
    rc, info, out = module("ecs_express_gateway_service_info", {"name": name}, env, tmp_path)
    assert rc == 0 and info["exists"] and info["endpoint"] == endpoint, out[-3000:]

    # Infrastructure role cannot change: refused before any change.
    hook(env, "calls/reset", {})
    other = args(setup, name, max_tasks=3, infrastructure_role_arn=setup["roles"]["task"])
    rc, result, out = module("ecs_express_gateway_service", other, env, tmp_path)
    assert rc != 0 and "infrastructure_role_arn" in out, out[-3000:]
    assert not [k for k in ecs_calls(env) if not k.startswith(("ecs:Describe", "ecs:List"))]

    rc, result, out = module("ecs_express_gateway_service", {"name": name, "state": "absent"}, env, tmp_path)
    assert rc == 0 and result["changed"], out[-3000:]
    assert (
        ecs.describe_express_gateway_service(serviceArn=described["serviceArn"])["service"]["status"]["statusCode"]
        == "INACTIVE"
    )
    wait_for(lambda: https_status(endpoint) != 200, 60, f"{endpoint} to stop serving")
    rc, result, out = module("ecs_express_gateway_service", {"name": name, "state": "absent"}, env, tmp_path)
    assert rc == 0 and not result["changed"], out[-3000:]
    rc, info, out = module("ecs_express_gateway_service_info", {"name": name}, env, tmp_path)
    assert rc == 0 and not info["exists"], out[-3000:]


def test_a_failed_deployment_fails_with_the_reason_and_throttling_is_retried(setup, tmp_path):
    env, name = setup["env"], f"exp-{uuid.uuid4().hex[:6]}"
    rc, result, out = module("ecs_express_gateway_service", args(setup, name), env, tmp_path)
    assert rc == 0, out[-3000:]

    hook(env, "calls/reset", {})
    hook(env, "express/faults", {"throttle": {"DescribeExpressGatewayService": 3}})
    rc, result, out = module("ecs_express_gateway_service", args(setup, name), env, tmp_path)
    assert rc == 0 and not result["changed"], out[-3000:]
    assert ecs_calls(env)["ecs:DescribeExpressGatewayService"] == 4  # three throttled answers, then one

    hook(env, "express/faults", {"fail_next_deployment": "tasks failed the load balancer health checks"})
    rc, result, out = module("ecs_express_gateway_service", args(setup, name, image=IMAGE_2), env, tmp_path)
    assert rc != 0, out[-3000:]
    assert "FAILED" in result["msg"] and "tasks failed the load balancer health checks" in result["msg"], result["msg"]
    assert hook(env, "express")["output_errors"] == []
    module("ecs_express_gateway_service", {"name": name, "state": "absent"}, env, tmp_path)


BAD = {
    "no image": ({"image": None}, "image"),
    "port 0": ({"container_port": 0}, "container_port"),
    "port too high": ({"container_port": 70000}, "container_port"),
    "cpu not Fargate's": ({"cpu": "300"}, "cpu"),
    "memory not offered with the cpu": ({"cpu": "256", "memory": "4096"}, "memory"),
    "min above max": ({"min_tasks": 3, "max_tasks": 2}, "min_tasks"),
    "health check path without /": ({"health_check_path": "health"}, "health_check_path"),
    "execution role that is no role ARN": ({"execution_role_arn": "my-role"}, "execution_role_arn"),
    "infrastructure role that is no role ARN": (
        {"infrastructure_role_arn": "arn:aws:s3:::x"},
        "infrastructure_role_arn",
    ),
    "secret that is no ARN": ({"secrets": {"DB": "password123"}}, "secrets"),
    "scaling metric unknown": ({"scaling_metric": "P99_LATENCY"}, "scaling_metric"),
    "subnet that is no subnet": ({"subnets": ["net-1"]}, "subnets"),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_input_fails_before_any_call(case, setup, tmp_path):
    change, option = BAD[case]
    bad = {k: v for k, v in {**args(setup, "exp-bad"), **change}.items() if v is not None}
    hook(setup["env"], "calls/reset", {})
    rc, result, out = module("ecs_express_gateway_service", bad, setup["env"], tmp_path)
    assert rc != 0, out[-2000:]
    assert option in result.get("msg", out), result.get("msg", out[-2000:])
    assert ecs_calls(setup["env"]) == {}
