"""The ECS Express Mode emulator (tests/local/dataplane/express*.py) in the project's moto server.

A moto server of this checkout (LOCAL_DATAPLANE=off: no container runs, deployments stay IN_PROGRESS)
on a free port of 4690-4699, driven with boto3: every response must parse and pass botocore's output
shape, the service must be real moto resources, and the errors, faults and hooks must be the spec's
(/work/notes/express-spec.md).
"""

from __future__ import annotations

import json
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3
import moto_process
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError
from botocore.model import ShapeResolver

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local import botocore_shapes  # noqa: E402

REGION = "us-east-1"
POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSInfrastructureRoleforExpressGatewayServices"
TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ecs.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with moto_process.moto_server(
        tmp_path_factory.mktemp("express-state"),
        range(4690, 4700),
        MOTO_ECS_EXPRESS_DRAINING_SECONDS="0.5",
        MOTO_IAM_LOAD_MANAGED_POLICIES="true",
    ) as url:
        yield url


RAW: list[tuple[str, dict]] = []


def _record(http_response, model, **_kwargs):
    if model.name.endswith("ExpressGatewayService") and http_response.status_code == 200:
        RAW.append((model.name, json.loads(http_response.content)))


def client(url: str, service: str, **config):
    made = boto3.client(
        service,
        region_name=REGION,
        endpoint_url=url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"total_max_attempts": 1}, **config),
    )
    made.meta.events.register("after-call.ecs", _record)
    return made


def hook(url: str, path: str, body: dict | None = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{url}/_mlops/{path}", data=data), timeout=5) as answer:
        return json.loads(answer.read())


@pytest.fixture(scope="module")
def aws(server):
    iam, ec2 = client(server, "iam"), client(server, "ec2")
    roles = {}
    for name, trust, policy in (
        ("infra", TRUST, POLICY),
        ("untrusted", {"Statement": []}, POLICY),
        ("bare", TRUST, None),
    ):
        roles[name] = iam.create_role(RoleName=f"x-{name}", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
        if policy:
            iam.attach_role_policy(RoleName=f"x-{name}", PolicyArn=policy)
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.9.{i}.0/24", AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
        for i, z in ((1, "a"), (2, "b"))
    ]
    other_vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_subnet(VpcId=other_vpc, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="tasks", Description="tasks", VpcId=vpc)["GroupId"]
    return {"url": server, "roles": roles, "vpc": vpc, "subnets": subnets, "other_subnet": other, "group": group}


def create(aws, name: str, **extra):
    params = {
        "infrastructureRoleArn": aws["roles"]["infra"],
        "serviceName": name,
        "primaryContainer": {"image": IMAGE, "containerPort": 8080},
        "networkConfiguration": {"subnets": aws["subnets"], "securityGroups": [aws["group"]]},
        "tags": [{"key": "team", "value": "ml"}],
        **extra,
    }
    params = {k: v for k, v in params.items() if v is not None}
    return client(aws["url"], "ecs").create_express_gateway_service(**params)["service"]


def error(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return caught.value.response["Error"]["Code"], caught.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def alpha(aws):
    return create(aws, "alpha")


def test_create_answers_the_configuration_with_defaults(alpha):
    service = alpha
    assert service["status"]["statusCode"] == "ACTIVE"
    assert service["serviceArn"] == f"arn:aws:ecs:{REGION}:123456789012:service/default/alpha"
    (config,) = service["activeConfigurations"]
    assert (config["cpu"], config["memory"], config["healthCheckPath"]) == ("1024", "2048", "/ping")
    assert config["scalingTarget"] == {
        "minTaskCount": 1,
        "maxTaskCount": 20,
        "autoScalingMetric": "AVERAGE_CPU",
        "autoScalingTargetValue": 60,
    }
    (path,) = config["ingressPaths"]
    assert path["accessType"] == "PRIVATE"  # no route to an internet gateway
    endpoint = path["endpoint"]
    assert endpoint.startswith("alpha-") and endpoint.endswith(f".ecs.{REGION}.on.aws")
    assert service["currentDeployment"].startswith(f"arn:aws:ecs:{REGION}:123456789012:service-deployment/default/")


def test_create_makes_an_ecs_service_and_its_task_definition(aws, alpha):
    ecs, config = client(aws["url"], "ecs"), alpha["activeConfigurations"][0]
    (ecs_service,) = ecs.describe_services(cluster="default", services=["alpha"])["services"]
    assert ecs_service["status"] == "ACTIVE" and ecs_service["desiredCount"] == 1
    assert ecs_service["launchType"] == "FARGATE"
    assert ecs_service["deployments"][0]["rolloutState"] == "IN_PROGRESS"
    (lb,) = ecs_service["loadBalancers"]
    assert (lb["containerName"], lb["containerPort"]) == ("Main", 8080)
    groups = ecs_service["networkConfiguration"]["awsvpcConfiguration"]["securityGroups"]
    assert groups[0] == aws["group"] and len(groups) == 2
    definition = ecs.describe_task_definition(taskDefinition=config["taskDefinitionArn"])["taskDefinition"]
    assert definition["family"] == "alpha" and definition["requiresCompatibilities"] == ["FARGATE"]
    (container,) = definition["containerDefinitions"]
    assert container["name"] == "Main" and container["image"] == IMAGE
    assert container["logConfiguration"]["options"]["awslogs-group"] == "/aws/ecs/default/alpha"
    described = ecs.describe_express_gateway_service(serviceArn=alpha["serviceArn"], include=["TAGS"])["service"]
    assert described["tags"] == [{"key": "team", "value": "ml"}]
    assert "tags" not in ecs.describe_express_gateway_service(serviceArn=alpha["serviceArn"])["service"]


def test_create_makes_the_load_balancer_certificate_and_scaling(aws, alpha):
    ecs, elbv2 = client(aws["url"], "ecs"), client(aws["url"], "elbv2")
    endpoint = alpha["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    (lb,) = ecs.describe_services(cluster="default", services=["alpha"])["services"][0]["loadBalancers"]

    group = elbv2.describe_target_groups(TargetGroupArns=[lb["targetGroupArn"]])["TargetGroups"][0]
    assert (group["TargetType"], group["Port"], group["HealthCheckPath"]) == ("ip", 8080, "/ping")
    balancer = elbv2.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"])["LoadBalancers"][0]
    assert balancer["Scheme"] == "internal"
    listeners = {
        li["Port"]: li for li in elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    }
    assert listeners[443]["Protocol"] == "HTTPS" and listeners[443]["DefaultActions"][0]["Type"] == "fixed-response"
    assert listeners[80]["DefaultActions"][0]["RedirectConfig"]["Protocol"] == "HTTPS"
    rules = [r for r in elbv2.describe_rules(ListenerArn=listeners[443]["ListenerArn"])["Rules"] if not r["IsDefault"]]
    assert [r["Conditions"][0]["HostHeaderConfig"]["Values"] for r in rules] == [[endpoint]]
    assert rules[0]["Actions"][0]["TargetGroupArn"] == group["TargetGroupArn"]
    tags = elbv2.describe_tags(ResourceArns=[balancer["LoadBalancerArn"]])["TagDescriptions"][0]["Tags"]
    assert {"Key": "AmazonECSManaged", "Value": "true"} in tags

    acm = client(aws["url"], "acm")
    certificate = acm.describe_certificate(CertificateArn=listeners[443]["Certificates"][0]["CertificateArn"])
    assert certificate["Certificate"]["DomainName"] == f"*.ecs.{REGION}.on.aws"
    scaling = client(aws["url"], "application-autoscaling")
    (target,) = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/default/alpha"])[
        "ScalableTargets"
    ]
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 20)
    (policy,) = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId="service/default/alpha")[
        "ScalingPolicies"
    ]
    spec = policy["TargetTrackingScalingPolicyConfiguration"]
    assert spec["PredefinedMetricSpecification"]["PredefinedMetricType"] == "ECSServiceAverageCPUUtilization"
    ec2 = client(aws["url"], "ec2")
    managed = ec2.describe_security_groups(Filters=[{"Name": "tag:AmazonECSManaged", "Values": ["true"]}])
    assert len(managed["SecurityGroups"]) == 2


def test_services_of_one_vpc_share_the_load_balancer_and_the_certificate(aws):
    ecs, elbv2 = client(aws["url"], "ecs"), client(aws["url"], "elbv2")
    one, two = create(aws, "share-1"), create(aws, "share-2")
    balancers = set()
    for service in (one, two):
        (ecs_service,) = ecs.describe_services(cluster="default", services=[service["serviceName"]])["services"]
        group = elbv2.describe_target_groups(TargetGroupArns=[ecs_service["loadBalancers"][0]["targetGroupArn"]])
        balancers.update(group["TargetGroups"][0]["LoadBalancerArns"])
    assert len(balancers) == 1
    certificates = client(aws["url"], "acm").list_certificates()["CertificateSummaryList"]
    assert [c["DomainName"] for c in certificates].count(f"*.ecs.{REGION}.on.aws") == 1


def test_update_changes_only_the_members_given(aws):
    ecs, elbv2 = client(aws["url"], "ecs"), client(aws["url"], "elbv2")
    service = create(aws, "beta")
    before = service["activeConfigurations"][0]
    deployments = ecs.describe_services(cluster="default", services=["beta"])["services"][0]["deployments"]

    updated = ecs.update_express_gateway_service(serviceArn=service["serviceArn"], healthCheckPath="/health")
    target = updated["service"]["targetConfiguration"]
    assert target["healthCheckPath"] == "/health"
    unchanged = ("cpu", "memory", "primaryContainer", "scalingTarget", "networkConfiguration", "taskDefinitionArn")
    assert {k: target[k] for k in unchanged} == {k: before[k] for k in unchanged}
    (ecs_service,) = ecs.describe_services(cluster="default", services=["beta"])["services"]
    assert [d["id"] for d in ecs_service["deployments"]] == [d["id"] for d in deployments]  # no new deployment
    group = elbv2.describe_target_groups(TargetGroupArns=[ecs_service["loadBalancers"][0]["targetGroupArn"]])
    assert group["TargetGroups"][0]["HealthCheckPath"] == "/health"

    target = ecs.update_express_gateway_service(serviceArn=service["serviceArn"], cpu="2048", memory="4096")["service"][
        "targetConfiguration"
    ]
    assert target["taskDefinitionArn"].endswith("/beta:2") and target["healthCheckPath"] == "/health"
    (ecs_service,) = ecs.describe_services(cluster="default", services=["beta"])["services"]
    assert len(ecs_service["deployments"]) == 2 and ecs_service["taskDefinition"] == target["taskDefinitionArn"]
    definition = ecs.describe_task_definition(taskDefinition=target["taskDefinitionArn"])["taskDefinition"]
    assert (definition["cpu"], definition["memory"]) == ("2048", "4096")

    ecs.update_express_gateway_service(serviceArn=service["serviceArn"], scalingTarget={"maxTaskCount": 3})
    scaling = client(aws["url"], "application-autoscaling")
    (scalable,) = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/default/beta"])[
        "ScalableTargets"
    ]
    assert (scalable["MinCapacity"], scalable["MaxCapacity"]) == (1, 3)
    described = ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]
    assert described["activeConfigurations"][0]["scalingTarget"]["maxTaskCount"] == 3
    assert described["activeConfigurations"][0]["cpu"] == "2048"


def test_delete_drains_then_removes_everything(aws):
    ecs, elbv2 = client(aws["url"], "ecs"), client(aws["url"], "elbv2")
    ec2 = client(aws["url"], "ec2")
    vpc = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.7.1.0/24")["Subnet"]["SubnetId"]
    service = create(aws, "gamma", networkConfiguration={"subnets": [subnet]})
    (ecs_service,) = ecs.describe_services(cluster="default", services=["gamma"])["services"]
    group_arn = ecs_service["loadBalancers"][0]["targetGroupArn"]
    balancer = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]["LoadBalancerArns"][0]

    deleted = ecs.delete_express_gateway_service(serviceArn=service["serviceArn"])["service"]
    assert deleted["status"]["statusCode"] == "DRAINING"
    assert ecs.describe_services(cluster="default", services=["gamma"])["services"][0]["desiredCount"] == 0
    for call in (ecs.delete_express_gateway_service, ecs.update_express_gateway_service):
        assert error(call, serviceArn=service["serviceArn"])[0] == "ServiceNotActiveException"
    for _attempt in range(50):
        status = ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]["status"]
        if status["statusCode"] == "INACTIVE":
            break
        time.sleep(0.1)
    assert status["statusCode"] == "INACTIVE"
    assert ecs.describe_services(cluster="default", services=["gamma"])["services"][0]["status"] == "INACTIVE"
    assert error(elbv2.describe_target_groups, TargetGroupArns=[group_arn])[0] == "TargetGroupNotFound"
    assert error(elbv2.describe_load_balancers, LoadBalancerArns=[balancer])[0] == "LoadBalancerNotFound"
    scaling = client(aws["url"], "application-autoscaling")
    assert not scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=["service/default/gamma"])[
        "ScalableTargets"
    ]


def test_errors(aws):
    ecs = client(aws["url"], "ecs")
    base = {"networkConfiguration": {"subnets": aws["subnets"]}}
    cases = {
        "cpu/memory": {"cpu": "256", "memory": "4096"},
        "subnet": {"networkConfiguration": {"subnets": ["subnet-00000000"]}},
        "group": {"networkConfiguration": {"subnets": aws["subnets"], "securityGroups": ["sg-00000000"]}},
        "vpcs": {"networkConfiguration": {"subnets": [*aws["subnets"], aws["other_subnet"]]}},
        "role": {"executionRoleArn": "arn:aws:iam::123456789012:role/none"},
        "path": {"healthCheckPath": "health"},
        "port": {"primaryContainer": {"image": IMAGE, "containerPort": 70000}},
        "min>max": {"scalingTarget": {"minTaskCount": 3, "maxTaskCount": 2}},
    }
    for case, change in cases.items():
        code, message = error(create, aws, f"bad-{case.replace('/', '').replace('>', '')}", **{**base, **change})
        assert code == "InvalidParameterException", (case, message)
    create(aws, "twice")
    assert error(create, aws, "twice") == ("InvalidParameterException", "Creation of service was not idempotent.")
    assert error(create, aws, "lost", cluster="nowhere")[0] == "ClusterNotFoundException"
    for role in ("untrusted", "bare"):
        assert (
            error(create, aws, f"denied-{role}", infrastructureRoleArn=aws["roles"][role])[0] == "AccessDeniedException"
        )
    unknown = f"arn:aws:ecs:{REGION}:123456789012:service/default/unknown"
    assert error(ecs.describe_express_gateway_service, serviceArn=unknown)[0] == "ResourceNotFoundException"
    assert error(ecs.update_express_gateway_service, serviceArn=unknown, cpu="512")[0] == "ServiceNotFoundException"
    assert error(ecs.delete_express_gateway_service, serviceArn=unknown)[0] == "ServiceNotFoundException"
    unchecked = client(aws["url"], "ecs", parameter_validation=False)
    code, message = error(unchecked.describe_express_gateway_service, serviceArn=unknown, include=["EVERYTHING"])
    assert code == "InvalidParameterException" and "Member must satisfy enum value set: [TAGS]" in message


def test_faults_and_calls(aws):
    ecs, url = client(aws["url"], "ecs"), aws["url"]
    service = create(aws, "delta")
    hook(url, "calls/reset", {})
    assert hook(url, "calls") == {"calls": {}}
    hook(url, "express/faults", {"throttle": {"DescribeExpressGatewayService": 2}})
    for _attempt in range(2):
        assert error(ecs.describe_express_gateway_service, serviceArn=service["serviceArn"])[0] == "ThrottlingException"
    ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])
    assert hook(url, "calls")["calls"] == {"ecs:DescribeExpressGatewayService": 3}
    assert hook(url, "express")["faults"]["throttle"] == {"DescribeExpressGatewayService": 0}

    hook(url, "express/faults", {"fail_next_deployment": "tasks failed the load balancer health checks"})
    previous = service["activeConfigurations"][0]
    ecs.update_express_gateway_service(
        serviceArn=service["serviceArn"], primaryContainer={"image": IMAGE.replace(":1", ":2"), "containerPort": 8080}
    )
    primary = ecs.describe_services(cluster="default", services=["delta"])["services"][0]["deployments"][0]
    assert primary["rolloutState"] == "FAILED"
    assert primary["rolloutStateReason"] == "tasks failed the load balancer health checks"
    described = ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]
    assert [c["serviceRevisionArn"] for c in described["activeConfigurations"]] == [previous["serviceRevisionArn"]]
    assert hook(url, "express")["faults"]["fail_next_deployment"] is None
    with pytest.raises(urllib.error.HTTPError):
        hook(url, "express/faults", {"explode": True})


def test_default_network_is_the_default_vpcs_public_subnets(aws):
    ecs, ec2 = client(aws["url"], "ecs"), client(aws["url"], "ec2")
    service = create(aws, "epsilon", networkConfiguration=None)
    config = service["activeConfigurations"][0]
    assert config["ingressPaths"][0]["accessType"] == "PUBLIC"
    default_vpc = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(SubnetIds=config["networkConfiguration"]["subnets"])["Subnets"]
    assert {s["VpcId"] for s in subnets} == {default_vpc}
    assert (
        ecs.describe_services(cluster="default", services=["epsilon"])["services"][0]["networkConfiguration"][
            "awsvpcConfiguration"
        ]["assignPublicIp"]
        == "ENABLED"
    )


def test_every_response_follows_the_model(aws):
    """Run last in this file: every Express response recorded so far parses and passes the output shape."""
    assert RAW, "no response recorded"
    for operation, body in RAW:
        assert botocore_shapes.validate_output("ecs", operation, body) == [], operation
    assert hook(aws["url"], "express")["output_errors"] == []


def test_validator_knows_doubles_and_unicode_patterns():
    shapes = ShapeResolver(
        {"D": {"type": "double", "min": 0, "max": 1}, "T": {"type": "string", "pattern": r"^[\p{L}\p{N}]*$"}}
    )
    validator = botocore_shapes.Validator()
    validator.check(shapes.get_shape_by_name("D"), 0.5, "d")
    validator.check(shapes.get_shape_by_name("T"), "Grüße1", "t")
    assert validator.errors == []
    validator.check(shapes.get_shape_by_name("D"), 2.5, "d")
    validator.check(shapes.get_shape_by_name("T"), "a b", "t")
    assert len(validator.errors) == 2


def test_motos_reset_forgets_the_express_services(aws, alpha):
    """Last: it empties the server."""
    request = urllib.request.Request(f"{aws['url']}/moto-api/reset", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=5).close()
    ecs = client(aws["url"], "ecs")
    assert error(ecs.describe_express_gateway_service, serviceArn=alpha["serviceArn"])[0] == "ResourceNotFoundException"
    assert hook(aws["url"], "express")["faults"] == {"throttle": {}, "fail_next_deployment": None}
