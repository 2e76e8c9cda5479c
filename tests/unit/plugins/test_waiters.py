"""module_utils/waiters.py: polling until ready, failing at once on a broken state, timing out with the last status."""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner, rds_proxy
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import (
    WaitError,
    status_in,
    status_of,
    wait_until,
)


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


def script(*descriptions):
    """A describe function answering DESCRIPTIONS in turn (the last one for ever)."""
    answers = list(descriptions)

    def describe():
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return describe


def wait(describe, ready, clock, **options):
    options.setdefault("resource", "widget w1")
    options.setdefault("timeout", 60)
    return wait_until(describe, ready, delay=3, sleep=clock.sleep, clock=clock, **options)


def test_returns_the_first_ready_description_polling_every_delay():
    clock = FakeClock()
    describe = script({"Status": "CREATING"}, {"Status": "CREATING"}, {"Status": "ACTIVE", "Id": 1})
    assert wait(describe, status_in("ACTIVE"), clock) == {"Status": "ACTIVE", "Id": 1}
    assert clock.sleeps == [3, 3]


def test_ready_at_once_does_not_sleep():
    clock = FakeClock()
    assert wait(script({"Status": "ACTIVE"}), status_in("ACTIVE"), clock)["Status"] == "ACTIVE"
    assert clock.sleeps == []


def test_a_failure_state_ends_the_wait_at_once():
    clock = FakeClock()
    describe = script({"Status": "CREATING"}, {"Status": "CREATE_FAILED"})

    def failure(widget):
        return "widget w1 failed to create" if widget["Status"] == "CREATE_FAILED" else None

    with pytest.raises(WaitError, match=r"^widget w1 failed to create$") as caught:
        wait(describe, status_in("ACTIVE"), clock, failure=failure)
    assert clock.sleeps == [3]
    assert (caught.value.resource, caught.value.status) == ("widget w1", "CREATE_FAILED")


def test_timeout_names_the_resource_the_goal_and_the_last_status():
    clock = FakeClock()
    with pytest.raises(WaitError) as caught:
        wait(script({"Status": "CREATING"}), status_in("ACTIVE"), clock, timeout=10, goal="become ACTIVE")
    assert str(caught.value) == "timed out after 10s waiting for widget w1 to become ACTIVE: still CREATING"
    assert caught.value.last == {"Status": "CREATING"}
    assert clock.now >= 10


def test_resource_can_be_named_from_the_description():
    clock = FakeClock()
    with pytest.raises(WaitError, match="waiting for widget blue: still BUSY"):
        wait(
            script({"Name": "blue", "Status": "BUSY"}),
            status_in("IDLE"),
            clock,
            resource=lambda w: f"widget {w['Name']}",
        )


def test_gone_is_ready_only_when_asked_for():
    clock = FakeClock()
    assert wait(script({"Status": "DELETING"}, None), status_in("DELETED", gone=True), clock) is None
    with pytest.raises(WaitError, match="still gone"):
        wait(script(None), status_in("ACTIVE"), FakeClock(), timeout=5)


def test_status_helpers():
    assert status_of(None) == "gone"
    assert status_of({}) == "unknown"
    assert status_in("RUNNING", key="status")({"status": "RUNNING"})


# ---------------------------------------------------------------- the services' waits
class AutoScalingClient:
    def __init__(self, statuses):
        self.statuses = list(statuses)

    def describe_auto_scaling_configuration(self, AutoScalingConfigurationArn):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {
            "AutoScalingConfiguration": {"AutoScalingConfigurationArn": AutoScalingConfigurationArn, "Status": status}
        }


def test_auto_scaling_configuration_wait():
    clock = FakeClock()
    client = AutoScalingClient(["PENDING", "ACTIVE"])
    config = apprunner.wait_for_auto_scaling_configuration(
        client, "arn:a", "ACTIVE", 60, sleep=clock.sleep, clock=clock
    )
    assert config["Status"] == "ACTIVE"
    assert clock.now == apprunner.POLL_SECONDS
    with pytest.raises(
        WaitError, match="waiting for auto scaling configuration arn:a to become INACTIVE: still ACTIVE"
    ):
        apprunner.wait_for_auto_scaling_configuration(
            AutoScalingClient(["ACTIVE"]), "arn:a", "INACTIVE", 4, sleep=clock.sleep, clock=clock
        )


class TargetsClient:
    def __init__(self, *answers):
        self.answers = list(answers)

    def describe_db_proxy_targets(self, DBProxyName, TargetGroupName):
        return {"Targets": self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]}


def target(state, description=""):
    return {
        "RdsResourceId": "db1",
        "Type": "RDS_INSTANCE",
        "TargetHealth": {"State": state, "Description": description},
    }


def test_proxy_targets_wait_until_available():
    clock = FakeClock()
    client = TargetsClient([target("REGISTERING")], [target("AVAILABLE")])
    assert rds_proxy.wait_for_targets(client, "mlflow", "default", 60, sleep=clock.sleep, clock=clock)[0][
        "RdsResourceId"
    ]
    with pytest.raises(WaitError) as caught:
        rds_proxy.wait_for_targets(
            TargetsClient([target("UNAVAILABLE", "auth failed")]),
            "mlflow",
            "default",
            5,
            sleep=clock.sleep,
            clock=clock,
        )
    assert str(caught.value) == (
        "timed out after 5s waiting for the targets of proxy mlflow (target group default) to be available: "
        "still db1: UNAVAILABLE auth failed"
    )


class ProxyClient:
    def __init__(self, *statuses):
        self.statuses = list(statuses)

    def describe_db_proxies(self, DBProxyName):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"DBProxies": [] if status is None else [{"DBProxyName": DBProxyName, "Status": status}]}


def test_proxy_deletion_and_disappearance():
    clock = FakeClock()
    assert (
        rds_proxy.wait_for_proxy(ProxyClient("deleting", None), "p", 60, deleted=True, sleep=clock.sleep, clock=clock)
        is None
    )
    with pytest.raises(WaitError, match="proxy p disappeared while waiting for it to become available"):
        rds_proxy.wait_for_proxy(ProxyClient("creating", None), "p", 60, sleep=clock.sleep, clock=clock)
    # A stuck state is no failure when the proxy is being deleted.
    with pytest.raises(WaitError, match="waiting for proxy p to be deleted: still suspended"):
        rds_proxy.wait_for_proxy(ProxyClient("suspended"), "p", 4, deleted=True, sleep=clock.sleep, clock=clock)
