"""ecs_express_gateway_service: option checks, requests, normalising and the comparison with the active
configuration (module_utils/ecs_express_params.py; no AWS calls).
"""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express_params as p
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express_results as r
from botocore.validate import validate_parameters
from ecs_express_samples import (
    _MODEL,
    ENDPOINT,
    EXECUTION,
    GROUP,
    IMAGE,
    INFRA,
    SECRET,
    SUBNETS,
    TASK_ROLE,
    configuration,
    express,
    options,
)


def changed(params, described=None):
    have = p.current(described or express())
    return p.changes(have, p.desired(params))


# ---------------------------------------------------------------- desired / current
def test_desired_carries_only_what_the_options_set():
    want = p.desired(
        {"image": IMAGE, "cpu": "0.25 vCPU", "memory": "0.5 GB", "environment": {"B": 2, "A": "x"}, "min_tasks": 2}
    )
    assert want == {
        "primaryContainer": {
            "image": IMAGE,
            "environment": [{"name": "A", "value": "x"}, {"name": "B", "value": "2"}],
        },
        "cpu": "256",
        "memory": "512",
        "scalingTarget": {"minTaskCount": 2},
    }


def test_current_fills_in_the_defaults_aws_uses():
    bare = express(
        cpu=None,
        memory=None,
        cpuArchitecture=None,
        healthCheckPath=None,
        scalingTarget=None,
        primaryContainer={"image": IMAGE},
    )
    have = p.current(bare)
    assert have["cpu"] == "1024" and have["memory"] == "2048" and have["cpuArchitecture"] == "X86_64"
    assert have["healthCheckPath"] == "/ping"
    assert have["scalingTarget"] == p.DEFAULT_SCALING
    assert have["primaryContainer"] == {
        "image": IMAGE,
        "containerPort": 80,
        "command": [],
        "environment": [],
        "secrets": [],
    }
    defaults = {"image": IMAGE, "container_port": 80, "cpu": "1024", "memory": "2048", "cpu_architecture": "X86_64"}
    defaults.update(health_check_path="/ping", min_tasks=1, max_tasks=20, scaling_metric="AVERAGE_CPU")
    assert p.changes(have, p.desired(dict(defaults, scaling_target_value=60, command=[], environment={}))) == []


def test_the_same_service_described_by_aws_is_unchanged():
    # sets in another order, '1 vCPU' / '2 GB', an integer environment value, the log prefix not given
    assert changed(options()) == []
    reordered = options(subnets=list(reversed(SUBNETS)), environment={"MLFLOW_B": "2", "MLFLOW_A": 1})
    assert changed(reordered) == []


def test_options_left_unset_are_not_compared():
    bare = dict.fromkeys(options(), None)
    bare.update(name="mlflow", cluster="c1", state="present", image=IMAGE)
    assert changed(bare) == []
    # empty subnet and group lists are AWS's default (what a role passes when it has none)
    assert changed(dict(bare, subnets=[], security_groups=[])) == []
    assert p.validate(options(subnets=[], security_groups=[])) == []


@pytest.mark.parametrize(
    ("overrides", "member"),
    [
        ({"image": IMAGE.replace("3.17.2", "3.18.0")}, "primaryContainer"),
        ({"container_port": 8080}, "primaryContainer"),
        ({"environment": {"MLFLOW_A": "1"}}, "primaryContainer"),
        ({"secrets": {}}, "primaryContainer"),
        ({"command": ["mlflow", "server"]}, "primaryContainer"),
        ({"log_stream_prefix": "web"}, "primaryContainer"),
        ({"repository_credentials": SECRET}, "primaryContainer"),
        ({"execution_role_arn": TASK_ROLE}, "executionRoleArn"),
        ({"task_role_arn": TASK_ROLE}, "taskRoleArn"),
        ({"cpu": "2048", "memory": "4096"}, ["cpu", "memory"]),
        ({"memory": "3 GB"}, "memory"),
        ({"cpu_architecture": "ARM64"}, "cpuArchitecture"),
        ({"security_groups": [GROUP, "sg-0fedcba9876543210"]}, "networkConfiguration"),
        ({"subnets": SUBNETS[:1]}, "networkConfiguration"),
        ({"health_check_path": "/ping"}, "healthCheckPath"),
        ({"max_tasks": 8}, "scalingTarget"),
        ({"scaling_metric": "REQUEST_COUNT_PER_TARGET", "scaling_target_value": 100}, "scalingTarget"),
    ],
)
def test_each_change_is_detected_alone(overrides, member):
    assert changed(options(**overrides)) == (member if isinstance(member, list) else [member])


# ---------------------------------------------------------------- requests
def test_a_changed_image_sends_the_whole_container_with_what_the_options_leave_unset():
    have = p.current(express())
    new_image = IMAGE.replace("3.17.2", "3.18.0")
    want = p.desired({"image": new_image})
    fields = p.changes(have, want)
    request = p.update_request(have, want, fields)
    assert request == {
        "primaryContainer": {
            "image": new_image,
            "containerPort": 5000,
            "awsLogsConfiguration": {"logGroup": "/mlflow/server", "logStreamPrefix": "mlflow"},
            "environment": [{"name": "MLFLOW_A", "value": "1"}, {"name": "MLFLOW_B", "value": "2"}],
            "secrets": [{"name": "DB", "valueFrom": SECRET}],
        }
    }
    update = _MODEL.operation_model("UpdateExpressGatewayService").input_shape
    validate_parameters({"serviceArn": "arn", **request}, update)


def test_an_emptied_set_is_left_out_of_the_container_and_partial_members_keep_the_rest():
    have = p.current(express())
    want = p.desired({"environment": {}, "min_tasks": 2, "security_groups": ["sg-0fedcba9876543210"]})
    request = p.update_request(have, want, p.changes(have, want))
    assert list(request) == ["primaryContainer", "networkConfiguration", "scalingTarget"]
    assert "environment" not in request["primaryContainer"] and request["primaryContainer"]["secrets"]
    assert request["networkConfiguration"] == {"subnets": SUBNETS, "securityGroups": ["sg-0fedcba9876543210"]}
    assert request["scalingTarget"] == {
        "minTaskCount": 2,
        "maxTaskCount": 4,
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 60,
    }


def test_a_log_group_without_a_prefix_keeps_the_current_prefix_or_gets_ecs():
    have = p.current(express())
    want = p.desired({"log_group": "/other"})
    request = p.update_request(have, want, p.changes(have, want))
    assert request["primaryContainer"]["awsLogsConfiguration"] == {"logGroup": "/other", "logStreamPrefix": "mlflow"}
    create = p.create_request(options(log_group="/other"), p.desired(options(log_group="/other")), [])
    assert create["primaryContainer"]["awsLogsConfiguration"] == {"logGroup": "/other", "logStreamPrefix": "ecs"}


def test_create_request_is_what_aws_takes():
    params = options(cpu_architecture="ARM64", command=["mlflow", "server"])
    request = p.create_request(params, p.desired(params), [{"key": "Application", "value": "mlflow"}])
    validate_parameters(request, _MODEL.operation_model("CreateExpressGatewayService").input_shape)
    assert request["serviceName"] == "mlflow" and request["cluster"] == "c1"
    assert request["infrastructureRoleArn"] == INFRA and request["executionRoleArn"] == EXECUTION
    assert request["cpu"] == "1024" and request["memory"] == "2048" and request["cpuArchitecture"] == "ARM64"
    assert request["networkConfiguration"] == {"subnets": SUBNETS, "securityGroups": [GROUP]}
    assert request["scalingTarget"] == {"minTaskCount": 1, "maxTaskCount": 4}
    assert request["primaryContainer"]["command"] == ["mlflow", "server"]
    assert request["tags"] == [{"key": "Application", "value": "mlflow"}]
    minimal = dict.fromkeys(options(), None)
    minimal.update(name="web", cluster="default", image="nginx:1.27", infrastructure_role_arn=INFRA)
    assert p.create_request(minimal, p.desired(minimal), []) == {
        "serviceName": "web",
        "infrastructureRoleArn": INFRA,
        "primaryContainer": {"image": "nginx:1.27"},
    }, "the default cluster is left out (AWS creates it), nothing else given"


# ---------------------------------------------------------------- input checks
def test_good_options_have_no_problem():
    assert p.validate(options()) == []
    assert p.validate(options(cpu="16384", memory="122880", min_tasks=0)) == []


BAD = [
    ({"name": "ml flow"}, "name 'ml flow'"),
    ({"cluster": "arn:aws:ecs:us-east-1:1:cluster/x"}, "cluster 'arn:aws:ecs"),
    ({"image": None}, "image: required with state=present"),
    ({"image": "mlflow server:1"}, "image 'mlflow server:1'"),
    ({"container_port": 0}, "container_port 0: must be between 1 and 65535"),
    ({"container_port": 70000}, "container_port 70000"),
    ({"cpu": "1024", "memory": "512"}, "cpu 1024 with memory 512: Fargate allows memory 2048-8192"),
    ({"cpu": "3 vCPU"}, "cpu '3 vCPU'"),
    ({"memory": "100"}, "memory '100'"),
    ({"min_tasks": 5, "max_tasks": 2}, "min_tasks 5 is greater than max_tasks 2"),
    ({"max_tasks": 0}, "max_tasks 0: must be at least 1"),
    ({"scaling_metric": "AVERAGE_CPU", "scaling_target_value": 150}, "scaling_target_value 150: a percentage"),
    ({"health_check_path": "health"}, "health_check_path 'health': must start with '/'"),
    ({"execution_role_arn": SECRET}, "execution_role_arn '"),
    ({"infrastructure_role_arn": "ecsInfrastructureRole"}, "infrastructure_role_arn 'ecsInfrastructureRole'"),
    ({"task_role_arn": "arn:aws:iam::123456789012:user/x"}, "task_role_arn"),
    ({"repository_credentials": EXECUTION}, "repository_credentials"),
    ({"secrets": {"DB": "mlflow/db"}}, "secrets.DB: 'mlflow/db' is not a Secrets Manager"),
    ({"environment": {"1BAD": "x"}}, "environment.1BAD"),
    ({"environment": {"DB": "x"}}, "environment.DB and secrets.DB"),
    ({"log_stream_prefix": "x", "log_group": None}, "log_stream_prefix: needs log_group"),
    ({"subnets": ["subnet-xyz"]}, "subnets: 'subnet-xyz'"),
    ({"security_groups": ["default"]}, "security_groups: 'default'"),
    ({"tags": {"aws:x": "1"}}, "tags.aws:x"),
    ({"wait_timeout": 0}, "wait_timeout: 0"),
]


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_validate_names_the_option(overrides, message):
    problems = p.validate(options(**overrides))
    assert any(message in problem for problem in problems), problems


def test_absent_needs_no_container_options():
    assert p.validate(options(state="absent", image=None, cpu="3", container_port=0)) == []


# ---------------------------------------------------------------- diff and results
def test_diff_views_show_the_change_only():
    have = p.current(express())
    want = p.desired(options(max_tasks=8))
    fields = p.changes(have, want)
    before, after = p.view(have), p.view(p.after(have, want, fields))
    assert {k for k in before if before[k] != after[k]} == {"scaling_target"}
    assert after["scaling_target"]["max_task_count"] == 8
    created = p.view(p.create_view(p.desired(options())))
    assert created["cpu_architecture"] == "X86_64" and created["primary_container"]["image"] == IMAGE


def test_results_are_snake_case_with_tags_as_a_dict_and_the_url():
    result = r.results(express())
    assert result["endpoint"] == ENDPOINT and result["url"] == f"https://{ENDPOINT}/"
    assert result["status"] == "ACTIVE" and result["service_arn"].endswith(":service/c1/mlflow")
    service = result["service"]
    assert service["tags"] == {"Application": "mlflow"}
    container = service["active_configurations"][0]["primary_container"]
    assert container["environment"][0] == {"name": "MLFLOW_B", "value": "2"}
    assert service["created_at"] == "2026-01-01T12:00:00+00:00"
    assert r.results(None) == {"service": {}, "service_arn": None, "status": None, "endpoint": None, "url": None}
    assert r.results(express(status="INACTIVE"))["url"] is None
    private = express(ingressPaths=[{"accessType": "PRIVATE", "endpoint": "internal.example"}])
    assert r.results(private)["endpoint"] == "internal.example"
    assert r.results(express(), tags={"a": "b"})["service"]["tags"] == {"a": "b"}
    assert configuration()["cpu"] == "1024"
