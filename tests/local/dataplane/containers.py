"""Containers of the local data plane: one Docker container per task, on the host network.

Shared by every local service that runs an image (the App Runner emulator, ECS services, ECS Express and
Elastic Beanstalk through ECS, SageMaker endpoints with their model data mounted read-only: ``mounts``). Each
container gets its own loopback address in ``LISTEN_ADDRESS`` (containers share the host's network stack, as the
harness's Docker engine has no bridge), the local AWS endpoint and dummy credentials in place of an IAM role, and
its secrets resolved from the local Secrets Manager or SSM at start (as ECS and App Runner resolve them), handed to
Docker in a private env file that is removed once the container runs.
"""

from __future__ import annotations

import ipaddress
import json
import shlex
import shutil
import socket
import subprocess
import tempfile
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import boto3

LABEL = "mlops.local-dataplane"


class ContainerError(Exception):
    """The container could not be started (image missing, secret unreadable, docker refused)."""


def docker_available() -> bool:
    if shutil.which("docker") is None:
        return False
    return subprocess.run(["docker", "info"], capture_output=True, check=False).returncode == 0


def resolve_secret(reference: str, region: str, client: Callable = boto3.client) -> str:
    """The value behind a Secrets Manager or SSM ARN, read in the ARN's own region.

    ECS's ``valueFrom`` may pick one JSON key of a secret: ``<secret-arn>:<json-key>:<stage>:<version>``.
    """
    parts = reference.split(":")
    if not reference.startswith("arn:") or len(parts) < 6:
        raise ContainerError(f"secret reference {reference!r} is not a Secrets Manager or SSM parameter ARN")
    service, region = parts[2], parts[3] or region
    if service == "secretsmanager":
        secret_arn, json_key = ":".join(parts[:7]), parts[7] if len(parts) > 7 else ""
        value = client("secretsmanager", region_name=region).get_secret_value(SecretId=secret_arn)["SecretString"]
        if json_key:
            try:
                return str(json.loads(value)[json_key])
            except (ValueError, KeyError) as exc:
                raise ContainerError(f"secret {secret_arn} has no JSON key {json_key!r}") from exc
        return value
    if service == "ssm":
        name = reference.split(":parameter", 1)[1]
        return client("ssm", region_name=region).get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    raise ContainerError(f"secret reference {reference!r} is neither a Secrets Manager nor an SSM parameter ARN")


@dataclass
class ContainerSpec:
    """What one container runs with. ``secrets`` maps variable names to ARNs, resolved at start."""

    name: str
    image: str
    address: str
    region: str
    environment: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    entry_point: list[str] = field(default_factory=list)
    health: dict | None = None  # ECS healthCheck shape: command, interval, timeout, retries, startPeriod
    labels: dict[str, str] = field(default_factory=dict)
    aws_environment: dict[str, str] = field(default_factory=dict)
    mounts: dict[str, str] = field(default_factory=dict)  # host path -> container path, read-only


def health_args(health: dict | None) -> list[str]:
    """docker run flags for an ECS container health check (["CMD", ...] or ["CMD-SHELL", "..."])."""
    if not health or not health.get("command"):
        return []
    kind, *rest = health["command"]
    cmd = rest[0] if kind == "CMD-SHELL" else shlex.join(rest)
    return [
        "--health-cmd",
        cmd,
        "--health-interval",
        f"{health.get('interval', 30)}s",
        "--health-timeout",
        f"{health.get('timeout', 5)}s",
        "--health-retries",
        str(health.get("retries", 3)),
        "--health-start-period",
        f"{health.get('startPeriod', 0)}s",
    ]


def run(spec: ContainerSpec, resolve: Callable[[str, str], str] = resolve_secret) -> None:
    """Start SPEC detached (an old container of the same name is removed first)."""
    remove(spec.name)
    env = dict(spec.aws_environment)
    env.update(spec.environment)
    try:
        for key, reference in spec.secrets.items():
            env[key] = resolve(reference, spec.region)
    except Exception as exc:
        raise ContainerError(f"ResourceInitializationError: unable to retrieve secrets: {exc}") from exc
    env["LISTEN_ADDRESS"] = spec.address
    args = ["docker", "run", "--detach", "--name", spec.name, "--network", "host", "--stop-timeout", "30"]
    for key, value in {LABEL: "1", **spec.labels}.items():
        args += ["--label", f"{key}={value}"]
    args += health_args(spec.health)
    for host, target in spec.mounts.items():
        args += ["--volume", f"{host}:{target}:ro"]
    if spec.entry_point:
        args += ["--entrypoint", spec.entry_point[0]]
    with tempfile.TemporaryDirectory(prefix="dataplane-env-") as tmp:
        env_file = Path(tmp, "env")
        env_file.touch(mode=0o600)
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items() if "\n" not in str(v)))
        args += ["--env-file", str(env_file), spec.image, *spec.entry_point[1:], *spec.command]
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = result.stderr.strip()
        if "No such image" in reason or "Unable to find image" in reason or "pull access denied" in reason:
            reason = f"CannotPullContainerError: {spec.image}: not found"
        raise ContainerError(reason)


def _inspect(name: str, template: str) -> str:
    result = subprocess.run(["docker", "inspect", "-f", template, name], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else ""


def state(name: str) -> dict:
    """{"running": bool, "exit_code": int|None, "health": "healthy"|"unhealthy"|"starting"|""}; {} when gone."""
    out = _inspect(name, "{{.State.Running}} {{.State.ExitCode}} {{if .State.Health}}{{.State.Health.Status}}{{end}}")
    if not out:
        return {}
    running, code, *health = out.split()
    return {"running": running == "true", "exit_code": int(code), "health": health[0] if health else ""}


def running(name: str) -> bool:
    return _inspect(name, "{{.State.Running}}") == "true"


def logs(name: str, tail: int = 20, since: str = "") -> str:
    args = ["docker", "logs", "--tail", str(tail)] if not since else ["docker", "logs", "--since", since]
    result = subprocess.run([*args, name], capture_output=True, text=True, check=False)
    return (result.stdout + result.stderr).strip()


def log_lines(name: str, since: str = "") -> list[tuple[str, str]]:
    """The container's stdout and stderr lines as (RFC 3339 timestamp, line), from SINCE (a timestamp) on."""
    args = ["docker", "logs", "--timestamps", *(["--since", since] if since else []), name]
    result = subprocess.run(args, capture_output=True, text=True, check=False)
    lines = []
    for line in (result.stdout + result.stderr).splitlines():
        stamp, _space, text = line.partition(" ")
        if stamp[:1].isdigit():
            lines.append((stamp, text))
    return sorted(lines)


def stop(name: str, timeout: int = 30) -> None:
    subprocess.run(["docker", "stop", "-t", str(timeout), name], capture_output=True, check=False)


def remove(name: str) -> None:
    subprocess.run(["docker", "rm", "--force", name], capture_output=True, check=False)


def remove_labelled(label: str, value: str = "") -> None:
    selector = f"label={label}={value}" if value else f"label={label}"
    ids = subprocess.run(
        ["docker", "ps", "-aq", "--filter", selector], capture_output=True, text=True, check=False
    ).stdout.split()
    if ids:
        subprocess.run(["docker", "rm", "--force", *ids], capture_output=True, check=False)


def probe(address: str, port: int | str, path: str = "/", protocol: str = "HTTP", matcher: str = "200-399") -> bool:
    """One health probe as a load balancer makes it: HTTP status within MATCHER, or a TCP connect."""
    try:
        if protocol.upper() in ("HTTP", "HTTPS"):
            with urllib.request.urlopen(f"http://{address}:{port}{path}", timeout=5) as response:
                return status_matches(response.status, matcher)
        with socket.create_connection((address, int(port)), timeout=5):
            return True
    except urllib.error.HTTPError as exc:
        return status_matches(exc.code, matcher)
    except (OSError, urllib.error.URLError, ValueError):
        return False


def status_matches(status: int, matcher: str) -> bool:
    """ELB matcher syntax: "200", "200,302", "200-299"."""
    for part in str(matcher).split(","):
        low, _dash, high = part.strip().partition("-")
        if low and int(low) <= status <= int(high or low):
            return True
    return False


class AddressPool:
    """Loopback addresses handed out to containers or load balancers (each binds its own)."""

    def __init__(self, spec: str) -> None:
        first, _dash, last = spec.partition("-")
        start, end = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last or first)
        if not (start.is_loopback and end.is_loopback):
            raise ValueError(f"addresses must be loopback addresses, got {spec}")
        self.free = [str(ipaddress.IPv4Address(n)) for n in range(int(start), int(end) + 1)]
        self.used: dict[str, str] = {}

    def take(self, owner: str) -> str:
        for address, holder in self.used.items():
            if holder == owner:
                return address
        if not self.free:
            raise ContainerError("the local data plane has no free loopback address left")
        address = self.free.pop(0)
        self.used[address] = owner
        return address

    def give_back(self, owner: str) -> None:
        for address in [a for a, holder in self.used.items() if holder == owner]:
            del self.used[address]
            self.free.append(address)

    def owned(self) -> Iterable[tuple[str, str]]:
        return self.used.items()
