"""ecs_cluster and ecs_task_definition against the local moto server, run by ansible-playbook.

moto 5.2.5 and ECS, as far as these tests meet it:
- no UpdateClusterSettings (the module uses UpdateCluster, which takes the same settings);
- DeleteCluster succeeds while the cluster has active services (the module checks them first) and
  leaves the cluster INACTIVE; CreateCluster on that name makes it ACTIVE again;
- DescribeTaskDefinition of a bare family answers the newest revision even when it is INACTIVE
  (the module describes the newest ACTIVE revision by number);
- a registered container gets cpu 0, essential, and empty environment, mountPoints, volumesFrom and
  portMappings, but no port mapping protocol/hostPort, health check timings or systemControls, which
  AWS adds: test_aws_described_revision_is_unchanged registers a revision the way AWS describes one.
"""

from __future__ import annotations

import uuid

import pytest
from aws_state import client
from conftest import module

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane

SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:db-AbCdEf"
ROLE = "arn:aws:iam::123456789012:role/mlflow-execution"


@pytest.fixture
def ident():
    return f"ecs{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
def ecs(aws_env):
    return client("ecs", aws_env)


def cluster_of(ecs, name):
    clusters = ecs.describe_clusters(clusters=[name], include=["SETTINGS", "TAGS"])["clusters"]
    return clusters[0] if clusters and clusters[0]["status"] != "INACTIVE" else None


def insights_of(cluster):
    return {s["name"]: s["value"] for s in cluster["settings"]}["containerInsights"]


def tags_of(ecs, arn):
    return {t["key"]: t["value"] for t in ecs.list_tags_for_resource(resourceArn=arn).get("tags") or []}


def active_revisions(ecs, family):
    return ecs.list_task_definitions(familyPrefix=family, status="ACTIVE")["taskDefinitionArns"]


def test_cluster_life_cycle(ecs, aws_env, tmp_path, ident):
    args = {"name": ident, "tags": {"Application": "mlflow"}}
    rc, task, out = module("ecs_cluster", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {} and task["diff"]["after"]["container_insights"] == "enabled"
    assert cluster_of(ecs, ident) is None, "check mode created the cluster"

    rc, task, out = module("ecs_cluster", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    cluster = task["cluster"]
    assert cluster["cluster_name"] == ident and cluster["status"] == "ACTIVE"
    assert cluster["capacity_providers"] == ["FARGATE"] and cluster["tags"] == {"Application": "mlflow"}
    assert cluster["settings"] == [{"name": "containerInsights", "value": "enabled"}]
    assert insights_of(cluster_of(ecs, ident)) == "enabled"

    rc, task, out = module("ecs_cluster", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # Container Insights off and on again: one setting call each, no-op afterwards.
    off = dict(args, container_insights="disabled")
    rc, task, out = module("ecs_cluster", off, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"]["container_insights"] == "disabled", out
    assert insights_of(cluster_of(ecs, ident)) == "enabled"
    rc, task, out = module("ecs_cluster", off, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and insights_of(cluster_of(ecs, ident)) == "disabled", out
    rc, task, out = module("ecs_cluster", off, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    rc, task, out = module("ecs_cluster", dict(args, container_insights="enhanced"), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and insights_of(cluster_of(ecs, ident)) == "enhanced", out

    # Capacity providers and the default strategy.
    spot = dict(
        args,
        container_insights="enhanced",
        capacity_providers=["FARGATE_SPOT", "FARGATE"],
        default_capacity_provider_strategy=[
            {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
            {"capacity_provider": "FARGATE_SPOT", "weight": 3},
        ],
    )
    rc, task, out = module("ecs_cluster", spot, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    described = cluster_of(ecs, ident)
    assert sorted(described["capacityProviders"]) == ["FARGATE", "FARGATE_SPOT"]
    assert {(s["capacityProvider"], s["weight"], s["base"]) for s in described["defaultCapacityProviderStrategy"]} == {
        ("FARGATE", 1, 1),
        ("FARGATE_SPOT", 3, 0),
    }
    rc, task, out = module("ecs_cluster", spot, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_cluster_tags(ecs, aws_env, tmp_path, ident):
    base = {"name": ident, "tags": {"Application": "mlflow", "Team": "ml"}}
    rc, task, out = module("ecs_cluster", base, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    arn = task["cluster"]["cluster_arn"]

    added = dict(base, tags={"Owner": "platform"}, purge_tags=False)
    rc, task, out = module("ecs_cluster", added, aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["after"]["tags"] == {"Application": "mlflow", "Team": "ml", "Owner": "platform"}
    assert tags_of(ecs, arn) == {"Application": "mlflow", "Team": "ml", "Owner": "platform"}
    rc, task, out = module("ecs_cluster", added, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    purged = dict(base, tags={"Application": "mlflow"})
    rc, task, out = module("ecs_cluster", purged, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["cluster"]["tags"] == {"Application": "mlflow"}, out
    assert tags_of(ecs, arn) == {"Application": "mlflow"}
    # No tags option: the tags are left alone.
    rc, task, out = module("ecs_cluster", {"name": ident}, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["cluster"]["tags"] == {"Application": "mlflow"}, out


def test_cluster_absent(ecs, aws_env, tmp_path, ident):
    module("ecs_cluster", {"name": ident}, aws_env, tmp_path)
    ecs.register_task_definition(family=ident, containerDefinitions=[{"name": "web", "image": "nginx", "memory": 128}])
    ecs.create_service(cluster=ident, serviceName=f"{ident}-web", taskDefinition=ident, desiredCount=0)

    for flags in (("--check",), ()):
        rc, task, out = module("ecs_cluster", {"name": ident, "state": "absent"}, aws_env, tmp_path, *flags)
        assert rc != 0, out
        assert f"cluster {ident} still has 1 active service(s): {ident}-web" in task["msg"], out
        assert task["services"] == [f"{ident}-web"]
    assert cluster_of(ecs, ident) is not None

    ecs.delete_service(cluster=ident, service=f"{ident}-web", force=True)
    rc, task, out = module("ecs_cluster", {"name": ident, "state": "absent"}, aws_env, tmp_path, "--check")
    assert rc == 0 and task["changed"] and cluster_of(ecs, ident) is not None, out
    rc, task, out = module("ecs_cluster", {"name": ident, "state": "absent"}, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and "cluster" not in task, out
    assert cluster_of(ecs, ident) is None
    rc, task, out = module("ecs_cluster", {"name": ident, "state": "absent"}, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # INACTIVE counts as absent: present creates it again.
    rc, task, out = module("ecs_cluster", {"name": ident}, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["cluster"]["status"] == "ACTIVE", out


def taskdef_args(family, **overrides):
    args = {
        "family": family,
        "cpu": "512",
        "memory": "1024",
        "execution_role_arn": ROLE,
        "runtime_platform": {"cpu_architecture": "ARM64"},
        "container_definitions": [
            {
                "name": "mlflow",
                "image": "mlflow:3.1",
                "portMappings": [{"containerPort": 5000}],
                "environment": [{"name": "B_VAR", "value": "2"}, {"name": "A_VAR", "value": "1"}],
                "secrets": [{"name": "DB_URI", "valueFrom": SECRET}],
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {"awslogs-group": "/ecs/mlflow", "awslogs-stream-prefix": "mlflow"},
                },
                "dockerLabels": {"com.example.Team": "ml"},
                "healthCheck": {"command": ["CMD-SHELL", "curl -f http://localhost:5000/health"]},
            }
        ],
        "tags": {"Application": "mlflow"},
    }
    args.update(overrides)
    return args


def with_container(args, **changes):
    container = dict(args["container_definitions"][0], **changes)
    return dict(args, container_definitions=[container])


def test_task_definition_life_cycle(ecs, aws_env, tmp_path, ident):
    args = taskdef_args(ident)
    rc, task, out = module("ecs_task_definition", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {} and task["diff"]["after"]["cpu"] == "512"
    assert task["task_definition"]["family"] == ident and "task_definition_arn" not in task
    assert active_revisions(ecs, ident) == [], "check mode registered a revision"

    rc, task, out = module("ecs_task_definition", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["revision"] == 1, out
    assert task["task_definition_arn"].endswith(f":task-definition/{ident}:1")
    result = task["task_definition"]
    assert result["runtime_platform"] == {"cpu_architecture": "ARM64", "operating_system_family": "LINUX"}
    container = result["container_definitions"][0]
    # Container keys are snake_case, user data is not touched.
    assert container["log_configuration"]["options"]["awslogs-group"] == "/ecs/mlflow"
    assert container["docker_labels"] == {"com.example.Team": "ml"}
    assert {e["name"] for e in container["environment"]} == {"A_VAR", "B_VAR"}
    assert result["tags"] == {"Application": "mlflow"}
    described = ecs.describe_task_definition(taskDefinition=ident, include=["TAGS"])
    assert described["taskDefinition"]["executionRoleArn"] == ROLE
    assert described["tags"] == [{"key": "Application", "value": "mlflow"}]

    rc, task, out = module("ecs_task_definition", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["revision"] == 1, out

    # The environment in another order is the same definition.
    reordered = with_container(args, environment=list(reversed(args["container_definitions"][0]["environment"])))
    rc, task, out = module("ecs_task_definition", reordered, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # Only the task CPU changes: exactly one new revision, with the tags carried over.
    bigger = dict(args, cpu="1024", memory="2048")
    rc, task, out = module("ecs_task_definition", bigger, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert (task["diff"]["before"]["cpu"], task["diff"]["after"]["cpu"]) == ("512", "1024")
    assert len(active_revisions(ecs, ident)) == 1
    rc, task, out = module("ecs_task_definition", bigger, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["revision"] == 2, out
    assert len(active_revisions(ecs, ident)) == 2
    assert ecs.describe_task_definition(taskDefinition=f"{ident}:2")["taskDefinition"]["cpu"] == "1024"
    assert tags_of(ecs, task["task_definition_arn"]) == {"Application": "mlflow"}
    rc, task, out = module("ecs_task_definition", dict(bigger, cpu="1 vCPU", memory="2 GB"), aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["revision"] == 2, out

    # A secret more is a change.
    secrets = [*args["container_definitions"][0]["secrets"], {"name": "PASSWORD", "valueFrom": SECRET}]
    rc, task, out = module("ecs_task_definition", with_container(bigger, secrets=secrets), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["revision"] == 3, out
    # ... and so is a field removed (the health check).
    no_check = with_container(bigger, secrets=secrets)
    del no_check["container_definitions"][0]["healthCheck"]
    rc, task, out = module("ecs_task_definition", no_check, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["revision"] == 4, out
    rc, task, out = module("ecs_task_definition", no_check, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_task_definition_tags(ecs, aws_env, tmp_path, ident):
    args = taskdef_args(ident, tags={"Application": "mlflow", "Team": "ml"})
    rc, task, out = module("ecs_task_definition", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    arn = task["task_definition_arn"]

    added = dict(args, tags={"Owner": "platform"}, purge_tags=False)
    rc, task, out = module("ecs_task_definition", added, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["task_definition_arn"] == arn, out
    assert task["diff"]["after"]["tags"] == {"Application": "mlflow", "Team": "ml", "Owner": "platform"}
    assert tags_of(ecs, arn) == {"Application": "mlflow", "Team": "ml"}
    rc, task, out = module("ecs_task_definition", added, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["task_definition_arn"] == arn, out
    assert tags_of(ecs, arn) == {"Application": "mlflow", "Team": "ml", "Owner": "platform"}
    assert len(active_revisions(ecs, ident)) == 1, "a tag change registered a revision"

    purged = dict(args, tags={"Application": "mlflow"})
    rc, task, out = module("ecs_task_definition", purged, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["task_definition"]["tags"] == {"Application": "mlflow"}, out
    assert tags_of(ecs, arn) == {"Application": "mlflow"} and len(active_revisions(ecs, ident)) == 1
    rc, task, out = module("ecs_task_definition", purged, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_aws_described_revision_is_unchanged(ecs, aws_env, tmp_path, ident):
    """A revision holding everything AWS adds to a container is the same as the options without it."""
    args = taskdef_args(ident)
    given = args["container_definitions"][0]
    as_aws_describes = dict(
        given,
        cpu=0,
        essential=True,
        portMappings=[{"containerPort": 5000, "hostPort": 5000, "protocol": "tcp"}],
        environment=sorted(given["environment"], key=lambda e: e["name"]),
        healthCheck=dict(given["healthCheck"], interval=30, timeout=5, retries=3),
        mountPoints=[],
        volumesFrom=[],
        systemControls=[],
        logConfiguration=dict(given["logConfiguration"], secretOptions=[]),
    )
    ecs.register_task_definition(
        family=ident,
        containerDefinitions=[as_aws_describes],
        cpu="512",
        memory="1024",
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        executionRoleArn=ROLE,
        runtimePlatform={"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
        tags=[{"key": "Application", "value": "mlflow"}],
    )
    rc, task, out = module("ecs_task_definition", args, aws_env, tmp_path, "--diff")
    assert rc == 0 and not task["changed"] and task["revision"] == 1, out


def test_task_definition_absent(ecs, aws_env, tmp_path, ident):
    args = taskdef_args(ident)
    module("ecs_task_definition", args, aws_env, tmp_path)
    module("ecs_task_definition", dict(args, memory="2048"), aws_env, tmp_path)
    assert len(active_revisions(ecs, ident)) == 2

    absent = {"family": ident, "state": "absent"}
    rc, task, out = module("ecs_task_definition", absent, aws_env, tmp_path, "--check")
    assert rc == 0 and task["changed"] and len(task["deregistered_revisions"]) == 2, out
    assert len(active_revisions(ecs, ident)) == 2
    rc, task, out = module("ecs_task_definition", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and len(task["deregistered_revisions"]) == 2, out
    assert active_revisions(ecs, ident) == []
    rc, task, out = module("ecs_task_definition", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["deregistered_revisions"] == [], out

    # Present again: a new revision (3), although the newest revision is an INACTIVE one like it.
    rc, task, out = module("ecs_task_definition", dict(args, memory="2048"), aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["revision"] == 3, out


@pytest.mark.preflight
@pytest.mark.parametrize(
    ("module_name", "args", "message"),
    [
        ("ecs_cluster", {"name": "ml flow"}, "name 'ml flow'"),
        (
            "ecs_cluster",
            {"name": "mlflow", "default_capacity_provider_strategy": [{"capacity_provider": "FARGATE_SPOT"}]},
            "not in capacity_providers",
        ),
        (
            "ecs_cluster",
            {
                "name": "mlflow",
                "capacity_providers": ["FARGATE", "FARGATE_SPOT"],
                "default_capacity_provider_strategy": [
                    {"capacity_provider": "FARGATE", "base": 1},
                    {"capacity_provider": "FARGATE_SPOT", "base": 2},
                ],
            },
            "only one provider may have a base",
        ),
        ("ecs_task_definition", taskdef_args("mlflow", network_mode="bridge"), "Fargate needs awsvpc"),
        ("ecs_task_definition", taskdef_args("mlflow", cpu=None), "cpu is required for Fargate"),
        ("ecs_task_definition", taskdef_args("mlflow", cpu="lots"), "cpu 'lots': give a number"),
        ("ecs_task_definition", taskdef_args("mlflow", ephemeral_storage=10), "ephemeral_storage 10"),
        (
            "ecs_task_definition",
            taskdef_args("mlflow", container_definitions=[{"name": "a", "image": "x"}, {"name": "a", "image": "y"}]),
            "name 'a' is used twice",
        ),
        (
            "ecs_task_definition",
            taskdef_args("mlflow", container_definitions=[{"name": "a", "environment": [{"name": "P", "value": 1}]}]),
            "container_definitions[0]: image is required; container_definitions[0].environment P: value must be",
        ),
    ],
)
def test_bad_input_fails_before_any_call(module_name, args, message, aws_env, tmp_path):
    # Nothing listens on port 9: any AWS call would fail with a connection error instead.
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    rc, task, out = module(module_name, args, env, tmp_path)
    assert rc != 0, out
    assert message in task["msg"], out
    assert "Could not manage" not in out
