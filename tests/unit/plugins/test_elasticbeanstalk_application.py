"""elasticbeanstalk_application and elasticbeanstalk_application_version with a fake Elastic Beanstalk client."""

from __future__ import annotations

import pytest
from ansible.module_utils import api as ansible_api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError
from ansible_collections.mlops.mlflow_aws.plugins.modules import elasticbeanstalk_application as app_lib
from ansible_collections.mlops.mlflow_aws.plugins.modules import elasticbeanstalk_application_version as version_lib
from elasticbeanstalk_samples import (
    APP,
    APP_ARN,
    BUCKET,
    KEY,
    Failed,
    FakeBeanstalk,
    FakeClock,
    FakeModule,
    application,
    version,
)
from test_elasticbeanstalk import run_main
from test_elasticbeanstalk_params import VERSION

VERSION_ARN = version()["ApplicationVersionArn"]


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(ansible_api.time, "sleep", lambda seconds: None)


def app_manager(client, check_mode=False, **overrides):
    params = {"name": APP, "description": "MLflow tracking server", "state": "present", "terminate_by_force": False}
    params.update(tags=None, purge_tags=True)
    params.update(overrides)
    return app_lib.ApplicationManager(FakeModule(params, check_mode=check_mode), client)


def version_manager(client, check_mode=False, **overrides):
    manager = version_lib.VersionManager(FakeModule(dict(VERSION, **overrides), check_mode=check_mode), client)
    manager.clock = FakeClock()
    manager.sleep = manager.clock.sleep
    return manager


# ---------------------------------------------------------------- applications
def test_application_no_op_is_one_call_and_other_applications_are_ignored():
    client = FakeBeanstalk(applications=[application()])
    manager = app_manager(client)
    assert manager.present()["ApplicationName"] == APP and not manager.changed
    assert client.calls == [("describe_applications", {"ApplicationNames": [APP]})]


def test_application_create_update_and_tags():
    client = FakeBeanstalk(applications=[None])
    manager = app_manager(client, tags={"Application": "mlflow"})
    manager.present()
    assert client.mutations == [
        (
            "create_application",
            {
                "ApplicationName": APP,
                "Description": "MLflow tracking server",
                "Tags": [{"Key": "Application", "Value": "mlflow"}],
            },
        )
    ]
    client = FakeBeanstalk(applications=[application()], tags={APP_ARN: {"Old": "1"}})
    manager = app_manager(client, description="MLflow", tags={"Team": "ml"})
    manager.present()
    assert client.mutations == [
        ("update_application", {"ApplicationName": APP, "Description": "MLflow"}),
        (
            "update_tags_for_resource",
            {"ResourceArn": APP_ARN, "TagsToAdd": [{"Key": "Team", "Value": "ml"}], "TagsToRemove": ["Old"]},
        ),
    ]
    assert manager.diff == {
        "before": {"description": "MLflow tracking server", "tags": {"Old": "1"}},
        "after": {"description": "MLflow", "tags": {"Team": "ml"}},
    }


def test_application_check_mode_and_absent():
    client = FakeBeanstalk(applications=[application()])
    manager = app_manager(client, check_mode=True, description="other")
    manager.present()
    assert manager.changed and client.mutations == []
    client = FakeBeanstalk(applications=[application()])
    manager = app_manager(client, state="absent", terminate_by_force=True)
    assert manager.absent() is None and manager.changed
    assert client.mutations == [("delete_application", {"ApplicationName": APP, "TerminateEnvByForce": True})]
    client = FakeBeanstalk(applications=[None])
    manager = app_manager(client, state="absent")
    manager.absent()
    assert not manager.changed and client.mutations == []


def test_application_bad_input_fails_before_any_call(monkeypatch, capsys):
    result, asked = run_main(app_lib.main, {"name": "a/b", "tags": {"aws:x": "1"}}, monkeypatch, capsys)
    assert result["failed"] and asked == []
    assert result["problems"] == [
        "name 'a/b': 1-100 characters, no '/'",
        "tags.aws:x: the aws: and elasticbeanstalk: prefixes are reserved by AWS",
    ]


# ---------------------------------------------------------------- versions
def test_version_no_op_is_one_describe_call():
    client = FakeBeanstalk(versions=[version()])
    manager = version_manager(client)
    assert manager.present()["VersionLabel"] == "v1" and not manager.changed
    assert client.calls == [("describe_application_versions", {"ApplicationName": APP, "VersionLabels": ["v1"]})]


def test_version_create_with_tags_and_processing():
    client = FakeBeanstalk(versions=[None, version(status="Processing"), version(status="Processed")])
    manager = version_manager(client, process=True, description="MLflow 3.17.2", tags={"Application": "mlflow"})
    assert manager.present()["Status"] == "Processed"
    assert client.mutations == [
        (
            "create_application_version",
            {
                "ApplicationName": APP,
                "VersionLabel": "v1",
                "SourceBundle": {"S3Bucket": BUCKET, "S3Key": KEY},
                "Process": True,
                "Description": "MLflow 3.17.2",
                "Tags": [{"Key": "Application", "Value": "mlflow"}],
            },
        )
    ]
    assert manager.clock.sleeps == [10]
    failing = FakeBeanstalk(versions=[None, version(status="Failed")])
    with pytest.raises(WaitError, match=r"failed to process .* could not validate the source bundle s3://"):
        version_manager(failing, process=True).present()


def test_an_existing_label_with_another_bundle_fails_naming_both():
    client = FakeBeanstalk(versions=[version(key="mlflow/old.zip")])
    with pytest.raises(Failed) as caught:
        version_manager(client).present()
    message = caught.value.args[0]["msg"]
    assert message == (
        f"s3_bucket/s3_key: version v1 of Elastic Beanstalk application {APP} exists with the source bundle "
        f"s3://{BUCKET}/mlflow/old.zip, not s3://{BUCKET}/{KEY}; version labels are immutable: give the new bundle "
        "a new version_label (or delete this version with state=absent first)"
    )
    assert client.mutations == []


def test_version_description_and_tags_change_and_check_mode():
    client = FakeBeanstalk(versions=[version()], tags={VERSION_ARN: {"Application": "mlflow"}})
    manager = version_manager(client, description="new", tags={"Application": "mlflow"})
    manager.present()
    assert client.mutations == [
        ("update_application_version", {"ApplicationName": APP, "VersionLabel": "v1", "Description": "new"})
    ]
    client = FakeBeanstalk(versions=[None])
    manager = version_manager(client, check_mode=True)
    assert manager.present() is None and manager.changed and client.mutations == []


def test_version_absent_deletes_with_its_bundle():
    client = FakeBeanstalk(versions=[version()])
    manager = version_manager(client, state="absent", delete_source_bundle=True)
    manager.absent()
    assert client.mutations == [
        ("delete_application_version", {"ApplicationName": APP, "VersionLabel": "v1", "DeleteSourceBundle": True})
    ]
    client = FakeBeanstalk(versions=[None])
    manager = version_manager(client, state="absent")
    manager.absent()
    assert not manager.changed and client.names == ["describe_application_versions"]


def test_version_bad_input_fails_before_any_call(monkeypatch, capsys):
    args = {"application": APP, "version_label": "v" * 101, "s3_bucket": "Bad_Bucket"}
    result, asked = run_main(version_lib.main, args, monkeypatch, capsys)
    assert result["failed"] and asked == []
    assert result["msg"].startswith("Invalid Elastic Beanstalk application version options: version_label 'vvv")
    assert "s3_bucket 'Bad_Bucket'" in result["msg"] and "s3_key: required with state=present" in result["msg"]


def test_version_main_returns_the_version(monkeypatch, capsys):
    client = FakeBeanstalk(versions=[version()])
    args = {"application": APP, "version_label": "v1", "s3_bucket": BUCKET, "s3_key": KEY}
    result, _asked = run_main(version_lib.main, args, monkeypatch, capsys, client)
    assert result["changed"] is False and result["application_version_arn"] == VERSION_ARN
    assert result["application_version"]["source_bundle"] == {"s3_bucket": BUCKET, "s3_key": KEY}
