"""module_utils/ecs.py (task definition comparison, tags, waiting) and the ecs_cluster / ecs_task_definition
modules' pure functions."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError
from ansible_collections.mlops.mlflow_aws.plugins.modules import ecs_cluster as cluster_module
from ansible_collections.mlops.mlflow_aws.plugins.modules import ecs_task_definition as taskdef

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
GIVEN = {
    "name": "mlflow",
    "image": "mlflow:3.1",
    "portMappings": [{"containerPort": 5000}],
    "environment": [{"name": "B", "value": "2"}, {"name": "A", "value": "1"}],
    "secrets": [{"name": "DB_URI", "valueFrom": SECRET}],
    "healthCheck": {"command": ["CMD-SHELL", "true"]},
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/mlflow"}},
}
# GIVEN as AWS describes it after RegisterTaskDefinition, with a member this code does not know about.
DESCRIBED = {
    "name": "mlflow",
    "image": "mlflow:3.1",
    "cpu": 0,
    "portMappings": [{"containerPort": 5000, "hostPort": 5000, "protocol": "tcp"}],
    "essential": True,
    "environment": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
    "secrets": [{"name": "DB_URI", "valueFrom": SECRET}],
    "mountPoints": [],
    "volumesFrom": [],
    "systemControls": [],
    "healthCheck": {"command": ["CMD-SHELL", "true"], "interval": 30, "timeout": 5, "retries": 3},
    "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/mlflow"}, "secretOptions": []},
    "someFutureMember": {"enabled": True},
}
DESIRED = {
    "family": "mlflow",
    "containerDefinitions": [GIVEN],
    "networkMode": "awsvpc",
    "requiresCompatibilities": ["FARGATE"],
    "cpu": "1024",
    "memory": "2048",
    "executionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "runtimePlatform": {"cpuArchitecture": "ARM64", "operatingSystemFamily": "LINUX"},
}
CURRENT = dict(
    DESIRED,
    containerDefinitions=[DESCRIBED],
    taskDefinitionArn="arn:aws:ecs:eu-west-1:123456789012:task-definition/mlflow:7",
    revision=7,
    status="ACTIVE",
    compatibilities=["EC2", "FARGATE"],
    requiresAttributes=[{"name": "com.amazonaws.ecs.capability.logging-driver.awslogs"}],
    volumes=[],
    placementConstraints=[],
)


def differs(desired, current):
    before, after = api.compared_definitions(desired, current)
    return before != after


def container(**changes):
    return dict(copy.deepcopy(GIVEN), **changes)


def test_what_aws_adds_is_no_difference():
    assert not differs(DESIRED, CURRENT)
    assert api.normalize_container(GIVEN, "awsvpc") == api.normalize_container(
        {k: v for k, v in DESCRIBED.items() if k != "someFutureMember"}, "awsvpc"
    )


@pytest.mark.parametrize(
    "change",
    [
        {"cpu": "2048"},
        {"memory": "4096"},
        {"executionRoleArn": "arn:aws:iam::123456789012:role/other"},
        {"taskRoleArn": "arn:aws:iam::123456789012:role/task"},
        {"networkMode": "bridge"},
        {"runtimePlatform": {"cpuArchitecture": "X86_64", "operatingSystemFamily": "LINUX"}},
        {"requiresCompatibilities": ["FARGATE", "EC2"]},
        {"ephemeralStorage": {"sizeInGiB": 30}},
        {"containerDefinitions": [container(image="mlflow:3.2")]},
        {"containerDefinitions": [container(secrets=[*GIVEN["secrets"], {"name": "PW", "valueFrom": SECRET}])]},
        {"containerDefinitions": [container(environment=[{"name": "A", "value": "changed"}, GIVEN["environment"][0]])]},
        {"containerDefinitions": [container(portMappings=[{"containerPort": 5000, "protocol": "udp"}])]},
        {"containerDefinitions": [container(healthCheck={"command": ["CMD-SHELL", "true"], "interval": 10})]},
        {"containerDefinitions": [container(essential=False)]},
        {"containerDefinitions": [container(command=["mlflow", "server"])]},
        {"containerDefinitions": [container(logConfiguration={"logDriver": "awslogs", "options": {"a": "b"}})]},
        {"containerDefinitions": [GIVEN, {"name": "sidecar", "image": "envoy"}]},
    ],
)
def test_each_difference_counts(change):
    assert differs(dict(DESIRED, **change), CURRENT)


def test_order_and_spelling_are_no_difference():
    reordered = container(environment=list(reversed(GIVEN["environment"])), essential=True, cpu=0)
    assert not differs(dict(DESIRED, containerDefinitions=[reordered]), CURRENT)
    assert not differs(dict(DESIRED, cpu="1 vCPU", memory="2 GB"), CURRENT)
    assert not differs(dict(DESIRED, requiresCompatibilities=["FARGATE"]), dict(CURRENT))


def test_a_removed_field_counts_but_unknown_aws_members_do_not():
    without_check = {k: v for k, v in GIVEN.items() if k != "healthCheck"}
    assert differs(dict(DESIRED, containerDefinitions=[without_check]), CURRENT)
    without_env = {k: v for k, v in GIVEN.items() if k != "environment"}
    assert differs(dict(DESIRED, containerDefinitions=[without_env]), CURRENT)
    # An empty list AWS returns for a field not given is not a field to remove.
    current = dict(CURRENT, containerDefinitions=[dict(DESCRIBED, environment=[])])
    assert not differs(dict(DESIRED, containerDefinitions=[without_env]), current)


def test_a_missing_revision_is_a_difference():
    before, after = api.compared_definitions(DESIRED, None)
    assert before is None and after["cpu"] == "1024"


def test_port_mappings_by_network_mode():
    assert api.normalize_container({"name": "a", "portMappings": [{"containerPort": 80}]}, "awsvpc")[
        "portMappings"
    ] == [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}]
    bridge = api.normalize_container({"name": "a", "portMappings": [{"containerPort": 80, "hostPort": 0}]}, "bridge")
    assert bridge["portMappings"] == [{"containerPort": 80, "protocol": "tcp"}]


def test_health_check_defaults_and_start_period():
    given = api.normalize_container({"name": "a", "healthCheck": {"command": ["x"], "startPeriod": 0}}, "awsvpc")
    assert given["healthCheck"] == {"command": ["x"], "interval": 30, "timeout": 5, "retries": 3}
    later = api.normalize_container({"name": "a", "healthCheck": {"command": ["x"], "startPeriod": 60}}, "awsvpc")
    assert later["healthCheck"]["startPeriod"] == 60


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [("1024", "vcpu", "1024"), ("1 vCPU", "vcpu", "1024"), ("0.25 vcpu", "vcpu", "256"), ("2GB", "gb", "2048")],
)
def test_units(value, unit, expected):
    assert api.units(value, unit) == expected


@pytest.mark.parametrize(
    ("ref", "expected"),
    [
        ("arn:aws:ecs:eu-west-1:123456789012:task-definition/mlflow:7", ("mlflow", 7)),
        ("mlflow:3", ("mlflow", 3)),
        ("mlflow", ("mlflow", None)),
    ],
)
def test_parse_task_definition(ref, expected):
    assert api.parse_task_definition(ref) == expected


class FakeEcs:
    """The ECS calls module_utils/ecs.py makes, over a few task definitions and tags."""

    def __init__(self, arns=(), tags=None):
        self.arns = list(arns)
        self.tags = list(tags or [])
        self.calls = []

    def list_task_definitions(self, **params):
        self.calls.append(("list", params))
        return {"taskDefinitionArns": self.arns}

    def describe_task_definition(self, **params):
        self.calls.append(("describe", params))
        return {"taskDefinition": {"taskDefinitionArn": params["taskDefinition"]}, "tags": self.tags}

    def tag_resource(self, **params):
        self.calls.append(("tag", params))

    def untag_resource(self, **params):
        self.calls.append(("untag", params))

    def list_tags_for_resource(self, **params):
        return {"tags": self.tags}


def test_latest_active_revision_is_described_by_number():
    prefix = "arn:aws:ecs:eu-west-1:123456789012:task-definition/"
    # familyPrefix is a prefix: mlflow-worker is another family.
    fake = FakeEcs(
        [f"{prefix}mlflow:10", f"{prefix}mlflow:9", f"{prefix}mlflow-worker:12"], [{"key": "a", "value": "b"}]
    )
    definition, tags = api.latest_active_task_definition(fake, "mlflow")
    assert definition["taskDefinitionArn"] == f"{prefix}mlflow:10" and tags == {"a": "b"}
    assert fake.calls[-1] == ("describe", {"taskDefinition": f"{prefix}mlflow:10", "include": ["TAGS"]})
    assert api.latest_active_task_definition(FakeEcs(), "mlflow") == (None, {})
    assert api.resolve_task_definition(fake, "mlflow:3")[0]["taskDefinitionArn"] == "mlflow:3"


def test_tags_are_lower_case_lists():
    fake = FakeEcs(tags=[{"key": "Application", "value": "mlflow"}])
    assert api.TAGS.get(fake, "arn") == {"Application": "mlflow"}
    api.TAGS.apply(fake, "arn", {"Team": "ml"}, ["Old"])
    assert fake.calls == [
        ("untag", {"resourceArn": "arn", "tagKeys": ["Old"]}),
        ("tag", {"resourceArn": "arn", "tags": [{"key": "Team", "value": "ml"}]}),
    ]
    assert api.ecs_tags({}) == []


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


class FakeClusters:
    def __init__(self, *statuses):
        self.statuses = list(statuses)

    def describe_clusters(self, **params):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"clusters": [] if status is None else [{"clusterName": "c", "status": status}]}


def test_wait_for_cluster():
    clock = Clock()
    assert api.wait_for_cluster(FakeClusters("PROVISIONING", "ACTIVE"), "c", 60, sleep=clock.sleep, clock=clock)
    assert api.wait_for_cluster(
        FakeClusters("ACTIVE", "INACTIVE"), "c", 60, deleted=True, sleep=clock.sleep, clock=clock
    )
    with pytest.raises(WaitError, match="cluster c is FAILED"):
        api.wait_for_cluster(FakeClusters("PROVISIONING", "FAILED"), "c", 60, sleep=clock.sleep, clock=clock)
    with pytest.raises(WaitError, match="timed out after 10s waiting for cluster c to be active: still PROVISIONING"):
        api.wait_for_cluster(FakeClusters("PROVISIONING"), "c", 10, sleep=clock.sleep, clock=clock)


def cluster_params(**overrides):
    params = {
        "name": "mlflow",
        "state": "present",
        "container_insights": "enabled",
        "capacity_providers": ["FARGATE_SPOT", "FARGATE"],
        "default_capacity_provider_strategy": [
            {"capacity_provider": "FARGATE_SPOT", "weight": 3, "base": 0},
            {"capacity_provider": "FARGATE", "weight": 1, "base": 1},
        ],
    }
    params.update(overrides)
    return params


def test_cluster_changes():
    current = {
        "clusterName": "mlflow",
        "status": "ACTIVE",
        "settings": [{"name": "containerInsights", "value": "enabled"}],
        "capacityProviders": ["FARGATE", "FARGATE_SPOT"],
        "defaultCapacityProviderStrategy": [
            {"capacityProvider": "FARGATE", "weight": 1, "base": 1},
            {"capacityProvider": "FARGATE_SPOT", "weight": 3, "base": 0},
        ],
    }
    desired = cluster_module.desired_state(cluster_params())
    assert cluster_module.changes(desired, current) == []
    assert cluster_module.changes(
        cluster_module.desired_state(cluster_params(container_insights="disabled")), current
    ) == ["settings"]
    # No setting at all is ECS's default, disabled.
    bare = {"clusterName": "mlflow", "capacityProviders": [], "defaultCapacityProviderStrategy": []}
    off = cluster_module.desired_state(
        cluster_params(container_insights="disabled", capacity_providers=[], default_capacity_provider_strategy=[])
    )
    assert cluster_module.changes(off, bare) == []
    fewer = cluster_params(
        capacity_providers=["FARGATE"],
        default_capacity_provider_strategy=[{"capacity_provider": "FARGATE", "weight": 1, "base": 0}],
    )
    assert cluster_module.changes(cluster_module.desired_state(fewer), current) == ["capacity_providers"]


def test_cluster_validation():
    assert cluster_module.validate(cluster_params()) == []
    problems = cluster_module.validate(
        cluster_params(
            name="bad name",
            capacity_providers=["FARGATE"],
            default_capacity_provider_strategy=[
                {"capacity_provider": "FARGATE", "weight": 2000, "base": 1},
                {"capacity_provider": "FARGATE_SPOT", "weight": 1, "base": 1},
            ],
        )
    )
    assert problems == [
        "name 'bad name': 1-255 letters, digits, '-' or '_'",
        "default_capacity_provider_strategy[0] (FARGATE): weight 2000 is not between 0 and 1000",
        "default_capacity_provider_strategy[1] (FARGATE_SPOT): not in capacity_providers ['FARGATE']",
        "default_capacity_provider_strategy: only one provider may have a base",
    ]


def test_result_keeps_user_data_keys():
    shown = taskdef.view(
        dict(CURRENT, containerDefinitions=[dict(DESCRIBED, dockerLabels={"com.example.Team": "ml"})]), {"a": "b"}
    )
    assert shown["task_definition_arn"].endswith(":7") and shown["runtime_platform"]["cpu_architecture"] == "ARM64"
    (container,) = shown["container_definitions"]
    assert container["log_configuration"]["options"] == {"awslogs-group": "/ecs/mlflow"}
    assert container["docker_labels"] == {"com.example.Team": "ml"}
    assert container["secrets"] == [{"name": "DB_URI", "value_from": SECRET}]
    assert container["port_mappings"][0]["container_port"] == 5000
    assert shown["tags"] == {"a": "b"}
    assert taskdef.view(dict(CURRENT, ephemeralStorage={"sizeInGiB": 30}), {})["ephemeral_storage"] == {
        "size_in_gib": 30
    }


def test_digit_strings_in_integer_container_fields_become_numbers():
    """ansible-core before 2.19 renders "{{ port | int }}" inside a structure as text."""
    fixed = api.coerce_container_numbers(
        [
            {
                "name": "mlflow",
                "memory": "512",
                "portMappings": [{"containerPort": "8080", "protocol": "tcp"}],
                "healthCheck": {"command": ["CMD", "true"], "interval": "15", "retries": 3},
                "environment": [{"name": "PORT", "value": "8080"}],
            }
        ]
    )[0]
    assert fixed["memory"] == 512 and fixed["portMappings"][0] == {"containerPort": 8080, "protocol": "tcp"}
    assert fixed["healthCheck"]["interval"] == 15 and fixed["environment"][0]["value"] == "8080"
