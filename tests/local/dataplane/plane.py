"""The data plane's loop, run on a thread of the project's moto server (tests/local/moto_server.py)."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import shutil
import threading
import time
from pathlib import Path

import boto3

from . import containers, express
from . import ecs as ecs_plane
from .alb import AlbPlane
from .beanstalk_plane import BeanstalkPlane
from .ecs import EcsPlane
from .gateway import GatewayPlane
from .hosts import HostsBlock
from .moto_patches import CALLS
from .sagemaker import SageMakerPlane
from .sigv4 import MOTO_PRINCIPAL, AuthService, Credential, chain, moto_credentials

LOG = logging.getLogger("dataplane")
# Tasks, load balancers, APIs and SageMaker endpoints' containers each bind their own loopback addresses (App Runner:
# 127.0.0.40-59, molecule hosts: 127.0.0.2-39, the unit tests: 127.0.9.x).
TASK_ADDRESSES = "127.0.2.1-127.0.2.254"
BALANCER_ADDRESSES = "127.0.3.1-127.0.3.254"
API_ADDRESSES = "127.0.4.1-127.0.4.254"
SAGEMAKER_ADDRESSES = "127.0.5.1-127.0.5.254"
# Those ranges, the /etc/hosts block and the labelled containers belong to the machine: one data plane at a time.
MACHINE_LOCK = Path("/run/lock/mlops-local-dataplane.lock")


class MachineTaken(Exception):
    """Another process runs a data plane on this machine."""


def claim_machine(state_dir: Path, lock: Path = MACHINE_LOCK):
    """Hold LOCK (an flock, released when the process ends) for the data plane of STATE_DIR; the file
    says who holds it. Raises MachineTaken, naming the holder, when another process does."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    handle = lock.open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise MachineTaken(
            f"another moto server runs the data plane on this machine ({holder}); its loopback ranges, "
            "/etc/hosts block and containers are the machine's. Stop it (tests/local/moto.sh stop with its "
            "LOCAL_STATE_DIR and MOTO_PORT) or start this one with LOCAL_DATAPLANE=off"
        ) from None
    handle.truncate(0)
    handle.write(f"pid {os.getpid()}, state {state_dir}\n")
    handle.flush()
    return handle


def _role_allows(role_arn: str, action: str, resource: str) -> bool:
    return ecs_plane.role_allows(role_arn.split(":")[4], role_arn, action, resource)


class DataPlane:
    def __init__(self, endpoint: str, state_dir: Path, interval: float = 1.0) -> None:
        self.endpoint = endpoint
        self.state_dir = state_dir
        self.interval = interval
        self.ecs = EcsPlane(endpoint, containers.AddressPool(TASK_ADDRESSES), self.resolve)
        self.alb = AlbPlane(state_dir, containers.AddressPool(BALANCER_ADDRESSES), lambda: dict(self.ecs.ip_map))
        # SigV4 of IAM-authorised API routes: the local credentials (testing/testing, what the tests
        # and moto use) and the access keys the local IAM and STS hand out.
        local = Credential("testing", MOTO_PRINCIPAL, session_token="testing")  # tests/local/moto.sh's
        lookup = chain(lambda key_id: local if key_id == "testing" else None, moto_credentials)
        socket = state_dir / "sigv4.sock"
        # execute-api:Invoke of assumed-role sessions, by their role's policies (as ECS's agent reads them).
        self.auth = AuthService(lookup, socket_path=str(socket), authorize=_role_allows)
        self.gateway = GatewayPlane(state_dir, containers.AddressPool(API_ADDRESSES), self.alb, socket)
        # Elastic Beanstalk environments: their instances are ECS tasks of this plane behind its ALBs.
        self.beanstalk = BeanstalkPlane(state_dir, self.ecs, self.alb.addresses)
        # SageMaker endpoints: each instance a serving container; InvokeEndpoint goes to one of them.
        self.sagemaker = SageMakerPlane(endpoint, state_dir, containers.AddressPool(SAGEMAKER_ADDRESSES))
        self.hosts = HostsBlock()
        self.stopping = threading.Event()

    @staticmethod
    def missing_tools() -> list[str]:
        missing = [tool for tool in ("docker", "haproxy", "nginx") if shutil.which(tool) is None]
        if "nginx" not in missing and not Path("/usr/lib/nginx/modules/ngx_http_lua_module.so").exists():
            missing.append("nginx's Lua module (libnginx-mod-http-lua)")
        if "docker" not in missing and not containers.docker_available():
            missing.append("a Docker engine that answers")
        return missing

    def resolve(self, reference: str, region: str) -> str:
        """Secrets are read as ECS's agent reads them: from Secrets Manager / SSM (the local ones)."""

        def client(service: str, region_name: str):
            return boto3.client(
                service,
                region_name=region_name,
                endpoint_url=self.endpoint,
                aws_access_key_id="testing",
                aws_secret_access_key="testing",
            )

        return containers.resolve_secret(reference, region, client)

    def run(self) -> None:
        self.ecs.stop_all()
        self.sagemaker.stop_all()
        self.auth.start()
        LOG.info(
            "local data plane: running (tasks on %s, load balancers on %s, APIs on %s, SageMaker endpoints on %s)",
            TASK_ADDRESSES,
            BALANCER_ADDRESSES,
            API_ADDRESSES,
            SAGEMAKER_ADDRESSES,
        )
        while not self.stopping.is_set():
            started = time.monotonic()
            for part in (self.beanstalk, self.ecs, self.alb, self.gateway, self.sagemaker):
                try:
                    part.step()
                except Exception:
                    LOG.exception("local data plane: %s step failed", type(part).__name__)
            endpoints = express.endpoint_names(self.alb.addresses)  # ECS Express Mode's, on their shared ALB
            self.hosts.write({**self.alb.names, **self.gateway.names, **endpoints, **self.beanstalk.names})
            self._heartbeat()
            self.stopping.wait(max(0.0, self.interval - (time.monotonic() - started)))

    def _heartbeat(self) -> None:
        status = {
            "time": time.time(),
            "tasks": {
                arn: {"phase": r.phase, "address": r.address, "ip": r.ip, "healthy": r.healthy}
                for arn, r in self.ecs.records.items()
            },
            "load_balancers": dict(self.alb.addresses),
            "apis": dict(self.gateway.addresses),
            "beanstalk": self.beanstalk.status(),
            "sagemaker": self.sagemaker.status(),
            "calls": dict(CALLS),
        }
        path = self.state_dir / "dataplane.json"
        path.with_suffix(".tmp").write_text(json.dumps(status, indent=1))
        path.with_suffix(".tmp").replace(path)

    def close(self) -> None:
        self.stopping.set()
        self.ecs.stop_all()
        self.beanstalk.close()
        self.sagemaker.close()
        self.alb.close()
        self.gateway.close()
        self.auth.close()
        self.hosts.write({})
