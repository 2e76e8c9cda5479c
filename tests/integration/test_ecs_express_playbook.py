"""The move from App Runner to ECS Express on local AWS (moto, the ECS Express emulator, the local data
plane and the App Runner emulator): MLflow on App Runner with a run logged by the real client, then
playbooks/apprunner_to_ecs_express.yml brings up ECS Express on the same bucket, database and secrets,
checks it and pauses App Runner. The run, its metrics and its artifact read back identical through the
Express URL with the same login; the Express URL serves the real client; what AWS holds is read back;
a re-run changes nothing; a rollback resumes App Runner and removes ECS Express, keeping the data.

One deployment (module-scoped) serves every check; they run in file order.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from aws_state import client
from conftest import changed, playbook, run
from e2e import CA, WHEELHOUSE, http, local_env, record, second_run, web_login

REGION = "us-west-2"
NAME = "move-e2e"
E2E = {
    "mlflow_stack_name": NAME,
    "mlflow_stack_region": REGION,
    "s3_artifacts_bucket": "mlflow-move-e2e-artifacts",
    "ecr_image_wheelhouse": WHEELHOUSE,
}


def login(env) -> dict[str, str]:
    return web_login(env, NAME)


def apprunner_service(env) -> dict:
    apprunner = client("apprunner", {**env, "AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL_APPRUNNER"]})
    for summary in apprunner.list_services()["ServiceSummaryList"]:
        if summary["ServiceName"] == NAME:
            return apprunner.describe_service(ServiceArn=summary["ServiceArn"])["Service"]
    return {}


def express_service(env) -> dict:
    ecs = client("ecs", env)
    found = ecs.describe_services(cluster="default", services=[NAME])["services"]
    arn = next(s["serviceArn"] for s in found)
    return ecs.describe_express_gateway_service(serviceArn=arn, include=["TAGS"])["service"]


def mlflow_client_env(env, url: str) -> dict[str, str]:
    """What a user's client sets: the URL, the login, the local CA; no AWS keys at all."""
    creds = login(env)
    clean = {k: v for k, v in env.items() if not k.startswith("AWS_")}
    return {
        **clean,
        "MLFLOW_TRACKING_URI": url,
        "MLFLOW_TRACKING_USERNAME": creds["username"],
        "MLFLOW_TRACKING_PASSWORD": creds["password"],
        "MLFLOW_TRACKING_SERVER_CERT_PATH": str(CA),
        "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "false",
        "MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD": "false",
    }


def move_check(env, url: str, *args: str):
    return run(["python", "tests/local/move_check.py", *args, "--url", url], mlflow_client_env(env, url))


@pytest.fixture(scope="module")
def moved(apprunner_env, tmp_path_factory):
    env = local_env(apprunner_env, REGION)
    tmp = tmp_path_factory.mktemp("move")
    first = playbook("apprunner.yml", E2E, env, tmp, inventory="inventories/local")
    assert first.returncode == 0, (first.stdout + first.stderr)[-5000:]
    old_url = f"http://{apprunner_service(env)['ServiceUrl']}"
    fingerprint = Path(tmp, "fingerprint.json")
    logged = move_check(env, old_url, "log", "--out", str(fingerprint), "--artifact-mb", "8")
    assert logged.returncode == 0, logged.stdout + logged.stderr

    started = time.monotonic()
    move = playbook("apprunner_to_ecs_express.yml", E2E, env, tmp, inventory="inventories/local")
    took = time.monotonic() - started
    assert move.returncode == 0, (move.stdout + move.stderr)[-6000:]
    record(f"move App Runner -> ECS Express: {took:.0f}s, changed={changed(move.stdout)}")
    endpoint = express_service(env)["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
    return {"env": env, "tmp": tmp, "move": move, "url": f"https://{endpoint}", "old_url": old_url, "fp": fingerprint}


def test_the_move_keeps_every_run_artifact_and_the_login(moved):
    env, out = moved["env"], moved["move"].stdout
    # The playbook compared both front doors before it paused App Runner, and says so.
    compared = re.search(r"Same data through both: (\d+) experiments,\s+(\d+) runs, (\d+) registered models", out)
    assert compared, out[-4000:]
    # At least what was logged before the move: its experiment, its run, its model.
    assert all(int(count) >= 1 for count in compared.groups()), compared.group(0)
    assert f"App Runner service {NAME}: paused" in out
    assert apprunner_service(env)["Status"] == "PAUSED"
    # The run logged through App Runner reads back identical through ECS Express, same login.
    verified = move_check(env, moved["url"], "verify", "--fingerprint", str(moved["fp"]))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "reads back identical" in verified.stdout
    # The playbook ends with the URL, the login and the client settings of the new front door.
    assert f"URL: {moved['url']}/" in out
    assert f"MLFLOW_TRACKING_URI={moved['url']}/" in out and "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=false" in out
    assert "aws secretsmanager get-secret-value" in out


def test_the_express_url_serves_the_real_client(moved):
    env = moved["env"]
    assert http(f"{moved['url']}/health") == 200
    assert http(f"{moved['url']}/api/2.0/mlflow/experiments/search?max_results=1") == 401
    assert http(f"{moved['url']}/health".replace("https://", "http://"), follow=False) in (301, 302)
    base = ["python", "tests/local/client_check.py", "--target", "ecs_express", "--service", NAME, "--ca", str(CA)]
    check = run([*base, "--artifact-mb", "64", "--register-model"], env)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "OK: run" in check.stdout and "artifacts: proxy" in check.stdout
    figures = json.loads(check.stdout.strip().splitlines()[-1])
    record(f"ecs_express 64 MiB artifact (proxy): up {figures['up']:.1f}s, down {figures['down']:.1f}s")


def test_what_aws_holds(moved):
    env = moved["env"]
    service = express_service(env)
    config = service["activeConfigurations"][0]
    container = config["primaryContainer"]
    secret = login(env)["password"]
    assert service["status"]["statusCode"] == "ACTIVE"
    assert service["serviceArn"].startswith(f"arn:aws:ecs:{REGION}:")
    # Secrets are valueFrom references, never plain environment (nor in the task definition).
    assert {s["name"] for s in container["secrets"]} == {"MLFLOW_TRACKING_AUTH_JSON", "MLFLOW_BACKEND_URI"}
    assert all(s["valueFrom"].startswith(f"arn:aws:secretsmanager:{REGION}:") for s in container["secrets"])
    environment = {e["name"]: e["value"] for e in container["environment"]}
    assert secret not in json.dumps(environment) and environment["PORT"] == "8080"
    assert environment["AWS_DEFAULT_REGION"] == REGION
    assert environment["MLFLOW_ALLOWED_HOSTS"] == f"{NAME}-*.ecs.{REGION}.on.aws"
    task_definition = client("ecs", env).describe_task_definition(taskDefinition=config["taskDefinitionArn"])
    assert secret not in json.dumps(task_definition, default=str)
    assert config["healthCheckPath"] == "/health" and container["containerPort"] == 8080
    assert config["scalingTarget"]["minTaskCount"] == 1 and config["scalingTarget"]["maxTaskCount"] == 1
    assert service["tags"] and {"key": "mlflow:stack", "value": NAME} in service["tags"]
    # The tasks carry the group the database admits; the database stays private.
    db = client("rds", env).describe_db_instances(DBInstanceIdentifier=NAME)["DBInstances"][0]
    assert db["PubliclyAccessible"] is False
    db_groups = client("ec2", env).describe_security_groups(
        GroupIds=[g["VpcSecurityGroupId"] for g in db["VpcSecurityGroups"]]
    )
    rules = [p for g in db_groups["SecurityGroups"] for p in g["IpPermissions"]]
    assert not [p for p in rules if p.get("IpRanges")], rules  # no address range, groups only
    admitted = {pair["GroupId"] for p in rules for pair in p["UserIdGroupPairs"]}
    assert set(config["networkConfiguration"]["securityGroups"]) == admitted
    # Least privilege: AWS's Express policy for the infrastructure role, inline policies elsewhere.
    iam = client("iam", env)
    attached = iam.list_attached_role_policies(RoleName=f"{NAME}-express-infrastructure")["AttachedPolicies"]
    assert [p["PolicyName"] for p in attached] == ["AmazonECSInfrastructureRoleforExpressGatewayServices"]
    for role in (f"{NAME}-express-execution", f"{NAME}-express-task"):
        assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    execution = iam.get_role_policy(RoleName=f"{NAME}-express-execution", PolicyName="execution")["PolicyDocument"]
    readable = next(s["Resource"] for s in execution["Statement"] if "secretsmanager:GetSecretValue" in s["Action"])
    secret_arn = r"^(arn:[^:]+:secretsmanager:[^:]+:[0-9]+:secret:[^:]+):.*$"
    assert sorted(readable) == sorted({re.sub(secret_arn, r"\1", s["valueFrom"]) for s in container["secrets"]})
    assert iam.list_role_policies(RoleName=f"{NAME}-express-task")["PolicyNames"] == ["mlflow-artifacts"]


def test_second_run_changes_nothing(moved):
    second, made, took = second_run("apprunner_to_ecs_express.yml", E2E, moved["env"], moved["tmp"])
    express = {k: v for k, v in made.items() if k.startswith("ecs:")}
    record(f"apprunner_to_ecs_express.yml second run {took:.0f}s, changed=0, ECS calls {express}")
    # The Express module's no-op: find the service, describe it; nothing else.
    assert express == {"ecs:DescribeServices": 1, "ecs:DescribeExpressGatewayService": 1}, made
    assert "App Runner was already PAUSED" in second.stdout


def test_rollback_resumes_app_runner_and_keeps_the_data(moved):
    env = moved["env"]
    back = playbook(
        "apprunner_to_ecs_express.yml",
        {**E2E, "mlflow_stack_move_rollback": "true"},
        env,
        moved["tmp"],
        inventory="inventories/local",
    )
    assert back.returncode == 0, back.stdout[-4000:]
    assert apprunner_service(env)["Status"] == "RUNNING"
    assert express_service(env)["status"]["statusCode"] == "INACTIVE"
    old_url = f"http://{apprunner_service(env)['ServiceUrl']}"
    verified = move_check(env, old_url, "verify", "--fingerprint", str(moved["fp"]))
    assert verified.returncode == 0, verified.stdout + verified.stderr
    down = playbook(
        "apprunner_teardown.yml",
        {**E2E, "mlflow_stack_teardown_confirm": NAME},
        env,
        moved["tmp"],
        inventory="inventories/local",
    )
    assert down.returncode == 0, down.stdout[-3000:]
    assert client("s3", env).list_objects_v2(Bucket="mlflow-move-e2e-artifacts")["KeyCount"] > 0  # data kept
