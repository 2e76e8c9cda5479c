# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the apigatewayv2_stage module checks and compares.

As in apigatewayv2_params.py: ``validate_*`` before any call, ``desired_*`` and ``*_update`` (no AWS calls).
"""

from __future__ import annotations

from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apigatewayv2_params import (
    LOG_GROUP_ARN,
    STAGE_NAME,
)

# ---------------------------------------------------------------- stages
ROUTE_SETTINGS = (
    ("throttling_burst_limit", "ThrottlingBurstLimit"),
    ("throttling_rate_limit", "ThrottlingRateLimit"),
    ("detailed_metrics_enabled", "DetailedMetricsEnabled"),
)


def validate_stage(params):
    problems = []
    if not STAGE_NAME.match(params["stage_name"] or ""):
        problems.append(f"stage_name {params['stage_name']!r}: '$default' or 1 to 128 letters, digits, '_' or '-'")
    if params["state"] == "absent":
        return problems
    logs = params["access_log_settings"]
    if logs is not None:
        if not LOG_GROUP_ARN.match(logs["destination_arn"] or ""):
            problems.append(
                f"access_log_settings.destination_arn: {logs['destination_arn']!r} is not a CloudWatch Logs log group"
                " ARN (arn:aws:logs:<region>:<account>:log-group:<name>, without ':*')"
            )
        if not (logs["format"] or "").strip():
            problems.append("access_log_settings.format: give a log format (such as $context.requestId ...)")
    for option, _member in ROUTE_SETTINGS[:2]:
        value = (params["default_route_settings"] or {}).get(option)
        if value is not None and value < 0:
            problems.append(f"default_route_settings.{option}: {value} is negative")
    return problems


def desired_stage(params):
    want = {}
    if params["auto_deploy"] is not None:
        want["AutoDeploy"] = params["auto_deploy"]
    if params["description"] is not None:
        want["Description"] = params["description"]
    if params["access_log_settings"] is not None:
        logs = params["access_log_settings"]
        want["AccessLogSettings"] = {"DestinationArn": logs["destination_arn"], "Format": logs["format"]}
    settings = params["default_route_settings"]
    if settings is not None:
        want["DefaultRouteSettings"] = {m: settings[o] for o, m in ROUTE_SETTINGS if settings.get(o) is not None}
    return want


def stage_update(want, current):
    """UpdateStage members that differ from CURRENT.

    Default route settings compare only the members the options set; the request carries them merged
    into the current ones, so the members left out keep their values.
    """
    request = {}
    for member, value in want.items():
        now = current.get(member)
        if member == "DefaultRouteSettings":
            now = now or {}
            if any(now.get(k) != v for k, v in value.items()):
                request[member] = dict(now, **value)
        elif member == "AutoDeploy":
            if value != bool(now):
                request[member] = value
        elif member == "Description":
            if value != (now or ""):
                request[member] = value
        elif value != now:
            request[member] = value
    return request


def stage_view(stage):
    logs = stage.get("AccessLogSettings") or {}
    routes = stage.get("DefaultRouteSettings") or {}
    return {
        "stage_name": stage.get("StageName"),
        "auto_deploy": bool(stage.get("AutoDeploy")),
        "description": stage.get("Description") or "",
        "access_log_settings": {"destination_arn": logs.get("DestinationArn"), "format": logs.get("Format")}
        if logs
        else {},
        "default_route_settings": {o: routes[m] for o, m in ROUTE_SETTINGS if routes.get(m) is not None},
    }
