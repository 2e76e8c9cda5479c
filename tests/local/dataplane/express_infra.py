"""The moto resources behind an ECS Express Mode service, made by calling moto's backends directly.

Per service: a task definition (family = the service's name, one container "Main"), a target group,
a host-header rule on the shared load balancer's HTTPS listener, a security group, the ECS service,
an Application Auto Scaling target and target-tracking policy. Shared by the Express services of one
VPC and scheme: an Application Load Balancer with its security group, an HTTPS:443 listener (default
action fixed-response 404, certificate for ``*.ecs.<region>.on.aws`` from the local CA, imported into
the local ACM) and an HTTP:80 listener redirecting to HTTPS. Everything is tagged
AmazonECSManaged=true. Callers hold moto_patches.LOCK.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.acm.models import acm_backends
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.ec2.models import ec2_backends
from moto.ecs.models import ecs_backends
from moto.elbv2.models import elbv2_backends
from moto.moto_api._internal import mock_random

from tests.local import acm_cert, moto_calls

from .express_checks import TASK_MEMBERS, Network
from .moto_patches import delete_quietly, delete_target_group, settle_new_service

LOG = logging.getLogger("dataplane.express")
MANAGED_KEY, MANAGED_VALUE = "AmazonECSManaged", "true"
CONTAINER = "Main"
DIMENSION = "ecs:service:DesiredCount"
METRICS = {
    "AVERAGE_CPU": "ECSServiceAverageCPUUtilization",
    "AVERAGE_MEMORY": "ECSServiceAverageMemoryUtilization",
    "REQUEST_COUNT_PER_TARGET": "ALBRequestCountPerTarget",
}
# Express services deploy with the circuit breaker on and roll back (the canary's alarm is not emulated).
DEPLOYMENT_CONFIGURATION = {
    "deploymentCircuitBreaker": {"enable": True, "rollback": True},
    "maximumPercent": 200,
    "minimumHealthyPercent": 100,
}
GRACE_SECONDS = 60


@dataclass
class Balancer:
    """A load balancer shared by the Express services of one VPC and scheme."""

    arn: str
    https_listener: str
    http_listener: str
    group_id: str


@dataclass
class Resources:
    account: str
    region: str
    cluster: str
    name: str
    vpc_id: str
    scheme: str
    balancer: Balancer
    target_group: str
    rule: str
    group_id: str

    @property
    def resource_id(self) -> str:
        return f"service/{self.cluster}/{self.name}"

    @property
    def policy_name(self) -> str:
        return f"{self.name}-express-target-tracking"


# (account, region, VPC, scheme) -> the shared load balancer.
SHARED: dict[tuple[str, str, str, str], Balancer] = {}


def _managed(extra: list[dict[str, str]] | None = None) -> list[dict[str, str]]:
    return [{"Key": MANAGED_KEY, "Value": MANAGED_VALUE}, *(extra or [])]


def _hex(length: int) -> str:
    return mock_random.get_random_hex(length=length)


def state_dir() -> Path:
    return Path(os.environ.get("LOCAL_STATE_DIR", acm_cert.STATE))


def certificate_arn(account: str, region: str) -> str:
    """The certificate for *.ecs.<region>.on.aws signed by the local CA, imported once per account/region."""
    acm = acm_backends[account][region]
    domain = f"*.ecs.{region}.on.aws"
    for bundle in acm.list_certificates([], {}):
        if bundle.common_name == domain and bundle.tags.get(MANAGED_KEY) == MANAGED_VALUE:
            return bundle.arn
    cert, key, chain = acm_cert.issue([domain], state_dir())
    return acm.import_certificate(cert, key, chain, None, _managed())


def _balancer_alive(account: str, region: str, balancer: Balancer) -> bool:
    lb = elbv2_backends[account][region].load_balancers.get(balancer.arn)
    return lb is not None and balancer.https_listener in lb.listeners


def shared_balancer(account: str, region: str, network: Network) -> Balancer:
    scheme = "internet-facing" if network.public else "internal"
    key = (account, region, network.vpc_id, scheme)
    if key in SHARED and _balancer_alive(account, region, SHARED[key]):
        return SHARED[key]
    ec2, elbv2 = ec2_backends[account][region], elbv2_backends[account][region]
    suffix = _hex(8)
    group = ec2.create_security_group(
        f"ecs-express-lb-{suffix}",
        "ECS Express Mode load balancer",
        vpc_id=network.vpc_id,
        tags={MANAGED_KEY: MANAGED_VALUE},
    )
    source = [{"CidrIp": "0.0.0.0/0"}] if network.public else [{"CidrIp": network.vpc_cidr}]
    for port in ("443", "80"):
        ec2.authorize_security_group_ingress(group.id, "tcp", port, port, source)
    lb = elbv2.create_load_balancer(
        f"ecs-express-{suffix}",
        [group.id],
        network.subnets,
        scheme=scheme,
        loadbalancer_type="application",
        tags=_managed(),
    )
    not_found = {"StatusCode": "404", "ContentType": "text/plain", "MessageBody": "Not Found"}
    https = elbv2.create_listener(
        lb.arn,
        "HTTPS",
        "443",
        "ELBSecurityPolicy-TLS13-1-2-2021-06",
        certificate_arn(account, region),
        [{"Type": "fixed-response", "FixedResponseConfig": not_found}],
        tags=_managed(),
    )
    redirect = {"Protocol": "HTTPS", "Port": "443", "StatusCode": "HTTP_301"}
    http = elbv2.create_listener(
        lb.arn, "HTTP", "80", None, None, [{"Type": "redirect", "RedirectConfig": redirect}], tags=_managed()
    )
    SHARED[key] = Balancer(lb.arn, https.arn, http.arn, group.id)
    LOG.info("ECS Express: load balancer %s for %s (%s)", lb.dns_name, network.vpc_id, scheme)
    return SHARED[key]


def register_task_definition(account: str, region: str, cluster: str, name: str, config: dict[str, Any]) -> str:
    container = config["primaryContainer"]
    logs = container.get("awsLogsConfiguration") or {
        "logGroup": f"/aws/ecs/{cluster}/{name}",
        "logStreamPrefix": "ecs",
    }
    definition: dict[str, Any] = {
        "name": CONTAINER,
        "image": container["image"],
        "essential": True,
        "portMappings": [{"containerPort": container["containerPort"], "protocol": "tcp"}],
        "environment": list(container.get("environment") or []),
        "secrets": list(container.get("secrets") or []),
        "logConfiguration": {
            "logDriver": "awslogs",
            "options": {
                "awslogs-group": logs["logGroup"],
                "awslogs-region": region,
                "awslogs-stream-prefix": logs["logStreamPrefix"],
            },
        },
    }
    if container.get("command"):
        definition["command"] = list(container["command"])
    if container.get("repositoryCredentials"):
        definition["repositoryCredentials"] = dict(container["repositoryCredentials"])
    task_definition = ecs_backends[account][region].register_task_definition(
        name,
        [definition],
        network_mode="awsvpc",
        tags=[{"key": MANAGED_KEY, "value": MANAGED_VALUE}],
        requires_compatibilities=["FARGATE"],
        cpu=str(config["cpu"]),
        memory=str(config["memory"]),
        task_role_arn=config.get("taskRoleArn"),
        execution_role_arn=config.get("executionRoleArn"),
        runtime_platform={"cpuArchitecture": config["cpuArchitecture"], "operatingSystemFamily": "LINUX"},
    )
    return task_definition.arn


def _network_configuration(network: dict[str, Any], group_id: str, public: bool) -> dict[str, Any]:
    return {
        "awsvpcConfiguration": {
            "subnets": list(network["subnets"]),
            "securityGroups": [*network.get("securityGroups", []), group_id],
            "assignPublicIp": "ENABLED" if public else "DISABLED",
        }
    }


def _next_priority(account: str, region: str, listener_arn: str) -> int:
    listener = elbv2_backends[account][region].describe_listeners(None, [listener_arn])[0]
    used = [int(r.priority) for r in listener.rules.values() if str(r.priority).isdigit()]
    return max(used, default=0) + 1


def create(  # noqa: PLR0913 - the service's identity and its configuration
    account: str,
    region: str,
    *,
    cluster: str,
    name: str,
    config: dict[str, Any],
    network: Network,
    endpoint: str,
    tags: list[dict[str, str]],
) -> tuple[Resources, Any]:
    """Provision the service; returns its resources and the moto ECS service."""
    ec2, elbv2, ecs = ec2_backends[account][region], elbv2_backends[account][region], ecs_backends[account][region]
    balancer = shared_balancer(account, region, network)
    task_definition = register_task_definition(account, region, cluster, name, config)
    port = config["primaryContainer"]["containerPort"]
    group = elbv2.create_target_group(
        f"ecs-gateway-tg-{_hex(12)}",
        vpc_id=network.vpc_id,
        protocol="HTTP",
        port=port,
        target_type="ip",
        healthcheck_path=config["healthCheckPath"],
        tags=_managed(),
    )
    rule = elbv2.create_rule(
        balancer.https_listener,
        [{"Field": "host-header", "HostHeaderConfig": {"Values": [endpoint]}}],
        _next_priority(account, region, balancer.https_listener),
        [{"Type": "forward", "TargetGroupArn": group.arn}],
        tags=_managed(),
    )
    service_group = ec2.create_security_group(
        f"ecs-express-{name[:40]}-{_hex(8)}",
        f"ECS Express Mode service {name}",
        vpc_id=network.vpc_id,
        tags={MANAGED_KEY: MANAGED_VALUE},
    )
    _allow_port(account, region, service_group.id, balancer.group_id, port)
    scaling = config["scalingTarget"]
    service = ecs.create_service(
        cluster,
        name,
        scaling["minTaskCount"],
        task_definition,
        load_balancers=[{"targetGroupArn": group.arn, "containerName": CONTAINER, "containerPort": port}],
        tags=[dict(t) for t in tags],
        launch_type="FARGATE",
        platform_version="LATEST",
        propagate_tags="SERVICE",
        network_configuration=_network_configuration(config["networkConfiguration"], service_group.id, network.public),
    )
    settle_new_service(service, DEPLOYMENT_CONFIGURATION, GRACE_SECONDS)
    resources = Resources(
        account=account,
        region=region,
        cluster=cluster,
        name=name,
        vpc_id=network.vpc_id,
        scheme="internet-facing" if network.public else "internal",
        balancer=balancer,
        target_group=group.arn,
        rule=rule.arn,
        group_id=service_group.id,
    )
    _scale(resources, scaling, new=True)
    return resources, service


def _allow_port(account: str, region: str, group_id: str, source_group: str, port: int) -> None:
    ec2 = ec2_backends[account][region]
    try:
        ec2.authorize_security_group_ingress(
            group_id, "tcp", str(port), str(port), [], source_groups=[{"GroupId": source_group}]
        )
    except Exception as exc:  # the rule exists already
        LOG.debug("ingress %s on %s: %s", port, group_id, exc)


def _scale(resources: Resources, scaling: dict[str, Any], new: bool) -> None:
    """The scalable target (min/max) and its target-tracking policy on the configured metric."""
    backend = applicationautoscaling_backends[resources.account][resources.region]
    role = (
        f"arn:aws:iam::{resources.account}:role/aws-service-role/ecs.application-autoscaling.amazonaws.com/"
        "AWSServiceRoleForApplicationAutoScaling_ECSService"
    )
    target = backend.register_scalable_target(
        "ecs", resources.resource_id, DIMENSION, scaling["minTaskCount"], scaling["maxTaskCount"], role, None
    )
    if new:
        moto_calls._tags(backend)[target.arn] = {MANAGED_KEY: MANAGED_VALUE}
    metric: dict[str, Any] = {"PredefinedMetricType": METRICS[scaling["autoScalingMetric"]]}
    if scaling["autoScalingMetric"] == "REQUEST_COUNT_PER_TARGET":
        elbv2 = elbv2_backends[resources.account][resources.region]
        lb = elbv2.load_balancers[resources.balancer.arn]
        group = elbv2.target_groups[resources.target_group]
        metric["ResourceLabel"] = f"{lb.arn.split(':loadbalancer/')[1]}/{group.arn.split(':')[-1]}"
    body = {
        "TargetValue": float(scaling["autoScalingTargetValue"]),
        "PredefinedMetricSpecification": metric,
        "ScaleOutCooldown": 60,
        "ScaleInCooldown": 300,
    }
    _delete_policy(resources)
    policy_type = "TargetTrackingScaling"
    backend.put_scaling_policy(resources.policy_name, "ecs", resources.resource_id, DIMENSION, body, policy_type)


def _delete_policy(resources: Resources) -> None:
    backend = applicationautoscaling_backends[resources.account][resources.region]
    with contextlib.suppress(Exception):  # there was none
        backend.delete_scaling_policy(resources.policy_name, "ecs", resources.resource_id, DIMENSION)


def update(resources: Resources, service: Any, old: dict[str, Any], new: dict[str, Any], public: bool) -> bool:
    """Apply NEW (the merged configuration) over OLD; True when a new ECS deployment started."""
    ecs = ecs_backends[resources.account][resources.region]
    elbv2 = elbv2_backends[resources.account][resources.region]
    properties: dict[str, Any] = {"cluster": resources.cluster, "service": resources.name}
    old_port, port = old["primaryContainer"]["containerPort"], new["primaryContainer"]["containerPort"]
    if any(old.get(m) != new.get(m) for m in TASK_MEMBERS):
        properties["task_definition"] = register_task_definition(
            resources.account, resources.region, resources.cluster, resources.name, new
        )
    if port != old_port:
        _allow_port(resources.account, resources.region, resources.group_id, resources.balancer.group_id, port)
        elbv2.target_groups[resources.target_group].port = port
        service.load_balancers = [dict(lb, containerPort=port) for lb in service.load_balancers]
    if old["networkConfiguration"] != new["networkConfiguration"]:
        properties["network_configuration"] = _network_configuration(
            new["networkConfiguration"], resources.group_id, public
        )
    if old["healthCheckPath"] != new["healthCheckPath"]:
        elbv2.modify_target_group(resources.target_group, health_check_path=new["healthCheckPath"])
    if old["scalingTarget"] != new["scalingTarget"]:
        scaling = new["scalingTarget"]
        _scale(resources, scaling, new=False)
        wanted = max(scaling["minTaskCount"], min(scaling["maxTaskCount"], service.desired_count))
        if wanted != service.desired_count:
            properties["desired_count"] = wanted
    if len(properties) == 2:
        return False
    before = service.deployments[0]["id"] if service.deployments else None
    ecs.update_service(properties)
    return bool(service.deployments) and service.deployments[0]["id"] != before


def scale_to_zero(resources: Resources) -> None:
    ecs = ecs_backends[resources.account][resources.region]
    try:
        ecs.update_service({"cluster": resources.cluster, "service": resources.name, "desired_count": 0})
    except Exception:
        LOG.exception("ECS Express: scaling %s to 0 failed", resources.name)


def remove(resources: Resources, in_use: set[str]) -> None:
    """Delete the service's resources, and the shared load balancer when no service in IN_USE (ARNs) uses it."""
    account, region = resources.account, resources.region
    ec2, elbv2, ecs = ec2_backends[account][region], elbv2_backends[account][region], ecs_backends[account][region]
    scaling = applicationautoscaling_backends[account][region]
    delete_quietly(LOG, "the ECS service", ecs.delete_service, resources.cluster, resources.name, True)
    _delete_policy(resources)
    delete_quietly(
        LOG, "the scalable target", scaling.deregister_scalable_target, "ecs", resources.resource_id, DIMENSION
    )
    delete_quietly(LOG, "the listener rule", elbv2.delete_rule, resources.rule)
    delete_target_group(LOG, elbv2, resources.target_group)
    delete_quietly(LOG, "the security group", ec2.delete_security_group, None, resources.group_id)
    if resources.balancer.arn in in_use:
        return
    balancer = resources.balancer
    for listener in (balancer.https_listener, balancer.http_listener):
        delete_quietly(LOG, "a listener", elbv2.delete_listener, listener)
    delete_quietly(LOG, "the load balancer", elbv2.delete_load_balancer, balancer.arn)
    delete_quietly(LOG, "the load balancer's security group", ec2.delete_security_group, None, balancer.group_id)
    for key in [k for k, v in SHARED.items() if v.arn == balancer.arn]:
        del SHARED[key]
