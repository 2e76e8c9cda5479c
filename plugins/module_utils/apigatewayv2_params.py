# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the apigatewayv2_* modules check and compare, without AWS calls (unit-tested alone).

Each resource has ``validate_<kind>`` (every problem with the options, before any AWS call), a
``desired_<kind>`` (the options as the API's members; None means "leave it as it is") and
``<kind>_update`` (the update call's members that differ from the resource as described; empty when
nothing does). Members AWS fills in itself (defaults) are compared only when the options set them.
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- rules
API_NAME = re.compile(r"^.{1,128}$")
VPC_LINK_NAME = re.compile(r"^[A-Za-z0-9._-]{1,128}$")
STAGE_NAME = re.compile(r"^(\$default|[A-Za-z0-9_-]{1,128})$")
ROUTE_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_LITERAL = re.compile(r"^[A-Za-z0-9._~!$&'()*,;=:@%-]+$")
_PARAMETER = re.compile(r"^\{[A-Za-z0-9._-]+\}$")
_GREEDY = re.compile(r"^\{[A-Za-z0-9._-]+\+\}$")
TARGET = re.compile(r"^integrations/[A-Za-z0-9]+$")
LISTENER_ARN = re.compile(
    r"^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:\d{12}:listener/(app|net)/[^/]+/[^/]+/[^/]+$"
)
CLOUD_MAP_ARN = re.compile(r"^arn:aws[a-z-]*:servicediscovery:[a-z0-9-]+:\d{12}:service/srv-[A-Za-z0-9]+$")
LOG_GROUP_ARN = re.compile(r"^arn:aws[a-z-]*:logs:[a-z0-9-]+:\d{12}:log-group:[A-Za-z0-9_./#-]{1,512}$")
REQUEST_PARAMETER = re.compile(
    r"^(append|overwrite|remove):(header\.[A-Za-z0-9!#$%&'*+.^_`|~-]+|querystring\.[^\s]+|path)$"
)
TIMEOUT_MS = (50, 30000)


def route_key_problem(route_key):
    """What is wrong with ROUTE_KEY ('$default' or '<METHOD> /<path>'); '' when nothing."""
    if route_key == "$default":
        return ""
    method, sep, path = str(route_key).partition(" ")
    if not sep or method not in ROUTE_METHODS:
        return (
            f"route_key {route_key!r}: '$default' or '<METHOD> /<path>' with METHOD one of {', '.join(ROUTE_METHODS)}"
        )
    if path == "/":
        return ""
    if not path.startswith("/") or path.endswith("/"):
        return f"route_key {route_key!r}: the path starts with '/' and does not end with one"
    segments = path[1:].split("/")
    for index, segment in enumerate(segments):
        if _GREEDY.match(segment):
            if index != len(segments) - 1:
                return f"route_key {route_key!r}: a greedy parameter ({segment}) must be the last segment"
        elif not (_PARAMETER.match(segment) or _LITERAL.match(segment)):
            return f"route_key {route_key!r}: segment {segment!r} is neither a name nor a {{parameter}}"
    return ""


def _ids(option, values, prefix, kind):
    return [f"{option}: {v!r} is not a {kind} ID ({prefix}...)" for v in values or [] if not str(v).startswith(prefix)]


# ---------------------------------------------------------------- APIs
CORS_MEMBERS = (
    ("allow_origins", "AllowOrigins"),
    ("allow_methods", "AllowMethods"),
    ("allow_headers", "AllowHeaders"),
    ("expose_headers", "ExposeHeaders"),
    ("max_age", "MaxAge"),
    ("allow_credentials", "AllowCredentials"),
)


def validate_api(params):
    problems = []
    if not API_NAME.match(params["name"] or ""):
        problems.append(f"name {params['name']!r}: 1 to 128 characters")
    cors = params.get("cors_configuration") or {}
    if cors.get("max_age") is not None and not -1 <= cors["max_age"] <= 86400:
        problems.append(f"cors_configuration.max_age: {cors['max_age']} is not between -1 and 86400 seconds")
    methods = [m for m in cors.get("allow_methods") or [] if m.upper() not in (*ROUTE_METHODS, "*")]
    if methods:
        problems.append(f"cors_configuration.allow_methods: {', '.join(methods)} not HTTP methods (or '*')")
    return problems


def desired_cors(cors):
    """The CorsConfiguration of the option CORS (None: leave; {}: none at all)."""
    if cors is None:
        return None
    return {member: cors[option] for option, member in CORS_MEMBERS if cors.get(option) is not None}


def comparable_cors(cors):
    """CORS configuration with its lists as sorted sets (headers and methods case-insensitive)."""
    result = {}
    for member, value in (cors or {}).items():
        fold = member != "AllowOrigins"
        result[member] = sorted({v.lower() if fold else v for v in value}) if isinstance(value, list) else value
    return result


def api_update(params, current):
    """UpdateApi members that differ from CURRENT; 'DeleteCors' True when the CORS configuration must go."""
    request = {}
    if params.get("description") is not None and params["description"] != (current.get("Description") or ""):
        request["Description"] = params["description"]
    disable = params.get("disable_execute_api_endpoint")
    if disable is not None and disable != bool(current.get("DisableExecuteApiEndpoint")):
        request["DisableExecuteApiEndpoint"] = disable
    cors = desired_cors(params.get("cors_configuration"))
    if cors is not None and comparable_cors(cors) != comparable_cors(current.get("CorsConfiguration")):
        if cors:
            request["CorsConfiguration"] = cors
        else:
            request["DeleteCors"] = True
    return request


def api_create_request(params):
    request = {"Name": params["name"], "ProtocolType": "HTTP"}
    if params.get("description"):
        request["Description"] = params["description"]
    if params.get("disable_execute_api_endpoint") is not None:
        request["DisableExecuteApiEndpoint"] = params["disable_execute_api_endpoint"]
    cors = desired_cors(params.get("cors_configuration"))
    if cors:
        request["CorsConfiguration"] = cors
    if params.get("tags"):
        request["Tags"] = dict(params["tags"])
    return request


def api_view(api):
    """The managed members of API (as described or as a request), for the diff."""
    return {
        "name": api.get("Name"),
        "description": api.get("Description") or "",
        "disable_execute_api_endpoint": bool(api.get("DisableExecuteApiEndpoint")),
        "cors_configuration": comparable_cors(api.get("CorsConfiguration")),
    }


# ---------------------------------------------------------------- VPC links
def validate_vpc_link(params):
    problems = []
    if not VPC_LINK_NAME.match(params["name"] or ""):
        problems.append(f"name {params['name']!r}: 1 to 128 letters, digits, '.', '_' or '-'")
    if params["state"] == "absent":
        return problems
    if params["subnet_ids"] is not None and not params["subnet_ids"]:
        problems.append("subnet_ids: give at least one subnet")
    problems.extend(_ids("subnet_ids", params["subnet_ids"], "subnet-", "subnet"))
    problems.extend(_ids("security_group_ids", params["security_group_ids"], "sg-", "security group"))
    if params["wait_timeout"] <= 0:
        problems.append(f"wait_timeout: {params['wait_timeout']} is not a positive number of seconds")
    return problems


def vpc_link_view(link):
    return {
        "name": link.get("Name"),
        "subnet_ids": sorted(link.get("SubnetIds") or []),
        "security_group_ids": sorted(link.get("SecurityGroupIds") or []),
    }


def vpc_link_replacements(params, current):
    """The options that differ from CURRENT and that AWS cannot change on an existing VPC link."""
    differ = []
    for option, member in (("subnet_ids", "SubnetIds"), ("security_group_ids", "SecurityGroupIds")):
        if params[option] is not None and sorted(params[option]) != sorted(current.get(member) or []):
            differ.append(option)
    return differ


# ---------------------------------------------------------------- routes
def validate_route(params):
    problems = []
    problem = route_key_problem(params["route_key"])
    if problem:
        problems.append(problem)
    if params["state"] == "present" and params["target"] is not None and not TARGET.match(params["target"]):
        problems.append(f"target: {params['target']!r} is not 'integrations/<integration id>'")
    return problems


def desired_route(params):
    want = {"RouteKey": params["route_key"], "AuthorizationType": params["authorization_type"]}
    if params["target"] is not None:
        want["Target"] = params["target"]
    return want


def route_update(want, current):
    return {
        k: v
        for k, v in want.items()
        if k != "RouteKey" and v != current.get(k, "NONE" if k == "AuthorizationType" else None)
    }


def route_view(route):
    return {
        "route_key": route.get("RouteKey"),
        "target": route.get("Target"),
        "authorization_type": route.get("AuthorizationType") or "NONE",
    }
