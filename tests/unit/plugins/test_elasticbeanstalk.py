"""elasticbeanstalk_environment(_info): the module's decisions and calls with a fake Elastic Beanstalk
client (module_utils/elasticbeanstalk.py, plugins/modules/elasticbeanstalk_environment*.py).
"""

from __future__ import annotations

import json

import boto3
import pytest
from ansible.module_utils import api as ansible_api
from ansible.module_utils.testing import patch_module_args
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk as api
from ansible_collections.mlops.mlflow_aws.plugins.modules import elasticbeanstalk_environment as module_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import elasticbeanstalk_environment_info as info_lib
from botocore.stub import Stubber
from elasticbeanstalk_samples import (
    APP,
    CNAME,
    ENV_ARN,
    ENV_ID,
    NAME,
    NEW_STACK,
    Failed,
    FakeBeanstalk,
    FakeClock,
    FakeModule,
    described_settings,
    environment,
    options,
)
from test_elasticbeanstalk_params import BAD

READY = environment()
UPDATING = environment(status="Updating", health="Grey")


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    """AWSRetry's backoff sleeps through ansible.module_utils.api's time module: not in tests."""
    monkeypatch.setattr(ansible_api.time, "sleep", lambda seconds: None)


def manager_for(client, check_mode=False, **overrides):
    manager = module_lib.EnvironmentManager(FakeModule(options(**overrides), check_mode=check_mode), client)
    manager.clock = FakeClock()
    manager.sleep = manager.clock.sleep
    return manager


def max_size(value):
    settings = options()["option_settings"]
    settings[3]["value"] = value
    return settings


# ---------------------------------------------------------------- present
def test_a_no_op_run_makes_two_calls():
    client = FakeBeanstalk([READY])
    manager = manager_for(client)
    assert manager.present()["EnvironmentId"] == ENV_ID
    assert not manager.changed and manager.events == []
    assert client.names == ["describe_environments", "describe_configuration_settings"]
    assert client.calls[0][1] == {"EnvironmentNames": [NAME], "IncludeDeleted": False}
    assert client.calls[1][1] == {"ApplicationName": APP, "EnvironmentName": NAME}
    bare = FakeBeanstalk([READY])
    manager_for(bare, option_settings=None).present()
    assert bare.names == ["describe_environments"], "no option settings given: nothing more to read"


def test_one_changed_option_is_exactly_one_update_with_that_setting():
    client = FakeBeanstalk(
        [READY, UPDATING, READY],
        logs={
            "update_environment": [
                ("INFO", "Environment update is starting."),
                ("INFO", "Environment update completed successfully."),
            ]
        },
        old_events=[("ERROR", "an old failure")],
    )
    manager = manager_for(client, option_settings=max_size(4))
    manager.present()
    assert manager.changed
    assert client.mutations == [
        (
            "update_environment",
            {
                "EnvironmentId": ENV_ID,
                "OptionSettings": [{"Namespace": "aws:autoscaling:asg", "OptionName": "MaxSize", "Value": "4"}],
            },
        )
    ]
    assert client.names == [
        "describe_environments",
        "describe_configuration_settings",
        "describe_events",  # the latest event before the update
        "update_environment",
        "describe_events",
        "describe_environments",  # Updating
        "describe_events",
        "describe_environments",  # Ready, Green
    ]
    assert [e["Message"] for e in manager.events] == [
        "Environment update is starting.",
        "Environment update completed successfully.",
    ], "the events since the update started, not the old ones"
    assert manager.clock.sleeps == [api.POLL_SECONDS]
    assert manager.diff["before"]["option_settings"]["aws:autoscaling:asg"]["MaxSize"] == "2"
    assert manager.diff["after"]["option_settings"]["aws:autoscaling:asg"]["MaxSize"] == "4"


def test_a_new_version_is_one_update_with_the_version_label():
    client = FakeBeanstalk([READY, UPDATING, environment(version="v2")])
    manager = manager_for(client, version_label="v2")
    assert manager.present()["VersionLabel"] == "v2"
    assert client.mutations == [("update_environment", {"EnvironmentId": ENV_ID, "VersionLabel": "v2"})]
    assert (manager.diff["before"]["version_label"], manager.diff["after"]["version_label"]) == ("v1", "v2")


def test_a_new_solution_stack_updates_the_platform():
    client = FakeBeanstalk([READY, UPDATING, environment(SolutionStackName=NEW_STACK)])
    manager_for(client, solution_stack_name=NEW_STACK).present()
    assert client.mutations == [("update_environment", {"EnvironmentId": ENV_ID, "SolutionStackName": NEW_STACK})]


def test_check_mode_reports_the_change_and_calls_nothing_that_mutates():
    client = FakeBeanstalk([READY], tags={ENV_ARN: {"Application": "mlflow"}})
    manager = manager_for(client, check_mode=True, version_label="v2", option_settings=max_size(4), tags={"Team": "ml"})
    manager.present()
    assert manager.changed and client.mutations == []
    assert client.names == ["describe_environments", "describe_configuration_settings", "list_tags_for_resource"]
    assert manager.diff["after"]["version_label"] == "v2"
    assert (manager.diff["before"]["tags"], manager.diff["after"]["tags"]) == (
        {"Application": "mlflow"},
        {"Team": "ml"},
    )
    creating = FakeBeanstalk([None])
    manager = manager_for(creating, check_mode=True)
    assert manager.present() is None and manager.changed and creating.mutations == []
    assert manager.diff["before"] == {} and manager.diff["after"]["cname_prefix"] == NAME
    absent = FakeBeanstalk([READY])
    manager = manager_for(absent, check_mode=True, state="absent")
    manager.absent()
    assert manager.changed and absent.mutations == []


def test_create_sends_the_options_waits_and_returns_the_events():
    client = FakeBeanstalk(
        [None, environment(status="Launching", health="Grey"), environment(status="Ready", health="Grey"), READY],
        logs={
            "create_environment": [
                ("INFO", "createEnvironment is starting."),
                ("INFO", "Successfully launched environment: mlflow-prod"),
            ]
        },
    )
    manager = manager_for(client, tags={"Application": "mlflow"})
    env = manager.present()
    assert env["Status"] == "Ready" and env["Health"] == "Green"
    (name, request), *rest = client.mutations
    assert name == "create_environment" and rest == []
    assert request["CNAMEPrefix"] == NAME and request["VersionLabel"] == "v1"
    assert request["Tags"] == [{"Key": "Application", "Value": "mlflow"}]
    assert len(request["OptionSettings"]) == 8
    assert {"Namespace": "aws:autoscaling:asg", "OptionName": "MinSize", "Value": "1"} in request["OptionSettings"]
    assert len(manager.events) == 2 and manager.clock.sleeps == [api.POLL_SECONDS] * 2, "Grey is not done yet"


def test_create_needs_a_solution_stack_or_platform():
    client = FakeBeanstalk([None])
    with pytest.raises(Failed) as caught:
        manager_for(client, solution_stack_name=None).present()
    assert caught.value.args[0]["msg"].startswith("solution_stack_name or platform_arn: one is required to create")
    assert client.mutations == []


def test_a_failed_deployment_fails_with_the_recent_events():
    client = FakeBeanstalk(
        [READY, UPDATING, environment(health="Red")],  # back on v1
        logs={
            "update_environment": [
                ("INFO", "Environment update is starting."),
                ("WARN", "Environment health has transitioned from Ok to Degraded."),
                ("ERROR", "Failed to deploy application."),
                ("ERROR", "Unsuccessful command execution on instance id(s) 'i-0abc'. Aborting the operation."),
                ("INFO", "Environment update completed with errors."),
            ]
        },
    )
    manager = manager_for(client, version_label="v2")
    with pytest.raises(api.EnvironmentWaitError) as caught:
        manager.present()
    message = str(caught.value)
    assert message.startswith(
        "Elastic Beanstalk environment mlflow-prod failed to update (it runs version v1, not v2, "
        "2 ERROR event(s) since the operation started); recent events: "
        "WARN Environment health has transitioned from Ok to Degraded. | ERROR Failed to deploy application. | "
        "ERROR Unsuccessful command execution"
    ), message
    assert "update is starting" not in message, "only ERROR and WARN events are quoted"
    assert len(caught.value.events) == 5 and caught.value.environment["Health"] == "Red"
    assert manager.changed


def test_error_events_alone_fail_the_update():
    client = FakeBeanstalk([READY, UPDATING, READY], logs={"update_environment": [("ERROR", "Configuration failed.")]})
    with pytest.raises(
        api.EnvironmentWaitError,
        match=r"\(1 ERROR event\(s\) since the operation started\); recent events: ERROR Configuration failed.",
    ):
        manager_for(client, option_settings=max_size(4)).present()


def test_a_timeout_names_the_status_and_quotes_the_events():
    client = FakeBeanstalk([READY, UPDATING], logs={"update_environment": [("WARN", "Instance i-1 is slow.")]})
    manager = manager_for(client, option_settings=max_size(4), wait_timeout=30)
    with pytest.raises(api.EnvironmentWaitError) as caught:
        manager.present()
    assert str(caught.value) == (
        "timed out after 30s waiting for Elastic Beanstalk environment mlflow-prod to be Ready with a health "
        "other than Grey: still Updating (health Grey); recent events: WARN Instance i-1 is slow."
    )


def test_another_cname_prefix_or_tier_fails_before_any_change():
    client = FakeBeanstalk([READY])
    with pytest.raises(Failed) as caught:
        manager_for(client, cname_prefix="mlflow-new", version_label="v2").present()
    message = caught.value.args[0]["msg"]
    assert message.startswith(
        f"cname_prefix: Elastic Beanstalk environment {NAME} of application {APP} has the CNAME {CNAME}"
    )
    assert "cannot change the CNAME prefix of an environment in place" in message and "swap their CNAMEs" in message
    assert client.names == ["describe_environments"]
    worker = FakeBeanstalk([environment(Tier={"Name": "Worker", "Type": "SQS/HTTP"}, CNAME=None)])
    with pytest.raises(Failed, match=r"tier: .* is a Worker environment, not WebServer"):
        manager_for(worker).present()
    assert worker.mutations == []


def test_an_environment_of_another_application_fails():
    client = FakeBeanstalk([environment(ApplicationName="other")])
    with pytest.raises(Failed, match="belongs to application other, not mlflow"):
        manager_for(client).present()


def test_an_operation_under_way_is_waited_for_or_refused_without_wait():
    client = FakeBeanstalk([UPDATING, READY, UPDATING, READY])
    manager = manager_for(client, option_settings=max_size(4))
    manager.present()
    assert [name for name, _args in client.mutations] == ["update_environment"]
    assert client.names[:5] == [
        "describe_environments",
        "describe_events",  # the latest event before the wait
        "describe_events",
        "describe_environments",  # Ready
        "describe_configuration_settings",
    ]
    busy = FakeBeanstalk([UPDATING])
    with pytest.raises(Failed, match=r"is Updating .* run again once it is Ready, or with wait"):
        manager_for(busy, option_settings=max_size(4), wait=False).present()
    assert busy.mutations == []


def test_tags_leave_the_ones_elastic_beanstalk_keeps():
    current = {"Application": "mlflow", "Old": "1", "Name": NAME, "elasticbeanstalk:environment-id": ENV_ID}
    client = FakeBeanstalk([READY, READY], tags={ENV_ARN: current})
    manager = manager_for(client, option_settings=None, tags={"Application": "mlflow", "Team": "ml"})
    manager.present()
    assert client.mutations == [
        (
            "update_tags_for_resource",
            {"ResourceArn": ENV_ARN, "TagsToAdd": [{"Key": "Team", "Value": "ml"}], "TagsToRemove": ["Old"]},
        )
    ]
    assert manager.tags == {"Application": "mlflow", "Team": "ml"}
    assert client.names[-2:] == ["describe_events", "describe_environments"], "the tag update is waited for"


def test_without_wait_a_settings_and_tags_change_waits_only_between_them():
    client = FakeBeanstalk([READY, UPDATING, READY], tags={ENV_ARN: {}})
    manager = manager_for(client, option_settings=max_size(4), tags={"Team": "ml"}, wait=False)
    manager.present()
    assert [name for name, _args in client.mutations] == ["update_environment", "update_tags_for_resource"]
    assert client.names[-1] == "describe_events"


def test_throttling_is_retried():
    client = FakeBeanstalk([READY], errors={"describe_configuration_settings": ["Throttling", "Throttling"]})
    manager = manager_for(client)
    manager.present()
    assert not manager.changed
    assert client.names == ["describe_environments"] + ["describe_configuration_settings"] * 3


def test_throttling_is_retried_on_a_real_client():
    client = boto3.client("elasticbeanstalk", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stubber:
        for _attempt in range(2):
            stubber.add_client_error("describe_environments", "Throttling", http_status_code=400)
        stubber.add_response(
            "describe_environments",
            {"Environments": [READY]},
            {"EnvironmentNames": [NAME], "IncludeDeleted": False},
        )
        assert api.find_environment(client, NAME)["EnvironmentId"] == ENV_ID
        stubber.assert_no_pending_responses()


# ---------------------------------------------------------------- absent
def test_absent_terminates_and_waits_until_terminated():
    client = FakeBeanstalk(
        [READY, environment(status="Terminating", health="Grey"), environment(status="Terminated", health="Grey")],
        logs={"terminate_environment": [("INFO", "terminateEnvironment is starting.")]},
    )
    manager = manager_for(client, state="absent")
    gone = manager.absent()
    assert manager.changed and gone["Status"] == "Terminated"
    assert client.mutations == [("terminate_environment", {"EnvironmentId": ENV_ID})]
    assert client.kwargs_of("describe_environments")[-1] == {"EnvironmentIds": [ENV_ID], "IncludeDeleted": True}
    assert manager.diff == {
        "before": {
            "version_label": "v1",
            "solution_stack_name": environment()["SolutionStackName"],
            "platform_arn": environment()["PlatformArn"],
        },
        "after": {},
    }
    assert [e["Message"] for e in manager.events] == ["terminateEnvironment is starting."]


def test_absent_without_an_environment_changes_nothing():
    client = FakeBeanstalk([None])
    manager = manager_for(client, state="absent")
    assert manager.absent() is None and not manager.changed
    assert client.names == ["describe_environments"]


# ---------------------------------------------------------------- the modules' entry points
def run_main(main, args, monkeypatch, capsys, client=None):
    """Run a module's main() with ARGS; (result, the services module.client was asked for)."""
    asked = []

    def make_client(self, service, retry_decorator=None, **extra):
        asked.append(service)
        if client is None:
            raise AssertionError(f"no AWS client expected, asked for {service}")
        return client

    monkeypatch.setattr(AnsibleAWSModule, "client", make_client)
    with patch_module_args(dict(args, region="us-east-1")), pytest.raises(SystemExit):
        main()
    return json.loads(capsys.readouterr().out), asked


def module_args(**overrides):
    args = {k: v for k, v in options(**overrides).items() if v is not None}
    args["option_settings"] = [{k: v for k, v in s.items() if v is not None} for s in args.get("option_settings", [])]
    return args


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_bad_input_fails_before_any_api_call(overrides, message, monkeypatch, capsys):
    result, asked = run_main(module_lib.main, module_args(**overrides), monkeypatch, capsys)
    assert result["failed"] and asked == []
    assert result["msg"].startswith("Invalid Elastic Beanstalk environment options: ")
    assert message in result["msg"]


def test_a_missing_value_fails_in_the_argument_spec(monkeypatch, capsys):
    args = module_args(option_settings=[{"namespace": "aws:autoscaling:asg", "option_name": "MaxSize"}])
    args["option_settings"] = [{"namespace": "aws:autoscaling:asg", "option_name": "MaxSize"}]
    result, asked = run_main(module_lib.main, args, monkeypatch, capsys)
    assert result["failed"] and asked == [] and "value" in result["msg"]


def test_main_returns_the_environment_and_its_url(monkeypatch, capsys):
    client = FakeBeanstalk([READY])
    result, asked = run_main(module_lib.main, dict(module_args(), _ansible_diff=True), monkeypatch, capsys, client)
    assert asked == ["elasticbeanstalk"] and result["changed"] is False
    assert result["url"] == f"http://{CNAME}/" and result["status"] == "Ready" and result["health"] == "Green"
    assert result["environment_id"] == ENV_ID and result["version_label"] == "v1" and result["events"] == []
    assert result["environment"]["cname"] == CNAME and result["environment"]["date_created"].startswith("2026-01-01")
    assert result["diff"] == {"before": {}, "after": {}}
    client = FakeBeanstalk(
        [READY, UPDATING, environment(health="Red")],
        logs={"update_environment": [("ERROR", "Failed to deploy application.")]},
    )
    monkeypatch.setattr(api, "POLL_SECONDS", 0)
    result, _asked = run_main(module_lib.main, module_args(version_label="v2"), monkeypatch, capsys, client)
    assert result["failed"] and result["changed"] and "ERROR Failed to deploy application." in result["msg"]
    assert result["events"][0]["message"] == "Failed to deploy application." and result["health"] == "Red"


def test_info_by_name_with_settings_health_and_events(monkeypatch, capsys):
    health = {"EnvironmentName": NAME, "HealthStatus": "Ok", "Status": "Ready", "Color": "Green", "Causes": []}
    client = FakeBeanstalk(
        [READY],
        tags={ENV_ARN: {"Application": "mlflow"}},
        health=health,
        old_events=[("INFO", "Environment health has transitioned to Ok.")],
    )
    args = {"name": NAME, "include_settings": True, "include_health": True, "include_events": True}
    result, _asked = run_main(info_lib.main, args, monkeypatch, capsys, client)
    assert result["exists"] and len(result["environments"]) == 1
    env = result["environments"][0]
    assert (
        env["environment_name"] == NAME
        and env["url"] == f"http://{CNAME}/"
        and env["tags"] == {"Application": "mlflow"}
    )
    assert {"namespace": "aws:autoscaling:asg", "option_name": "MaxSize", "value": "2"} in env["option_settings"]
    assert env["environment_health"]["health_status"] == "Ok" and env["health"] == "Green"
    assert env["events"][0]["message"] == "Environment health has transitioned to Ok."
    assert client.kwargs_of("describe_environment_health") == [{"EnvironmentName": NAME, "AttributeNames": ["All"]}]


def test_info_by_application_without_enhanced_health_and_nothing_found(monkeypatch, capsys):
    client = FakeBeanstalk([READY])
    found = info_lib.describe(client, {"name": None, "application": APP, "include_health": True})
    assert [env["environment_name"] for env in found] == [NAME], "other applications' and terminated ones left out"
    assert found[0]["environment_health"] == {} and "option_settings" not in found[0]
    assert client.kwargs_of("describe_environments") == [{"ApplicationName": APP, "IncludeDeleted": False}]
    result, _asked = run_main(info_lib.main, {"name": "nothing"}, monkeypatch, capsys, FakeBeanstalk([None]))
    assert result == {"changed": False, "exists": False, "environments": [], "invocation": result["invocation"]}
    assert described_settings()


def test_the_event_log_starts_after_every_event_of_the_latest_moment():
    client = FakeBeanstalk([READY], old_events=[("INFO", "a"), ("ERROR", "b: an earlier operation's")])
    for event in client.events:
        event["EventDate"] = client.events[0]["EventDate"]  # one moment, as AWS's millisecond dates can be
    log = api.EventLog.start(client, ENV_ID)
    assert log.poll(client) == [] and log.severe() == []
    client.logs = {"update_environment": [("INFO", "Environment update is starting.")]}
    client.update_environment(EnvironmentId=ENV_ID, VersionLabel="v2")
    assert [e["Message"] for e in log.poll(client)] == ["Environment update is starting."]
    assert log.poll(client) == [] and len(log.events) == 1
    assert client.kwargs_of("describe_events")[0] == {"EnvironmentId": ENV_ID, "MaxRecords": api.EVENTS_KEPT}
