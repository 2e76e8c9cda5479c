# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Waiting for an AWS resource, for every module of the collection.

A service's module_utils gives ``wait_until`` its describe call (already retried) and says what
"done" and "broken" look like; the module catches ``WaitError`` and fails with its message, which
names the resource and the status it was last seen in::

    def wait_for_environment(client, name, timeout):
        return wait_until(
            lambda: describe_environment(client, name),
            status_in("Ready"),
            failure=lambda env: f"environment {name} is {env['Health']}" if env and env["Health"] == "Red" else None,
            resource=f"environment {name}",
            goal="be ready",
            timeout=timeout,
            delay=POLL_SECONDS,
        )
"""

from __future__ import annotations

import time


class WaitError(Exception):
    """Waiting ended without the resource reaching its goal: timed out, or in a state waiting will not fix.

    ``resource`` is what the message calls the resource, ``status`` the status it was last seen in and
    ``last`` the last description (None once it was gone).
    """

    def __init__(self, message, resource=None, status=None, last=None):
        super().__init__(message)
        self.resource = resource
        self.status = status
        self.last = last


def status_of(resource):
    """The 'Status' member of a description, 'gone' for None (the default status of wait_until)."""
    if resource is None:
        return "gone"
    return resource.get("Status", "unknown")


def status_in(*statuses, key="Status", gone=False):
    """A predicate: the description's KEY is one of STATUSES (or, with GONE, the resource is gone)."""

    def predicate(resource):
        if resource is None:
            return gone
        return resource.get(key) in statuses

    return predicate


def wait_until(  # noqa: PLR0913 (all keywords; the clock and sleep are for tests)
    describe,
    ready,
    *,
    resource,
    timeout,
    goal=None,
    failure=None,
    status=status_of,
    delay=5,
    sleep=time.sleep,
    clock=time.monotonic,
):
    """Call DESCRIBE() every DELAY seconds until READY(description) holds, and return that description.

    describe: () -> the resource as its API describes it, or None when it does not exist (any value
        READY, FAILURE and STATUS understand: a list of targets works too).
    ready: description -> bool. Gone (None) is only ready when READY says so.
    failure: description -> a message, or None; a message ends the wait at once with WaitError
        (a state waiting will not fix: CREATE_FAILED, a proxy without network ...).
    resource: what the messages call the resource ("service mlflow"), or a function of the last
        description that says it.
    goal: what READY means, for the timeout message ("be available").
    status: description -> the status the timeout message reports (default: its 'Status', 'gone').
    timeout: seconds; then WaitError "timed out after <timeout>s waiting for <resource> to <goal>: still <status>".
    """
    deadline = clock() + timeout
    while True:
        last = describe()
        if ready(last):
            return last
        name = resource(last) if callable(resource) else resource
        problem = failure(last) if failure is not None else None
        if problem:
            raise WaitError(problem, resource=name, status=status(last), last=last)
        if clock() >= deadline:
            seen = status(last)
            aim = f" to {goal}" if goal else ""
            message = f"timed out after {timeout}s waiting for {name}{aim}: still {seen}"
            raise WaitError(message, resource=name, status=seen, last=last)
        sleep(delay)
