"""ecs_service against the local moto server, run by ansible-playbook.

These tests need only the control plane: they pass wait: false to create and update (with the data plane
off, LOCAL_DATAPLANE=off, deployments stay IN_PROGRESS with no task running) and check what ECS records.
What needs the data plane's running tasks is not covered here but by the end-to-end tests: waiting until a
deployment is COMPLETED, a circuit-breaker failure or rollback failing the task with the stopped tasks'
reasons and the service events (the wait logic itself is unit-tested in tests/unit/plugins/test_ecs_service.py).

moto 5.2.5 and ECS, as far as these tests meet it (tests/local/dataplane/moto_patches.py fills the gaps):
- CreateService keeps deploymentConfiguration (with AWS's defaults), healthCheckGracePeriodSeconds and
  enableExecuteCommand only through the patches;
- UpdateService starts a new PRIMARY deployment for a task definition or network change (patched);
- DeleteService refuses a service scaled above 0 and leaves it INACTIVE.
"""

from __future__ import annotations

import uuid

import pytest
from aws_state import client, vpc_with_subnets
from conftest import module

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane

CONTAINER = {"name": "web", "image": "nginx:1.27", "essential": True, "portMappings": [{"containerPort": 80}]}


def register(ecs, family, image="nginx:1.27"):
    return ecs.register_task_definition(
        family=family,
        containerDefinitions=[dict(CONTAINER, image=image)],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu="256",
        memory="512",
    )["taskDefinition"]["taskDefinitionArn"]


@pytest.fixture(scope="module")
def env(aws_env):
    """A VPC with two subnets, three security groups, a cluster, a family with two revisions, a target group."""
    ec2, ecs, elb = client("ec2", aws_env), client("ecs", aws_env), client("elbv2", aws_env)
    ident = f"svc{uuid.uuid4().hex[:8]}"
    vpc, subnets = vpc_with_subnets(aws_env, "ab")
    groups = [
        ec2.create_security_group(GroupName=f"{ident}-{n}", Description="service", VpcId=vpc)["GroupId"]
        for n in (1, 2, 3)
    ]
    ecs.create_cluster(clusterName=ident)
    revisions = [register(ecs, ident, image) for image in ("nginx:1.26", "nginx:1.27")]
    group = elb.create_target_group(Name=ident, Protocol="HTTP", Port=80, VpcId=vpc, TargetType="ip")
    return dict(
        ident=ident,
        ecs=ecs,
        subnets=subnets,
        groups=groups,
        revisions=revisions,
        target_group=group["TargetGroups"][0]["TargetGroupArn"],
    )


@pytest.fixture
def name():
    return f"s{uuid.uuid4().hex[:8]}"


def service_args(env, name, **overrides):
    args = {
        "name": name,
        "cluster": env["ident"],
        "task_definition": f"{env['ident']}:1",
        "desired_count": 1,
        "network_configuration": {"subnets": env["subnets"], "security_groups": [env["groups"][0]]},
        "load_balancers": [{"target_group_arn": env["target_group"], "container_name": "web", "container_port": 80}],
        "tags": {"Application": "mlflow"},
        "wait": False,
    }
    args.update(overrides)
    return args


def describe(env, name):
    services = env["ecs"].describe_services(cluster=env["ident"], services=[name], include=["TAGS"])["services"]
    return services[0] if services else None


def tags_of(env, name):
    arn = describe(env, name)["serviceArn"]
    return {t["key"]: t["value"] for t in env["ecs"].list_tags_for_resource(resourceArn=arn).get("tags") or []}


def differing(diff):
    return {k for k in set(diff["before"]) | set(diff["after"]) if diff["before"].get(k) != diff["after"].get(k)}


def test_service_life_cycle(env, aws_env, tmp_path, name):
    args = service_args(env, name)
    rc, task, out = module("ecs_service", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {}
    after = task["diff"]["after"]
    assert after["task_definition"] == f"{env['ident']}:1" and after["launch_type"] == "FARGATE"
    assert after["network_configuration"]["security_groups"] == [env["groups"][0]]
    assert describe(env, name) is None, "check mode created the service"

    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    service = task["service"]
    assert service["status"] == "ACTIVE" and service["task_definition"] == env["revisions"][0]
    assert service["tags"] == {"Application": "mlflow"} and task["service_arn"] == service["service_arn"]
    assert task["deployment_id"] == service["deployments"][0]["id"]
    created = describe(env, name)
    assert created["launchType"] == "FARGATE" and created["platformVersion"] == "LATEST"
    assert created["propagateTags"] == "SERVICE" and created["enableExecuteCommand"] is False
    assert created["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"] == "DISABLED"

    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    first_deployment = task["deployment_id"]

    # Only the security groups change (subnets given in another order): one UpdateService with the network.
    moved = service_args(
        env, name, network_configuration={"subnets": env["subnets"][::-1], "security_groups": env["groups"][1:]}
    )
    rc, task, out = module("ecs_service", moved, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and differing(task["diff"]) == {"network_configuration"}, out
    assert describe(env, name)["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"] == [env["groups"][0]]
    rc, task, out = module("ecs_service", moved, aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"] and differing(task["diff"]) == {"network_configuration"}, out
    network = describe(env, name)["networkConfiguration"]["awsvpcConfiguration"]
    assert sorted(network["securityGroups"]) == sorted(env["groups"][1:])
    assert sorted(network["subnets"]) == sorted(env["subnets"]) and network["assignPublicIp"] == "DISABLED"
    assert task["deployment_id"] != first_deployment, "a network change starts a new deployment"
    assert describe(env, name)["taskDefinition"] == env["revisions"][0]
    rc, task, out = module("ecs_service", moved, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # The deployment configuration: detected, applied, then unchanged.
    deploy = dict(
        moved,
        deployment_configuration={"minimum_healthy_percent": 50, "circuit_breaker": {"enable": True, "rollback": True}},
        health_check_grace_period_seconds=30,
    )
    rc, task, out = module("ecs_service", deploy, aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"], out
    assert differing(task["diff"]) == {"deployment_configuration", "health_check_grace_period_seconds"}
    config = describe(env, name)["deploymentConfiguration"]
    assert config["minimumHealthyPercent"] == 50 and config["maximumPercent"] == 200
    assert config["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert describe(env, name)["healthCheckGracePeriodSeconds"] == 30
    rc, task, out = module("ecs_service", deploy, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # force_new_deployment: always a change, a new deployment.
    rc, task, out = module("ecs_service", dict(deploy, force_new_deployment=True), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["deployment_id"] == describe(env, name)["deployments"][0]["id"], out


def test_family_resolves_to_the_latest_active_revision(env, aws_env, tmp_path, name):
    ecs = env["ecs"]
    family = f"{env['ident']}-f"
    first = register(ecs, family, "nginx:1.25")
    args = service_args(env, name, task_definition=first)
    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out

    second = register(ecs, family, "nginx:1.26")
    args = service_args(env, name, task_definition=family)
    rc, task, out = module("ecs_service", args, aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"]["task_definition"] == first and task["diff"]["after"]["task_definition"] == second
    assert describe(env, name)["taskDefinition"] == second
    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # The newest revision deregistered: the family means the latest ACTIVE one again.
    third = register(ecs, family, "nginx:1.27")
    ecs.deregister_task_definition(taskDefinition=third)
    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    register(ecs, family, "nginx:1.28")
    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and describe(env, name)["taskDefinition"].endswith(f"{family}:4"), out

    rc, task, out = module("ecs_service", dict(args, task_definition=f"{env['ident']}-missing"), aws_env, tmp_path)
    assert rc != 0 and "has no ACTIVE revision" in task["msg"], out


def test_preserve_desired_count(env, aws_env, tmp_path, name):
    args = service_args(env, name, desired_count=2, preserve_desired_count=True)
    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and describe(env, name)["desiredCount"] == 2, out
    # Application Auto Scaling scales it out.
    env["ecs"].update_service(cluster=env["ident"], service=name, desiredCount=5)
    rc, task, out = module("ecs_service", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and describe(env, name)["desiredCount"] == 5, out
    rc, task, out = module("ecs_service", dict(args, preserve_desired_count=False), aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"] and differing(task["diff"]) == {"desired_count"}, out
    assert describe(env, name)["desiredCount"] == 2


def test_tags(env, aws_env, tmp_path, name):
    rc, task, out = module("ecs_service", service_args(env, name), aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    more = service_args(env, name, tags={"Team": "ml"}, purge_tags=False)
    rc, task, out = module("ecs_service", more, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["tags"] == {"Application": "mlflow", "Team": "ml"}
    assert tags_of(env, name) == {"Application": "mlflow"}
    rc, task, out = module("ecs_service", more, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["service"]["tags"] == {"Application": "mlflow", "Team": "ml"}, out
    assert tags_of(env, name) == {"Application": "mlflow", "Team": "ml"}
    rc, task, out = module("ecs_service", more, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    purge = service_args(env, name, tags={"Team": "ml"})
    rc, task, out = module("ecs_service", purge, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and tags_of(env, name) == {"Team": "ml"}, out
    rc, task, out = module("ecs_service", dict(purge, tags=None), aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["service"]["tags"] == {"Team": "ml"}, out


def test_launch_type_cannot_change(env, aws_env, tmp_path, name):
    module("ecs_service", service_args(env, name), aws_env, tmp_path)
    rc, task, out = module("ecs_service", service_args(env, name, launch_type="EC2"), aws_env, tmp_path)
    assert rc != 0, out
    assert task["msg"].startswith(f"launch_type: ECS service {name} in cluster {env['ident']} runs with FARGATE"), out
    assert "cannot change the launch type" in task["msg"]
    assert describe(env, name)["launchType"] == "FARGATE"


def test_absent(env, aws_env, tmp_path, name):
    module("ecs_service", service_args(env, name, desired_count=2), aws_env, tmp_path)
    gone = {"name": name, "cluster": env["ident"], "state": "absent"}
    rc, task, out = module("ecs_service", gone, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"] == {}, out
    assert describe(env, name)["status"] == "ACTIVE"
    rc, task, out = module("ecs_service", gone, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["service"]["status"] == "INACTIVE", out
    described = describe(env, name)
    assert described["status"] == "INACTIVE" and described["desiredCount"] == 0
    rc, task, out = module("ecs_service", gone, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    # An INACTIVE service is created again.
    rc, task, out = module("ecs_service", service_args(env, name), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and describe(env, name)["status"] == "ACTIVE", out
    rc, task, out = module(
        "ecs_service", {"name": name, "cluster": f"{env['ident']}-none", "state": "absent"}, aws_env, tmp_path
    )
    assert rc == 0 and not task["changed"], out


@pytest.mark.preflight
@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"name": "ml flow", "cluster": "c"}, "name 'ml flow'"),
        ({"name": "mlflow", "cluster": "c", "task_definition": "mlflow:latest"}, "task_definition 'mlflow:latest'"),
        ({"name": "mlflow", "cluster": "c", "desired_count": -1}, "desired_count: -1"),
        ({"name": "mlflow", "cluster": "c", "launch_type": "EC2", "platform_version": "1.4.0"}, "platform_version"),
        (
            {"name": "mlflow", "cluster": "c", "deployment_configuration": {"circuit_breaker": {"rollback": True}}},
            "circuit_breaker.rollback: needs enable",
        ),
    ],
)
def test_bad_input_fails_before_any_call(args, message, aws_env, tmp_path):
    # Nothing listens on port 9: any AWS call would fail with a connection error instead.
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    rc, task, out = module("ecs_service", args, env, tmp_path)
    assert rc != 0, out
    assert message in task["msg"], out
    assert "Could not connect" not in out and "Could not manage" not in out
