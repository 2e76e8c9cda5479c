"""playbooks/ecs.yml: bad input stops before any change; on local AWS (moto + the local data plane)
it deploys MLflow on ECS behind an HTTPS load balancer that the real client uses, a re-run changes
nothing, a killed task is replaced while clients keep working, a new image rolls out, a broken one
is rolled back by the circuit breaker, a scaling alarm adds a task, and the teardown keeps the data.

One deployment (module-scoped) serves every check; they run in file order.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from aws_state import client, snapshot
from conftest import changed, playbook, run
from e2e import (
    CA,
    WHEELHOUSE,
    Clients,
    first_run,
    http,
    image_context,
    local_env,
    record,
    second_run,
    wait_for,
    web_login,
)

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
GOOD = {"mlflow_stack_name": "ecs-input", "s3_artifacts_bucket": "mlflow-ecs-input", "alb_certificate_arn": CERT}
CASES = {
    "CPU/memory pair Fargate rejects": (
        {"ecs_fargate_cpu": "1024", "ecs_fargate_memory": "512"},
        "ecs_fargate_memory 512 is not offered with ecs_fargate_cpu 1024: Fargate takes 2048-8192 MiB",
    ),
    "CPU size Fargate does not have": ({"ecs_fargate_cpu": "3000"}, "ecs_fargate_cpu"),
    "min tasks above max": (
        {"ecs_fargate_min_tasks": 4, "ecs_fargate_max_tasks": 2},
        "ecs_fargate_min_tasks (4) must be at least 1 and at most ecs_fargate_max_tasks (2)",
    ),
    "desired count above max": (
        {"ecs_fargate_desired_count": 5},
        "ecs_fargate_desired_count (5) must be within ecs_fargate_min_tasks and ecs_fargate_max_tasks (2-3)",
    ),
    "scaling target above 100": ({"ecs_fargate_cpu_target": 150}, "ecs_fargate_cpu_target must be 1-100"),
    "scaling target of 0": ({"ecs_fargate_cpu_target": 0}, "ecs_fargate_cpu_target must be 1-100"),
    "certificate that is not an ACM ARN": (
        {"alb_certificate_arn": "arn:aws:iam::123456789012:server-certificate/mlflow"},
        "alb_certificate_arn must be an ACM certificate ARN",
    ),
    "certificate in another region": (
        {"alb_certificate_arn": CERT.replace("us-east-1", "eu-west-1")},
        "alb_certificate_arn is in eu-west-1 but the load balancer is in us-east-1",
    ),
    "no certificate while TLS is on": (
        {"alb_certificate_arn": ""},
        "alb_certificate_arn is empty: HTTPS needs an ACM certificate",
    ),
    "client CIDR that is not one": (
        {"alb_client_cidrs": ["10.0.0.0/33"]},
        'alb_client_cidrs: "10.0.0.0/33" is not a CIDR',
    ),
    "client CIDR that is a word": ({"alb_client_cidrs": ["office"]}, 'alb_client_cidrs: "office" is not a CIDR'),
    "task ingress from everywhere": (
        {"ecs_fargate_ingress_cidrs": ["0.0.0.0/0"]},
        "ecs_fargate_ingress_cidrs must not admit 0.0.0.0/0",
    ),
    "clients let into the tasks' group": (
        {"aws_network_client_cidrs": ["203.0.113.0/24"]},
        "aws_network_client_cidrs would open the security group the ecs_public tasks carry to clients",
    ),
    "listener port out of range": ({"alb_https_port": 70000}, "alb_https_port must be 1-65535"),
    "idle timeout ALB does not allow": ({"alb_idle_timeout": 5000}, "alb_idle_timeout must be 1-4000"),
    "log retention CloudWatch does not offer": (
        {"ecs_fargate_log_retention_days": 45},
        "ecs_fargate_log_retention_days must be one of",
    ),
    "deployment maximum percent": ({"ecs_fargate_maximum_percent": 300}, "ecs_fargate_maximum_percent must be 100-200"),
    "more tasks than the database allows": (
        {"ecs_fargate_max_tasks": 10},
        "connection budget exceeded: 10 instances x ((2 workers x 2 stores) x (2 pool + 3 overflow) + 2 server) = 220"
        " connections, but the database allows 71 (max_connections 81 - reserve 10). Lower ecs_fargate_max_tasks",
    ),
}


@pytest.mark.preflight
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, aws_env, tmp_path):
    bad, message = CASES[case]
    before = snapshot(aws_env)
    result = playbook("ecs.yml", {**GOOD, **bad}, aws_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert snapshot(aws_env) == before


# ---------------------------------------------------------------- one deployment on local AWS
REGION = "eu-west-1"
NAME = "ecs-e2e"
E2E = {
    "mlflow_stack_name": NAME,
    "mlflow_stack_region": REGION,
    "mlflow_stack_web_password": 'P@ss, "w:rd" \\ $HOME 100%',
    "s3_artifacts_bucket": "mlflow-ecs-e2e-artifacts",
    "ecr_image_wheelhouse": WHEELHOUSE,
}


@pytest.fixture(scope="module")
def ecs_env(aws_env):
    return local_env(aws_env, REGION)


@pytest.fixture(scope="module")
def deployed(ecs_env, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ecs")
    return {"env": ecs_env, "tmp": tmp, "first": first_run("ecs.yml", E2E, ecs_env, tmp)}


def login(env) -> dict[str, str]:
    return web_login(env, NAME)


def url(env) -> str:
    return "https://" + client("elbv2", env).describe_load_balancers(Names=[NAME])["LoadBalancers"][0]["DNSName"]


def service(env) -> dict:
    return client("ecs", env).describe_services(cluster=NAME, services=[NAME])["services"][0]


def running_tasks(env) -> set[str]:
    ecs = client("ecs", env)
    arns = ecs.list_tasks(cluster=NAME, desiredStatus="RUNNING")["taskArns"]
    tasks = ecs.describe_tasks(cluster=NAME, tasks=arns)["tasks"] if arns else []
    return {t["taskArn"] for t in tasks if t["lastStatus"] == "RUNNING" and t.get("healthStatus") == "HEALTHY"}


def test_mlflow_answers_through_the_load_balancer(deployed):
    env, first = deployed["env"], deployed["first"]
    address = url(env)
    assert address == f"https://{NAME}-1.{REGION}.elb.amazonaws.com"
    assert f"URL: {address}/" in first.stdout
    assert "MLFLOW_TRACKING_URI=" + address in first.stdout
    assert http(address + "/health") == 200
    assert http(address + "/api/2.0/mlflow/experiments/search?max_results=1") == 401
    assert http(address.replace("https:", "http:") + "/health", follow=False) == 301
    check = run(
        [
            "python",
            "tests/local/client_check.py",
            "--target",
            "ecs_public",
            "--service",
            NAME,
            "--ca",
            str(CA),
            "--artifact-mb",
            "50",
            "--register-model",
        ],
        env,
    )
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "50 MiB artifact, model ecs_public-demo-model version" in check.stdout
    assert len(running_tasks(env)) == 2


def test_second_run_changes_nothing(deployed):
    second, made, took = second_run("ecs.yml", E2E, deployed["env"], deployed["tmp"])
    ecs_elb = {k: v for k, v in made.items() if k.startswith(("ecs:", "elasticloadbalancing:"))}
    record(f"ecs.yml second run {took:.0f}s, changed={changed(second.stdout)}, ECS/ELBv2 calls {ecs_elb}")
    assert ecs_elb, "the re-run read nothing from ECS or ELBv2: the call counts are not being kept"


def test_what_aws_holds_is_least_privilege(deployed):
    env = deployed["env"]
    ecs, iam, ec2 = client("ecs", env), client("iam", env), client("ec2", env)
    svc = service(env)
    secret_value = login(env)["password"]
    # No secret among the plain environment of any revision; secrets are valueFrom references.
    for arn in ecs.list_task_definitions(familyPrefix=NAME)["taskDefinitionArns"]:
        definition = ecs.describe_task_definition(taskDefinition=arn)["taskDefinition"]
        container = definition["containerDefinitions"][0]
        plain = json.dumps(container.get("environment", []))
        assert secret_value not in plain and "local-pg-Passw0rd" not in plain
        assert not [e for e in container.get("environment", []) if "PASSWORD" in e["name"] or "SECRET" in e["name"]]
        assert {s["name"] for s in container["secrets"]} == {"MLFLOW_TRACKING_AUTH_JSON", "MLFLOW_BACKEND_URI"}
        assert container["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{NAME}"
        assert container["healthCheck"]["command"][-1] == "healthcheck"
    # Execution and task roles: inline policies only, no FullAccess, no "*" on secrets.
    for role in (f"{NAME}-ecs-execution", f"{NAME}-ecs-task"):
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
        for policy in iam.list_role_policies(RoleName=role)["PolicyNames"]:
            document = iam.get_role_policy(RoleName=role, PolicyName=policy)["PolicyDocument"]
            assert "FullAccess" not in json.dumps(document)
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if any(a.startswith(("secretsmanager:", "ssm:", "s3:", "logs:")) for a in actions):
                    resources = (
                        statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
                    )
                    assert "*" not in resources, (role, statement)
    # Tasks: private subnets, no public IP, their own group admits the load balancer's group only.
    network = svc["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "DISABLED"
    private = {
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [f"{NAME}-private-*"]}])["Subnets"]
    }
    assert set(network["subnets"]) <= private and network["subnets"], (network, private)
    groups = ec2.describe_security_groups(GroupIds=network["securityGroups"])["SecurityGroups"]
    alb_group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"{NAME}-alb"]}])[
        "SecurityGroups"
    ][0]
    for group in groups:
        for permission in group["IpPermissions"]:
            assert permission["IpRanges"] == [] and permission.get("Ipv6Ranges", []) == [], permission
            assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [alb_group["GroupId"]], permission
    # The database admits one group, and only the tasks carry it.
    db = client("rds", env).describe_db_instances(DBInstanceIdentifier=NAME)["DBInstances"][0]
    db_groups = ec2.describe_security_groups(GroupIds=[g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]])
    sources = {
        p["GroupId"] for g in db_groups["SecurityGroups"] for r in g["IpPermissions"] for p in r["UserIdGroupPairs"]
    }
    cidrs = [r for g in db_groups["SecurityGroups"] for p in g["IpPermissions"] for r in p["IpRanges"]]
    assert len(sources) == 1 and not cidrs and sources <= set(network["securityGroups"]), (sources, network)
    assert sources.isdisjoint({alb_group["GroupId"]})
    # The private subnets reach exactly the AWS services the tasks need through endpoints.
    endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [db["DBSubnetGroup"]["VpcId"]]}])
    services = {e["ServiceName"].split(f"{REGION}.", 1)[1] for e in endpoints["VpcEndpoints"]}
    assert services == {"ecr.api", "ecr.dkr", "s3", "secretsmanager", "logs"}, services
    # Service settings AWS keeps.
    assert svc["deploymentConfiguration"]["deploymentCircuitBreaker"] == {"enable": True, "rollback": True}
    assert svc["healthCheckGracePeriodSeconds"] == 180 and svc["launchType"] == "FARGATE"
    cluster = ecs.describe_clusters(clusters=[NAME], include=["SETTINGS"])["clusters"][0]
    assert {"name": "containerInsights", "value": "enabled"} in cluster["settings"]
    logs = client("logs", env).describe_log_groups(logGroupNamePrefix=f"/ecs/{NAME}")["logGroups"][0]
    assert logs["retentionInDays"] == 30
    elb = client("elbv2", env)
    group = elb.describe_target_groups(Names=[f"{NAME}-tasks"])["TargetGroups"][0]
    assert group["TargetType"] == "ip" and group["HealthCheckPath"] == "/health"
    listeners = elb.describe_listeners(LoadBalancerArn=group["LoadBalancerArns"][0])["Listeners"]
    assert {(item["Protocol"], item["Port"]) for item in listeners} == {("HTTPS", 443), ("HTTP", 80)}
    target = client("application-autoscaling", env).describe_scalable_targets(ServiceNamespace="ecs")
    mine = [t for t in target["ScalableTargets"] if t["ResourceId"] == f"service/{NAME}/{NAME}"]
    assert [(t["MinCapacity"], t["MaxCapacity"]) for t in mine] == [(2, 3)]


def test_a_killed_task_is_replaced_while_clients_keep_working(deployed):
    env = deployed["env"]
    before = running_tasks(env)
    assert len(before) == 2
    names = subprocess.run(
        ["docker", "ps", "--format", "{{.Names}}", "--filter", f"label=mlops.ecs-task={sorted(before)[0]}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert names, "no container for the task"
    with Clients(url(env), login(env)) as users:
        time.sleep(3)
        killed = time.monotonic()
        subprocess.run(["docker", "kill", names[0]], check=True, capture_output=True)
        replaced = wait_for(
            lambda: (len(now := running_tasks(env)) == 2 and now != before) and now, 180, "a replacement task"
        )
        took = time.monotonic() - killed
        time.sleep(5)
    assert sorted(before)[0] not in replaced
    stopped = client("ecs", env).describe_tasks(cluster=NAME, tasks=[sorted(before)[0]])["tasks"][0]
    assert stopped["lastStatus"] == "STOPPED" and "Essential container in task exited" in stopped["stoppedReason"]
    record(
        f"ecs task replacement: healthy again after {took:.0f}s;"
        f" mlflow client errors {len(users.mlflow_errors)}; {users.gap()}"
    )
    assert users.mlflow_errors == [], users.mlflow_errors[:3]


def test_a_new_image_rolls_out_and_a_broken_one_rolls_back(deployed):
    env, tmp = deployed["env"], deployed["tmp"]
    old = service(env)["taskDefinition"]
    with Clients(url(env), login(env)) as users:
        started = time.monotonic()
        rolled = playbook(
            "ecs.yml",
            {**E2E, "ecr_image_context": str(image_context(tmp, "v2"))},
            env,
            tmp,
            inventory="inventories/local",
        )
        took = time.monotonic() - started
    assert rolled.returncode == 0, rolled.stdout[-4000:]
    new = service(env)["taskDefinition"]
    assert new != old
    image = client("ecs", env).describe_task_definition(taskDefinition=new)["taskDefinition"]["containerDefinitions"][
        0
    ]["image"]
    assert image.split(":")[-1] not in old
    record(f"ecs rollout of a new image: {took:.0f}s; mlflow client errors {len(users.mlflow_errors)}; {users.gap()}")
    assert users.mlflow_errors == [], users.mlflow_errors[:3]

    with Clients(url(env), login(env)) as users:
        broken = playbook(
            "ecs.yml",
            {**E2E, "ecr_image_context": str(image_context(tmp, "broken", broken=True))},
            env,
            tmp,
            inventory="inventories/local",
        )
        wait_for(lambda: service(env)["taskDefinition"] == new and len(running_tasks(env)) == 2, 300, "the rollback")
    output = broken.stdout + broken.stderr
    assert broken.returncode != 0, output[-3000:]
    assert f"ECS service {NAME} in cluster {NAME}" in output, output[-4000:]
    assert "Essential container in task exited (exit code 3)" in output, output[-4000:]
    assert "circuit breaker" in output or "rolling back" in output, output[-4000:]
    assert users.mlflow_errors == [], users.mlflow_errors[:3]
    record(f"ecs broken image rolled back; mlflow client errors {len(users.mlflow_errors)}; {users.gap()}")


def test_a_scaling_alarm_adds_a_task(deployed):
    env = deployed["env"]
    policies = client("application-autoscaling", env).describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=f"service/{NAME}/{NAME}"
    )["ScalingPolicies"]
    high = [a["AlarmName"] for p in policies for a in p["Alarms"] if "AlarmHigh" in a["AlarmName"]]
    assert high, policies
    cloudwatch = client("cloudwatch", env)
    cloudwatch.set_alarm_state(AlarmName=high[0], StateValue="ALARM", StateReason="test: CPU above target")
    try:
        wait_for(lambda: service(env)["desiredCount"] == 3, 30, "the desired count to follow the alarm")
        wait_for(lambda: len(running_tasks(env)) == 3, 240, "a third healthy task")
    finally:
        cloudwatch.set_alarm_state(AlarmName=high[0], StateValue="OK", StateReason="test done")
    time.sleep(5)
    assert service(env)["desiredCount"] == 3, "scaling went past the scalable target's maximum"


def test_teardown_keeps_the_data(deployed):
    env, tmp = deployed["env"], deployed["tmp"]
    teardown = playbook(
        "ecs_teardown.yml", {**E2E, "mlflow_stack_teardown_confirm": NAME}, env, tmp, inventory="inventories/local"
    )
    assert teardown.returncode == 0, teardown.stdout[-3000:]
    assert service(env)["status"] == "INACTIVE"
    assert NAME not in {b["LoadBalancerName"] for b in client("elbv2", env).describe_load_balancers()["LoadBalancers"]}
    wait_for(
        lambda: (
            not subprocess.run(
                # This service's task containers (ecs-<cluster>-<service>-...); other tests' may still run.
                ["docker", "ps", "-q", "--filter", f"name=ecs-{NAME}-{NAME}-"],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.strip()
            or None
        ),
        90,
        "the tasks' containers to go",
    )
    assert f"{NAME}-1.{REGION}.elb.amazonaws.com" not in Path("/etc/hosts").read_text()
    assert client("s3", env).list_objects_v2(Bucket=E2E["s3_artifacts_bucket"])["KeyCount"] > 0
    assert f"/ecs/{NAME}" in {g["logGroupName"] for g in client("logs", env).describe_log_groups()["logGroups"]}
