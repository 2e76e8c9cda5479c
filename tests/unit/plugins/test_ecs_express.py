"""ecs_express_gateway_service(_info): the module's decisions and calls with a fake ECS client
(module_utils/ecs_express.py, plugins/modules/ecs_express_gateway_service*.py).
"""

from __future__ import annotations

import json

import boto3
import pytest
from ansible.module_utils import api as ansible_api
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_express as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError
from ansible_collections.mlops.mlflow_aws.plugins.modules import ecs_express_gateway_service as module_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import ecs_express_gateway_service_info as info_lib
from botocore.stub import Stubber
from ecs_express_samples import (
    ENDPOINT,
    IMAGE,
    INFRA,
    SERVICE_ARN,
    Failed,
    FakeExpressEcs,
    FakeModule,
    express,
    options,
)
from ecs_service_samples import TD1, TD2, FakeClock, deployment, event, service, stopped_task
from test_ecs_express_params import BAD

NEW_IMAGE = IMAGE.replace("3.17.2", "3.18.0")


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """AWSRetry's backoff sleeps through ansible.module_utils.api's time module: not in tests."""
    monkeypatch.setattr(ansible_api.time, "sleep", lambda seconds: None)


def completed(ident="ecs-svc/1", td=TD2, **kwargs):
    return service(deployment(ident, state="COMPLETED", running=2, td=td, **kwargs))


def manager_for(client, check_mode=False, **overrides):
    return module_lib.ExpressServiceManager(FakeModule(options(**overrides), check_mode=check_mode), client)


# ---------------------------------------------------------------- present
def test_a_no_op_run_makes_two_calls_even_with_wait():
    client = FakeExpressEcs([completed()], [express()])
    manager = manager_for(client)
    assert manager.present()["serviceArn"] == SERVICE_ARN
    assert not manager.changed
    assert client.names == ["describe_services", "describe_express_gateway_service"]
    assert client.calls[1][1] == {"serviceArn": SERVICE_ARN, "include": ["TAGS"]}


def test_a_no_op_run_waits_for_a_deployment_still_in_progress_and_warns_about_a_failed_one():
    client = FakeExpressEcs([service(deployment("ecs-svc/1")), completed()], [express()])
    manager = manager_for(client)
    manager.present()
    assert not manager.changed and manager.deployment_id == "ecs-svc/1"
    assert client.names == ["describe_services", "describe_express_gateway_service"] + ["describe_services"] * 2
    failed = service(deployment("ecs-svc/1", state="FAILED", reason="tasks failed to start"))
    module = FakeModule(options())
    module_lib.ExpressServiceManager(module, FakeExpressEcs([failed], [express()])).present()
    assert "deployment ecs-svc/1 FAILED (tasks failed to start)" in module.warnings[0]


def test_one_changed_option_is_one_update_with_that_member_then_the_new_deployment_is_followed():
    client = FakeExpressEcs(
        [
            completed("ecs-svc/1", td=TD1),  # found
            service(deployment("ecs-svc/2"), deployment("ecs-svc/1", status="ACTIVE", td=TD1)),  # started
            completed("ecs-svc/2"),  # done
        ],
        [express(), express(primaryContainer={"image": NEW_IMAGE})],
    )
    manager = manager_for(client, image=NEW_IMAGE)
    manager.present()
    assert manager.changed and manager.deployment_id == "ecs-svc/2"
    updates = [kwargs for name, kwargs in client.mutations]
    assert len(updates) == 1 and set(updates[0]) == {"serviceArn", "primaryContainer"}
    assert updates[0]["primaryContainer"]["image"] == NEW_IMAGE
    assert updates[0]["primaryContainer"]["secrets"], "the container goes as a whole"
    assert client.names == [
        "describe_services",
        "describe_express_gateway_service",
        "update_express_gateway_service",
        "describe_services",  # the new deployment shows
        "describe_services",  # COMPLETED with its tasks running
        "describe_express_gateway_service",  # the result
    ]
    assert manager.diff["before"]["primary_container"]["image"] == IMAGE
    assert manager.diff["after"]["primary_container"]["image"] == NEW_IMAGE


def test_a_scaling_change_starts_no_deployment_and_waits_for_the_current_one():
    client = FakeExpressEcs([completed()], [express()])
    manager = manager_for(client, max_tasks=8)
    manager.present()
    updates = [kwargs for name, kwargs in client.mutations]
    assert updates == [
        {
            "serviceArn": SERVICE_ARN,
            "scalingTarget": {
                "minTaskCount": 1,
                "maxTaskCount": 8,
                "autoScalingMetric": "AVERAGE_CPU",
                "autoScalingTargetValue": 60,
            },
        }
    ]
    assert manager.deployment_id == "ecs-svc/1"


def test_check_mode_reports_the_change_and_calls_nothing_that_mutates():
    client = FakeExpressEcs([completed()], [express()])
    manager = manager_for(client, check_mode=True, image=NEW_IMAGE, tags={"Team": "ml"}, cpu="2048", memory="4096")
    assert manager.present()["serviceArn"] == SERVICE_ARN
    assert manager.changed and client.mutations == []
    assert client.names == ["describe_services", "describe_express_gateway_service"]
    before, after = manager.diff["before"], manager.diff["after"]
    assert (before["cpu"], after["cpu"]) == ("1024", "2048")
    assert (before["tags"], after["tags"]) == ({"Application": "mlflow"}, {"Team": "ml"})
    creating = FakeExpressEcs([None])
    manager = manager_for(creating, check_mode=True)
    assert manager.present() is None and manager.changed and creating.mutations == []
    assert manager.diff["before"] == {} and manager.diff["after"]["primary_container"]["image"] == IMAGE


def test_tags_alone_go_through_tag_and_untag_resource():
    client = FakeExpressEcs([completed()], [express(tags=(("Application", "mlflow"), ("Old", "1")))])
    manager = manager_for(client, tags={"Application": "mlflow", "Team": "ml"})
    manager.present()
    assert client.mutations == [
        ("untag_resource", {"resourceArn": SERVICE_ARN, "tagKeys": ["Old"]}),
        ("tag_resource", {"resourceArn": SERVICE_ARN, "tags": [{"key": "Team", "value": "ml"}]}),
    ]
    assert manager.tags == {"Application": "mlflow", "Team": "ml"}


def test_create_sends_only_the_given_members_and_follows_the_first_deployment():
    client = FakeExpressEcs([None, service(deployment("ecs-svc/1")), completed()], [express()])
    manager = manager_for(client, cluster="c1", min_tasks=None, max_tasks=None, cpu=None, memory=None)
    assert manager.present()["serviceArn"] == SERVICE_ARN
    (name, request), *_rest = client.mutations
    assert name == "create_express_gateway_service"
    assert set(request) == {
        "serviceName",
        "cluster",
        "infrastructureRoleArn",
        "executionRoleArn",
        "primaryContainer",
        "networkConfiguration",
        "healthCheckPath",
        "tags",
    }
    assert manager.deployment_id == "ecs-svc/1"
    assert client.names[0] == "describe_services" and client.names[-1] == "describe_express_gateway_service"


def test_create_needs_the_infrastructure_role():
    client = FakeExpressEcs([None])
    with pytest.raises(Failed) as caught:
        manager_for(client, infrastructure_role_arn=None).present()
    assert caught.value.args[0]["msg"].startswith("infrastructure_role_arn: required to create")
    assert client.mutations == []


def test_another_infrastructure_role_fails_before_any_change():
    client = FakeExpressEcs([completed()], [express()])
    other = INFRA.replace("ecsInfrastructureRoleForExpressServices", "other")
    with pytest.raises(Failed) as caught:
        manager_for(client, infrastructure_role_arn=other, image=NEW_IMAGE).present()
    message = caught.value.args[0]["msg"]
    assert message.startswith(
        "infrastructure_role_arn: ECS Express service mlflow in cluster c1 "
        f"was created with infrastructure role {INFRA}"
    )
    assert "cannot change" in message and "delete it with state=absent and create it again" in message
    assert client.names == ["describe_services", "describe_express_gateway_service"]


def test_an_ecs_service_that_is_not_an_express_service_fails_naming_it():
    client = FakeExpressEcs([completed()], [None])
    with pytest.raises(Failed) as caught:
        manager_for(client).present()
    assert "is not an Express service" in caught.value.args[0]["msg"]
    assert client.mutations == []


def test_an_inactive_ecs_service_is_created_again():
    inactive = service(deployment("ecs-svc/1", state="COMPLETED"), status="INACTIVE")
    client = FakeExpressEcs([inactive, service(deployment("ecs-svc/9")), completed("ecs-svc/9")])
    client.expresses = [express()]
    manager = manager_for(client)
    manager.present()
    assert [name for name, _kwargs in client.mutations] == ["create_express_gateway_service"]
    assert client.names[:2] == ["describe_services", "create_express_gateway_service"]


EVENTS = [
    event(1, "(service mlflow) has started 2 tasks: (task a) (task b)."),
    event(2, "(service mlflow) (deployment ecs-svc/2) deployment failed: tasks failed to start."),
]


def test_a_failed_deployment_fails_with_the_status_the_reason_the_stopped_tasks_and_events():
    reason = "ECS deployment circuit breaker: tasks failed to start."
    failed = deployment("ecs-svc/2", state="FAILED", reason=reason)
    client = FakeExpressEcs(
        [completed("ecs-svc/1", td=TD1), service(failed, deployment("ecs-svc/1", status="ACTIVE"), events=EVENTS)],
        [express(), express(reason="deployment failed")],
        stopped=[stopped_task("a", 2, "Task failed ELB health checks in (target-group mlflow)")],
    )
    manager = manager_for(client, image=NEW_IMAGE)
    with pytest.raises(api.ExpressRolloutError) as caught:
        manager.present()
    message = str(caught.value)
    assert message.startswith(
        "ECS Express service mlflow is ACTIVE (deployment failed), deployment ecs-svc/2 FAILED, 0 of 2 tasks running "
        "(2 pending, 0 failed); service: 0 running of 2 desired: ECS service mlflow in cluster c1: "
    ), message
    assert f"deployment ecs-svc/2 failed (rolloutStateReason: {reason})" in message
    assert "Stopped tasks of the deployment: task a: Task failed ELB health checks" in message
    assert "Latest service events: (service mlflow) (deployment ecs-svc/2) deployment failed" in message
    assert caught.value.express["serviceArn"] == SERVICE_ARN and manager.deployment_id == "ecs-svc/2"
    assert manager.changed


def test_throttling_is_retried():
    client = FakeExpressEcs(
        [completed()],
        [express()],
        errors={"describe_express_gateway_service": ["ThrottlingException", "ThrottlingException"]},
    )
    manager = manager_for(client)
    manager.present()
    assert not manager.changed
    assert client.names == ["describe_services"] + ["describe_express_gateway_service"] * 3


def test_throttling_is_retried_on_a_real_client():
    client = boto3.client("ecs", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        for _attempt in range(2):
            stubber.add_client_error("describe_express_gateway_service", "ThrottlingException", http_status_code=400)
        stubber.add_response(
            "describe_express_gateway_service",
            {"service": express()},
            {"serviceArn": SERVICE_ARN, "include": ["TAGS"]},
        )
        assert api.describe(client, SERVICE_ARN)["serviceName"] == "mlflow"
        stubber.assert_no_pending_responses()


# ---------------------------------------------------------------- absent
def test_absent_deletes_and_waits_until_inactive():
    client = FakeExpressEcs([completed()], [express(), express(status="INACTIVE")])
    manager = manager_for(client, state="absent")
    gone = manager.absent()
    assert manager.changed and gone["status"]["statusCode"] == "INACTIVE"
    assert client.mutations == [("delete_express_gateway_service", {"serviceArn": SERVICE_ARN})]
    assert manager.diff["after"] == {} and manager.diff["before"]["primary_container"]["image"] == IMAGE


def test_wait_for_inactive_polls_the_express_status():
    clock = FakeClock()
    client = FakeExpressEcs([], [express(status="DRAINING"), express(status="DRAINING"), express(status="INACTIVE")])
    gone = api.wait_for_inactive(client, SERVICE_ARN, "mlflow", 60, sleep=clock.sleep, clock=clock)
    assert gone["status"]["statusCode"] == "INACTIVE" and clock.sleeps == [3, 3]
    client = FakeExpressEcs([], [express(status="DRAINING")])
    with pytest.raises(WaitError) as caught:
        api.wait_for_inactive(client, SERVICE_ARN, "mlflow", 10, sleep=clock.sleep, clock=clock)
    assert str(caught.value) == (
        "timed out after 10s waiting for ECS Express service mlflow to become INACTIVE: still DRAINING"
    )


def test_absent_when_there_is_no_service_or_in_check_mode_changes_nothing():
    client = FakeExpressEcs([None])
    manager = manager_for(client, state="absent")
    assert manager.absent() is None and not manager.changed
    assert client.names == ["describe_services"]
    client = FakeExpressEcs([completed()], [express(status="INACTIVE")])
    assert manager_for(client, state="absent").absent() is None
    client = FakeExpressEcs([completed()], [express()])
    manager = manager_for(client, check_mode=True, state="absent")
    manager.absent()
    assert manager.changed and client.mutations == []


# ---------------------------------------------------------------- the module's entry points
def run_main(main, args, monkeypatch, capsys):
    """Run a module's main() with ARGS; (result, the services module.client was asked for)."""
    asked = []

    def client(self, service, retry_decorator=None, **extra):
        asked.append(service)
        raise AssertionError(f"no AWS client expected, asked for {service}")

    monkeypatch.setattr(AnsibleAWSModule, "client", client)
    with patch_module_args(dict(args, region="us-east-1")), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out), asked


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_bad_input_fails_before_any_api_call(overrides, message, monkeypatch, capsys):
    args = {k: v for k, v in options(**overrides).items() if v is not None}
    result, asked = run_main(module_lib.main, args, monkeypatch, capsys)
    assert result["failed"] and asked == []
    assert result["msg"].startswith("Invalid ECS Express service options: ")
    assert message in result["msg"]


def test_a_bad_choice_fails_in_the_argument_spec(monkeypatch, capsys):
    result, asked = run_main(module_lib.main, {"name": "x", "cpu_architecture": "arm"}, monkeypatch, capsys)
    assert result["failed"] and asked == [] and "cpu_architecture" in result["msg"]


def test_info_by_name_by_arn_and_absent():
    client = FakeExpressEcs([completed()], [express()])
    found = info_lib.describe(client, {"name": "mlflow", "cluster": "c1", "service_arn": None})
    assert found["serviceArn"] == SERVICE_ARN
    client = FakeExpressEcs([], [express()])
    assert info_lib.describe(client, {"name": None, "cluster": "default", "service_arn": SERVICE_ARN})
    assert client.names == ["describe_express_gateway_service"]
    assert info_lib.describe(FakeExpressEcs([None]), {"name": "x", "cluster": "c1", "service_arn": None}) is None
    client = FakeExpressEcs([], [None])
    assert info_lib.describe(client, {"name": None, "cluster": "c1", "service_arn": SERVICE_ARN}) is None
    client = FakeExpressEcs([], [express(status="INACTIVE")])
    assert info_lib.describe(client, {"name": None, "cluster": "c1", "service_arn": SERVICE_ARN}) is None


def test_main_returns_the_endpoint_and_url(monkeypatch, capsys):
    client = FakeExpressEcs([completed()], [express()])
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **extra: client)
    with patch_module_args({"name": "mlflow", "cluster": "c1", "region": "us-east-1"}), pytest.raises(SystemExit):
        info_lib.main()
    result = json.loads(capsys.readouterr().out)
    assert result["exists"] and result["endpoint"] == ENDPOINT and result["url"] == f"https://{ENDPOINT}/"
    args = {k: v for k, v in options().items() if v is not None}
    with patch_module_args(dict(args, region="us-east-1", _ansible_diff=True)), pytest.raises(SystemExit):
        module_lib.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False and result["url"] == f"https://{ENDPOINT}/"
    assert result["status"] == "ACTIVE" and result["service"]["tags"] == {"Application": "mlflow"}
    assert result["diff"] == {"before": {}, "after": {}}


def test_a_deployment_that_never_starts_times_out_naming_the_service():
    clock = FakeClock()
    client = FakeExpressEcs([completed()], [express()])
    with pytest.raises(api.ExpressRolloutError) as caught:
        api.wait_for_rollout(
            client, SERVICE_ARN, "c1", "mlflow", 30, before={"ecs-svc/1"}, sleep=clock.sleep, clock=clock
        )
    assert str(caught.value).startswith(
        "ECS Express service mlflow is ACTIVE: timed out after 30s waiting for ECS service mlflow in cluster c1 "
        "to start a deployment: still ACTIVE, no new deployment"
    )
    assert caught.value.deployment_id is None and set(clock.sleeps) == {3}


def test_the_deployment_followed_is_the_one_the_change_started_not_a_rollback():
    ours = deployment("ecs-svc/2", state="FAILED", status="ACTIVE", reason="tasks failed to start")
    rollback = deployment("ecs-svc/3", td=TD1)
    rolled_back = service(rollback, ours, deployment("ecs-svc/1", status="ACTIVE", td=TD1))
    assert api.new_deployment(rolled_back, {"ecs-svc/1"})["id"] == "ecs-svc/2"
    ours["createdAt"], rollback["createdAt"] = 2.0, 3.0
    assert api.new_deployment(service(ours, rollback), {"ecs-svc/1"})["id"] == "ecs-svc/2"
    assert api.new_deployment(rolled_back, {"ecs-svc/1", "ecs-svc/2", "ecs-svc/3"}) is None
