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
import ssl
import subprocess
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


def test_teardown_keeps_the_data(deployed):
    env, tmp = deployed["env"], deployed["tmp"]
    teardown = playbook(
        "ecs_private_teardown.yml",
        {**E2E, "mlflow_stack_teardown_confirm": NAME},
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
    groups = {g["logGroupName"] for g in client("logs", env).describe_log_groups()["logGroups"]}
    assert {f"/ecs/{NAME}", f"/aws/apigateway/{NAME}"} <= groups
