# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""AWS Elastic Beanstalk API calls for the elasticbeanstalk_* modules, and waiting.

Every call goes through ``AWSRetry.jittered_backoff`` (Elastic Beanstalk throttles with ``Throttling``,
which AWSRetry retries). The Describe calls filter by name, and the answers are filtered again here
(the local emulators ignore some filters). Tags of applications, application versions and
environments go through one ``UpdateTagsForResource`` call (``TAGS``, for ``tags.plan_tags``); the
tags Elastic Beanstalk keeps itself (``elasticbeanstalk:*``, and an environment's ``Name``) are never
compared or purged (``user_tags``).

Waiting for an environment (``wait_for_ready``, ``wait_for_terminated``) follows its events with an
``EventLog`` (``DescribeEvents`` after the latest event before the operation) so that the module can return them and a
failure can quote them (``outcome_problem``).
"""

from __future__ import annotations

import datetime
import time
from typing import Any

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import TagAdapter
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError, wait_until

# "Throttling" is in AWSRetry's default list; "ThrottlingException" for good measure.
_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=["ThrottlingException"])

POLL_SECONDS = 10
# Statuses of an environment an operation is under way in (another change fails with OperationInProgress).
BUSY = ("Launching", "Updating", "Aborting", "LinkingFrom", "LinkingTo")
GONE = ("Terminated",)
# What the module returns and quotes of the events.
EVENTS_KEPT = 50
EVENTS_QUOTED = 8


def _paginate(call, key, **params):
    items = []
    while True:
        page = _retry(call)(**params)
        items.extend(page.get(key) or [])
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


# ---------------------------------------------------------------- tags
MANAGED_TAG_PREFIX = "elasticbeanstalk:"


def get_tags(client, arn):
    tags = _retry(client.list_tags_for_resource)(ResourceArn=arn).get("ResourceTags") or []
    return boto3_tag_list_to_ansible_dict(tags)


def _update_tags(client, arn, to_set, to_remove):
    request = {"ResourceArn": arn}
    if to_set:
        request["TagsToAdd"] = ansible_dict_to_boto3_tag_list(to_set)
    if to_remove:
        request["TagsToRemove"] = list(to_remove)
    _retry(client.update_tags_for_resource)(**request)


TAGS = TagAdapter(list_tags=get_tags, update_tags=_update_tags)


def user_tags(tags: dict[str, str] | None, desired: dict[str, str] | None = None) -> dict[str, str]:
    """TAGS without the ones Elastic Beanstalk keeps itself: elasticbeanstalk:* always, and Name (the
    environment's name) unless DESIRED sets it."""
    return {
        key: value
        for key, value in (tags or {}).items()
        if not key.startswith(MANAGED_TAG_PREFIX) and (key != "Name" or "Name" in (desired or {}))
    }


def boto3_tags(tags):
    return ansible_dict_to_boto3_tag_list(tags or {})


# ---------------------------------------------------------------- applications
def describe_application(client, name: str) -> dict[str, Any] | None:
    found = _retry(client.describe_applications)(ApplicationNames=[name]).get("Applications") or []
    return next((app for app in found if app.get("ApplicationName") == name), None)


def create_application(client, name: str, description: str | None, tags: dict[str, str]) -> dict[str, Any]:
    request: dict[str, Any] = {"ApplicationName": name}
    if description is not None:
        request["Description"] = description
    if tags:
        request["Tags"] = boto3_tags(tags)
    return _retry(client.create_application)(**request)["Application"]


def update_application(client, name: str, description: str) -> dict[str, Any]:
    return _retry(client.update_application)(ApplicationName=name, Description=description)["Application"]


def delete_application(client, name: str, force: bool = False) -> None:
    request: dict[str, Any] = {"ApplicationName": name}
    if force:
        request["TerminateEnvByForce"] = True
    _retry(client.delete_application)(**request)


# ---------------------------------------------------------------- application versions
def describe_version(client, application: str, label: str) -> dict[str, Any] | None:
    found = _retry(client.describe_application_versions)(ApplicationName=application, VersionLabels=[label])
    versions = found.get("ApplicationVersions") or []
    return next(
        (
            v
            for v in versions
            if v.get("VersionLabel") == label and v.get("ApplicationName", application) == application
        ),
        None,
    )


def create_version(client, request: dict[str, Any]) -> dict[str, Any]:
    return _retry(client.create_application_version)(**request)["ApplicationVersion"]


def update_version(client, application: str, label: str, description: str) -> dict[str, Any]:
    answer = _retry(client.update_application_version)(
        ApplicationName=application, VersionLabel=label, Description=description
    )
    return answer["ApplicationVersion"]


def delete_version(client, application: str, label: str, delete_source_bundle: bool = False) -> None:
    _retry(client.delete_application_version)(
        ApplicationName=application, VersionLabel=label, DeleteSourceBundle=bool(delete_source_bundle)
    )


def wait_for_version(client, application, label, timeout, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Wait until a processed version is no longer Processing/Building; a Failed one ends the wait."""
    return wait_until(
        lambda: describe_version(client, application, label),
        lambda v: v is not None and v.get("Status") not in ("Processing", "Building"),
        failure=lambda v: f"application version {label} of {application} is gone" if v is None else None,
        resource=f"application version {label} of {application}",
        goal="be processed",
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- environments
def describe_environments(client, application=None, names=None, ids=None, include_deleted=False):
    """DescribeEnvironments filtered by APPLICATION, NAMES and IDS (here too), Terminated ones left out
    unless INCLUDE_DELETED."""
    request: dict[str, Any] = {"IncludeDeleted": bool(include_deleted)}
    if application:
        request["ApplicationName"] = application
    if names:
        request["EnvironmentNames"] = list(names)
    if ids:
        request["EnvironmentIds"] = list(ids)
    found = _paginate(client.describe_environments, "Environments", **request)
    return [
        env
        for env in found
        if (not application or env.get("ApplicationName") == application)
        and (not names or env.get("EnvironmentName") in names)
        and (not ids or env.get("EnvironmentId") in ids)
        and (include_deleted or env.get("Status") not in GONE)
    ]


def find_environment(client, name: str) -> dict[str, Any] | None:
    """The live environment NAME (names are unique in a region, whatever the application); None."""
    found = describe_environments(client, names=[name])
    return found[0] if found else None


def describe_environment_by_id(client, env_id: str) -> dict[str, Any] | None:
    """The environment ENV_ID, a Terminated one included; None when AWS has forgotten it."""
    found = describe_environments(client, ids=[env_id], include_deleted=True)
    return found[0] if found else None


def create_environment(client, request: dict[str, Any]) -> dict[str, Any]:
    return _plain_answer(_retry(client.create_environment)(**request))


def update_environment(client, env_id: str, request: dict[str, Any]) -> dict[str, Any]:
    return _plain_answer(_retry(client.update_environment)(EnvironmentId=env_id, **request))


def terminate_environment(client, env_id: str) -> dict[str, Any]:
    return _plain_answer(_retry(client.terminate_environment)(EnvironmentId=env_id))


def _plain_answer(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


def configuration_settings(client, application: str, name: str) -> list[dict[str, str]]:
    """The option settings of the environment's deployed configuration (not a draft an update left)."""
    found = _retry(client.describe_configuration_settings)(ApplicationName=application, EnvironmentName=name)
    descriptions = found.get("ConfigurationSettings") or []
    deployed = [d for d in descriptions if d.get("DeploymentStatus") in (None, "deployed")]
    chosen = (deployed or descriptions or [{}])[0]
    return list(chosen.get("OptionSettings") or [])


def environment_health(client, name: str) -> dict[str, Any] | None:
    """DescribeEnvironmentHealth (all attributes); None without enhanced health reporting."""
    try:
        answer = _retry(client.describe_environment_health)(EnvironmentName=name, AttributeNames=["All"])
    except is_boto3_error_code("InvalidRequestException"):
        return None
    return _plain_answer(answer)


def events(client, env_id: str, since=None, limit: int = EVENTS_KEPT) -> list[dict[str, Any]]:
    """The environment's events since SINCE (all recent ones when None), oldest first, the LIMIT latest."""
    request: dict[str, Any] = {"EnvironmentId": env_id, "MaxRecords": min(max(limit, 1), 1000)}
    if since is not None:
        request["StartTime"] = since
    answer = _retry(client.describe_events)(**request)
    found = [e for e in answer.get("Events") or [] if since is None or _at(e) >= since]
    return sorted(reversed(found), key=_at)[-limit:]  # AWS lists the newest first; ties keep their order


def _at(event: dict[str, Any]) -> datetime.datetime:
    date = event.get("EventDate")
    if isinstance(date, datetime.datetime):
        return date if date.tzinfo else date.replace(tzinfo=datetime.UTC)
    return datetime.datetime.min.replace(tzinfo=datetime.UTC)


def _key(event: dict[str, Any]) -> tuple[datetime.datetime, str]:
    return _at(event), str(event.get("Message"))


class EventLog:
    """The events of environment ENV_ID after those it had when an operation started, gathered while waiting.

    ``start`` marks the environment's latest event before the operation (on AWS's clock, not ours: a skewed
    local clock neither drops the operation's first events nor takes in an earlier operation's errors). A
    log that was not started (a new environment) takes every event of ENV_ID.
    """

    def __init__(self, env_id: str | None = None):
        self.env_id = env_id
        self.after: datetime.datetime | None = None
        self.seen: set[tuple[datetime.datetime, str]] = set()
        self.events: list[dict[str, Any]] = []

    @classmethod
    def start(cls, client, env_id: str) -> EventLog:
        log = cls(env_id)
        latest = events(client, env_id)  # several: events of one moment can share a timestamp
        if latest:
            log.after = _at(latest[-1])
            log.seen = {_key(event) for event in latest}
        return log

    def poll(self, client) -> list[dict[str, Any]]:
        """Read the events since the last one seen; returns the new ones."""
        if not self.env_id:
            return []
        start = _at(self.events[-1]) if self.events else self.after
        fresh = [e for e in events(client, self.env_id, start) if _key(e) not in self.seen]
        self.seen.update(_key(e) for e in fresh)
        self.events = (self.events + fresh)[-EVENTS_KEPT:]
        return fresh

    def severe(self, *severities: str) -> list[dict[str, Any]]:
        return [e for e in self.events if e.get("Severity") in (severities or ("ERROR", "FATAL"))]


def quote_events(found: list[dict[str, Any]], limit: int = EVENTS_QUOTED) -> str:
    """The last LIMIT events as 'SEVERITY message' joined with ' | '."""
    return " | ".join(f"{e.get('Severity', 'INFO')} {e.get('Message', '')}".strip() for e in found[-limit:])


class EnvironmentWaitError(WaitError):
    """Waiting for an environment failed or timed out; ``environment`` as last described, ``events`` since
    the operation started."""

    def __init__(self, message, environment=None, events=(), **kwargs):
        super().__init__(message, **kwargs)
        self.environment = environment
        self.events = list(events)


def env_status(env: dict[str, Any] | None) -> str:
    if env is None:
        return "gone"
    return f"{env.get('Status', 'unknown')} (health {env.get('Health', 'unknown')})"


def _wait(client, log: EventLog, env_id, *, goal, ready, failure, timeout, sleep, clock):  # noqa: PLR0913
    def describe():
        log.poll(client)
        return describe_environment_by_id(client, env_id)

    try:
        return wait_until(
            describe,
            ready,
            failure=failure,
            resource=lambda env: f"Elastic Beanstalk environment {(env or {}).get('EnvironmentName', env_id)}",
            goal=goal,
            status=env_status,
            timeout=timeout,
            delay=POLL_SECONDS,
            sleep=sleep,
            clock=clock,
        )
    except WaitError as exc:
        message = str(exc)
        problems = log.severe("ERROR", "FATAL", "WARN")
        if problems:
            message += f"; recent events: {quote_events(problems)}"
        raise EnvironmentWaitError(
            message, environment=exc.last, events=log.events, resource=exc.resource, status=exc.status, last=exc.last
        ) from exc


def wait_for_ready(client, env_id, log, timeout, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    """Wait until the environment is Ready with a health other than Grey; a terminated one ends the wait."""

    def failure(env):
        if env is None or env.get("Status") in ("Terminating", "Terminated"):
            name = (env or {}).get("EnvironmentName") or env_id
            return f"Elastic Beanstalk environment {name} is {env_status(env)} instead of becoming Ready"
        return None

    return _wait(
        client,
        log,
        env_id,
        goal="be Ready with a health other than Grey",
        ready=lambda env: env is not None and env.get("Status") == "Ready" and env.get("Health") != "Grey",
        failure=failure,
        timeout=timeout,
        sleep=sleep,
        clock=clock,
    )


def wait_for_terminated(client, env_id, log, timeout, *, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913
    return _wait(
        client,
        log,
        env_id,
        goal="be Terminated",
        ready=lambda env: env is None or env.get("Status") == "Terminated",
        failure=None,
        timeout=timeout,
        sleep=sleep,
        clock=clock,
    )


def outcome_problem(env: dict[str, Any] | None, version_label: str | None, log: EventLog) -> str | None:
    """Why an operation that ended with ENV Ready failed, or None: the environment runs another version
    than VERSION_LABEL, or ERROR (FATAL) events since it started. The message quotes the ERROR and WARN
    events."""
    name = (env or {}).get("EnvironmentName") or log.env_id
    problems = []
    running = (env or {}).get("VersionLabel")
    if version_label is not None and running != version_label:
        problems.append(f"it runs version {running or '(none)'}, not {version_label}")
    if log.severe():
        problems.append(f"{len(log.severe())} ERROR event(s) since the operation started")
    if not problems:
        return None
    message = f"Elastic Beanstalk environment {name} failed to update ({', '.join(problems)})"
    quoted = log.severe("ERROR", "FATAL", "WARN")
    return message + (f"; recent events: {quote_events(quoted)}" if quoted else "; no ERROR or WARN event")
