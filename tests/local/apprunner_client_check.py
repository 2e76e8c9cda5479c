"""Log a run through the App Runner service with the real mlflow client, then read it back.

The URL comes from App Runner (DescribeService), the login from Secrets Manager: what a user
does after `ansible-playbook playbooks/apprunner.yml`. Used by `make demo` and the end-to-end test.
  python tests/local/apprunner_client_check.py --service mlflow-demo [--scheme http]
Exits non-zero if anything logged is not read back identically.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import boto3


def service_url(name: str) -> str:
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
        with urllib.request.urlopen(f"{url}/api/2.0/mlflow/experiments/search?max_results=1", timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--service", default="mlflow-demo")
    parser.add_argument("--scheme", default="https")
    args = parser.parse_args()
    url = f"{args.scheme}://{service_url(args.service)}"
    creds = login(args.service)
    unauthenticated = status_without_login(url)
    if unauthenticated != 401:
        print(f"FAIL: {url} answered {unauthenticated} without a login (expected 401)")
        return 1
    os.environ.update(MLFLOW_TRACKING_USERNAME=creds["username"], MLFLOW_TRACKING_PASSWORD=creds["password"])
    # Clients need no AWS keys: artifacts go through the server. Prove it by hiding them.
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        os.environ.pop(key, None)
    import mlflow  # noqa: PLC0415 - after the environment is set
    from mlflow.tracking import MlflowClient  # noqa: PLC0415

    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("apprunner-demo")
    payload = os.urandom(128 * 1024)
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run() as run:
        mlflow.log_param("target", "apprunner")
        for step in range(10):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        artifact = Path(tmp, "model.bin")
        artifact.write_bytes(payload)
        mlflow.log_artifact(str(artifact))
    client = MlflowClient(url)
    stored = client.get_run(run.info.run_id)
    history = client.get_metric_history(run.info.run_id, "loss")
    with tempfile.TemporaryDirectory() as tmp:
        downloaded = Path(client.download_artifacts(run.info.run_id, "model.bin", tmp)).read_bytes()
    problems = []
    if stored.data.params.get("target") != "apprunner":
        problems.append(f"param target = {stored.data.params.get('target')!r}")
    if len(history) != 10:
        problems.append(f"{len(history)} loss values stored, 10 logged")
    if downloaded != payload:
        problems.append("artifact bytes differ")
    if problems:
        print("FAIL: " + "; ".join(problems))
        return 1
    print(f"OK: run {run.info.run_id} logged and read back through {url} (param, 10 metric values, 128 KiB artifact)")
    run_url = f"{url}/#/experiments/{run.info.experiment_id}/runs/{run.info.run_id}"
    print(f"    UI: {run_url} (log in as {creds['username']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
