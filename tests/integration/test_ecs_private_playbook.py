"""playbooks/ecs_private.yml on local AWS (moto + the local data plane): MLflow on ECS in private
subnets behind an internal load balancer, reached only through an API Gateway HTTP API that the real
client uses (a run, metrics, a registered model, a 1 GiB artifact in parts through presigned URLs).
API Gateway's limits are real (10 MB request and response, 30 s, throttling), what AWS holds is read
back, a re-run changes nothing, IAM authorization takes SigV4-signed requests only, and the teardown
keeps the data.

One deployment (module-scoped) serves every check; they run in file order.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from aws_state import client
from conftest import changed, playbook, run
from e2e import CA, WHEELHOUSE, first_run, http, local_env, record, second_run, wait_for, web_login

REGION = "eu-west-2"
NAME = "private-e2e"
E2E = {
    "mlflow_stack_name": NAME,
    "mlflow_stack_region": REGION,
    "s3_artifacts_bucket": "mlflow-private-e2e-artifacts",
    "ecr_image_wheelhouse": WHEELHOUSE,
}
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def deployed(aws_env, tmp_path_factory):
    env = local_env(aws_env, REGION)
    tmp = tmp_path_factory.mktemp("ecs-private")
    return {"env": env, "tmp": tmp, "first": first_run("ecs_private.yml", E2E, env, tmp)}


def api(env) -> dict:
    return next(a for a in client("apigatewayv2", env).get_apis()["Items"] if a["Name"] == NAME)


def login(env) -> dict[str, str]:
    return web_login(env, NAME)


def request(address: str, method: str = "GET", body: bytes | None = None, auth: dict | None = None):
    """(status, body) of one request through the gateway, trusting the local CA."""
    req = urllib.request.Request(address, data=body, method=method)
    if auth:
        token = b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
    context = ssl.create_default_context(cafile=str(CA))
    try:
        with urllib.request.urlopen(req, timeout=60, context=context) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
    except OSError as exc:  # no such name (yet), refused, reset
        return 0, str(exc).encode()


def client_check(env, *args: str) -> subprocess.CompletedProcess:
    base = ["python", "tests/local/client_check.py", "--target", "ecs_private", "--service", NAME, "--ca", str(CA)]
    return run([*base, *args], env)


def test_mlflow_answers_only_through_the_gateway_and_a_1_gib_artifact_round_trips(deployed):
    env, first = deployed["env"], deployed["first"]
    endpoint = api(env)["ApiEndpoint"]
    assert f"URL: {endpoint}/" in first.stdout
    # The client settings the playbook prints: artifacts in parts through presigned URLs.
    for setting in ("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD=true", "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE=5242880"):
        assert setting in first.stdout
    assert http(endpoint + "/health") == 200
    assert http(endpoint + "/api/2.0/mlflow/experiments/search?max_results=1") == 401
    check = client_check(env, "--artifact-mb", "1024", "--register-model")
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-3000:]
    assert "1024 MiB artifact, model ecs_private-demo-model version" in check.stdout
    figures = json.loads(check.stdout.strip().splitlines()[-1])
    record(
        f"ecs_private 1 GiB artifact through API Gateway (presigned parts): up {figures['up']:.1f}s"
        f" ({1024 / figures['up']:.0f} MiB/s), down {figures['down']:.1f}s ({1024 / figures['down']:.0f} MiB/s)"
    )


def test_a_request_over_10_mb_gets_413_from_the_gateway(deployed):
    env = deployed["env"]
    address = api(env)["ApiEndpoint"] + "/api/2.0/mlflow-artifacts/artifacts/limits/20mb.bin"
    status, body = request(address, "PUT", os.urandom(20 * MIB), login(env))
    assert status == 413, body[:300]
    assert json.loads(body) == {"message": "Request Entity Too Large"}
    # Under the limit, the same request passes.
    status, body = request(address.replace("20mb", "9mb"), "PUT", os.urandom(9 * MIB), login(env))
    assert status == 200, body[:300]


class Slow(BaseHTTPRequestHandler):
    """An integration that answers late (/slow), too much (/big) or at once (/ok)."""

    def do_GET(self):
        if self.path.startswith("/slow"):
            time.sleep(33)
        body = b"x" * (11 * MIB) if self.path.startswith("/big") else b'{"ok": true}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        with contextlib.suppress(OSError):  # the gateway hung up first
            self.wfile.write(body)

    def log_message(self, *args):
        pass


def test_limits_of_an_http_api_hold(deployed):
    """A second HTTP API, its integration a loopback server: the gateway, not MLflow, is under test."""
    env = deployed["env"]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    apigw = client("apigatewayv2", env)
    limits = apigw.create_api(Name=f"{NAME}-limits", ProtocolType="HTTP")
    try:
        integration = apigw.create_integration(
            ApiId=limits["ApiId"],
            IntegrationType="HTTP_PROXY",
            IntegrationMethod="ANY",
            IntegrationUri=f"http://127.0.0.1:{server.server_address[1]}",
            PayloadFormatVersion="1.0",
        )
        apigw.create_route(
            ApiId=limits["ApiId"], RouteKey="ANY /{proxy+}", Target=f"integrations/{integration['IntegrationId']}"
        )
        apigw.create_stage(ApiId=limits["ApiId"], StageName="$default", AutoDeploy=True)
        base = limits["ApiEndpoint"]
        wait_for(lambda: request(base + "/ok")[0] == 200, 30, "the second API to answer")
        status, body = request(base + "/big")
        assert status == 413 and b"Response payload size exceeded" in body, (status, body[:200])
        started = time.monotonic()
        status, body = request(base + "/slow")
        waited = time.monotonic() - started
        assert status == 504 and 29 <= waited < 33, (status, waited, body[:200])
        assert request(base + "/nothing-routes-here")[0] == 200  # ANY /{proxy+}
        assert request(base + "/")[0] == 404  # no route for / (only /{proxy+})
        # Throttling: 1 request per second with a burst of 1.
        apigw.update_stage(
            ApiId=limits["ApiId"],
            StageName="$default",
            DefaultRouteSettings={"ThrottlingRateLimit": 1.0, "ThrottlingBurstLimit": 1},
        )
        time.sleep(2.5)
        statuses = [request(base + "/ok")[0] for _attempt in range(6)]
        assert 429 in statuses and 200 in statuses, statuses
    finally:
        apigw.delete_api(ApiId=limits["ApiId"])
        server.shutdown()


def test_what_aws_holds(deployed):
    env = deployed["env"]
    elb, ec2, apigw = client("elbv2", env), client("ec2", env), client("apigatewayv2", env)
    balancer = elb.describe_load_balancers(Names=[NAME])["LoadBalancers"][0]
    assert balancer["Scheme"] == "internal"
    private = {
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=[{"Name": "tag:Name", "Values": [f"{NAME}-private-*"]}])["Subnets"]
    }
    assert {z["SubnetId"] for z in balancer["AvailabilityZones"]} <= private
    # The load balancer admits one group, the VPC link's, which nothing else carries.
    link = apigw.get_vpc_links()["Items"]
    link = next(v for v in link if v["Name"] == NAME)
    assert set(link["SubnetIds"]) <= private and link["VpcLinkStatus"] == "AVAILABLE"
    alb_group = ec2.describe_security_groups(GroupIds=balancer["SecurityGroups"])["SecurityGroups"][0]
    sources = [p["GroupId"] for perm in alb_group["IpPermissions"] for p in perm["UserIdGroupPairs"]]
    cidrs = [r for perm in alb_group["IpPermissions"] for r in perm["IpRanges"] + perm.get("Ipv6Ranges", [])]
    assert set(sources) == set(link["SecurityGroupIds"]) and not cidrs, alb_group["IpPermissions"]
    # The tasks admit the load balancer's group only.
    svc = client("ecs", env).describe_services(cluster=NAME, services=[NAME])["services"][0]
    network = svc["networkConfiguration"]["awsvpcConfiguration"]
    assert network["assignPublicIp"] == "DISABLED" and set(network["subnets"]) <= private
    for group in ec2.describe_security_groups(GroupIds=network["securityGroups"])["SecurityGroups"]:
        for permission in group["IpPermissions"]:
            assert permission["IpRanges"] == [], permission
            assert [p["GroupId"] for p in permission["UserIdGroupPairs"]] == [alb_group["GroupId"]], permission
    # The integration goes to the load balancer's HTTPS listener through the VPC link, verifying its name.
    mine = api(env)
    integration = apigw.get_integrations(ApiId=mine["ApiId"])["Items"][0]
    listener = elb.describe_listeners(ListenerArns=[integration["IntegrationUri"]])["Listeners"][0]
    assert listener["LoadBalancerArn"] == balancer["LoadBalancerArn"] and listener["Protocol"] == "HTTPS"
    assert (integration["ConnectionType"], integration["ConnectionId"]) == ("VPC_LINK", link["VpcLinkId"])
    assert integration["TlsConfig"]["ServerNameToVerify"] == f"{NAME}-internal.{REGION}.elb.amazonaws.com"
    routes = {r["RouteKey"]: r for r in apigw.get_routes(ApiId=mine["ApiId"])["Items"]}
    assert set(routes) == {"ANY /", "ANY /{proxy+}"}
    assert {r["AuthorizationType"] for r in routes.values()} == {"NONE"}
    stage = apigw.get_stage(ApiId=mine["ApiId"], StageName="$default")
    assert stage["AutoDeploy"] and stage["DefaultRouteSettings"]["ThrottlingRateLimit"] == 100
    assert stage["AccessLogSettings"]["DestinationArn"].endswith(f":log-group:/aws/apigateway/{NAME}")
    # Access logs reach CloudWatch Logs, one JSON line per request.
    logs = client("logs", env)

    def lines():
        events = logs.filter_log_events(logGroupName=f"/aws/apigateway/{NAME}").get("events", [])
        return [json.loads(e["message"]) for e in events]

    entries = wait_for(lines, 30, "access log lines")
    assert {"requestId", "status", "routeKey"} <= set(entries[-1]), entries[-1]
    assert any(e["routeKey"] == "ANY /{proxy+}" for e in entries)
    # No secret among the task definition's plain environment.
    ecs = client("ecs", env)
    container = ecs.describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"][
        "containerDefinitions"
    ][0]
    assert login(env)["password"] not in json.dumps(container.get("environment", []))
    assert {s["name"] for s in container["secrets"]} == {"MLFLOW_TRACKING_AUTH_JSON", "MLFLOW_BACKEND_URI"}


def test_second_run_changes_nothing(deployed):
    second, made, took = second_run("ecs_private.yml", E2E, deployed["env"], deployed["tmp"])
    gateway = {k: v for k, v in made.items() if k.startswith("apigateway:")}
    record(f"ecs_private.yml second run {took:.0f}s, changed={changed(second.stdout)}, API Gateway calls {gateway}")
    assert gateway, "the re-run read nothing from API Gateway: the call counts are not being kept"


def test_iam_authorization_takes_signed_requests_only(deployed):
    env, tmp = deployed["env"], deployed["tmp"]
    signed = {**E2E, "api_gateway_authorization": "AWS_IAM"}
    iam = playbook("ecs_private.yml", signed, env, tmp, inventory="inventories/local")
    assert iam.returncode == 0, iam.stdout[-3000:]
    assert "MLFLOW_TRACKING_AWS_SIGV4=true" in iam.stdout and "MLFLOW_TRACKING_PASSWORD" not in iam.stdout
    endpoint = api(env)["ApiEndpoint"]
    routes = client("apigatewayv2", env).get_routes(ApiId=api(env)["ApiId"])["Items"]
    assert {r["AuthorizationType"] for r in routes} == {"AWS_IAM"}
    # Unsigned, or with the web login instead of a signature: refused at the gateway.
    wait_for(lambda: http(endpoint + "/api/2.0/mlflow/experiments/search?max_results=1") == 403, 60, "403 unsigned")
    status, _body = request(endpoint + "/api/2.0/mlflow/experiments/search?max_results=1", auth=login(env))
    assert status == 403
    # The container asks for no login (the signature is the login) and gets no login secret.
    svc = client("ecs", env).describe_services(cluster=NAME, services=[NAME])["services"][0]
    container = client("ecs", env).describe_task_definition(taskDefinition=svc["taskDefinition"])["taskDefinition"][
        "containerDefinitions"
    ][0]
    assert {"name": "MLFLOW_WEB_AUTH", "value": "none"} in container["environment"]
    assert "MLFLOW_TRACKING_AUTH_JSON" not in {s["name"] for s in container["secrets"]}
    # Signed by the client (MLFLOW_TRACKING_AWS_SIGV4): a run and a 20 MiB artifact in parts.
    check = wait_for(
        lambda: (c := client_check(env, "--iam", "--artifact-mb", "20")).returncode == 0 and c, 240, "signed requests"
    )
    assert "SigV4-signed requests" in check.stdout


# ------------------------------------------------------------------ SageMaker (reference designs 002 and 004)
# With IAM authorization on (the test above): jobs sign with their execution role; the deploy play signs too.
MODEL = "e2e-model"
SAGEMAKER = {
    **E2E,
    "mlflow_stack_target": "ecs_private",
    "api_gateway_authorization": "AWS_IAM",
    "mlflow_stack_components": ["sagemaker_access", "sagemaker_endpoint"],
    "sagemaker_endpoint_model_name": MODEL,
}
ENDPOINT = f"{NAME}-{MODEL}"


def signed_env(env) -> dict[str, str]:
    """A user's client environment for this front door with IAM authorization (what the playbook prints)."""
    endpoint = api(env)["ApiEndpoint"]
    settings = {"MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true", "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": "1"}
    settings |= {"MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD": "true", "MLFLOW_TRACKING_AWS_SIGV4": "true"}
    user = {k: v for k, v in env.items() if k != "AWS_ENDPOINT_URL"}
    return user | settings | {"MLFLOW_TRACKING_URI": endpoint, "MLFLOW_TRACKING_SERVER_CERT_PATH": str(CA)}


def train(env, slope: float, alias: str = "") -> dict:
    args = ["python", "tests/local/sagemaker_flows.py", "train", "--name", MODEL, "--slope", str(slope)]
    trained = run([*args, *(["--alias", alias] if alias else [])], signed_env(env))
    assert trained.returncode == 0, trained.stderr[-3000:]
    return json.loads(trained.stdout.strip().splitlines()[-1])


def invoke(env, body: dict) -> list[float]:
    answer = client("sagemaker-runtime", env).invoke_endpoint(
        EndpointName=ENDPOINT, Body=json.dumps(body), ContentType="application/json", Accept="application/json"
    )
    return [float(p) for p in json.loads(answer["Body"].read())["predictions"]]


@pytest.fixture(scope="module")
def served(deployed):
    """Model version 1, trained and registered through the gateway (signed), deployed with the playbook."""
    env, tmp = deployed["env"], deployed["tmp"]
    version = train(env, slope=2.0)
    started = time.monotonic()
    deploy = playbook("sagemaker_deploy.yml", {**SAGEMAKER, "sagemaker_endpoint_model_version": version["version"]},
                      env, tmp, inventory="inventories/local")  # fmt: skip
    took = time.monotonic() - started
    assert deploy.returncode == 0, deploy.stdout[-5000:]
    record(
        f"sagemaker_deploy.yml first run {took:.0f}s, changed={changed(deploy.stdout)} (image built, endpoint created)"
    )
    return {"version": version, "deploy": deploy}


def test_a_registered_model_is_served_by_a_sagemaker_endpoint(deployed, served):
    env, version = deployed["env"], served["version"]
    endpoint = client("sagemaker", env).describe_endpoint(EndpointName=ENDPOINT)
    assert endpoint["EndpointStatus"] == "InService"
    # What SageMaker answers is what mlflow.pyfunc predicts with the model MLflow serves back.
    predictions = invoke(env, version["body"])
    assert predictions == pytest.approx(version["predictions"], rel=1e-9)
    assert predictions == pytest.approx([1.0, 4.0, 9.0, 21.0], rel=1e-6)
    record(f"sagemaker endpoint {ENDPOINT}: predictions {predictions} equal pyfunc's {version['predictions']}")
    assert "Smoke invocation answered" in served["deploy"].stdout and "predictions" in served["deploy"].stdout
    # The image is the server's MLflow with the model's requirements, under a content hash.
    model = client("sagemaker", env).describe_model(ModelName=endpoint["EndpointConfigName"])
    image = model["PrimaryContainer"]["Image"]
    assert image.split("/", 1)[1].startswith(f"{NAME}-serving:3.17.2-"), image
    source = model["PrimaryContainer"]["ModelDataSource"]["S3DataSource"]
    assert source["S3Uri"].startswith(f"s3://{E2E['s3_artifacts_bucket']}/") and source["S3Uri"].endswith("/")
    # The endpoint's role reads this model's files and pulls this image: nothing else.
    role = model["ExecutionRoleArn"].split("/")[-1]
    policy = client("iam", env).get_role_policy(RoleName=role, PolicyName="serve-the-model")["PolicyDocument"]
    reads = next(s for s in policy["Statement"] if s["Sid"] == "ReadTheModel")
    assert reads["Action"] == ["s3:GetObject"] and reads["Resource"] == [f"arn:aws:s3:::{source['S3Uri'][5:]}*"]
    assert not [s for s in policy["Statement"] if "FullAccess" in json.dumps(s)]


def test_a_sagemaker_job_logs_a_run_with_its_execution_role_only(deployed, served):
    env, deploy = deployed["env"], served["deploy"]
    # As the play prints it (the YAML callback may fold the line): NAME=value pairs up to the next sentence.
    printed = deploy.stdout.split("Job environment:", 1)[1].split("MLflow signs", 1)[0]
    job_env = {k: v.strip("'\",") for k, v in re.findall(r"([A-Z][A-Z0-9_]+)=(\S+)", printed)}
    assert job_env["MLFLOW_TRACKING_AWS_SIGV4"] == "true" and "MLFLOW_TRACKING_PASSWORD" not in job_env
    role = client("iam", env).get_role(RoleName=f"{NAME}-sagemaker")["Role"]
    trust = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
    assert trust == "sagemaker.amazonaws.com"
    policies = client("iam", env).list_role_policies(RoleName=f"{NAME}-sagemaker")["PolicyNames"]
    allowed = client("iam", env).get_role_policy(RoleName=f"{NAME}-sagemaker", PolicyName="mlflow-access")
    actions = {a for s in allowed["PolicyDocument"]["Statement"] for a in s["Action"]}
    assert (
        policies == ["mlflow-access"]
        and "execute-api:Invoke" in actions
        and not any(a.startswith("s3:") for a in actions)
    )
    result = job_stand_in(env, role["Arn"], job_env, tmp=deployed["tmp"])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    logged = json.loads(result.stdout.strip().splitlines()[-1])
    assert logged["metrics"] == {"loss": 0.25} and logged["artifacts"] == ["notes.txt"]
    # A role without execute-api:Invoke (the endpoint's) is refused at the gateway.
    endpoint_role = client("sagemaker", env).describe_model(
        ModelName=client("sagemaker", env).describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    )["ExecutionRoleArn"]
    refused = job_stand_in(env, endpoint_role, job_env, tmp=deployed["tmp"])
    assert refused.returncode != 0, refused.stdout[-2000:]
    assert "is not authorized to perform: execute-api:Invoke on resource" in refused.stderr, refused.stderr[-3000:]


def job_stand_in(env, role_arn: str, job_env: dict[str, str], tmp: Path) -> subprocess.CompletedProcess:
    """A container with the job environment and the role's temporary credentials only (SageMaker hands a job
    its execution role's credentials), running the project's Python with mlflow, on the host network."""
    creds = client("sts", env).assume_role(RoleArn=role_arn, RoleSessionName="training-job")["Credentials"]
    keys = {"AWS_ACCESS_KEY_ID": creds["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": creds["SecretAccessKey"]}
    keys |= {"AWS_SESSION_TOKEN": creds["SessionToken"], "MLFLOW_TRACKING_SERVER_CERT_PATH": "/etc/job/ca.pem"}
    env_file = tmp / "job.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in {**job_env, **keys}.items()))
    env_file.chmod(0o600)
    venv, python = Path(sys.prefix).resolve(), Path(sys.base_prefix).resolve()  # the venv and its interpreter
    repo = Path(__file__).resolve().parents[2]
    command = ["docker", "run", "--rm", "--network", "host", "--env-file", str(env_file)]
    mounts = [(CA, "/etc/job/ca.pem"), (venv, venv), (repo / "tests/local", "/job")]
    # The interpreter the venv points at (a Debian python in /usr is the image's own already).
    mounts += [] if str(python) == "/usr" else [(python, python)]
    for source, target in mounts:
        command += ["-v", f"{source}:{target}:ro"]
    command += ["mlops-mlflow-aws/debian-systemd:12", f"{venv}/bin/python", "/job/sagemaker_flows.py", "job"]
    result = run([*command, "--experiment", f"{NAME}-sagemaker-jobs"], env)
    env_file.unlink()
    return result


def test_a_second_deploy_changes_nothing(deployed, served):
    extra = {**SAGEMAKER, "sagemaker_endpoint_model_version": served["version"]["version"]}
    second, made, took = second_run("sagemaker_deploy.yml", extra, deployed["env"], deployed["tmp"])
    sagemaker = {k: v for k, v in made.items() if k.startswith("sagemaker:")}
    record(
        f"sagemaker_deploy.yml second run {took:.0f}s, changed={changed(second.stdout)}, SageMaker calls {sagemaker}"
    )
    assert sagemaker, "the re-run read nothing from SageMaker: the call counts are not being kept"


def test_a_new_version_by_alias_updates_the_endpoint_without_downtime(deployed, served):
    env, tmp = deployed["env"], deployed["tmp"]
    sm = client("sagemaker", env)
    before = sm.describe_endpoint(EndpointName=ENDPOINT)["EndpointConfigName"]
    version = train(env, slope=3.0, alias="champion")
    failures: list[str] = []
    stop = threading.Event()

    def keep_invoking() -> None:
        while not stop.is_set():
            try:
                invoke(env, version["body"])
            except Exception as exc:  # every failed invocation is a user's failed request
                failures.append(repr(exc))
            time.sleep(0.2)

    prober = threading.Thread(target=keep_invoking)
    prober.start()
    started = time.monotonic()
    try:
        update = playbook("sagemaker_deploy.yml", {**SAGEMAKER, "sagemaker_endpoint_model_alias": "champion"},
                          env, tmp, inventory="inventories/local")  # fmt: skip
    finally:
        stop.set()
        prober.join()
    took = time.monotonic() - started
    assert update.returncode == 0, update.stdout[-5000:]
    after = sm.describe_endpoint(EndpointName=ENDPOINT)
    record(
        f"sagemaker_deploy.yml new version {took:.0f}s, changed={changed(update.stdout)}, failed calls {len(failures)}"
    )
    assert after["EndpointConfigName"] != before and f"-v{version['version']}-" in after["EndpointConfigName"]
    assert invoke(env, version["body"]) == pytest.approx(version["predictions"], rel=1e-9)
    assert failures == []
    # The configuration and model the endpoint left are gone; the new ones are its only ones.
    configs = {c["EndpointConfigName"] for c in sm.list_endpoint_configs(NameContains=ENDPOINT)["EndpointConfigs"]}
    models = {m["ModelName"] for m in sm.list_models(NameContains=ENDPOINT)["Models"]}
    assert configs == models == {after["EndpointConfigName"]}


def test_teardown_keeps_the_data(deployed, served):
    env, tmp = deployed["env"], deployed["tmp"]
    teardown = playbook(
        "ecs_private_teardown.yml",
        {**SAGEMAKER, "mlflow_stack_teardown_confirm": NAME},
        env,
        tmp,
        inventory="inventories/local",
    )
    assert teardown.returncode == 0, teardown.stdout[-3000:]
    assert NAME not in {a["Name"] for a in client("apigatewayv2", env).get_apis()["Items"]}
    assert NAME not in {v["Name"] for v in client("apigatewayv2", env).get_vpc_links()["Items"]}
    assert NAME not in {b["LoadBalancerName"] for b in client("elbv2", env).describe_load_balancers()["LoadBalancers"]}
    domain = f".execute-api.{REGION}.amazonaws.com"
    wait_for(lambda: domain not in Path("/etc/hosts").read_text(), 30, f"the API's name (*{domain}) to go")
    assert client("s3", env).list_objects_v2(Bucket=E2E["s3_artifacts_bucket"])["KeyCount"] > 0
    # The SageMaker components go (endpoint, its configuration, model and role, the jobs' role); the model
    # versions' files stay in MLflow's bucket.
    sm = client("sagemaker", env)
    assert not sm.list_endpoints(NameContains=ENDPOINT)["Endpoints"]
    assert not sm.list_models(NameContains=ENDPOINT)["Models"]
    roles = {r["RoleName"] for r in client("iam", env).list_roles()["Roles"]}
    assert not {f"{NAME}-sagemaker", f"{ENDPOINT}-sagemaker-endpoint"} & roles
    models = client("s3", env).list_objects_v2(Bucket=E2E["s3_artifacts_bucket"], Prefix="mlflow/")["Contents"]
    assert any(o["Key"].endswith("/MLmodel") for o in models)
    groups = {g["logGroupName"] for g in client("logs", env).describe_log_groups()["logGroups"]}
    assert {f"/ecs/{NAME}", f"/aws/apigateway/{NAME}"} <= groups
