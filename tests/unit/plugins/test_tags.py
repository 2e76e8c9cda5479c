"""module_utils/tags.py: comparing with purge_tags, check mode, the calls made, and each service's adapter."""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apprunner, rds_proxy
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import (
    TagAdapter,
    apply_tags,
    boto3_tags,
    compare_tags,
    ensure_tags,
    plan_tags,
)

ARN = "arn:aws:apprunner:eu-west-1:123456789012:service/mlflow/abc"


class Recorder:
    """A TagAdapter over a dict of tags, recording every call."""

    def __init__(self, tags=None, combined=False):
        self.tags = dict(tags or {})
        self.calls = []
        if combined:
            self.adapter = TagAdapter(self.list_tags, update_tags=self.update)
        else:
            self.adapter = TagAdapter(self.list_tags, self.tag, self.untag)

    def list_tags(self, client, arn):
        self.calls.append(("list", arn))
        return dict(self.tags)

    def tag(self, client, arn, tags):
        self.calls.append(("tag", arn, tags))
        self.tags.update(tags)

    def untag(self, client, arn, keys):
        self.calls.append(("untag", arn, keys))
        for key in keys:
            self.tags.pop(key, None)

    def update(self, client, arn, to_set, to_remove):
        self.calls.append(("update", arn, to_set, to_remove))


# ---------------------------------------------------------------- comparing
def test_no_desired_tags_leaves_them_alone():
    change = compare_tags({"a": "1"}, None, purge_tags=True)
    assert not change.changed
    assert change.before == change.after == {"a": "1"}
    assert (change.to_set, change.to_remove) == ({}, [])


def test_purge_removes_what_is_not_asked_for():
    change = compare_tags({"a": "1", "b": "2"}, {"b": "3", "c": "4"}, purge_tags=True)
    assert change.changed
    assert change.to_set == {"b": "3", "c": "4"}
    assert change.to_remove == ["a"]
    assert change.after == {"b": "3", "c": "4"}
    assert change.diff == {"before": {"tags": {"a": "1", "b": "2"}}, "after": {"tags": {"b": "3", "c": "4"}}}


def test_without_purge_other_tags_stay():
    change = compare_tags({"a": "1"}, {"b": "2"}, purge_tags=False)
    assert change.to_remove == []
    assert change.after == {"a": "1", "b": "2"}


def test_empty_desired_with_purge_removes_everything_but_aws_tags():
    change = compare_tags({"a": "1", "aws:cloudformation:stack-name": "x"}, {}, purge_tags=True)
    assert change.to_remove == ["a"]
    assert change.after == {"aws:cloudformation:stack-name": "x"}


def test_matching_tags_are_no_change():
    assert not compare_tags({"a": "1"}, {"a": "1"}, purge_tags=True).changed


# ---------------------------------------------------------------- reading, applying
def test_plan_reads_only_when_there_is_something_to_compare():
    recorder = Recorder({"a": "1"})
    assert plan_tags(None, recorder.adapter, ARN, None).before == {}
    assert plan_tags(None, recorder.adapter, None, {"a": "1"}).before == {}  # no resource yet
    assert recorder.calls == []
    assert plan_tags(None, recorder.adapter, ARN, {"a": "1"}).before == {"a": "1"}
    assert recorder.calls == [("list", ARN)]


def test_plan_uses_tags_already_read():
    recorder = Recorder({"a": "1"})
    change = plan_tags(None, recorder.adapter, ARN, {"a": "2"}, current={"a": "1"})
    assert change.to_set == {"a": "2"}
    assert recorder.calls == []


def test_check_mode_reports_the_change_and_calls_nothing_that_writes():
    recorder = Recorder({"a": "1"})
    change = ensure_tags(None, recorder.adapter, ARN, {"b": "2"}, True, check_mode=True)
    assert change.changed and change.after == {"b": "2"}
    assert recorder.calls == [("list", ARN)]
    assert recorder.tags == {"a": "1"}


def test_ensure_removes_then_sets_and_is_idempotent():
    recorder = Recorder({"a": "1", "b": "2"})
    change = ensure_tags(None, recorder.adapter, ARN, {"b": "3"}, True)
    assert change.changed
    assert recorder.calls[1:] == [("untag", ARN, ["a"]), ("tag", ARN, {"b": "3"})]
    assert recorder.tags == {"b": "3"}
    recorder.calls.clear()
    again = ensure_tags(None, recorder.adapter, ARN, {"b": "3"}, True)
    assert not again.changed
    assert recorder.calls == [("list", ARN)]


def test_an_adapter_with_one_update_call():
    recorder = Recorder({"a": "1"}, combined=True)
    ensure_tags(None, recorder.adapter, ARN, {"b": "2"}, True)
    assert recorder.calls[1:] == [("update", ARN, {"b": "2"}, ["a"])]


def test_applying_no_change_makes_no_call():
    recorder = Recorder({"a": "1"})
    assert apply_tags(None, recorder.adapter, ARN, compare_tags({"a": "1"}, None)) is False
    assert recorder.calls == []


def test_an_adapter_needs_a_way_to_write():
    with pytest.raises(ValueError, match="tag_resource and untag_resource, or update_tags"):
        TagAdapter(lambda client, arn: {}, tag_resource=lambda client, arn, tags: None)


def test_boto3_tags():
    assert boto3_tags({"a": "1"}) == [{"Key": "a", "Value": "1"}]
    assert boto3_tags(None) == []


# ---------------------------------------------------------------- the services' adapters
class AppRunnerClient:
    def __init__(self):
        self.calls = []

    def list_tags_for_resource(self, ResourceArn):
        self.calls.append(("list_tags_for_resource", ResourceArn))
        return {"Tags": [{"Key": "old", "Value": "1"}]}

    def tag_resource(self, ResourceArn, Tags):
        self.calls.append(("tag_resource", ResourceArn, Tags))

    def untag_resource(self, ResourceArn, TagKeys):
        self.calls.append(("untag_resource", ResourceArn, TagKeys))


class RDSClient:
    def __init__(self):
        self.calls = []

    def list_tags_for_resource(self, ResourceName):
        self.calls.append(("list_tags_for_resource", ResourceName))
        return {"TagList": [{"Key": "old", "Value": "1"}]}

    def add_tags_to_resource(self, ResourceName, Tags):
        self.calls.append(("add_tags_to_resource", ResourceName, Tags))

    def remove_tags_from_resource(self, ResourceName, TagKeys):
        self.calls.append(("remove_tags_from_resource", ResourceName, TagKeys))


def test_app_runner_tag_calls():
    client = AppRunnerClient()
    change = ensure_tags(client, apprunner.TAGS, ARN, {"new": "2"}, True)
    assert change.before == {"old": "1"}
    assert client.calls == [
        ("list_tags_for_resource", ARN),
        ("untag_resource", ARN, ["old"]),
        ("tag_resource", ARN, [{"Key": "new", "Value": "2"}]),
    ]


def test_rds_tag_calls():
    client = RDSClient()
    proxy_arn = "arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-1"
    change = ensure_tags(client, rds_proxy.TAGS, proxy_arn, {"old": "1", "new": "2"}, True)
    assert change.after == {"old": "1", "new": "2"}
    assert client.calls == [
        ("list_tags_for_resource", proxy_arn),
        ("add_tags_to_resource", proxy_arn, [{"Key": "new", "Value": "2"}]),
    ]
