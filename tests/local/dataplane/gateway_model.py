"""API Gateway's model of an HTTP API, as the local gateway serves it (tests/local/dataplane/gateway.py):
routes in selection order, integrations and where they lead on loopback, throttling, access log
formats, and the pieces of nginx configuration and Lua that express them."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
from typing import Any
from urllib.parse import urlsplit

from ..moto_calls import vpc_link_status
from .alb import AlbPlane, _certificate_pem

LOG = logging.getLogger("dataplane.gateway")

# $context variables of an access log format, and the nginx variables that stand for them.
CONTEXT = {
    "requestId": "$request_id",
    "extendedRequestId": "$request_id",
    "httpMethod": "$request_method",
    "path": "$uri",
    "protocol": "$server_protocol",
    "requestTime": "$time_local",
    "requestTimeEpoch": "$msec",
    "routeKey": "$gw_route",
    "status": "$status",
    "responseLength": "$body_bytes_sent",
    "identity.sourceIp": "$remote_addr",
    "identity.userAgent": "$http_user_agent",
    "identity.userArn": "$gw_principal",
    "integrationStatus": "$upstream_status",
    "integrationLatency": "$upstream_response_time",
    "responseLatency": "$request_time",
    "domainName": "$host",
    "stage": "$gw_stage",
    "apiId": "$gw_api",
}


def ident(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def stream_name(server: dict[str, Any]) -> str:
    return f"{server['key']}_{server['stage']}"


def throttle(settings: dict[str, Any]) -> tuple[float, int] | None:
    rate = settings.get("throttlingRateLimit", settings.get("ThrottlingRateLimit"))
    burst = settings.get("throttlingBurstLimit", settings.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return None
    return float(rate if rate is not None else 10000), int(burst if burst is not None else 5000)


def access_log(settings: dict[str, Any] | None) -> tuple[str, str] | None:
    if not settings:
        return None
    arn = settings.get("destinationArn") or settings.get("DestinationArn") or ""
    fmt = settings.get("format") or settings.get("Format") or "$context.requestId"
    group = arn.split(":log-group:", 1)[-1].removesuffix(":*") if ":log-group:" in arn else ""
    return (group, fmt) if group else None


def log_format(fmt: str) -> str:
    def variable(match: re.Match) -> str:
        return CONTEXT.get(match.group(1), "-")

    return re.sub(r"\$context\.([A-Za-z.]+[A-Za-z])", variable, fmt).replace("'", "\\'")


def _route_regex(path: str) -> str | None:
    """A route key's path as a regular expression ({name} one segment, {name+} the rest)."""
    parts = []
    for segment in path.strip("/").split("/"):
        if re.fullmatch(r"\{[^}]+\+\}", segment):
            parts.append(".+")
        elif re.fullmatch(r"\{[^}]+\}", segment):
            parts.append("[^/]+")
        else:
            parts.append(re.escape(segment))
    return "^/" + "/".join(parts) + "$" if path != "/" else "^/$"


def _specificity(route: dict[str, Any]) -> tuple:
    key = route["key"]
    if key == "$default":
        return (3, 0, 0)
    greedy = "+}" in key
    literal = len(re.sub(r"\{[^}]+\}", "", key.split(" ", 1)[1]))
    return (1 if greedy else 0, -literal, 1 if route["method"] == "ANY" else 0)


def routes(api: Any, backend: Any, stage: Any) -> list[dict[str, Any]]:
    routes = []
    for route in list(api.routes.values()):
        key = route.route_key
        method, path = ("ANY", None) if key == "$default" else key.split(" ", 1)
        integration_id = (route.target or "").removeprefix("integrations/") or None
        integration = api.integrations.get(integration_id) if integration_id else None
        entry = {
            "key": key,
            "method": method,
            "regex": None if path is None else _route_regex(path),
            "auth": route.authorization_type or "NONE",
            "integration": f"{api.api_id}_{integration_id}" if integration is not None else None,
        }
        if integration is not None:
            entry["upstream"] = _upstream(integration, backend)
        routes.append(entry)
    return sorted(routes, key=_specificity)


def _upstream(integration: Any, backend: Any) -> dict[str, Any]:
    """Where an integration sends requests: a loopback URL, or why it cannot (answered as 500/503)."""
    timeout = max(0.05, min(30.0, (integration.timeout_in_millis or 30000) / 1000))
    tls = integration.tls_config or {}
    result: dict[str, Any] = {
        "timeout": timeout,
        "sni": tls.get("serverNameToVerify") or tls.get("ServerNameToVerify"),
        "parameters": integration.request_parameters or {},
        "backend": backend,
        "uri": integration.integration_uri,
        "connection": integration.connection_type or "INTERNET",
        "link": integration.connection_id,
    }
    return result


def domain_server(
    domain: Any, backend: Any, account: str, region: str, servers: list[dict[str, Any]]
) -> dict[str, Any] | None:
    mappings = [
        m
        for m in getattr(backend, "api_mappings", {}).values()
        if getattr(m, "domain_name", None) == domain.domain_name
    ]
    mapping = next((m for m in mappings if not getattr(m, "api_mapping_key", "")), None)
    if mapping is None:
        return None
    api_server = next((s for s in servers if s["key"] == mapping.api_id), None)
    if api_server is None:
        return None
    configs = getattr(domain, "domain_name_configurations", None) or [{}]
    arn = configs[0].get("CertificateArn") or configs[0].get("certificateArn")
    return dict(
        api_server,
        # Its own copies: each server's integrations are resolved on their own.
        routes=[dict(r, upstream=dict(r["upstream"])) if "upstream" in r else dict(r) for r in api_server["routes"]],
        key=domain.domain_name,
        names=[domain.domain_name],
        disabled=False,
        cert=_certificate_pem(account, region, arn),
        api=mapping.api_id,
    )


def lua_api(server: dict[str, Any]) -> str:
    def s(value: Any) -> str:
        return "nil" if value is None else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    routes = ", ".join(
        f"{{ key = {s(r['key'])}, method = {s(r['method'])}, regex = {s(r['regex'])}, auth = {s(r['auth'])},"
        f" integration = {s(r['integration'] if 'upstream' in r else None)} }}"
        for r in server["routes"]
    )
    prefix = "" if server["stage"] == "$default" else "/" + server["stage"]
    # What execute-api:Invoke is authorised on (sigv4.authorization): the API's ARN and stage.
    api_id = server.get("api", server["key"])
    resource = f"arn:aws:execute-api:{server['region']}:{server['account']}:{api_id}/{server['stage']}"
    return (
        f"  [{s(server['key'])}] = {{ region = {s(server['region'])}, disabled = {str(server['disabled']).lower()},"
        f" stage_prefix = {s(prefix)}, resource = {s(resource)}, routes = {{ {routes} }} }},"
    )


def integration_lines(name: str, upstream: dict[str, Any]) -> list[str]:
    lines = [f"    location @i_{name} {{"]
    target = upstream.get("target")
    if target is None:
        lines += [f"      return {upstream.get('status', 503)};", "    }"]
        return lines
    seconds = f"{upstream['timeout']:g}s"
    lines += [
        f"      proxy_pass {target};",
        '      proxy_set_header Connection "";',
        "      proxy_set_header Host $http_host;",
        "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
        "      proxy_set_header X-Forwarded-Proto https;",
        "      proxy_set_header X-Forwarded-Port 443;",
        "      proxy_set_header X-Amzn-Trace-Id Root=$request_id;",
        f"      proxy_connect_timeout {min(upstream['timeout'], 10):g}s;",
        f"      proxy_send_timeout {seconds};",
        f"      proxy_read_timeout {seconds};",
        "      proxy_buffering on;",
        '      header_filter_by_lua_block { require("gateway").header_filter() }',
        '      body_filter_by_lua_block { return require("gateway").body_filter() }',
    ]
    if target.startswith("https://"):
        lines += ["      proxy_ssl_server_name on;"]
        if upstream.get("sni"):
            lines += [f"      proxy_ssl_name {upstream['sni']};", "      proxy_ssl_verify on;"]
    for key, value in sorted(upstream["parameters"].items()):
        action, _dot, header = key.partition(":header.")
        if action == "overwrite" and header and "$" not in value:
            lines.append(f'      proxy_set_header {header} "{value}";')
        elif action == "remove" and header:
            lines.append(f'      proxy_set_header {header} "";')
    lines.append("    }")
    return lines


def resolve(servers: list[dict[str, Any]], alb: AlbPlane) -> None:
    """Each integration's loopback target: a VPC link to a local load balancer's listener, or a URL."""
    for server in servers:
        for route in server["routes"]:
            upstream = route.get("upstream")
            if upstream is None:
                continue
            backend = upstream.pop("backend")
            if upstream["connection"] == "VPC_LINK":
                link = backend.vpc_links.get(upstream["link"])
                if link is None or vpc_link_status(link)[0] != "AVAILABLE":
                    upstream["status"] = 503
                    continue
                listener = alb.listeners.get(upstream["uri"] or "")
                address = alb.addresses.get(listener[2]) if listener else None
                if listener is None or address is None:
                    upstream["status"] = 503
                    continue
                scheme = "https" if listener[0] == "HTTPS" else "http"
                upstream["target"] = f"{scheme}://{address}:{listener[1]}"
            else:
                parts = urlsplit(upstream["uri"] or "")
                try:
                    loopback = parts.hostname == "localhost" or ipaddress.ip_address(parts.hostname or "").is_loopback
                except ValueError:
                    loopback = False
                if parts.scheme not in ("http", "https") or not loopback:
                    LOG.warning("integration %s not served: only loopback URLs are reached locally", upstream["uri"])
                    upstream["status"] = 500
                    continue
                upstream["target"] = f"{parts.scheme}://{parts.netloc}"
