"""ecs_service: options compared with DescribeServices, the CreateService/UpdateService requests
(module_utils/ecs_service_params.py) and the module's decisions with a fake client.
"""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_service_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import ecs_service as module_lib
from ecs_service_samples import TD1, TD2, TG, FakeEcs, deployment, event, service


# ---------------------------------------------------------------- options vs. DescribeServices
def options(**overrides):
    params = {
        "name": "mlflow",
        "cluster": "c1",
        "state": "present",
        "task_definition": "mlflow",
        "desired_count": 2,
        "preserve_desired_count": False,
        "launch_type": "FARGATE",
        "platform_version": None,
        "network_configuration": {
            "subnets": ["subnet-a", "subnet-b"],
            "security_groups": ["sg-1"],
            "assign_public_ip": False,
        },
        "load_balancers": [{"target_group_arn": TG, "container_name": "mlflow", "container_port": 5000}],
        "health_check_grace_period_seconds": 60,
        "deployment_configuration": {
            "minimum_healthy_percent": 100,
            "maximum_percent": 200,
            "circuit_breaker": {"enable": True, "rollback": True},
        },
        "enable_execute_command": False,
        "propagate_tags": "SERVICE",
        "force_new_deployment": False,
        "tags": {"Application": "mlflow"},
        "purge_tags": True,
        "wait": True,
        "wait_timeout": 900,
    }
    params.update(overrides)
    return params


def changed_fields(params, described, task_definition=TD2):
    current = params_lib.compared(described)
    return params_lib.changes(current, params_lib.desired(params, task_definition, current))


def test_the_same_service_described_by_aws_is_unchanged():
    assert changed_fields(options(), service(deployment("ecs-svc/1"))) == []
    # order of subnets and groups, an explicit DISABLED, a revision given as family:revision
    network = {
        "awsvpcConfiguration": {
            "subnets": ["subnet-a", "subnet-b"],
            "securityGroups": ["sg-1"],
            "assignPublicIp": "DISABLED",
        }
    }
    described = service(deployment("ecs-svc/1"), networkConfiguration=network)
    assert changed_fields(options(), described, task_definition="mlflow:2") == []


def test_each_change_is_detected_and_sent_alone():
    described = service(deployment("ecs-svc/1"))
    current = params_lib.compared(described)
    network = options()["network_configuration"]
    cases = {
        "network_configuration": options(network_configuration=dict(network, security_groups=["sg-2", "sg-1"])),
        "deployment_configuration": options(
            deployment_configuration={"minimum_healthy_percent": 50, "maximum_percent": 200, "circuit_breaker": None}
        ),
        "desired_count": options(desired_count=3),
        "health_check_grace_period_seconds": options(health_check_grace_period_seconds=0),
        "enable_execute_command": options(enable_execute_command=True),
        "propagate_tags": options(propagate_tags="NONE"),
        "load_balancers": options(load_balancers=[]),
        "platform_version": options(platform_version="1.4.0"),
    }
    for field, params in cases.items():
        want = params_lib.desired(params, TD2, current)
        assert params_lib.changes(current, want) == [field], field
    want = params_lib.desired(cases["network_configuration"], TD2, current)
    request = params_lib.update_request(described, want, ["network_configuration"])
    assert request == {
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "assignPublicIp": "DISABLED",
                "securityGroups": ["sg-1", "sg-2"],
            }
        }
    }
    want = params_lib.desired(cases["deployment_configuration"], TD2, current)
    request = params_lib.update_request(described, want, ["deployment_configuration"])
    assert request["deploymentConfiguration"] == {
        "minimumHealthyPercent": 50,
        "maximumPercent": 200,
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},  # not given: kept
        "alarms": {"alarmNames": [], "enable": False, "rollback": False},  # not managed: kept
    }


def test_a_new_revision_of_the_family_is_a_change():
    assert changed_fields(options(), service(deployment("ecs-svc/1", td=TD1)), task_definition=TD2) == [
        "task_definition"
    ]


def test_preserve_desired_count_leaves_an_existing_count_alone():
    described = service(deployment("ecs-svc/1"), desiredCount=5)
    assert changed_fields(options(preserve_desired_count=True), described) == []
    assert changed_fields(options(), described) == ["desired_count"]
    want = params_lib.desired(options(preserve_desired_count=True, desired_count=3), TD2, None)
    assert params_lib.create_request(options(), want, [])["desiredCount"] == 3


def test_defaults_aws_fills_in_compare_equal_to_options_not_given():
    bare = service(deployment("ecs-svc/1"), loadBalancers=[], healthCheckGracePeriodSeconds=None, propagateTags="NONE")
    del bare["deploymentConfiguration"]
    params = options(
        load_balancers=None,
        health_check_grace_period_seconds=None,
        propagate_tags="NONE",
        deployment_configuration={
            "minimum_healthy_percent": 100,
            "maximum_percent": 200,
            "circuit_breaker": {"enable": False, "rollback": False},
        },
        network_configuration={"subnets": ["subnet-a", "subnet-b"], "security_groups": None, "assign_public_ip": False},
    )
    assert changed_fields(params, bare) == []


def test_create_request():
    want = params_lib.desired(options(), TD2, None)
    request = params_lib.create_request(options(), want, [{"key": "Application", "value": "mlflow"}])
    assert request == {
        "cluster": "c1",
        "serviceName": "mlflow",
        "launchType": "FARGATE",
        "desiredCount": 2,
        "taskDefinition": TD2,
        "platformVersion": "LATEST",
        "networkConfiguration": {
            "awsvpcConfiguration": {
                "subnets": ["subnet-a", "subnet-b"],
                "assignPublicIp": "DISABLED",
                "securityGroups": ["sg-1"],
            }
        },
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "mlflow", "containerPort": 5000}],
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": {
            "minimumHealthyPercent": 100,
            "maximumPercent": 200,
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        },
        "enableExecuteCommand": False,
        "propagateTags": "SERVICE",
        "tags": [{"key": "Application", "value": "mlflow"}],
    }
    assert (
        params_lib.create_request(
            options(desired_count=None), params_lib.desired(options(desired_count=None), TD2, None), []
        )["desiredCount"]
        == 1
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "ml flow"}, "name 'ml flow'"),
        ({"task_definition": "mlflow:latest"}, "task_definition 'mlflow:latest'"),
        ({"desired_count": -1}, "desired_count: -1 is negative"),
        ({"launch_type": "EC2", "platform_version": "1.4.0"}, "platform_version: only Fargate"),
        (
            {
                "deployment_configuration": {
                    "minimum_healthy_percent": 150,
                    "maximum_percent": 200,
                    "circuit_breaker": None,
                }
            },
            "minimum_healthy_percent: 150",
        ),
        (
            {
                "deployment_configuration": {
                    "minimum_healthy_percent": 100,
                    "maximum_percent": 200,
                    "circuit_breaker": {"enable": False, "rollback": True},
                }
            },
            "rollback: needs enable",
        ),
    ],
)
def test_validate(overrides, message):
    problems = params_lib.validate(options(**overrides))
    assert any(message in p for p in problems), problems


def test_service_view_trims_events_and_gives_tags_as_a_dict():
    events = [event(minute, f"event {minute}") for minute in range(15)]
    view = params_lib.service_view(service(deployment("ecs-svc/1"), events=events))
    assert [e["message"] for e in view["events"]] == [f"event {m}" for m in range(14, 4, -1)]
    assert view["events"][0]["created_at"] == "2026-01-01T12:14:00+00:00"
    assert view["tags"] == {"Application": "mlflow"} and view["service_name"] == "mlflow"
    assert view["deployment_configuration"]["deployment_circuit_breaker"] == {"enable": True, "rollback": True}


# ---------------------------------------------------------------- the module's decisions (fake module and client)
class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode

    def fail_json(self, **result):
        raise Failed(result)


def test_a_no_op_run_with_a_family_makes_two_calls_and_does_not_wait():
    client = FakeEcs(
        service(deployment("ecs-svc/1", state="IN_PROGRESS")),
        task_definitions={"mlflow": {"taskDefinitionArn": TD2, "status": "ACTIVE"}},
    )
    manager = module_lib.ServiceManager(FakeModule(options()), client)
    assert manager.present()["serviceArn"].endswith("/mlflow")
    assert not manager.changed
    assert [name for name, _kwargs in client.calls] == ["describe_services", "describe_task_definition"]


def test_check_mode_reports_the_change_and_calls_nothing_that_mutates():
    described = service(deployment("ecs-svc/1", td=TD1))
    client = FakeEcs(described, task_definitions={"mlflow": {"taskDefinitionArn": TD2, "status": "ACTIVE"}})
    params = options(tags={"Team": "ml"}, force_new_deployment=True)
    manager = module_lib.ServiceManager(FakeModule(params, check_mode=True), client)
    manager.present()
    assert manager.changed
    assert manager.diff["before"]["task_definition"] == TD1 and manager.diff["after"]["task_definition"] == TD2
    assert manager.diff["after"]["tags"] == {"Team": "ml"}
    assert [name for name, _kwargs in client.calls] == ["describe_services", "describe_task_definition"]


def test_an_update_sends_only_the_changed_members_then_waits():
    described = service(deployment("ecs-svc/1", state="COMPLETED", running=2))
    after = service(deployment("ecs-svc/2", state="COMPLETED", running=2))
    client = FakeEcs(after)  # UpdateService's answer, then DescribeServices while waiting
    params = options(task_definition=TD2, enable_execute_command=True)
    manager = module_lib.ServiceManager(FakeModule(params), client)
    assert manager.update(described)["deployments"][0]["rolloutState"] == "COMPLETED"
    updates = [kwargs for name, kwargs in client.calls if name == "update_service"]
    assert updates == [{"cluster": "c1", "service": "mlflow", "enableExecuteCommand": True}]
    assert manager.deployment_id == "ecs-svc/2"
    assert [name for name, _kwargs in client.calls] == ["update_service", "describe_services"]


def test_a_launch_type_change_fails_naming_the_option():
    client = FakeEcs(service(deployment("ecs-svc/1")))
    manager = module_lib.ServiceManager(FakeModule(options(launch_type="EC2")), client)
    with pytest.raises(Failed) as caught:
        manager.present()
    message = caught.value.args[0]["msg"]
    assert message.startswith("launch_type: ECS service mlflow in cluster c1 runs with FARGATE, not EC2")
    assert [name for name, _kwargs in client.calls] == ["describe_services"]
