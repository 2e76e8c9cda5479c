"""The Elastic Beanstalk emulator's hook for the data plane (tests/local/dataplane/beanstalk_state.py),
in this process: once the data plane claims the deployments, an operation ends only when it reports
the result, and a failed update puts the environment back on its previous version and settings.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local.dataplane import beanstalk_environments as environments  # noqa: E402
from tests.local.dataplane import beanstalk_state as state  # noqa: E402

STACK = "64bit Amazon Linux 2023 v4.4.0 running Docker"
BUNDLE = {"S3Bucket": "bundles", "S3Key": "v2.zip"}


@pytest.fixture
def claimed(monkeypatch):
    monkeypatch.setenv("MOTO_EB_LAUNCH_SECONDS", "60")  # no timer may end anything during the test
    state.reset()
    state.claim_deployments()
    call = state.Call("123456789012", "eu-west-1", {}, "req-0")
    app = state.Application("app", call.arn("application", "app"), None, 0.0, 0.0)
    for label in ("v1", "v2"):
        bundle = {**BUNDLE, "S3Key": f"{label}.zip"}
        app.versions[label] = state.Version("app", label, "arn", None, bundle, False, "Unprocessed", 0.0, 0.0)
    call.place.applications["app"] = app
    yield call
    state.reset()


def _call(base: state.Call, request_id: str, **params) -> state.Call:
    return state.Call(base.account, base.region, params, request_id)


def _events(call: state.Call) -> list[str]:
    return [e["Message"] for e in call.place.events]


def test_the_data_plane_ends_operations(claimed):
    setting = [{"Namespace": "aws:autoscaling:asg", "OptionName": "MaxSize", "Value": "2"}]
    create = _call(claimed, "req-1", ApplicationName="app", EnvironmentName="web-env", SolutionStackName=STACK)
    env_id = environments.create_environment(create)["EnvironmentId"]
    (snapshot,) = state.environments()
    assert (snapshot["status"], snapshot["operation"]) == ("Launching", {"kind": "launch", "request_id": "req-1"})
    assert snapshot["source_bundle"] is None  # no version: AWS's sample application
    assert state.set_deployment_result(env_id, True)
    assert not state.set_deployment_result(env_id, True)  # nothing pending any more
    update = _call(claimed, "req-2", EnvironmentId=env_id, VersionLabel="v2", OptionSettings=setting)
    environments.update_environment(update)
    (snapshot,) = state.environments()
    assert snapshot["status"] == "Updating" and snapshot["source_bundle"] == BUNDLE
    assert snapshot["settings"]["aws:autoscaling:asg"]["MaxSize"] == "2"
    assert state.set_health(env_id, "Yellow", ["1 of 2 instances failing"], {"i-1": "Ok", "i-2": "Warning"})
    state.set_deployment_result(env_id, True)
    (snapshot,) = state.environments()
    assert (snapshot["status"], snapshot["health"], snapshot["version_label"]) == ("Ready", "Green", "v2")
    assert "Environment update completed successfully." in _events(claimed)


def test_a_failed_deployment_reverts_the_update(claimed):
    create = _call(claimed, "req-1", ApplicationName="app", EnvironmentName="web-env", SolutionStackName=STACK)
    create.params["VersionLabel"] = "v1"
    env_id = environments.create_environment(create)["EnvironmentId"]
    state.set_deployment_result(env_id, True)
    setting = [{"Namespace": "aws:autoscaling:asg", "OptionName": "MinSize", "Value": "2"}]
    environments.update_environment(
        _call(claimed, "req-2", EnvironmentId=env_id, VersionLabel="v2", OptionSettings=setting)
    )
    state.set_deployment_result(env_id, False, "health check failed on i-1")
    (snapshot,) = state.environments()
    assert (snapshot["status"], snapshot["health"], snapshot["version_label"]) == ("Ready", "Red", "v1")
    assert snapshot["settings"]["aws:autoscaling:asg"]["MinSize"] == "1"
    failed = [e for e in claimed.place.events if e["Severity"] == "ERROR"]
    assert failed[0]["Message"] == "health check failed on i-1" and failed[0]["RequestId"] == "req-2"
    state.set_health(env_id, "Green")  # the previous version serves again
    assert state.environments()[0]["health"] == "Green"
    assert state.set_endpoint(env_id, "awseb-real-123.eu-west-1.elb.amazonaws.com", "awseb-real")
    assert state.environments()[0]["endpoint_url"] == "awseb-real-123.eu-west-1.elb.amazonaws.com"
