"""ecs_service: waiting for a deployment, fed DescribeServices-shaped dicts (module_utils/ecs_service.py).

A deployment that completes, one the circuit breaker fails, one a rollback replaces with a new PRIMARY,
one that never gets its tasks running (timeout); the clock and sleep are fakes.
"""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs_service as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError
from ecs_service_samples import TD1, FakeClock, FakeEcs, deployment, event, service, stopped_task


# ---------------------------------------------------------------- judging descriptions
def test_completed_with_all_tasks_running_is_done():
    progress = api.DeploymentProgress("mlflow", "c1", "ecs-svc/2")
    assert progress.evaluate(service(deployment("ecs-svc/2"), deployment("ecs-svc/1", status="ACTIVE", td=TD1)))[0] == (
        api.WAITING
    )
    assert progress.evaluate(service(deployment("ecs-svc/2", state="COMPLETED", running=1)))[0] == api.WAITING
    assert progress.evaluate(service(deployment("ecs-svc/2", state="COMPLETED", running=2))) == (api.DONE, None)


def test_rollout_failed_names_service_cluster_deployment_and_reason():
    progress = api.DeploymentProgress("mlflow", "c1", "ecs-svc/2")
    failed = deployment("ecs-svc/2", state="FAILED", reason="ECS deployment circuit breaker: tasks failed to start.")
    outcome, problem = progress.evaluate(service(failed))
    assert outcome == api.FAILED
    assert problem == (
        "ECS service mlflow in cluster c1: deployment ecs-svc/2 failed "
        "(rolloutStateReason: ECS deployment circuit breaker: tasks failed to start.)"
    )


def test_a_deployment_replaced_by_a_rollback_fails_with_the_reason_seen_before():
    progress = api.DeploymentProgress("mlflow", "c1", "ecs-svc/2")
    progress.evaluate(
        service(deployment("ecs-svc/2", reason="tasks failing"), deployment("ecs-svc/1", status="ACTIVE"))
    )
    rolled_back = service(deployment("ecs-svc/3", td=TD1))
    outcome, problem = progress.evaluate(rolled_back)
    assert outcome == api.FAILED
    assert "deployment ecs-svc/2 did not complete (rolloutStateReason: tasks failing)" in problem
    assert f"now PRIMARY: deployment ecs-svc/3 (task definition {TD1})" in problem
    assert progress.evaluate(rolled_back) == (outcome, problem), "judging the same description twice"


def test_a_new_service_not_visible_yet_is_waited_for_but_a_deleted_one_fails():
    progress = api.DeploymentProgress("mlflow", "c1", "ecs-svc/2")
    assert progress.evaluate(None) == (api.WAITING, None)
    progress.evaluate(service(deployment("ecs-svc/2")))
    assert progress.evaluate(None)[0] == api.FAILED
    outcome, problem = progress.evaluate(service(deployment("ecs-svc/2"), status="DRAINING"))
    assert outcome == api.FAILED and "is DRAINING while waiting for deployment ecs-svc/2" in problem


def test_no_rollout_state_is_done_when_it_is_the_only_deployment_with_its_tasks():
    progress = api.DeploymentProgress("mlflow", "c1", "ecs-svc/2")
    only = deployment("ecs-svc/2", running=2)
    del only["rolloutState"]
    assert progress.evaluate(service(only, deployment("ecs-svc/1", status="ACTIVE")))[0] == api.WAITING
    assert progress.evaluate(service(only))[0] == api.DONE


# ---------------------------------------------------------------- waiting (fake client and clock)
def wait(client, clock, timeout=900):
    return api.wait_for_deployment(client, "c1", "mlflow", "ecs-svc/2", timeout, sleep=clock.sleep, clock=clock)


def test_wait_polls_every_3_seconds_until_completed():
    clock = FakeClock()
    client = FakeEcs(
        service(deployment("ecs-svc/2"), deployment("ecs-svc/1", status="ACTIVE", running=2, td=TD1)),
        service(deployment("ecs-svc/2", running=2)),
        service(deployment("ecs-svc/2", state="COMPLETED", running=2)),
    )
    assert wait(client, clock)["deployments"][0]["rolloutState"] == "COMPLETED"
    assert clock.sleeps == [3, 3]
    assert [c[0] for c in client.calls] == ["describe_services"] * 3


EVENTS = [
    event(1, "(service mlflow) has started 2 tasks: (task a) (task b)."),
    event(2, "(service mlflow) has stopped 1 running tasks: (task a)."),
    event(3, "(service mlflow) has stopped 1 running tasks: (task b)."),
    event(4, "(service mlflow) (deployment ecs-svc/2) deployment failed: tasks failed to start."),
    event(5, "(service mlflow) rolling back to deployment ecs-svc/1."),
    event(0, "(service mlflow) has reached a steady state."),
]


def test_a_rolled_back_deployment_fails_with_stopped_reasons_and_latest_events():
    clock = FakeClock()
    client = FakeEcs(
        service(deployment("ecs-svc/2", failed=2), deployment("ecs-svc/1", status="ACTIVE", running=2, td=TD1)),
        service(deployment("ecs-svc/3", td=TD1), events=EVENTS),
        stopped=[
            stopped_task("a", 2, "Essential container in task exited (exit code 3)"),
            stopped_task("b", 3, "Essential container in task exited (exit code 3)"),
        ],
    )
    with pytest.raises(WaitError) as caught:
        wait(client, clock)
    message = str(caught.value)
    assert message.startswith("ECS service mlflow in cluster c1: deployment ecs-svc/2 did not complete")
    assert (
        "Stopped tasks of the deployment: task b: Essential container in task exited (exit code 3); task a:" in message
    )
    assert "Latest service events: (service mlflow) rolling back to deployment ecs-svc/1. | " in message
    assert "(deployment ecs-svc/2) deployment failed: tasks failed to start." in message
    assert "has started 2 tasks" in message and "steady state" not in message, "the 5 latest events only"
    assert caught.value.last["deployments"][0]["id"] == "ecs-svc/3"
    listed = next(kwargs for name, kwargs in client.calls if name == "list_tasks")
    assert listed == {"cluster": "c1", "startedBy": "ecs-svc/2", "desiredStatus": "STOPPED"}


def test_a_failed_rollout_fails_at_once():
    clock = FakeClock()
    failed = deployment("ecs-svc/2", state="FAILED", reason="ECS deployment circuit breaker: tasks failed to start.")
    client = FakeEcs(
        service(failed, events=EVENTS[:4]), stopped=[stopped_task("a", 2, "Task failed ELB health checks")]
    )
    with pytest.raises(WaitError) as caught:
        wait(client, clock)
    assert clock.sleeps == []
    assert str(caught.value) == (
        "ECS service mlflow in cluster c1: deployment ecs-svc/2 failed (rolloutStateReason: ECS deployment circuit "
        "breaker: tasks failed to start.). Stopped tasks of the deployment: task a: Task failed ELB health checks "
        "(container mlflow exit code 3). Latest service events: "
        + " | ".join(e["message"] for e in reversed(EVENTS[:4]))
    )


def test_timeout_reports_the_counts_and_events():
    clock = FakeClock()
    client = FakeEcs(service(deployment("ecs-svc/2", running=1, failed=4), events=EVENTS[:3]))
    with pytest.raises(WaitError) as caught:
        wait(client, clock, timeout=30)
    message = str(caught.value)
    assert message.startswith(
        "timed out after 30s waiting for ECS service mlflow in cluster c1 to complete deployment ecs-svc/2: "
        "still deployment ecs-svc/2 IN_PROGRESS, 1 of 2 tasks running (1 pending, 4 failed)"
    )
    assert "Latest service events: (service mlflow) has stopped 1 running tasks: (task b)." in message
    assert clock.now >= 30 and set(clock.sleeps) == {3}


def test_wait_for_inactive():
    clock = FakeClock()
    client = FakeEcs(service(deployment("ecs-svc/2"), status="DRAINING"), service(status="INACTIVE"))
    assert api.wait_for_inactive(client, "c1", "mlflow", 60, sleep=clock.sleep, clock=clock)["status"] == "INACTIVE"
    with pytest.raises(WaitError, match="to become INACTIVE: still DRAINING"):
        api.wait_for_inactive(FakeEcs(service(status="DRAINING")), "c1", "mlflow", 6, sleep=clock.sleep, clock=clock)
