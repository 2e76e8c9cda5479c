"""sagemaker_endpoint(_info): creation, UpdateEndpoint to another configuration, waiting (status history, Failed,
rollback, timeout), deletion, with a fake SageMaker client and a fake clock (module_utils/sagemaker.py,
plugins/modules/sagemaker_endpoint*.py).
"""

from __future__ import annotations

import json

import pytest
from ansible.module_utils import api as ansible_api
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_endpoint as endpoint_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import sagemaker_endpoint_info as info_lib
from ecs_service_samples import FakeClock
from sagemaker_samples import ARN, Failed, FakeModule, FakeSageMaker, endpoint, endpoint_options

ENDPOINT_ARN = f"{ARN}:endpoint/churn"
TAGS = {ENDPOINT_ARN: {"Application": "churn"}}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """AWSRetry's backoff sleeps through ansible.module_utils.api's time module: not in tests."""
    monkeypatch.setattr(ansible_api.time, "sleep", lambda seconds: None)


def manager_for(client, check_mode=False, **overrides):
    manager = endpoint_lib.EndpointManager(FakeModule(endpoint_options(**overrides), check_mode=check_mode), client)
    clock = FakeClock()
    manager.sleep, manager.progress = clock.sleep, api.Progress(clock)
    return manager


def statuses(manager):
    return [(seen["status"], seen["seconds"]) for seen in manager.progress.history]


# ---------------------------------------------------------------- present
def test_a_new_endpoint_is_created_with_its_tags_and_followed_to_in_service():
    client = FakeSageMaker(endpoints=[None, endpoint("Creating"), endpoint("Creating"), endpoint()])
    manager = manager_for(client)
    found = manager.present()
    assert manager.changed and found["EndpointStatus"] == "InService"
    assert client.names == ["describe_endpoint", "create_endpoint"] + ["describe_endpoint"] * 3
    assert client.mutations[0][1] == {
        "EndpointName": "churn",
        "EndpointConfigName": "churn-7",
        "Tags": [{"Key": "Application", "Value": "churn"}],
    }
    assert statuses(manager) == [("Creating", 0), ("InService", 30)]
    assert manager.diff == {
        "before": {},
        "after": {"endpoint_config_name": "churn-7", "tags": {"Application": "churn"}},
    }
    result = endpoint_lib.results(found, manager.tags, manager.progress)
    assert result["endpoint_status"] == "InService" and result["endpoint"]["tags"] == {"Application": "churn"}
    assert result["status_history"] == [{"status": "Creating", "seconds": 0}, {"status": "InService", "seconds": 30}]


def test_an_endpoint_on_its_configuration_is_a_describe_and_a_list_tags_call():
    client = FakeSageMaker(endpoints=[endpoint()], tags=TAGS)
    manager = manager_for(client)
    manager.present()
    assert not manager.changed and client.names == ["describe_endpoint", "list_tags"]
    assert manager.progress.history == []


def test_another_configuration_is_one_update_endpoint_call_then_the_new_one_in_service():
    client = FakeSageMaker(
        endpoints=[endpoint(), endpoint("Updating", pending="churn-8"), endpoint(config="churn-8")], tags=TAGS
    )
    manager = manager_for(client, endpoint_config_name="churn-8")
    found = manager.present()
    assert manager.changed and found["EndpointConfigName"] == "churn-8"
    assert client.mutations == [("update_endpoint", {"EndpointName": "churn", "EndpointConfigName": "churn-8"})]
    assert statuses(manager) == [("Updating", 0), ("InService", 15)]
    assert manager.diff["before"]["endpoint_config_name"] == "churn-7"
    assert manager.diff["after"]["endpoint_config_name"] == "churn-8"


def test_check_mode_reports_the_update_and_calls_nothing_that_mutates():
    client = FakeSageMaker(endpoints=[endpoint()], tags=TAGS)
    manager = manager_for(client, check_mode=True, endpoint_config_name="churn-8", tags={"Team": "ml"})
    manager.present()
    assert manager.changed and client.mutations == []
    assert manager.diff["after"] == {"endpoint_config_name": "churn-8", "tags": {"Team": "ml"}}


def test_tags_alone_change_in_place_without_an_update():
    client = FakeSageMaker(endpoints=[endpoint()], tags=TAGS)
    manager_for(client, tags={"Team": "ml"}).present()
    assert [name for name, _args in client.mutations] == ["delete_tags", "add_tags"]


def test_an_update_sagemaker_rolled_back_fails_with_its_failure_reason():
    reason = "The primary container for production variant main did not pass the ping health check."
    client = FakeSageMaker(
        endpoints=[endpoint(), endpoint("Updating", pending="churn-8"), endpoint(reason=reason)], tags=TAGS
    )
    manager = manager_for(client, endpoint_config_name="churn-8")
    with pytest.raises(api.EndpointWaitError) as caught:
        manager.present()
    message = str(caught.value)
    assert "is InService with endpoint configuration churn-7, not churn-8" in message
    assert f"FailureReason: {reason}" in message and "statuses seen: Updating at 0s -> InService at 15s" in message


def test_a_creation_that_fails_ends_the_wait_with_the_failure_reason():
    client = FakeSageMaker(endpoints=[None, endpoint("Creating"), endpoint("Failed", reason="image not found")])
    with pytest.raises(api.EndpointWaitError) as caught:
        manager_for(client).present()
    assert str(caught.value).startswith("SageMaker endpoint churn is Failed (FailureReason: image not found)")
    assert caught.value.endpoint["EndpointStatus"] == "Failed"


def test_a_failed_endpoint_is_not_updated():
    client = FakeSageMaker(endpoints=[endpoint("Failed", reason="capacity")], tags=TAGS)
    with pytest.raises(Failed) as failed:
        manager_for(client, endpoint_config_name="churn-8").present()
    assert "is Failed (FailureReason: capacity); SageMaker cannot update it" in failed.value.args[0]["msg"]
    assert client.mutations == []


def test_an_operation_under_way_is_waited_for_first_or_refused_without_wait():
    client = FakeSageMaker(endpoints=[endpoint("Updating", pending="churn-7"), endpoint()], tags=TAGS)
    manager = manager_for(client)
    manager.present()
    assert not manager.changed and client.mutations == [] and statuses(manager)[-1][0] == "InService"
    client = FakeSageMaker(endpoints=[endpoint("Updating", pending="churn-8")], tags=TAGS)
    manager = manager_for(client, wait=False, endpoint_config_name="churn-8")
    manager.present()
    assert not manager.changed, "the update under way is the one asked for"
    client = FakeSageMaker(endpoints=[endpoint("Creating")], tags=TAGS)
    with pytest.raises(Failed) as failed:
        manager_for(client, wait=False, endpoint_config_name="churn-8").present()
    assert "is Creating (an operation is under way) and takes no update" in failed.value.args[0]["msg"]


def test_waiting_times_out_naming_the_status_and_its_history():
    client = FakeSageMaker(endpoints=[None, endpoint("Creating")])
    manager = manager_for(client, wait_timeout=60)
    with pytest.raises(api.EndpointWaitError) as caught:
        manager.present()
    assert str(caught.value) == (
        "timed out after 60s waiting for SageMaker endpoint churn to be InService: still Creating; "
        "statuses seen: Creating at 0s"
    )


# ---------------------------------------------------------------- absent
def test_absent_deletes_and_waits_until_sagemaker_no_longer_knows_it():
    client = FakeSageMaker(endpoints=[endpoint(), endpoint("Deleting"), None])
    manager = manager_for(client, state="absent")
    assert manager.absent() is None and manager.changed
    assert client.names == ["describe_endpoint", "delete_endpoint", "describe_endpoint", "describe_endpoint"]
    assert statuses(manager) == [("Deleting", 0), ("gone", 15)]
    client = FakeSageMaker(endpoints=[None])
    manager = manager_for(client, state="absent")
    manager.absent()
    assert not manager.changed and client.mutations == []
    client = FakeSageMaker(endpoints=[endpoint("Deleting")])
    manager = manager_for(client, state="absent", wait=False)
    assert manager.absent()["EndpointStatus"] == "Deleting" and not manager.changed


def test_absent_in_check_mode_and_present_of_a_deleting_endpoint():
    client = FakeSageMaker(endpoints=[endpoint()])
    manager = manager_for(client, check_mode=True, state="absent")
    manager.absent()
    assert manager.changed and client.mutations == []
    client = FakeSageMaker(endpoints=[endpoint("Deleting"), None, None, endpoint("Creating"), None])
    manager = manager_for(client)
    with pytest.raises(api.EndpointWaitError) as caught:
        manager.present()
    assert [name for name, _args in client.mutations] == ["create_endpoint"]
    assert str(caught.value).startswith("SageMaker endpoint churn is gone (deleted while the module waited")
    assert statuses(manager) == [("gone", 0), ("Creating", 15), ("gone", 30)], "unknown at first: not yet visible"
    with pytest.raises(Failed):
        manager_for(FakeSageMaker(endpoints=[endpoint("Deleting")]), wait=False).present()


# ---------------------------------------------------------------- the modules' entry points
def test_main_returns_the_endpoint_and_its_history(monkeypatch, capsys):
    client = FakeSageMaker(endpoints=[endpoint()], tags=TAGS)
    monkeypatch.setattr(AnsibleAWSModule, "client", lambda self, service, retry_decorator=None, **extra: client)
    args = {k: v for k, v in endpoint_options().items() if v is not None}
    with patch_module_args(dict(args, region="us-east-1", _ansible_diff=True)), pytest.raises(SystemExit):
        endpoint_lib.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False and result["endpoint_status"] == "InService"
    assert result["endpoint_config_name"] == "churn-7" and result["status_history"] == []
    assert result["endpoint"]["tags"] == {"Application": "churn"}
    with patch_module_args({"name": "churn", "region": "us-east-1"}), pytest.raises(SystemExit):
        info_lib.main()
    result = json.loads(capsys.readouterr().out)
    assert result["exists"] and result["endpoints"][0]["endpoint_config_name"] == "churn-7"


def test_info_lists_by_name_contains_and_reports_none():
    client = FakeSageMaker(endpoints=[endpoint()], tags=TAGS)
    found = info_lib.describe(client, {"name": None, "name_contains": "chu", "status": "InService"})
    assert [e["endpoint_name"] for e in found] == ["churn"]
    assert client.calls[0] == ("list_endpoints", {"SortBy": "Name", "NameContains": "chu", "StatusEquals": "InService"})
    assert info_lib.describe(FakeSageMaker(), {"name": "churn"}) == []
