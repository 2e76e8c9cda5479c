"""rds_proxy and rds_proxy_target_group against the local moto server, run by ansible-playbook.

moto 5.2 has no ModifyDBProxy; tests/local/moto_server.py adds it (request and response still go
through moto's botocore-model parsing and serialisation).
"""

from __future__ import annotations

import json
import uuid

import pytest
from aws_state import client, vpc_with_subnets
from conftest import module

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane


@pytest.fixture(scope="module")
def net(aws_env):
    """A VPC with two subnets, two groups, the database, its secret and the proxy's role."""
    ec2, rds = client("ec2", aws_env), client("rds", aws_env)
    secrets, iam = client("secretsmanager", aws_env), client("iam", aws_env)
    ident = f"px{uuid.uuid4().hex[:8]}"
    vpc, subnets = vpc_with_subnets(aws_env, "abc")
    groups = [
        ec2.create_security_group(GroupName=f"{ident}-{n}", Description="proxy", VpcId=vpc)["GroupId"] for n in (1, 2)
    ]
    secret = secrets.create_secret(
        Name=f"{ident}-db", SecretString=json.dumps({"username": "mlflow", "password": "x" * 20})
    )
    role = iam.create_role(RoleName=f"{ident}-proxy", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    rds.create_db_instance(
        DBInstanceIdentifier=ident,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="mlflow",
        MasterUserPassword="x" * 20,
    )
    return dict(ident=ident, vpc=vpc, subnets=subnets, groups=groups, secret=secret["ARN"], role=role, rds=rds)


def proxy_args(net, **overrides):
    args = {
        "name": net["ident"],
        "engine_family": "POSTGRESQL",
        "auth": [{"secret_arn": net["secret"]}],
        "role_arn": net["role"],
        "vpc_subnet_ids": net["subnets"][:2],
        "vpc_security_group_ids": [net["groups"][0]],
        "tags": {"Application": "mlflow"},
    }
    args.update(overrides)
    return args


def describe(net):
    proxies = net["rds"].describe_db_proxies()["DBProxies"]
    return next((p for p in proxies if p["DBProxyName"] == net["ident"]), None)


def test_proxy_life_cycle(net, aws_env, tmp_path):
    rc, task, out = module("rds_proxy", proxy_args(net), aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["after"]["require_tls"] is True
    assert describe(net) is None, "check mode created the proxy"

    rc, task, out = module("rds_proxy", proxy_args(net), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert task["endpoint"].startswith(net["ident"] + ".")
    assert task["db_proxy"]["status"] == "available"
    assert task["db_proxy"]["tags"] == {"Application": "mlflow"}
    created = describe(net)
    assert created["RequireTLS"] is True and created["Auth"][0]["SecretArn"] == net["secret"]

    rc, task, out = module("rds_proxy", proxy_args(net), aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # A change of settings and tags: shown in check mode, applied by one ModifyDBProxy.
    changed = proxy_args(
        net, idle_client_timeout=600, vpc_security_group_ids=net["groups"], tags={"Application": "mlflow", "Team": "ml"}
    )
    rc, task, out = module("rds_proxy", changed, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"]["idle_client_timeout"] == 1800 and task["diff"]["after"]["idle_client_timeout"] == 600
    assert describe(net)["IdleClientTimeout"] == 1800
    rc, task, out = module("rds_proxy", changed, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    now = describe(net)
    assert now["IdleClientTimeout"] == 600 and sorted(now["VpcSecurityGroupIds"]) == sorted(net["groups"])
    assert task["db_proxy"]["tags"] == {"Application": "mlflow", "Team": "ml"}
    rc, task, out = module("rds_proxy", changed, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # Subnets cannot change: a clear failure, nothing replaced.
    moved = proxy_args(net, vpc_subnet_ids=net["subnets"][1:])
    rc, task, out = module("rds_proxy", moved, aws_env, tmp_path)
    assert rc != 0 and "vpc_subnet_ids cannot change" in task["msg"], out
    assert describe(net)["VpcSubnetIds"] == net["subnets"][:2]


def test_target_group(net, aws_env, tmp_path):
    module("rds_proxy", proxy_args(net), aws_env, tmp_path)
    args = {
        "proxy_name": net["ident"],
        "db_instance_identifiers": [net["ident"]],
        "connection_pool": {"max_connections_percent": 60, "connection_borrow_timeout": 30},
    }
    rc, task, out = module("rds_proxy_target_group", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["after"]["db_instance_identifiers"] == [net["ident"]]
    assert net["rds"].describe_db_proxy_targets(DBProxyName=net["ident"])["Targets"] == []

    rc, task, out = module("rds_proxy_target_group", dict(args, wait=True, wait_timeout=30), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert [t["rds_resource_id"] for t in task["targets"]] == [net["ident"]]
    assert task["targets"][0]["target_health"]["state"] == "AVAILABLE"
    group = net["rds"].describe_db_proxy_target_groups(DBProxyName=net["ident"])["TargetGroups"][0]
    assert group["ConnectionPoolConfig"]["MaxConnectionsPercent"] == 60
    assert group["ConnectionPoolConfig"]["ConnectionBorrowTimeout"] == 30

    rc, task, out = module("rds_proxy_target_group", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    rc, task, out = module("rds_proxy_target_group", dict(args, db_instance_identifiers=[]), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["targets"] == [], out


def test_proxy_absent(net, aws_env, tmp_path):
    module("rds_proxy", proxy_args(net), aws_env, tmp_path)
    rc, task, out = module("rds_proxy", {"name": net["ident"], "state": "absent"}, aws_env, tmp_path, "--check")
    assert rc == 0 and task["changed"] and describe(net) is not None, out
    rc, task, out = module("rds_proxy", {"name": net["ident"], "state": "absent"}, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and describe(net) is None, out
    rc, task, out = module("rds_proxy", {"name": net["ident"], "state": "absent"}, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
ROLE = "arn:aws:iam::123456789012:role/proxy"
GOOD = {
    "name": "mlflow",
    "engine_family": "POSTGRESQL",
    "auth": [{"secret_arn": SECRET}],
    "role_arn": ROLE,
    "vpc_subnet_ids": ["subnet-1", "subnet-2"],
}


@pytest.mark.preflight
@pytest.mark.parametrize(
    ("module_name", "args", "message"),
    [
        ("rds_proxy", dict(GOOD, name="9lives"), "name '9lives'"),
        ("rds_proxy", dict(GOOD, name="ml--flow"), "no '--'"),
        ("rds_proxy", dict(GOOD, auth=[{"secret_arn": "db-password"}]), "auth[0].secret_arn"),
        ("rds_proxy", dict(GOOD, role_arn="proxy-role"), "role_arn: 'proxy-role' is not an IAM role ARN"),
        ("rds_proxy", dict(GOOD, vpc_subnet_ids=["subnet-1"]), "at least two subnets"),
        ("rds_proxy", dict(GOOD, vpc_subnet_ids=["subnet-1", "10.0.0.0/24"]), "'10.0.0.0/24' is not a subnet ID"),
        ("rds_proxy", dict(GOOD, vpc_security_group_ids=["web"]), "'web' is not a security group ID"),
        ("rds_proxy", dict(GOOD, idle_client_timeout=0), "idle_client_timeout: 0"),
        (
            "rds_proxy_target_group",
            {"proxy_name": "mlflow", "connection_pool": {"max_connections_percent": 150}},
            "max_connections_percent: 150",
        ),
        (
            "rds_proxy_target_group",
            {
                "proxy_name": "mlflow",
                "connection_pool": {"max_connections_percent": 40, "max_idle_connections_percent": 50},
            },
            "max_idle_connections_percent: 50",
        ),
        (
            "rds_proxy_target_group",
            {"proxy_name": "mlflow", "db_instance_identifiers": ["a"], "db_cluster_identifiers": ["b"]},
            "not both",
        ),
    ],
)
def test_bad_input_fails_before_any_call(module_name, args, message, aws_env, tmp_path):
    # Nothing listens on port 9: any AWS call would fail with a connection error instead.
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    rc, task, out = module(module_name, args, env, tmp_path)
    assert rc != 0, out
    assert message in task["msg"], out
    assert "Could not connect" not in out and "Could not manage" not in out
