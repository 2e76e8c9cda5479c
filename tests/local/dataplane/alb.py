"""Application Load Balancers made real: one HAProxy (Debian's) configured from moto's ELBv2 state.

Each load balancer gets a loopback address and its DNS name resolves to it through a managed block
in /etc/hosts (so every client, Ansible's included, reaches it by the name ELBv2 returns). Each
listener is an HAProxy frontend on that address and port: HTTPS terminates with the listener's ACM
certificate (its key read from the local ACM). The listener's rules come first, in priority order
(host-header with ``*``/``?`` wildcards, case-insensitive and port ignored; path-pattern;
http-request-method), then its default action; an action forwards to a target group, redirects or
answers a fixed response. A rule with another condition (http-header, query-string, source-ip) is
left out, with a warning. Each target group is a backend with its health check (path,
matcher, interval, healthy/unhealthy thresholds, probed by the data plane, which lists only healthy
targets); a target is the ECS task's ENI address, which the
data plane maps to the loopback address the task's containers listen on. Idle timeouts follow the
load balancer's ``idle_timeout.timeout_seconds`` (AWS's default 60 s); nothing retries a failed
request on another target (an ALB answers 502/503). The configuration is regenerated when the state
changes, checked with ``haproxy -c`` and loaded with a hitless reload (master-worker, SIGUSR2).
"""

from __future__ import annotations

import ctypes
import hashlib
import logging
import os
import re
import signal
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moto.acm.models import acm_backends
from moto.elbv2.models import elbv2_backends

from . import containers
from .moto_patches import LOCK, TARGET_HEALTH

LOG = logging.getLogger("dataplane.alb")


def _pdeathsig() -> None:
    """HAProxy goes when the moto server that started it goes."""
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)


class AlbPlane:
    def __init__(
        self,
        state_dir: Path,
        pool: containers.AddressPool,
        ip_map: Callable[[], dict[str, str]],
    ) -> None:
        self.dir = state_dir / "haproxy"
        self.dir.mkdir(parents=True, exist_ok=True)
        self.config = self.dir / "haproxy.cfg"
        self.pool = pool
        self.ip_map = ip_map
        self.process: subprocess.Popen | None = None
        self.last_text = ""
        self.addresses: dict[str, str] = {}  # load balancer ARN -> loopback address
        self.names: dict[str, str] = {}  # DNS name -> loopback address (plane.py writes /etc/hosts)
        # listener ARN -> (protocol, port, load balancer ARN), for API Gateway's VPC links
        self.listeners: dict[str, tuple[str, int, str]] = {}

    # ------------------------------------------------------------ model (under LOCK)
    def _model(self) -> tuple[list[dict[str, Any]], dict[str, bytes]]:
        balancers, certs = [], {}
        for account, regions in list(elbv2_backends.items()):
            for region, backend in list(regions.items()):
                for lb in list(backend.load_balancers.values()):
                    if lb.type != "application":
                        continue
                    listeners = []
                    for listener in lb.listeners.values():
                        pems = []
                        for cert in listener.certificates or []:
                            arn = cert.get("CertificateArn") if isinstance(cert, dict) else cert
                            pem = _certificate_pem(account, region, arn)
                            if pem:
                                name = hashlib.sha256(pem).hexdigest()[:16] + ".pem"
                                certs[name] = pem
                                pems.append(name)
                        listeners.append(
                            {
                                "arn": listener.arn,
                                "port": int(listener.port),
                                "protocol": listener.protocol,
                                "certs": pems,
                                "action": _terminal(listener.default_actions),
                                "rules": _rules(listener),
                            }
                        )
                    groups = {}
                    for listener in listeners:
                        actions = [listener["action"], *(r["action"] for r in listener["rules"])]
                        for arn in [a for action in actions for a in _forward_groups(action)]:
                            group = backend.target_groups.get(arn)
                            if group is not None:
                                groups[arn] = _group(group)
                    balancers.append(
                        {
                            "arn": lb.arn,
                            "dns": lb.dns_name,
                            "idle": int(lb.attrs.get("idle_timeout.timeout_seconds", 60) or 60),
                            "listeners": listeners,
                            "groups": groups,
                        }
                    )
        return balancers, certs

    # ------------------------------------------------------------ the loop
    def step(self) -> None:
        with LOCK:
            balancers, certs = self._model()
        live = {b["arn"] for b in balancers}
        for arn in [a for a in self.addresses if a not in live]:
            self.pool.give_back(arn)
            del self.addresses[arn]
        for balancer in balancers:
            self.addresses[balancer["arn"]] = self.pool.take(balancer["arn"])
        self.names = {b["dns"]: self.addresses[b["arn"]] for b in balancers}
        self.listeners = {
            listener["arn"]: (listener["protocol"], listener["port"], b["arn"])
            for b in balancers
            for listener in b["listeners"]
        }
        if not any(b["listeners"] for b in balancers):
            self.stop()
            self.last_text = ""
            return
        for name, pem in certs.items():
            path = self.dir / name
            if not path.exists():
                path.touch(mode=0o600)
                path.write_bytes(pem)
        text = self.render(balancers, self.ip_map())
        if text == self.last_text and self.process is not None and self.process.poll() is None:
            return
        candidate = self.dir / "haproxy.cfg.new"
        candidate.write_text(text)
        check = subprocess.run(
            ["haproxy", "-c", "-q", "-f", str(candidate)], capture_output=True, text=True, check=False
        )
        if check.returncode != 0:
            LOG.error("generated HAProxy configuration refused, keeping the last one: %s", check.stderr.strip())
            self.last_text = text
            return
        candidate.replace(self.config)
        self.last_text = text
        if self.process is None or self.process.poll() is not None:
            self.process = subprocess.Popen(
                ["haproxy", "-W", "-db", "-f", str(self.config)],
                stdout=open(self.dir / "haproxy.log", "ab"),  # noqa: SIM115 - the child keeps it
                stderr=subprocess.STDOUT,
                preexec_fn=_pdeathsig,  # noqa: PLW1509 - single-threaded at exec time
            )
            LOG.info("HAProxy started (pid %s)", self.process.pid)
        else:
            os.kill(self.process.pid, signal.SIGUSR2)
            LOG.info("HAProxy reloaded")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None

    def close(self) -> None:
        self.stop()
        self.names = {}

    # ------------------------------------------------------------ configuration
    def render(self, balancers: list[dict[str, Any]], ip_map: dict[str, str]) -> str:
        lines = [
            "# Generated by tests/local/dataplane/alb.py from the local ELBv2 state. Do not edit.",
            "global",
            "  maxconn 4096",
            f"  stats socket {self.dir / 'admin.sock'} mode 600 level admin",
            "defaults",
            "  mode http",
            "  option forwardfor",
            "  option dontlognull",
            "  timeout connect 5s",
            "  timeout http-request 60s",
            "  retries 0",
            "",
        ]
        for balancer in sorted(balancers, key=lambda b: b["arn"]):
            address, lb_id = self.addresses[balancer["arn"]], _ident(balancer["arn"])
            for listener in balancer["listeners"]:
                bind = f"  bind {address}:{listener['port']}"
                if listener["protocol"] == "HTTPS":
                    if not listener["certs"]:
                        continue
                    bind += " ssl " + " ".join(f"crt {self.dir / c}" for c in listener["certs"])
                lines += [f"frontend lb_{lb_id}_{listener['port']}", bind]
                lines += [f"  timeout client {balancer['idle']}s"]
                lines += [
                    "  http-request set-header X-Forwarded-Proto " + listener["protocol"].lower(),
                    f"  http-request set-header X-Forwarded-Port {listener['port']}",
                ]
                lines += _listener_lines(listener, lb_id)
                lines.append("")
            for arn, group in sorted(balancer["groups"].items()):
                lines += [f"backend tg_{lb_id}_{_ident(arn)}", "  balance roundrobin"]
                lines += [f"  timeout server {balancer['idle']}s"]
                # Like an ALB: only healthy targets get requests (a new one once its first check passed),
                # and all of them when none is healthy (fail open). The data plane's probes follow the
                # target group's health check; HAProxy does not check again (its own rise count would
                # hold a target back after the target group found it healthy).
                healthy = [t for t in group["targets"] if t[2] == "healthy"]
                for index, (target_id, port, _state) in enumerate(healthy or group["targets"]):
                    loopback = ip_map.get(target_id)
                    if loopback is None:  # never send traffic to an address outside 127.0.0.0/8
                        continue
                    lines.append(f"  server t{index} {loopback}:{port}")
                lines.append("")
        return "\n".join(lines) + "\n"


def _ident(arn: str) -> str:
    return hashlib.sha256(arn.encode()).hexdigest()[:10]


def _forward_groups(action: dict[str, Any]) -> list[str]:
    if action.get("Type") != "forward":
        return []
    if action.get("TargetGroupArn"):
        return [action["TargetGroupArn"]]
    return [g["TargetGroupArn"] for g in action.get("ForwardConfig", {}).get("TargetGroups", [])][:1]


def _group(group: Any) -> dict[str, Any]:
    return {
        "protocol": (group.health_check_protocol or group.protocol or "HTTP").upper(),
        "path": group.health_check_path or "/",
        "matcher": (getattr(group, "matcher", None) or {}).get("HttpCode", "200"),
        "interval": int(group.health_check_interval_seconds or 30),
        "healthy": int(group.healthy_threshold_count or 5),
        "unhealthy": int(group.unhealthy_threshold_count or 2),
        "enabled": bool(group.health_check_enabled),
        "targets": [(t["Id"], t["Port"], _state(group.arn, t["Id"])) for t in group.targets.values()],
    }


def _state(group_arn: str, target_id: str) -> str:
    """The data plane's health of a target ("healthy" for one it does not probe: registered by hand)."""
    return TARGET_HEALTH.get((group_arn, target_id), ("healthy",))[0]


def _terminal(actions: list[Any]) -> dict[str, Any]:
    """The action that answers (forward, redirect, fixed-response) among a rule's ordered actions."""
    data = sorted((a.data for a in actions), key=lambda a: int(a.get("Order", 0) or 0))
    answering = [a for a in data if a.get("Type") in ("forward", "redirect", "fixed-response")]
    return (answering or data or [{}])[0]


_UNSUPPORTED_LOGGED: set[str] = set()


def _rules(listener: Any) -> list[dict[str, Any]]:
    """The listener's rules (not the default one) in priority order, with conditions HAProxy can test."""
    rules = []
    for rule in list(listener.rules.values()):
        if getattr(rule, "is_default", False) or not str(rule.priority).isdigit():
            continue
        conditions = []
        for condition in rule.conditions or []:
            field = condition.get("Field", "")
            config = condition.get(_CONFIG_KEYS.get(field, ""), {}) or {}
            values = list(config.get("Values") or condition.get("Values") or [])
            conditions.append({"field": field, "values": values})
        unsupported = [c["field"] for c in conditions if c["field"] not in _CONFIG_KEYS or not c["values"]]
        if unsupported:
            if rule.arn not in _UNSUPPORTED_LOGGED:
                _UNSUPPORTED_LOGGED.add(rule.arn)
                LOG.warning("listener rule %s left out: conditions %s are not served locally", rule.arn, unsupported)
            continue
        rules.append({"priority": int(rule.priority), "conditions": conditions, "action": _terminal(rule.actions)})
    return sorted(rules, key=lambda r: r["priority"])


_CONFIG_KEYS = {
    "host-header": "HostHeaderConfig",
    "path-pattern": "PathPatternConfig",
    "http-request-method": "HttpRequestMethodConfig",
}


def _wildcard(value: str) -> str:
    """An ALB condition value (``*`` any characters, ``?`` one) as an anchored regular expression, written
    without backslashes or spaces (HAProxy reads its configuration word by word)."""
    parts = []
    for char in value:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        elif char.isalnum() or char in "-_/:@~%=,;":
            parts.append(char)
        elif char in "^]\\ \"'#":
            parts.append(".")  # not a host or path character: any character stands for it
        else:
            parts.append(f"[{char}]")
    return "^" + "".join(parts) + "$"


def _acl(name: str, condition: dict[str, Any]) -> str:
    values = condition["values"]
    if condition["field"] == "host-header":  # case-insensitive, the port left out
        patterns = " ".join(_wildcard(v.lower()) for v in values)
        return f"  acl {name} req.hdr(host),field(1,:),lower -m reg {patterns}"
    if condition["field"] == "path-pattern":  # case-sensitive, the path without the query
        return f"  acl {name} path -m reg {' '.join(_wildcard(v) for v in values)}"
    methods = " ".join(re.sub(r"[^A-Za-z_-]", "", v).upper() for v in values)
    return f"  acl {name} method {methods}"


def _listener_lines(listener: dict[str, Any], lb_id: str) -> list[str]:
    """The rules, in priority order, then the default action. HAProxy runs every ``http-request`` line
    before any ``use_backend``, so a matching rule that forwards records itself in ``txn.route`` and
    the lines after it (redirects, fixed responses, other rules) do not apply."""
    rules = sorted(listener.get("rules") or [], key=lambda r: r["priority"])
    if not rules:
        return _action_lines(listener["action"], lb_id)
    lines, uses = [], []
    undecided = "!{ var(txn.route) -m found }"
    for index, rule in enumerate(rules):
        names = []
        for number, condition in enumerate(rule["conditions"]):
            names.append(f"r{index}_{number}")
            lines.append(_acl(names[-1], condition))
        guard = " ".join([undecided, *names])
        action = rule["action"]
        groups = _forward_groups(action)
        if action.get("Type") == "forward" and groups:
            lines.append(f"  http-request set-var(txn.route) str(r{index}) if {guard}")
            uses.append(f"  use_backend tg_{lb_id}_{_ident(groups[0])} if {{ var(txn.route) -m str r{index} }}")
        else:
            lines += [f"{line} if {guard}" for line in _action_lines(action, lb_id)]
    default = _action_lines(listener["action"], lb_id)
    if default[0].startswith("  default_backend"):
        return lines + uses + default
    return lines + [f"{line} if {undecided}" for line in default] + uses


def _action_lines(action: dict[str, Any], lb_id: str) -> list[str]:
    kind = action.get("Type")
    if kind == "forward":
        groups = _forward_groups(action)
        return [f"  default_backend tg_{lb_id}_{_ident(groups[0])}"] if groups else ["  http-request return status 503"]
    if kind == "redirect":
        config = action.get("RedirectConfig", {})
        scheme = config.get("Protocol", "#{protocol}").lower()
        scheme = "%[ssl_fc,iif(https,http)]" if scheme == "#{protocol}" else scheme
        port = config.get("Port", "#{port}")
        port_part = "" if port in ("#{port}",) or (scheme, port) in (("https", "443"), ("http", "80")) else f":{port}"
        host = config.get("Host", "#{host}")
        host = "%[req.hdr(host),regsub(:[0-9]+$,)]" if host == "#{host}" else host
        code = "301" if config.get("StatusCode", "HTTP_301") == "HTTP_301" else "302"
        return [f"  http-request redirect code {code} location {scheme}://{host}{port_part}%[capture.req.uri]"]
    if kind == "fixed-response":
        config = action.get("FixedResponseConfig", {})
        body = (config.get("MessageBody") or "").replace('"', "'").replace("\n", " ")
        status = f"  http-request return status {config.get('StatusCode', '503')}"
        if not body:  # HAProxy refuses an empty string
            return [status]
        return [f'{status} content-type "{config.get("ContentType", "text/plain")}" string "{body}"']
    return ["  http-request return status 503"]


def _certificate_pem(account: str, region: str, arn: str | None) -> bytes:
    if not arn or ":acm:" not in arn:
        return b""
    try:
        bundle = acm_backends[account][arn.split(":")[3]].get_certificate(arn)
    except Exception:
        LOG.warning("certificate %s not found in the local ACM", arn)
        return b""
    parts = [p.encode() if isinstance(p, str) else p for p in (bundle.cert, bundle.chain, bundle.key) if p]
    return b"\n".join(part.strip() for part in parts) + b"\n"
