# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""snake_case module results of Elastic Beanstalk applications, versions, environments and events."""

from __future__ import annotations

import datetime
from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict


def plain(value: Any) -> Any:
    """VALUE with datetimes as ISO strings."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.isoformat() if isinstance(value, datetime.datetime) else value


def snake(described: dict[str, Any] | None, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """DESCRIBED in snake_case ({} for None), with TAGS as a dict when given."""
    if not described:
        return {}
    result = camel_dict_to_snake_dict(plain({k: v for k, v in described.items() if k != "ResponseMetadata"}))
    if tags is not None:
        result["tags"] = dict(tags)
    return result


def events_view(events: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """Events oldest first: event_date (ISO), severity, message (and the version, request id AWS gives)."""
    return [snake(event) for event in events or []]


def environment_url(env: dict[str, Any] | None) -> str | None:
    """http://<CNAME>/ of a live web server environment; None otherwise."""
    cname = (env or {}).get("CNAME")
    if not cname or (env or {}).get("Status") in ("Terminating", "Terminated"):
        return None
    return f"http://{cname}/"


def environment_results(
    env: dict[str, Any] | None, tags: dict[str, str] | None = None, events: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """What elasticbeanstalk_environment returns ({}/None without an environment)."""
    env = env or {}
    return {
        "environment": snake(env, tags if env else None),
        "environment_name": env.get("EnvironmentName"),
        "environment_id": env.get("EnvironmentId"),
        "environment_arn": env.get("EnvironmentArn"),
        "status": env.get("Status"),
        "health": env.get("Health"),
        "version_label": env.get("VersionLabel"),
        "cname": env.get("CNAME"),
        "endpoint_url": env.get("EndpointURL"),
        "url": environment_url(env),
        "events": events_view(events),
    }
