"""Two MLflow hosts behind nginx share one database and one bucket: what one logs, the other serves.

Logs a run (params, metrics, an artifact) through the first URL with the real MLflow client,
then reads it back through the second: same params, metrics and artifact bytes. The login comes
from Secrets Manager, where playbooks/ec2.yml says it is. Prints JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

import boto3
import mlflow
import requests
from mlflow import MlflowClient


def use(url: str) -> MlflowClient:
    mlflow.set_tracking_uri(url)
    return MlflowClient(tracking_uri=url)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret-id", required=True)
    parser.add_argument("urls", nargs=2)
    parser.add_argument("--artifact-mb", type=int, default=0, help="artifact size in MiB (default 256 KiB)")
    args = parser.parse_args()

    login = json.loads(boto3.client("secretsmanager").get_secret_value(SecretId=args.secret_id)["SecretString"])
    os.environ["MLFLOW_TRACKING_USERNAME"] = login["username"]
    os.environ["MLFLOW_TRACKING_PASSWORD"] = login["password"]
    os.environ["MLFLOW_TRACKING_INSECURE_TLS"] = "true"  # the hosts' self-signed certificates

    first, second = args.urls
    for url in args.urls:
        anonymous = requests.get(f"{url}/api/2.0/mlflow/experiments/search?max_results=1", verify=False, timeout=10)  # noqa: S501 - self-signed test hosts
        if anonymous.status_code != 401:
            sys.exit(f"FAILED: {url} answered {anonymous.status_code} without credentials, expected 401")

    writer = use(first)
    name = f"ec2-e2e-{uuid.uuid4().hex[:8]}"
    experiment_id = writer.create_experiment(name)
    run = writer.create_run(experiment_id)
    run_id = run.info.run_id
    writer.log_param(run_id, "written_via", first)
    for step in range(20):
        writer.log_metric(run_id, "loss", 1.0 / (step + 1), step=step)
    payload = os.urandom(args.artifact_mb * 1024 * 1024 if args.artifact_mb else 256 * 1024)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.bin"
        path.write_bytes(payload)
        started = time.monotonic()
        writer.log_artifact(run_id, str(path))
        up = time.monotonic() - started
    writer.set_terminated(run_id)

    reader = use(second)
    seen = reader.get_run(run_id)
    if seen.data.params.get("written_via") != first:
        sys.exit(f"FAILED: {second} does not show the param logged through {first}: {seen.data.params}")
    history = reader.get_metric_history(run_id, "loss")
    if len(history) != 20:
        sys.exit(f"FAILED: {second} shows {len(history)} of 20 metric values")
    with tempfile.TemporaryDirectory() as tmp:
        started = time.monotonic()
        local = reader.download_artifacts(run_id, "model.bin", tmp)
        down = time.monotonic() - started
        if Path(local).read_bytes() != payload:
            sys.exit(f"FAILED: the artifact read through {second} differs from the one written through {first}")
    if reader.get_experiment_by_name(name) is None:
        sys.exit(f"FAILED: experiment {name} not found through {second}")
    mib = len(payload) / 1024 / 1024
    print(
        json.dumps(
            {
                "run_id": run_id,
                "written_via": first,
                "read_via": second,
                "metrics": len(history),
                "artifact_mib": mib,
                "up_s": round(up, 1),
                "down_s": round(down, 1),
                "up_mib_s": round(mib / up, 1),
                "down_mib_s": round(mib / down, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
