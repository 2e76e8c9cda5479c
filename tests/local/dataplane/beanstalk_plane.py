"""Elastic Beanstalk environments run for real: instances as containers behind a real load balancer.

The emulator (``beanstalk*.py``) keeps the control plane; this part of the data plane, run on each
loop of ``plane.py``, claims the environments' operations (``beanstalk_state.claim_deployments``)
and makes them happen with the parts every other local service uses:

- a launch provisions the environment (``beanstalk_infra.create``: load balancer, listeners, target
  group, security groups, and an ECS service whose tasks are the instances) and ends when the ECS
  plane has the desired instances healthy behind the target group (or fails with the reason);
- an update that changes what runs on the instances (version, properties, secrets, instance
  profile, instance type, subnets, groups) deploys a new task definition with the deployment
  policy's batches (``beanstalk_infra.deployment_configuration``); a batch that fails its health
  checks stops the deployment, the old instances keep serving and the update fails with the
  instances' reason (the emulator puts the environment back on its previous version);
- other updates change the target group, listeners and instance count in place;
- a termination deletes it all (the instances drain first).

Each instance's port 80 is the platform's nginx: one real nginx per environment, listening on every
instance's loopback address, with Amazon Linux 2023's defaults (``client_max_body_size`` 1 MB, 60 s
proxy timeouts) and the bundle's ``.platform/nginx/conf.d/*.conf`` included as the platform includes
them. The environment's CNAME resolves (``/etc/hosts``) to its load balancer. Health: Green when
every desired instance is healthy, Yellow when some are, Red when none is (after a launch).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from moto.ecs.models import ecs_backends
from moto.elbv2.models import elbv2_backends

from . import beanstalk_infra as infra
from . import beanstalk_state as state
from .ecs import EcsPlane
from .moto_patches import LOCK, ON_RESET
from .nginx import Nginx

LOG = logging.getLogger("dataplane.beanstalk")
# Stopped tasks whose reason is a deployment's or a scale-in's are not failures.
ROUTINE = ("Task stopped by deployment", "Scaling activity", "Service deleted")


@dataclass
class Tracked:
    resources: infra.Resources | None = None
    bundle: infra.Bundle | None = None
    spec: dict[str, Any] | None = None
    settings: dict[str, dict[str, str]] = field(default_factory=dict)
    handled: str | None = None  # the request ID of the operation applied
    deployment: str | None = None  # the ECS deployment the operation waits for
    started: float = 0.0
    proxy: Nginx | None = None
    proxy_text: str = ""
    instances: dict[str, str] = field(default_factory=dict)  # the health last reported
    previous: tuple[Any, Any, Any] | None = None  # bundle, spec, settings before the operation


class BeanstalkPlane:
    def __init__(self, state_dir: Path, ecs: EcsPlane, addresses: Any) -> None:
        self.dir = state_dir / "beanstalk"
        self.ecs = ecs
        self.alb_addresses = addresses  # the ALB plane's load balancer ARN -> loopback address
        self.tracked: dict[str, Tracked] = {}
        self.names: dict[str, str] = {}  # CNAME -> loopback address (plane.py writes /etc/hosts)
        ON_RESET.append(self.reset)

    def step(self) -> None:
        state.claim_deployments()
        outcomes: list[tuple[str, bool, str]] = []
        for env in state.environments():
            if env["status"] == "Terminated" and env["id"] not in self.tracked:
                continue
            with LOCK:
                outcome = self._reconcile(env)
            if outcome is not None:
                outcomes.append((env["id"], *outcome))
        for env_id, ok, message in outcomes:
            state.set_deployment_result(env_id, ok, message)
        self._proxies()
        self.names = {}
        for env in state.environments():
            tracked = self.tracked.get(env["id"])
            if tracked and tracked.resources and tracked.resources.balancer in self.alb_addresses:
                self.names[env["cname"]] = self.alb_addresses[tracked.resources.balancer]

    # ------------------------------------------------------------ operations (under LOCK)
    def _reconcile(self, env: dict[str, Any]) -> tuple[bool, str] | None:
        tracked = self.tracked.setdefault(env["id"], Tracked())
        operation = env["operation"]
        if env["status"] in ("Terminating", "Terminated"):
            if tracked.resources is not None:
                infra.remove(tracked.resources)
                tracked.resources = None
            if env["status"] == "Terminated":
                self._forget(env["id"])
            return None
        if operation is not None and operation["request_id"] != tracked.handled:
            tracked.handled, tracked.started, tracked.deployment = operation["request_id"], time.monotonic(), None
            try:
                return self._begin(env, tracked, operation["kind"])
            except infra.BundleError as exc:
                return False, f"Instance deployment failed: {exc}"
            except Exception as exc:  # a resource moto refused: the operation fails, the loop goes on
                LOG.exception("Elastic Beanstalk: %s of %s failed", operation["kind"], env["id"])
                return False, f"Instance deployment failed: {exc}"
        if operation is not None and tracked.deployment is not None:
            return self._watch(env, tracked)
        if operation is None:
            self._report_health(env, tracked)
        return None

    def _begin(self, env: dict[str, Any], tracked: Tracked, kind: str) -> tuple[bool, str] | None:
        bundle = infra.read_bundle(env["account"], env["region"], env["source_bundle"])
        spec = infra.task_spec(env, bundle)
        if kind == "launch" or tracked.resources is None:
            tracked.resources = infra.create(env, spec, bundle)
            state.set_endpoint(env["id"], self._dns(tracked.resources), tracked.resources.balancer)
            tracked.deployment = self._service(tracked.resources).deployments[0]["id"]
        else:
            tracked.deployment = self._update(env, tracked, spec, bundle)
        tracked.previous = (tracked.bundle, tracked.spec, tracked.settings)
        tracked.bundle, tracked.spec, tracked.settings = bundle, spec, env["settings"]
        return None if tracked.deployment else (True, "")

    def _update(self, env: dict[str, Any], tracked: Tracked, spec: dict[str, Any], bundle: infra.Bundle) -> str | None:
        """Apply what changed; the new ECS deployment's id, or None when no instance is replaced."""
        resources, settings = tracked.resources, env["settings"]
        assert resources is not None
        infra.listeners(resources, settings, bundle)
        infra.update_target_group(resources, settings)
        service = self._service(resources)
        new_version = spec["image"] != (tracked.spec or {}).get("image")
        service.deployment_configuration = {
            **service.deployment_configuration,
            **infra.deployment_configuration(settings, new_version),
        }
        properties: dict[str, Any] = {"cluster": resources.cluster, "service": resources.service}
        if spec != tracked.spec or bundle.container_port != (tracked.bundle.container_port if tracked.bundle else 0):
            properties["task_definition"] = infra.register(env, spec, bundle, resources.cluster)
            properties["network_configuration"] = infra.network(resources, spec)
        if infra.desired_count(settings) != service.desired_count:
            properties["desired_count"] = infra.desired_count(settings)
        before = service.deployments[0]["id"] if service.deployments else None
        if len(properties) > 2:
            ecs_backends[resources.account][resources.region].update_service(dict(properties))  # moto pops keys
        if "task_definition" not in properties or not service.deployments:
            return None
        after = service.deployments[0]["id"]
        state.note(env["id"], f"Deploying to instance(s) in batches: {self._batches(service)}.")
        return after if after != before else None

    @staticmethod
    def _batches(service: Any) -> str:
        config = service.deployment_configuration
        return f"at least {config['minimumHealthyPercent']}% in service, at most {config['maximumPercent']}% running"

    def _watch(self, env: dict[str, Any], tracked: Tracked) -> tuple[bool, str] | None:
        """The operation's ECS deployment: COMPLETED ends it well, FAILED (or the command timeout) badly."""
        resources = tracked.resources
        assert resources is not None
        service = self._service(resources)
        deployment = next((d for d in service.deployments if d["id"] == tracked.deployment), None)
        timeout = float(env["settings"].get("aws:elasticbeanstalk:command", {}).get("Timeout", "600"))
        if deployment is not None and deployment["rolloutState"] == "COMPLETED":
            tracked.deployment = None
            return True, ""
        if deployment is None or deployment["rolloutState"] == "FAILED":
            tracked.deployment = None
            if tracked.previous is not None and tracked.previous[0] is not None:  # what serves again
                tracked.bundle, tracked.spec, tracked.settings = tracked.previous
            return False, self._failure(resources, service, deployment)
        if time.monotonic() - tracked.started > timeout:
            tracked.deployment = None
            return False, f"Instance deployment timed out after {timeout:.0f} s (aws:elasticbeanstalk:command Timeout)."
        return None

    def _failure(self, resources: infra.Resources, service: Any, deployment: dict[str, Any] | None) -> str:
        """What the failed instances said, as Beanstalk's ERROR event words it."""
        backend = ecs_backends[resources.account][resources.region]
        reasons = []
        for task in backend.tasks.get(resources.cluster, {}).values():
            if deployment is not None and task.started_by != deployment["id"]:
                continue
            reason = task.stopped_reason or ""
            if reason and not reason.startswith(ROUTINE):
                reason = reason.replace("Essential container in task", "The application container")
                reasons.append(f"[Instance: {instance_id(task.id)}] {reason}")
        detail = "; ".join(sorted(set(reasons))[:3]) or "the new instances failed the load balancer's health checks"
        return f"Instance deployment failed: {detail}. The instances of the previous version keep serving."

    # ------------------------------------------------------------ health
    def _report_health(self, env: dict[str, Any], tracked: Tracked) -> None:
        if tracked.resources is None:
            return
        service = self._service(tracked.resources)
        instances = {}
        for record in self.ecs.records.values():
            if record.service_key[2] != f"{tracked.resources.cluster}:{tracked.resources.service}":
                continue
            if record.phase == "STOPPED":
                continue
            instances[instance_id(record.task.id)] = "Ok" if record.healthy else "Pending"
        healthy = sum(1 for status in instances.values() if status == "Ok")
        colour = "Green" if healthy >= service.desired_count else "Yellow" if healthy else "Red"
        wanted = service.desired_count
        causes = [] if colour == "Green" else [f"{wanted - healthy} of {wanted} instances are not healthy."]
        if colour != env["health"] or instances != tracked.instances:
            state.set_health(env["id"], colour, causes, instances)
            tracked.instances = instances

    # ------------------------------------------------------------ the platform's nginx
    def _proxies(self) -> None:
        for env_id, tracked in list(self.tracked.items()):
            if tracked.resources is None or tracked.bundle is None:
                if tracked.proxy is not None:
                    tracked.proxy.stop()
                    tracked.proxy = None
                continue
            key = f"{tracked.resources.cluster}:{tracked.resources.service}"
            addresses = sorted(
                r.address for r in self.ecs.records.values() if r.service_key[2] == key and r.phase != "STOPPED"
            )
            text = self._render(env_id, tracked.bundle, addresses)
            if text == tracked.proxy_text:
                continue
            if tracked.proxy is None:
                tracked.proxy = Nginx(self.dir / env_id, f"Beanstalk instance nginx ({env_id})", LOG)
            if not addresses:
                tracked.proxy.stop()
            elif tracked.proxy.apply(text):
                tracked.proxy.wait_started()
            tracked.proxy_text = text

    def _render(self, env_id: str, bundle: infra.Bundle, addresses: list[str]) -> str:
        d = self.dir / env_id
        conf = d / "conf.d"
        conf.mkdir(parents=True, exist_ok=True)
        for old in conf.glob("*.conf"):
            if old.name not in bundle.nginx_conf:
                old.unlink()
        for name, text in bundle.nginx_conf.items():
            (conf / name).write_text(text)
        (d / "tmp").mkdir(exist_ok=True)
        lines = [
            "# Generated by tests/local/dataplane/beanstalk_plane.py: the platform's nginx of each instance.",
            "user root;",
            "worker_processes 1;",
            f"pid {d / 'nginx.pid'};",
            f"error_log {d / 'logs' / 'error.log'} warn;",
            "events { worker_connections 1024; }",
            "http {",
            f"  client_body_temp_path {d / 'tmp' / 'body'};",
            f"  proxy_temp_path {d / 'tmp' / 'proxy'};",
            f"  fastcgi_temp_path {d / 'tmp' / 'fastcgi'};",
            f"  uwsgi_temp_path {d / 'tmp' / 'uwsgi'};",
            f"  scgi_temp_path {d / 'tmp' / 'scgi'};",
            f"  access_log {d / 'logs' / 'access.log'};",
            "  keepalive_timeout 65;",
            # As the platform's /etc/nginx/nginx.conf: the bundle's .platform/nginx/conf.d/*.conf at http level.
            f"  include {conf}/*.conf;",
            '  map $http_upgrade $connection_upgrade { default "upgrade"; "" ""; }',
        ]
        for address in addresses:
            lines += [
                "  server {",
                f"    listen {address}:{infra.INSTANCE_PORT};",
                "    location / {",
                f"      proxy_pass http://{address}:{bundle.container_port};",
                "      proxy_http_version 1.1;",
                "      proxy_set_header Connection $connection_upgrade;",
                "      proxy_set_header Upgrade $http_upgrade;",
                "      proxy_set_header Host $host;",
                "      proxy_set_header X-Real-IP $remote_addr;",
                "      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
                "    }",
                "  }",
            ]
        return "\n".join([*lines, "}", ""])

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _service(resources: infra.Resources) -> Any:
        return ecs_backends[resources.account][resources.region].services[f"{resources.cluster}:{resources.service}"]

    @staticmethod
    def _dns(resources: infra.Resources) -> str:
        return elbv2_backends[resources.account][resources.region].load_balancers[resources.balancer].dns_name

    def _forget(self, env_id: str) -> None:
        tracked = self.tracked.pop(env_id, None)
        if tracked is not None and tracked.proxy is not None:
            tracked.proxy.stop()

    def reset(self) -> None:
        for env_id in list(self.tracked):
            self._forget(env_id)

    def close(self) -> None:
        self.reset()

    def status(self) -> dict[str, Any]:
        return {
            env_id: {"load_balancer": t.resources.balancer if t.resources else None, "deployment": t.deployment}
            for env_id, t in self.tracked.items()
        }


def instance_id(task_id: str) -> str:
    """An EC2-looking instance id for the task that stands in for the instance."""
    return "i-" + task_id.replace("-", "")[:17]
