"""What a user of an MLflow host sees, checked with the real MLflow client from the controller.

exercise:  create an experiment and a run, log params, metrics and a batch, upload a large
           artifact through the server and read it back byte-identical, find it in S3,
           register a model version, and check the unauthenticated answers. Prints JSON.
check-run: read a run back and compare it with what exercise logged (after a crash).
users:     MLflow basic-auth: create a user, check that it can read but not write.
burst:     many clients at once, each logging batches to its own run, then every run read back.

Credentials come from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD, the tracking URI
from MLFLOW_TRACKING_URI, S3 from the usual AWS variables (AWS_ENDPOINT_URL for moto).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import boto3
import mlflow
import requests
from mlflow import MlflowClient
from mlflow.entities import Metric, Param, RunTag
from mlflow.exceptions import MlflowException

PARAMS = {"optimizer": "adam", "learning_rate": "0.001", "layers": "12"}
METRICS = [("loss", 1.0 / (step + 1), step) for step in range(50)]


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fail(message: str) -> None:
    sys.exit(f"FAILED: {message}")


def check_anonymous(uri: str) -> dict:
    health = requests.get(f"{uri}/health", timeout=10)
    if health.status_code != 200:
        fail(f"/health answered {health.status_code}")
    anonymous = requests.get(f"{uri}/api/2.0/mlflow/experiments/search?max_results=1", timeout=10)
    if anonymous.status_code != 401:
        fail(f"the API answered {anonymous.status_code} without credentials, expected 401")
    wrong = requests.get(
        f"{uri}/api/2.0/mlflow/experiments/search?max_results=1",
        auth=(os.environ["MLFLOW_TRACKING_USERNAME"], "not-the-password"),
        timeout=10,
    )
    if wrong.status_code != 401:
        fail(f"the API answered {wrong.status_code} to a wrong password, expected 401")
    return {"health": health.status_code, "anonymous": anonymous.status_code, "wrong_password": wrong.status_code}


def exercise(args: argparse.Namespace) -> dict:
    uri = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
    result = check_anonymous(uri)
    client = MlflowClient()
    name = f"molecule-{uuid.uuid4().hex[:8]}"
    experiment_id = client.create_experiment(name)
    run = client.create_run(experiment_id, run_name="verify")
    run_id = run.info.run_id
    for key, value in PARAMS.items():
        client.log_param(run_id, key, value)
    for key, value, step in METRICS[:10]:
        client.log_metric(run_id, key, value, step=step)
    now = int(time.time() * 1000)
    client.log_batch(
        run_id,
        metrics=[Metric(k, v, now, s) for k, v, s in METRICS[10:]],
        params=[Param("batch_param", "yes")],
        tags=[RunTag("source", "molecule")],
    )
    with tempfile.TemporaryDirectory() as tmp:
        big = Path(tmp) / "weights.bin"
        with big.open("wb") as stream:
            for _megabyte in range(args.artifact_mb):
                stream.write(os.urandom(1 << 20))
        expected = sha256(big)
        started = time.monotonic()
        client.log_artifact(run_id, str(big), artifact_path="model")
        upload_s = time.monotonic() - started
        back = Path(client.download_artifacts(run_id, "model/weights.bin", str(Path(tmp) / "back")))
        if sha256(back) != expected:
            fail("the artifact read back differs from the one uploaded")
    client.set_terminated(run_id)
    result.update(
        experiment_id=experiment_id,
        run_id=run_id,
        artifact_sha256=expected,
        artifact_mb=args.artifact_mb,
        upload_seconds=round(upload_s, 2),
    )
    if args.s3:
        bucket, _slash, prefix = args.s3.removeprefix("s3://").partition("/")
        key_suffix = f"{experiment_id}/{run_id}/artifacts/model/weights.bin"
        objects = boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix.rstrip("/") + "/").get("Contents", [])
        found = [o for o in objects if o["Key"].endswith(key_suffix)]
        if not found or found[0]["Size"] != args.artifact_mb << 20:
            fail(f"no {args.artifact_mb} MB object ending in {key_suffix} under {args.s3}")
        result["s3_object"] = f"s3://{bucket}/{found[0]['Key']}"
    model = f"{name}-model"
    client.create_registered_model(model)
    version = client.create_model_version(model, source=f"runs:/{run_id}/model", run_id=run_id)
    result["model_version"] = f"{model}/{version.version}"
    result.update(check_run(run_id))
    return result


def check_run(run_id: str) -> dict:
    client = MlflowClient()
    run = client.get_run(run_id)
    params = run.data.params
    if any(params.get(k) != v for k, v in PARAMS.items()) or params.get("batch_param") != "yes":
        fail(f"run {run_id}: params differ: {params}")
    history = client.get_metric_history(run_id, "loss")
    if sorted((m.step, m.value) for m in history) != sorted((s, v) for _key, v, s in METRICS):
        fail(f"run {run_id}: {len(history)} loss values stored, expected {len(METRICS)}")
    if run.data.tags.get("source") != "molecule":
        fail(f"run {run_id}: tag 'source' missing")
    return {"run_checked": run_id, "metric_points": len(history), "params": len(params)}


def users(args: argparse.Namespace) -> dict:
    """MLflow basic-auth: a new user inherits the default permission (READ)."""
    uri = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
    result = check_anonymous(uri)
    admin = (os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"])
    name, password = f"reader-{uuid.uuid4().hex[:6]}", uuid.uuid4().hex
    created = requests.post(
        f"{uri}/api/2.0/mlflow/users/create", json={"username": name, "password": password}, auth=admin, timeout=10
    )
    if created.status_code != 200:
        fail(f"creating a user answered {created.status_code}: {created.text[:200]}")
    experiment = requests.get(
        f"{uri}/api/2.0/mlflow/experiments/get",
        params={"experiment_id": args.experiment_id},
        auth=(name, password),
        timeout=10,
    )
    if experiment.status_code != 200:
        fail(f"a READ user could not read experiment {args.experiment_id}: {experiment.status_code}")
    os.environ["MLFLOW_TRACKING_USERNAME"], os.environ["MLFLOW_TRACKING_PASSWORD"] = name, password
    try:
        MlflowClient().create_run(args.experiment_id)
    except MlflowException as exc:
        if "PERMISSION_DENIED" not in str(exc) and "403" not in str(exc):
            raise
        result["reader_write"] = "denied"
    else:
        fail("a READ user could create a run in the admin's experiment")
    result["reader_read"] = experiment.status_code
    return result


def burst(args: argparse.Namespace) -> dict:
    """args.clients clients at once, args.batches log-batch calls each; every value must be stored."""
    client = MlflowClient()
    experiment_id = client.create_experiment(f"burst-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()

    def one(index: int) -> tuple[str, int]:
        run_id = client.create_run(experiment_id).info.run_id
        for step in range(args.batches):
            client.log_batch(run_id, metrics=[Metric("m", float(index * 1000 + step), int(time.time() * 1000), step)])
        client.set_terminated(run_id)
        return run_id, index

    with ThreadPoolExecutor(max_workers=args.clients) as pool:
        runs = list(pool.map(one, range(args.clients)))
    seconds = time.monotonic() - started
    for run_id, index in runs:
        stored = sorted((m.step, m.value) for m in client.get_metric_history(run_id, "m"))
        if stored != [(step, float(index * 1000 + step)) for step in range(args.batches)]:
            fail(f"run {run_id}: {len(stored)} of {args.batches} values stored")
    requests_made = args.clients * (args.batches + 2)
    return {"clients": args.clients, "requests": requests_made, "seconds": round(seconds, 1), "lost": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    ex = sub.add_parser("exercise")
    ex.add_argument("--artifact-mb", type=int, default=50)
    ex.add_argument("--s3", help="s3://bucket/prefix the server stores artifacts under")
    cr = sub.add_parser("check-run")
    cr.add_argument("run_id")
    us = sub.add_parser("users")
    us.add_argument("--experiment-id", required=True)
    bu = sub.add_parser("burst")
    bu.add_argument("--clients", type=int, default=16)
    bu.add_argument("--batches", type=int, default=20)
    args = parser.parse_args()
    mlflow.set_tracking_uri(os.environ["MLFLOW_TRACKING_URI"])
    if args.command == "exercise":
        out = exercise(args)
    elif args.command == "check-run":
        out = check_run(args.run_id)
    elif args.command == "burst":
        out = burst(args)
    else:
        out = users(args)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
