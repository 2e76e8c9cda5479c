"""API Gateway HTTP APIs made real: one nginx (Debian's, with its Lua module) configured from moto's
API Gateway v2 state.

Each HTTP API gets a loopback address and its endpoint's name (``<api id>.execute-api.<region>.
amazonaws.com``) resolves to it through the data plane's /etc/hosts block; a custom domain name with
an API mapping gets an address of its own. nginx serves HTTPS on 443 with a certificate from the
local CA (``tests/local/acm_cert.py``; a custom domain uses its ACM certificate), selects routes as
HTTP APIs do (``gateway.lua``), checks SigV4 on ``AWS_IAM`` routes (``sigv4.py``), and proxies to
the integration: through a VPC link to a local load balancer's listener (``alb.py``), or to an
``INTERNET`` URL on loopback. API Gateway's limits apply: a request body over 10 MB gets 413 before
it reaches the integration, a response over 10 MB is refused (413) or cut, an integration that has
not answered within its timeout (at most 30 s) gets 504, and the stage's throttling answers 429.
The configuration is regenerated when the state changes, checked with ``nginx -t`` and loaded with
``SIGHUP`` (running requests finish in the old workers).
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import re
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.logs.models import logs_backends

from .. import acm_cert
from ..moto_calls import vpc_link_status
from . import containers
from .alb import AlbPlane, _certificate_pem
from .moto_patches import LOCK
from .nginx import MODULES, Nginx

LOG = logging.getLogger("dataplane.gateway")
HERE = Path(__file__).resolve().parent
MAX_REQUEST = "10m"
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


class GatewayPlane:
    def __init__(self, state_dir: Path, pool: containers.AddressPool, alb: AlbPlane, auth_socket: Path) -> None:
        self.dir = state_dir / "nginx"
        for sub in ("tmp", "logs", "certs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        self.nginx = Nginx(self.dir, "API Gateway nginx", LOG)
        self.config = self.nginx.config
        self.pool = pool
        self.alb = alb
        self.auth_socket = auth_socket
        self.last_text = ""
        self.addresses: dict[str, str] = {}  # API ID or domain name -> loopback address
        self.names: dict[str, str] = {}  # DNS name -> loopback address (plane.py writes /etc/hosts)
        self.log_offsets: dict[Path, int] = {}
        self.log_targets: dict[Path, tuple[str, str, str, str]] = {}  # file -> account, region, group, stream

    # ------------------------------------------------------------ model (under LOCK)
    def _model(self) -> list[dict[str, Any]]:
        servers = []
        for account, regions in list(apigatewayv2_backends.items()):
            for region, backend in list(regions.items()):
                for api in list(backend.apis.values()):
                    if api.protocol_type != "HTTP":
                        continue
                    stages = sorted(api.stages.values(), key=lambda s: s.name != "$default")
                    for stage in stages[:1]:
                        servers.append(
                            {
                                "key": api.api_id,
                                "names": [urlsplit(api.api_endpoint).hostname],
                                "region": region,
                                "account": account,
                                "disabled": bool(api.disable_execute_api_endpoint),
                                "stage": stage.name,
                                "routes": _routes(api, backend, stage),
                                "throttle": _throttle(stage.default_route_settings or {}),
                                "access_log": _access_log(stage.access_log_settings),
                                "cert": None,
                            }
                        )
                for domain in list(getattr(backend, "domain_names", {}).values()):
                    server = _domain_server(domain, backend, account, region, servers)
                    if server is not None:
                        servers.append(server)
        return servers

    # ------------------------------------------------------------ the loop
    def step(self) -> None:
        with LOCK:
            servers = self._model()
            resolve(servers, self.alb)
        live = {s["key"] for s in servers}
        for key in [k for k in self.addresses if k not in live]:
            self.pool.give_back(key)
            del self.addresses[key]
        for server in servers:
            self.addresses[server["key"]] = self.pool.take(server["key"])
        self.names = {name: self.addresses[s["key"]] for s in servers for name in s["names"]}
        self._ship_logs()
        if not servers:
            self.stop()
            self.last_text = ""
            return
        conf, lua = self.render(servers)
        if conf + lua == self.last_text and self.nginx.running():
            return
        (self.dir / "gateway_routes.lua").write_text(lua)
        self.nginx.apply(conf)
        self.last_text = conf + lua

    @property
    def process(self) -> subprocess.Popen | None:
        """The nginx started last (its master process); None once stopped."""
        return self.nginx.process

    def stop(self) -> None:
        self.nginx.stop()

    def close(self) -> None:
        self.stop()
        self.names = {}

    # ------------------------------------------------------------ configuration
    def _certificate(self, server: dict[str, Any]) -> tuple[Path, Path] | None:
        if server["cert"] is not None:  # a custom domain: its ACM certificate
            pem = server["cert"]
            if not pem:
                return None
            path = self.dir / "certs" / (hashlib.sha256(pem).hexdigest()[:16] + ".pem")
        else:  # the execute-api endpoint: AWS's certificate, here the local CA's
            wildcard = f"*.execute-api.{server['region']}.amazonaws.com"
            path = self.dir / "certs" / f"execute-api.{server['region']}.pem"
            if not path.exists():
                cert, key, chain = acm_cert.issue([wildcard])
                pem = cert + chain + key
            else:
                pem = b""
        if pem and not path.exists():
            path.touch(mode=0o600)
            path.write_bytes(pem)
        return path, path

    def _trust(self) -> Path:
        """What the gateway trusts of an integration's certificate: the system's CAs and the local CA."""
        path = self.dir / "certs" / "trust.pem"
        if not path.exists():
            system = Path(ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt")
            local = acm_cert.STATE / "ca.pem"
            path.write_bytes(system.read_bytes() + (local.read_bytes() if local.exists() else b""))
        return path

    def render(self, servers: list[dict[str, Any]]) -> tuple[str, str]:
        d = self.dir
        lines = [
            "# Generated by tests/local/dataplane/gateway.py from the local API Gateway v2 state. Do not edit.",
            f"load_module {MODULES / 'ndk_http_module.so'};",
            f"load_module {MODULES / 'ngx_http_lua_module.so'};",
            "user root;",
            "worker_processes 2;",
            f"pid {d / 'nginx.pid'};",
            f"error_log {d / 'logs' / 'error.log'} warn;",
            "events { worker_connections 1024; }",
            "http {",
            f'  lua_package_path "{HERE}/?.lua;{d}/?.lua;;";',
            f"  client_body_temp_path {d / 'tmp' / 'body'};",
            f"  proxy_temp_path {d / 'tmp' / 'proxy'};",
            f"  fastcgi_temp_path {d / 'tmp' / 'fastcgi'};",
            f"  uwsgi_temp_path {d / 'tmp' / 'uwsgi'};",
            f"  scgi_temp_path {d / 'tmp' / 'scgi'};",
            "  access_log off;",
            "  server_tokens off;",
            # API Gateway buffers a whole request (10 MB at most) before it calls the integration.
            f"  client_max_body_size {MAX_REQUEST};",
            f"  client_body_buffer_size {MAX_REQUEST};",
            "  proxy_request_buffering on;",
            "  proxy_http_version 1.1;",
            "  limit_req_status 429;",
            '  geo $gw_dollar { default "$"; }',  # a literal $ ($default) in a value
            f"  proxy_ssl_trusted_certificate {self._trust()};",
            "",
        ]
        lua = ["-- Generated by tests/local/dataplane/gateway.py. Do not edit.", "return {"]
        for server in sorted(servers, key=lambda s: s["key"]):
            ident, address = _ident(server["key"]), self.addresses[server["key"]]
            certificate = self._certificate(server)
            if certificate is None:
                LOG.warning("custom domain %s: its certificate is not in the local ACM", server["names"][0])
                continue
            throttle = server["throttle"]
            if throttle is not None and throttle[0] > 0:
                rate = f"{throttle[0]:g}r/s" if throttle[0] >= 1 else f"{max(1, round(throttle[0] * 60))}r/m"
                lines.append(f"  limit_req_zone $server_addr zone=gw_{ident}:1m rate={rate};")
            log_path = None
            if server["access_log"] is not None:
                group, fmt = server["access_log"]
                log_path = d / "logs" / f"access-{ident}.log"
                self.log_targets[log_path] = (server["account"], server["region"], group, _stream(server))
                lines.append(f"  log_format gw_{ident} escape=json '{_log_format(fmt)}';")
            lines += [
                "  server {",
                f"    listen {address}:443 ssl;",
                f"    server_name {' '.join(server['names'])};",
                f"    ssl_certificate {certificate[0]};",
                f"    ssl_certificate_key {certificate[1]};",
                f'    set $gw_api "{server["key"]}";',
                f'    set $gw_stage "{server["stage"].replace("$", "${gw_dollar}")}";',
                '    set $gw_route "";',
                '    set $gw_principal "";',
                f"    access_log {log_path} gw_{ident};" if log_path else "    access_log off;",
                "    error_page 413 = @gw_413;",
                "    error_page 429 = @gw_429;",
                "    error_page 502 503 = @gw_503;",
                "    error_page 504 = @gw_504;",
                "    location / {",
            ]
            if throttle is not None and throttle[0] > 0:
                lines.append(f"      limit_req zone=gw_{ident} burst={max(throttle[1], 1)} nodelay;")
            elif throttle is not None:
                lines.append("      return 429;")
            lines += [
                '      access_by_lua_block { require("gateway").access() }',
                "    }",
                "    location = /__sigv4 {",
                "      internal;",
                "      proxy_set_header Host $http_host;",
                f"      proxy_pass http://unix:{self.auth_socket}:/check;",
                "    }",
            ]
            for status, message in (
                (413, "Request Entity Too Large"),
                (429, "Too Many Requests"),
                (503, "Service Unavailable"),
                (504, "Gateway Timeout"),
            ):
                lines += [
                    f"    location @gw_{status} {{",
                    "      default_type application/json;",
                    f'      return {status} \'{{"message":"{message}"}}\';',
                    "    }",
                ]
            for route in server["routes"]:
                upstream = route.get("upstream")
                if upstream is None:
                    continue
                lines += _integration_lines(route["integration"], upstream)
            lines += ["  }", ""]
            lua.append(_lua_api(server))
        lines.append("}")
        lua.append("}")
        return "\n".join(lines) + "\n", "\n".join(lua) + "\n"

    # ------------------------------------------------------------ access logs
    def _ship_logs(self) -> None:
        """New access log lines go to the stage's CloudWatch Logs group (in the local Logs)."""
        for path, (account, region, group, stream) in list(self.log_targets.items()):
            if not path.exists():
                continue
            offset = self.log_offsets.get(path, 0)
            with open(path, "rb") as handle:
                handle.seek(offset)
                data = handle.read()
            complete = data[: data.rfind(b"\n") + 1]
            if not complete:
                continue
            self.log_offsets[path] = offset + len(complete)
            lines = [line for line in complete.decode(errors="replace").splitlines() if line]
            try:
                backend = logs_backends[account][region]
                if group not in backend.groups:
                    continue
                if stream not in backend.groups[group].streams:
                    backend.create_log_stream(group, stream)
                now = int(time.time() * 1000)
                backend.put_log_events(group, stream, [{"timestamp": now, "message": line} for line in lines])
            except Exception:
                LOG.exception("access log lines for %s not shipped", group)


def _ident(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:10]


def _stream(server: dict[str, Any]) -> str:
    return f"{server['key']}_{server['stage']}"


def _throttle(settings: dict[str, Any]) -> tuple[float, int] | None:
    rate = settings.get("throttlingRateLimit", settings.get("ThrottlingRateLimit"))
    burst = settings.get("throttlingBurstLimit", settings.get("ThrottlingBurstLimit"))
    if rate is None and burst is None:
        return None
    return float(rate if rate is not None else 10000), int(burst if burst is not None else 5000)


def _access_log(settings: dict[str, Any] | None) -> tuple[str, str] | None:
    if not settings:
        return None
    arn = settings.get("destinationArn") or settings.get("DestinationArn") or ""
    fmt = settings.get("format") or settings.get("Format") or "$context.requestId"
    group = arn.split(":log-group:", 1)[-1].removesuffix(":*") if ":log-group:" in arn else ""
    return (group, fmt) if group else None


def _log_format(fmt: str) -> str:
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


def _routes(api: Any, backend: Any, stage: Any) -> list[dict[str, Any]]:
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


def _domain_server(
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
        key=domain.domain_name,
        names=[domain.domain_name],
        disabled=False,
        cert=_certificate_pem(account, region, arn),
        api=mapping.api_id,
    )


def _lua_api(server: dict[str, Any]) -> str:
    def s(value: Any) -> str:
        return "nil" if value is None else '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'

    routes = ", ".join(
        f"{{ key = {s(r['key'])}, method = {s(r['method'])}, regex = {s(r['regex'])}, auth = {s(r['auth'])},"
        f" integration = {s(r['integration'] if 'upstream' in r else None)} }}"
        for r in server["routes"]
    )
    prefix = "" if server["stage"] == "$default" else "/" + server["stage"]
    return (
        f"  [{s(server['key'])}] = {{ region = {s(server['region'])}, disabled = {str(server['disabled']).lower()},"
        f" stage_prefix = {s(prefix)}, routes = {{ {routes} }} }},"
    )


def _integration_lines(name: str, upstream: dict[str, Any]) -> list[str]:
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
