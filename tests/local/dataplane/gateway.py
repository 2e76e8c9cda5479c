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
import logging
import ssl
import subprocess
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from moto.apigatewayv2.models import apigatewayv2_backends
from moto.logs.models import logs_backends

from .. import acm_cert
from . import containers
from .alb import AlbPlane
from .gateway_model import (
    access_log,
    domain_server,
    ident,
    integration_lines,
    log_format,
    lua_api,
    resolve,
    routes,
    stream_name,
    throttle,
)
from .moto_patches import LOCK
from .nginx import MODULES, Nginx

LOG = logging.getLogger("dataplane.gateway")
HERE = Path(__file__).resolve().parent
MAX_REQUEST = "10m"


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
                                "routes": routes(api, backend, stage),
                                "throttle": throttle(stage.default_route_settings or {}),
                                "access_log": access_log(stage.access_log_settings),
                                "cert": None,
                            }
                        )
                for domain in list(getattr(backend, "domain_names", {}).values()):
                    server = domain_server(domain, backend, account, region, servers)
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
            tag, address = ident(server["key"]), self.addresses[server["key"]]
            certificate = self._certificate(server)
            if certificate is None:
                LOG.warning("custom domain %s: its certificate is not in the local ACM", server["names"][0])
                continue
            throttle = server["throttle"]
            if throttle is not None and throttle[0] > 0:
                rate = f"{throttle[0]:g}r/s" if throttle[0] >= 1 else f"{max(1, round(throttle[0] * 60))}r/m"
                lines.append(f"  limit_req_zone $server_addr zone=gw_{tag}:1m rate={rate};")
            log_path = None
            if server["access_log"] is not None:
                group, fmt = server["access_log"]
                log_path = d / "logs" / f"access-{tag}.log"
                self.log_targets[log_path] = (server["account"], server["region"], group, stream_name(server))
                lines.append(f"  log_format gw_{tag} escape=json '{log_format(fmt)}';")
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
                f"    access_log {log_path} gw_{tag};" if log_path else "    access_log off;",
                "    error_page 413 = @gw_413;",
                "    error_page 429 = @gw_429;",
                "    error_page 502 503 = @gw_503;",
                "    error_page 504 = @gw_504;",
                "    location / {",
            ]
            if throttle is not None and throttle[0] > 0:
                lines.append(f"      limit_req zone=gw_{tag} burst={max(throttle[1], 1)} nodelay;")
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
                lines += integration_lines(route["integration"], upstream)
            lines += ["  }", ""]
            lua.append(lua_api(server))
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
