"""What an Elastic Beanstalk environment is made of, as moto resources the rest of the data plane runs.

Per environment: a security group for its load balancer (80 and 443 from anywhere) and one for its
instances (port 80 from the load balancer's group), an Application Load Balancer in the ELBSubnets
with the scheme of ``aws:ec2:vpc ELBScheme``, a target group on the instances' port 80 (health
check from ``aws:elasticbeanstalk:environment:process:default``), an HTTPS listener from
``aws:elbv2:listener:443`` and an HTTP one from ``aws:elbv2:listener:default`` (its default action
as the bundle's ``.ebextensions`` override of ``AWSEBV2LoadBalancerListener`` says, else forward),
and an ECS cluster and service (``awseb-<environment id>``) whose tasks stand in for the EC2
instances: one container of the Dockerrun image per instance, with the environment properties as
its environment and the environment secrets as ECS secrets read with the instance profile's role.
Everything is tagged ``elasticbeanstalk:environment-id``. Callers hold moto_patches.LOCK.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import zipfile
from dataclasses import dataclass, field
from typing import Any

import yaml
from moto.ec2.models import ec2_backends
from moto.ecs.models import ecs_backends
from moto.elbv2.models import elbv2_backends
from moto.iam.models import iam_backends

from .beanstalk import bundle_bytes
from .beanstalk_state import BeanstalkError
from .moto_patches import delete_quietly, delete_target_group, settle_new_service

LOG = logging.getLogger("dataplane.beanstalk")
ENV_TAG = "elasticbeanstalk:environment-id"
CONTAINER = "application"
INSTANCE_PORT = 80  # the platform's nginx on each instance
GRACE_SECONDS = 60
NS_PROCESS = "aws:elasticbeanstalk:environment:process:default"
# MiB of the common burstable instance types (a label; the local container is not limited).
INSTANCE_MEMORY = {"t3.micro": 1024, "t3.small": 2048, "t3.medium": 4096, "t3.large": 8192, "t4g.small": 2048}


class BundleError(Exception):
    """The source bundle cannot be deployed (what Beanstalk's engine would report)."""


@dataclass
class Bundle:
    """What the data plane uses of a source bundle."""

    image: str
    container_port: int
    nginx_conf: dict[str, str] = field(default_factory=dict)  # .platform/nginx/conf.d/<name> -> text
    http_actions: list[dict[str, Any]] | None = None  # the .ebextensions listener override's DefaultActions


@dataclass
class Resources:
    account: str
    region: str
    env_id: str
    cluster: str
    service: str
    balancer: str
    balancer_group: str
    instance_group: str
    target_group: str
    listeners: dict[str, str] = field(default_factory=dict)  # "443"/"80" -> listener ARN


def read_bundle(account: str, region: str, source: dict[str, str] | None) -> Bundle:
    if not source:
        raise BundleError("the sample application is not emulated: give the environment a Docker source bundle")
    try:
        data = bundle_bytes(account, region, source)
    except BeanstalkError as exc:
        raise BundleError(exc.message) from exc
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = archive.namelist()
        dockerrun = json.loads(archive.read("Dockerrun.aws.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BundleError(f"the source bundle has no readable Dockerrun.aws.json: {exc}") from exc
    if str(dockerrun.get("AWSEBDockerrunVersion")) != "1":
        raise BundleError("only Dockerrun.aws.json version 1 (one container) is emulated")
    image = (dockerrun.get("Image") or {}).get("Name")
    ports = dockerrun.get("Ports") or []
    if not image or not ports:
        raise BundleError("Dockerrun.aws.json needs Image.Name and Ports[0].ContainerPort")
    bundle = Bundle(image=image, container_port=int(ports[0]["ContainerPort"]))
    for name in names:
        if name.startswith(".platform/nginx/conf.d/") and name.endswith(".conf"):
            bundle.nginx_conf[name.rsplit("/", 1)[1]] = archive.read(name).decode()
        elif name.startswith(".ebextensions/") and name.endswith(".config"):
            config = yaml.safe_load(archive.read(name)) or {}
            listener = ((config.get("Resources") or {}).get("AWSEBV2LoadBalancerListener") or {}).get("Properties")
            if listener and listener.get("DefaultActions"):
                # CloudFormation spells a listener's actions as ELBv2's API does.
                bundle.http_actions = [dict(action) for action in listener["DefaultActions"]]
    return bundle


def instance_role(account: str, profile: str) -> str | None:
    """The role of the instance profile (name or ARN) in aws:autoscaling:launchconfiguration."""
    iam = iam_backends[account]["global"]
    try:
        get = iam.get_instance_profile_by_arn if profile.startswith("arn:") else iam.get_instance_profile
        found = get(profile)
    except Exception:
        return None
    return found.roles[0].arn if found.roles else None


def task_spec(env: dict[str, Any], bundle: Bundle) -> dict[str, Any]:
    """The members of the instances' task definition (compared to decide on a new deployment)."""
    settings = env["settings"]
    properties = settings.get("aws:elasticbeanstalk:application:environment", {})
    secrets = settings.get("aws:elasticbeanstalk:application:environmentsecrets", {})
    profile = settings.get("aws:autoscaling:launchconfiguration", {}).get("IamInstanceProfile", "")
    role = instance_role(env["account"], profile) if profile else None
    return {
        "image": bundle.image,
        "environment": sorted(properties.items()),
        "secrets": sorted(secrets.items()),
        "role": role,
        "instance_type": settings.get("aws:autoscaling:launchconfiguration", {}).get("InstanceType"),
        "groups": _extra_groups(settings),
        "subnets": _split(settings.get("aws:ec2:vpc", {}).get("Subnets")),
    }


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _extra_groups(settings: dict[str, dict[str, str]]) -> list[str]:
    return _split(settings.get("aws:autoscaling:launchconfiguration", {}).get("SecurityGroups"))


def desired_count(settings: dict[str, dict[str, str]]) -> int:
    return max(1, int(settings.get("aws:autoscaling:asg", {}).get("MinSize", "1")))


def deployment_configuration(settings: dict[str, dict[str, str]], new_version: bool) -> dict[str, Any]:
    """Beanstalk's deployment policy (a new version) or rolling update type (a configuration change)
    as ECS's minimum and maximum percent, with the circuit breaker rolling a failed batch back."""
    count = desired_count(settings)
    command = settings.get("aws:elasticbeanstalk:command", {})
    batch = int(command.get("BatchSize", "100") or 100)
    if command.get("BatchSizeType", "Percentage") == "Percentage":
        batch = max(1, math.ceil(count * batch / 100))
    policy = command.get("DeploymentPolicy", "AllAtOnce")
    if not new_version:
        rolling = settings.get("aws:autoscaling:updatepolicy:rollingupdate", {})
        kind = rolling.get("RollingUpdateType", "Time") if rolling.get("RollingUpdateEnabled") == "true" else "none"
        policy = {"Immutable": "Immutable", "Health": "Rolling", "Time": "Rolling"}.get(kind, "AllAtOnce")
        batch = int(rolling.get("MaxBatchSize") or 1)
    low, high = {
        "AllAtOnce": (0, 100),
        "Rolling": (math.floor(100 * max(0, count - batch) / count), 100),
        "RollingWithAdditionalBatch": (100, math.ceil(100 * (count + batch) / count)),
        "Immutable": (100, 200),
        "TrafficSplitting": (100, 200),
    }.get(policy, (0, 100))
    return {
        "deploymentCircuitBreaker": {"enable": True, "rollback": True},
        "minimumHealthyPercent": low,
        "maximumPercent": high,
    }


def register(env: dict[str, Any], spec: dict[str, Any], bundle: Bundle, cluster: str) -> str:
    definition = {
        "name": CONTAINER,
        "image": spec["image"],
        "essential": True,
        # The platform's nginx listens on port 80 of the instance and proxies to the container.
        "portMappings": [{"containerPort": INSTANCE_PORT, "protocol": "tcp"}],
        "environment": [{"name": k, "value": v} for k, v in spec["environment"]],
        "secrets": [{"name": k, "valueFrom": v} for k, v in spec["secrets"]],
        # ECS wants a memory figure; the instance's memory is the container's.
        "memoryReservation": INSTANCE_MEMORY.get(str(spec["instance_type"]), 1024),
        "dockerLabels": {
            "elasticbeanstalk.container-port": str(bundle.container_port),
            "elasticbeanstalk.instance-type": str(spec["instance_type"]),
        },
    }
    task_definition = ecs_backends[env["account"]][env["region"]].register_task_definition(
        cluster,
        [definition],
        network_mode="awsvpc",
        tags=[{"key": ENV_TAG, "value": env["id"]}],
        task_role_arn=spec["role"],
        execution_role_arn=spec["role"],
    )
    return task_definition.arn


def _group(env: dict[str, Any], name: str, description: str, vpc_id: str) -> str:
    ec2 = ec2_backends[env["account"]][env["region"]]
    return ec2.create_security_group(name, description, vpc_id=vpc_id, tags={ENV_TAG: env["id"]}).id


def _target_group_args(settings: dict[str, dict[str, str]]) -> dict[str, Any]:
    process = settings.get(NS_PROCESS, {})
    return {
        "healthcheck_path": process.get("HealthCheckPath", "/"),
        "healthcheck_interval_seconds": int(process.get("HealthCheckInterval", "15")),
        "healthcheck_timeout_seconds": int(process.get("HealthCheckTimeout", "5")),
        "healthy_threshold_count": str(process.get("HealthyThresholdCount", "3")),
        "unhealthy_threshold_count": str(process.get("UnhealthyThresholdCount", "5")),
        "matcher": {"HttpCode": process.get("MatcherHTTPCode", "200")},
    }


def create(env: dict[str, Any], spec: dict[str, Any], bundle: Bundle) -> Resources:
    """Provision ENV (a beanstalk_state.environments() entry); the ECS plane then runs its instances."""
    account, region, env_id, settings = env["account"], env["region"], env["id"], env["settings"]
    ec2, elbv2, ecs = ec2_backends[account][region], elbv2_backends[account][region], ecs_backends[account][region]
    vpc = settings.get("aws:ec2:vpc", {})
    vpc_id = vpc.get("VPCId") or next(iter(ec2.vpcs))
    tag = [{"Key": ENV_TAG, "Value": env_id}]
    cluster = f"awseb-{env_id}"
    ecs.create_cluster(cluster, tags=[{"key": ENV_TAG, "value": env_id}])
    task_definition = register(env, spec, bundle, cluster)
    lb_group = _group(env, f"awseb-{env_id}-lb", f"Load balancer of {env['name']}", vpc_id)
    for port in ("80", "443"):
        ec2.authorize_security_group_ingress(lb_group, "tcp", port, port, [{"CidrIp": "0.0.0.0/0"}])
    instance_group = _group(env, f"awseb-{env_id}-instances", f"Instances of {env['name']}", vpc_id)
    ec2.authorize_security_group_ingress(
        instance_group, "tcp", str(INSTANCE_PORT), str(INSTANCE_PORT), [], source_groups=[{"GroupId": lb_group}]
    )
    public = vpc.get("ELBScheme", "public") in ("public", "internet-facing")
    balancer = elbv2.create_load_balancer(
        f"awseb-{env_id}"[:32],
        [lb_group],
        _split(vpc.get("ELBSubnets")) or _split(vpc.get("Subnets")),
        scheme="internet-facing" if public else "internal",
        loadbalancer_type="application",
        tags=tag,
    )
    group = elbv2.create_target_group(
        f"awseb-{env_id}-default"[:32],
        vpc_id=vpc_id,
        protocol=settings.get(NS_PROCESS, {}).get("Protocol", "HTTP"),
        port=str(INSTANCE_PORT),
        target_type="ip",
        tags=tag,
        **_target_group_args(settings),
    )
    timeout = settings.get(NS_PROCESS, {}).get("DeregistrationTimeout", "20")
    elbv2.modify_target_group_attributes(group.arn, {"deregistration_delay.timeout_seconds": timeout})
    resources = Resources(
        account, region, env_id, f"awseb-{env_id}", env["name"], balancer.arn, lb_group, instance_group, group.arn
    )
    listeners(resources, settings, bundle)
    service = ecs.create_service(
        resources.cluster,
        resources.service,
        desired_count(settings),
        task_definition,
        load_balancers=[{"targetGroupArn": group.arn, "containerName": CONTAINER, "containerPort": INSTANCE_PORT}],
        tags=[{"key": ENV_TAG, "value": env_id}],
        launch_type="EC2",
        network_configuration=network(resources, spec),
    )
    settle_new_service(service, deployment_configuration(settings, True), GRACE_SECONDS)
    return resources


def network(resources: Resources, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "awsvpcConfiguration": {
            "subnets": list(spec["subnets"]),
            "securityGroups": [resources.instance_group, *spec["groups"]],
            "assignPublicIp": "DISABLED",
        }
    }


def listeners(resources: Resources, settings: dict[str, dict[str, str]], bundle: Bundle) -> None:
    """The listeners the options and the bundle's override ask for, made or changed in place."""
    elbv2 = elbv2_backends[resources.account][resources.region]
    forward = [{"Type": "forward", "TargetGroupArn": resources.target_group}]
    wanted: dict[str, tuple[str, str | None, str | None, list[dict[str, Any]]]] = {}
    https = settings.get("aws:elbv2:listener:443", {})
    if https.get("ListenerEnabled", "false") == "true":
        certificate = _split(https.get("SSLCertificateArns"))[:1]
        wanted["443"] = ("HTTPS", https.get("SSLPolicy"), certificate[0] if certificate else None, forward)
    if settings.get("aws:elbv2:listener:default", {}).get("ListenerEnabled", "true") == "true":
        wanted["80"] = ("HTTP", None, None, bundle.http_actions or forward)
    for port in [p for p in resources.listeners if p not in wanted]:
        with contextlib.suppress(Exception):
            elbv2.delete_listener(resources.listeners.pop(port))
    for port, (protocol, policy, certificate, actions) in wanted.items():
        if port in resources.listeners:
            certificates = [{"CertificateArn": certificate}] if certificate else None
            elbv2.modify_listener(resources.listeners[port], port, protocol, policy, certificates, actions)
            continue
        listener = elbv2.create_listener(
            resources.balancer,
            protocol,
            port,
            policy,
            certificate,
            actions,
            tags=[{"Key": ENV_TAG, "Value": resources.env_id}],
        )
        resources.listeners[port] = listener.arn


def update_target_group(resources: Resources, settings: dict[str, dict[str, str]]) -> None:
    elbv2 = elbv2_backends[resources.account][resources.region]
    args = _target_group_args(settings)
    elbv2.modify_target_group(
        resources.target_group,
        health_check_path=args["healthcheck_path"],
        health_check_interval=args["healthcheck_interval_seconds"],
        healthy_threshold_count=args["healthy_threshold_count"],
        unhealthy_threshold_count=args["unhealthy_threshold_count"],
        http_codes=args["matcher"]["HttpCode"],
    )


def remove(resources: Resources) -> None:
    """Delete what create() made (the ECS plane drains and stops the instances)."""
    account, region = resources.account, resources.region
    ec2, elbv2, ecs = ec2_backends[account][region], elbv2_backends[account][region], ecs_backends[account][region]
    delete_quietly(LOG, "the instances", ecs.delete_service, resources.cluster, resources.service, True)
    delete_quietly(LOG, "the cluster", ecs.delete_cluster, resources.cluster)
    for listener in resources.listeners.values():
        delete_quietly(LOG, "a listener", elbv2.delete_listener, listener)
    delete_quietly(LOG, "the load balancer", elbv2.delete_load_balancer, resources.balancer)
    delete_target_group(LOG, elbv2, resources.target_group)
    delete_quietly(LOG, "the instances' security group", ec2.delete_security_group, None, resources.instance_group)
    delete_quietly(LOG, "the load balancer's security group", ec2.delete_security_group, None, resources.balancer_group)
