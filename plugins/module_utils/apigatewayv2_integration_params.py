# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the apigatewayv2_integration module checks and compares.

As in apigatewayv2_params.py: ``validate_*`` before any call, ``desired_*`` and ``*_update`` (no AWS calls).
"""

from __future__ import annotations

import re

from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apigatewayv2_params import (
    CLOUD_MAP_ARN,
    LISTENER_ARN,
    REQUEST_PARAMETER,
    TIMEOUT_MS,
)


# ---------------------------------------------------------------- integrations
def validate_integration(params):
    problems = []
    if params["state"] == "absent":
        if not (params["integration_id"] or params["integration_uri"]):
            problems.append("give integration_id, or integration_uri (and connection_id) to find the integration")
        return problems
    uri, kind = params["integration_uri"], params["connection_type"]
    if not uri:
        problems.append("integration_uri: required")
    elif kind == "VPC_LINK" and not (LISTENER_ARN.match(uri) or CLOUD_MAP_ARN.match(uri)):
        problems.append(f"integration_uri: {uri!r} is not a load balancer listener ARN or a Cloud Map service ARN")
    elif kind == "INTERNET" and not re.match(r"^https?://[^\s/]+", uri):
        problems.append(f"integration_uri: {uri!r} is not an http(s):// URL")
    if kind == "VPC_LINK" and not params["connection_id"]:
        problems.append("connection_id: the VPC link ID is required with connection_type VPC_LINK")
    if kind == "INTERNET" and params["connection_id"]:
        problems.append("connection_id: only with connection_type VPC_LINK")
    timeout = params["timeout_in_millis"]
    if timeout is not None and not TIMEOUT_MS[0] <= timeout <= TIMEOUT_MS[1]:
        problems.append(f"timeout_in_millis: {timeout} is not between {TIMEOUT_MS[0]} and {TIMEOUT_MS[1]}")
    problems.extend(
        f"request_parameters: {key!r} is not <append|overwrite|remove>:<header.NAME|querystring.NAME|path>"
        for key in params["request_parameters"] or {}
        if not REQUEST_PARAMETER.match(key)
    )
    tls = params["tls_config"] or {}
    if tls.get("server_name_to_verify") is not None and kind != "VPC_LINK":
        problems.append("tls_config: only for private integrations (connection_type VPC_LINK)")
    return problems


def desired_integration(params):
    """The integration's members the options set (description, timeout, TLS, parameters only when given)."""
    want = {
        "IntegrationType": params["integration_type"],
        "IntegrationMethod": params["integration_method"],
        "IntegrationUri": params["integration_uri"],
        "ConnectionType": params["connection_type"],
        "PayloadFormatVersion": params["payload_format_version"],
    }
    if params["connection_id"]:
        want["ConnectionId"] = params["connection_id"]
    if params["description"] is not None:
        want["Description"] = params["description"]
    if params["timeout_in_millis"] is not None:
        want["TimeoutInMillis"] = params["timeout_in_millis"]
    if params["tls_config"] is not None:
        server = params["tls_config"].get("server_name_to_verify")
        want["TlsConfig"] = {"ServerNameToVerify": server} if server else {}
    if params["request_parameters"] is not None:
        want["RequestParameters"] = dict(params["request_parameters"])
    return want


def integration_create_request(want):
    """CreateIntegration members: WANT without its empty ones (no TLS, description or parameters)."""
    return {k: v for k, v in want.items() if v not in (None, "", {})}


def integration_update(want, current):
    """UpdateIntegration members that differ from CURRENT.

    A request parameter CURRENT has and WANT does not is sent with an empty value (how UpdateIntegration
    removes one).
    """
    request = {}
    for member, value in want.items():
        now = current.get(member)
        if member == "RequestParameters":
            now = now or {}
            if value != now:
                request[member] = dict(value, **{k: "" for k in now if k not in value})
        elif member == "TlsConfig":
            if (value or {}) != (now or {}):
                request[member] = value
        elif member == "Description":
            if value != (now or ""):
                request[member] = value
        elif value != now:
            request[member] = value
    return request


def integration_matches(integrations, integration_uri, connection_id):
    """The integrations that answer to (INTEGRATION_URI, CONNECTION_ID), how the module finds its own."""
    return [
        i
        for i in integrations
        if i.get("IntegrationUri") == integration_uri and (i.get("ConnectionId") or None) == (connection_id or None)
    ]


def integration_view(integration):
    keys = (
        "IntegrationType",
        "IntegrationMethod",
        "IntegrationUri",
        "ConnectionType",
        "ConnectionId",
        "PayloadFormatVersion",
        "Description",
        "TimeoutInMillis",
        "TlsConfig",
        "RequestParameters",
    )
    snake = {re.sub(r"(?<!^)(?=[A-Z])", "_", k).lower(): integration.get(k) for k in keys}
    snake["request_parameters"] = dict(snake["request_parameters"] or {})
    snake["tls_config"] = {"server_name_to_verify": (integration.get("TlsConfig") or {}).get("ServerNameToVerify")}
    return snake
