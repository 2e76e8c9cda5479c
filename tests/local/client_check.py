"""Log a run through a deployed target's front door with the real mlflow client, then read it back.

The URL comes from the target's own API (App Runner DescribeService, ELBv2 DescribeLoadBalancers,
API Gateway GetApis, ECS DescribeExpressGatewayService), the login from Secrets Manager (or, with
--iam, the caller's AWS credentials sign every request): what a user does after `ansible-playbook
playbooks/<target>.yml`, with the client settings the playbook prints (--transfer presigned:
artifacts in parts through presigned URLs).
Used by `make demo` and the end-to-end tests.
  python tests/local/client_check.py --target apprunner --service mlflow-demo --scheme http
  python tests/local/client_check.py --target ecs_public --service mlflow-demo --ca tests/output/local/ca.pem
  python tests/local/client_check.py --target ecs_private --service mlflow-demo --ca tests/output/local/ca.pem
  python tests/local/client_check.py --target ecs_express --service mlflow-demo --ca tests/output/local/ca.pem
  python tests/local/client_check.py --target beanstalk --service mlflow-demo --ca tests/output/local/ca.pem
Exits non-zero if anything logged is not read back identically; the last line of output is a JSON
summary (URL, artifact size, upload and download seconds).
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import boto3

# The front doors that take a request for a limited size or time move artifacts in parts.
TRANSFER = {
    "apprunner": "presigned",
    "ecs_public": "proxy",
    "ecs_private": "presigned",
    "ecs_express": "proxy",
    "beanstalk": "proxy",
}
# What the playbook prints (roles/mlflow_stack/vars/main.yml): MLflow 3.17 clients would otherwise
# ask the server, which offers presigned transfers whenever its artifacts are in S3.
SETTINGS = {
    "presigned": {
        "MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "true",
        "MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE": "5242880",
        "MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD": "true",
    },
    "proxy": {"MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD": "false", "MLFLOW_ENABLE_PROXY_MULTIPART_DOWNLOAD": "false"},
}


def service_url(target: str, name: str) -> str:
    if target == "ecs_express":  # an ECS service too: its ARN, then Express's own view (the endpoint)
        ecs = boto3.client("ecs")
        for service in ecs.describe_services(cluster="default", services=[name])["services"]:
            if service["status"] == "ACTIVE":
                express = ecs.describe_express_gateway_service(serviceArn=service["serviceArn"])["service"]
                return express["activeConfigurations"][0]["ingressPaths"][0]["endpoint"]
        raise SystemExit(f"no ECS Express service named {name}")
    if target == "beanstalk":  # the environment's CNAME (<prefix>.<region>.elasticbeanstalk.com)
        environments = boto3.client("elasticbeanstalk").describe_environments(EnvironmentNames=[name])["Environments"]
        for environment in environments:
            if environment["Status"] == "Ready":
                return environment["CNAME"]
        raise SystemExit(f"no Elastic Beanstalk environment named {name} is Ready")
    if target == "ecs_private":
        for api in boto3.client("apigatewayv2").get_apis()["Items"]:
            if api["Name"] == name:
                return api["ApiEndpoint"].split("://", 1)[1]
        raise SystemExit(f"no HTTP API named {name}")
    if target == "ecs_public":
        return boto3.client("elbv2").describe_load_balancers(Names=[name])["LoadBalancers"][0]["DNSName"]
    client = boto3.client("apprunner")
    for summary in client.list_services()["ServiceSummaryList"]:
        if summary["ServiceName"] == name:
            return client.describe_service(ServiceArn=summary["ServiceArn"])["Service"]["ServiceUrl"]
    raise SystemExit(f"no App Runner service named {name}")


def login(name: str) -> dict[str, str]:
    secret = boto3.client("secretsmanager").get_secret_value(SecretId=f"mlflow/{name}/web-login")
    return json.loads(secret["SecretString"])


def status_without_login(url: str) -> int:
    try:
        context = ssl.create_default_context(cafile=os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH"))
        search = f"{url}/api/2.0/mlflow/experiments/search?max_results=1"
        with urllib.request.urlopen(search, timeout=10, context=context) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--target", default="apprunner", choices=sorted(TRANSFER))
    parser.add_argument("--service", default="mlflow-demo")
    parser.add_argument("--scheme", default="https")
    parser.add_argument("--ca", default="", help="PEM of the CA that signed the front door's certificate")
    parser.add_argument("--artifact-mb", type=int, default=0, help="artifact size in MiB (default 128 KiB)")
    parser.add_argument("--register-model", action="store_true", help="also register a model version from the run")
    parser.add_argument("--transfer", choices=["proxy", "presigned"], help="how artifacts move (default: the target's)")
    parser.add_argument("--iam", action="store_true", help="sign requests with SigV4 (API Gateway IAM authorization)")
    return parser.parse_args()


TIMES: dict[str, float] = {}


def log_and_read_back(url: str, args: argparse.Namespace) -> tuple[list[str], str]:
    """Log a run (param, 10 metric values, an artifact, optionally a model version); what differs."""
    import mlflow  # noqa: PLC0415 - after the environment is set
    from mlflow.tracking import MlflowClient  # noqa: PLC0415

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment(f"{args.target}-demo")
    payload = os.urandom(args.artifact_mb * 1024 * 1024 if args.artifact_mb else 128 * 1024)
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run() as run:
        mlflow.log_param("target", args.target)
        for step in range(10):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        artifact = Path(tmp, "model.bin")
        artifact.write_bytes(payload)
        started = time.monotonic()
        mlflow.log_artifact(str(artifact))
        TIMES["up"] = time.monotonic() - started
        mlflow.log_text("a small file, in one request or one part\n", "notes/small.txt")
    client = MlflowClient(url)
    stored = client.get_run(run.info.run_id)
    history = client.get_metric_history(run.info.run_id, "loss")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        downloaded = Path(client.download_artifacts(run.info.run_id, "model.bin", tmp)).read_bytes()
        TIMES["down"] = time.monotonic() - started
    problems = []
    if stored.data.params.get("target") != args.target:
        problems.append(f"param target = {stored.data.params.get('target')!r}")
    if len(history) != 10:
        problems.append(f"{len(history)} loss values stored, 10 logged")
    if downloaded != payload:
        problems.append("artifact bytes differ")
    with tempfile.TemporaryDirectory() as tmp:
        small = Path(client.download_artifacts(run.info.run_id, "notes/small.txt", tmp)).read_text()
    if small != "a small file, in one request or one part\n":
        problems.append(f"small artifact reads back as {small!r}")
    size = f"{args.artifact_mb} MiB" if args.artifact_mb else "128 KiB"
    summary = f"run {run.info.run_id} (param, 10 metric values, {size} artifact"
    if args.register_model:
        name = f"{args.target}-demo-model"
        if not client.search_registered_models(filter_string=f"name = '{name}'"):
            client.create_registered_model(name)
        source = f"{stored.info.artifact_uri}/model.bin"
        version = client.create_model_version(name, source, run_id=run.info.run_id)
        if client.get_model_version(name, version.version).run_id != run.info.run_id:
            problems.append(f"model version {version.version} of {name} does not point at the run")
        summary += f", model {name} version {version.version}"
    return problems, summary + f"); UI: {url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"


def main() -> int:
    args = arguments()
    url = f"{args.scheme}://{service_url(args.target, args.service)}"
    if args.ca:
        os.environ["MLFLOW_TRACKING_SERVER_CERT_PATH"] = str(Path(args.ca).resolve())
    unauthenticated, expected = status_without_login(url), 403 if args.iam else 401
    if unauthenticated != expected:
        print(f"FAIL: {url} answered {unauthenticated} without a login (expected {expected})")
        return 1
    transfer = args.transfer or TRANSFER[args.target]
    os.environ.update(SETTINGS[transfer])
    if args.iam:
        # The caller's AWS identity signs every request (it needs execute-api:Invoke, not S3); MLflow's
        # signer cannot sign a file body, so every upload goes in presigned parts.
        os.environ.update(MLFLOW_TRACKING_AWS_SIGV4="true", MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE="1")
        who = "SigV4-signed requests"
    else:
        creds = login(args.service)
        os.environ.update(MLFLOW_TRACKING_USERNAME=creds["username"], MLFLOW_TRACKING_PASSWORD=creds["password"])
        # Clients need no AWS keys: artifacts go through the server, or through URLs it presigns.
        for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
            os.environ.pop(key, None)
        who = f"log in as {creds['username']}"
    os.environ.pop("AWS_ENDPOINT_URL", None)
    problems, summary = log_and_read_back(url, args)
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    mib = args.artifact_mb or 0.125
    print(f"OK: {summary} logged and read back through {url} ({who}, artifacts: {transfer})")
    if args.artifact_mb:
        print(
            f"artifact {mib} MiB: up {TIMES['up']:.1f} s ({mib / TIMES['up']:.0f} MiB/s),"
            f" down {TIMES['down']:.1f} s ({mib / TIMES['down']:.0f} MiB/s)"
        )
    print(json.dumps({"url": url, "transfer": transfer, "artifact_mib": mib, **TIMES}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
