"""What a move between front doors must keep, checked with the real mlflow client.

  log    --url URL --out F   log a run (parameters, a metric history, tags, an artifact of --artifact-mb
                             random MiB, a registered model version) and write its fingerprint to F
  verify --url URL --fingerprint F
                             read that run back through URL and fail unless every part is identical
                             (the artifact byte for byte, by SHA-256)
The login comes from MLFLOW_TRACKING_USERNAME / MLFLOW_TRACKING_PASSWORD and, for HTTPS with a private
CA, MLFLOW_TRACKING_SERVER_CERT_PATH: the settings the playbooks print. Artifacts go through the
server (proxy) unless the environment says otherwise. The last line of output is JSON.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

import mlflow
from mlflow.tracking import MlflowClient

MODEL = "move-check-model"


def fingerprint(client: MlflowClient, run_id: str) -> dict:
    run = client.get_run(run_id)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(client.download_artifacts(run_id, "weights.bin", tmp)).read_bytes()
    versions = client.search_model_versions(f"name = '{MODEL}' and run_id = '{run_id}'")
    return {
        "run_id": run_id,
        "experiment_id": run.info.experiment_id,
        "status": run.info.status,
        "params": run.data.params,
        "tags": {k: v for k, v in run.data.tags.items() if not k.startswith("mlflow.")},
        "loss": [(m.step, m.value) for m in sorted(client.get_metric_history(run_id, "loss"), key=lambda m: m.step)],
        "artifact_sha256": hashlib.sha256(data).hexdigest(),
        "artifact_bytes": len(data),
        "model_versions": sorted(v.version for v in versions),
    }


def log(url: str, mib: int) -> dict:
    mlflow.set_tracking_uri(url)
    mlflow.set_experiment("move-check")
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run() as run:
        mlflow.log_params({"learning_rate": "0.01", "layers": "3"})
        mlflow.set_tag("stage", "before-move")
        for step in range(25):
            mlflow.log_metric("loss", 1.0 / (step + 1), step=step)
        path = Path(tmp, "weights.bin")
        path.write_bytes(os.urandom(mib * 1024 * 1024))
        mlflow.log_artifact(str(path))
    client = MlflowClient(url)
    if not client.search_registered_models(filter_string=f"name = '{MODEL}'"):
        client.create_registered_model(MODEL)
    client.create_model_version(MODEL, f"{run.info.artifact_uri}/weights.bin", run_id=run.info.run_id)
    return fingerprint(client, run.info.run_id)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["log", "verify"])
    parser.add_argument("--url", required=True)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--fingerprint", type=Path)
    parser.add_argument("--artifact-mb", type=int, default=8)
    args = parser.parse_args()
    if args.action == "log":
        found = log(args.url, args.artifact_mb)
        args.out.write_text(json.dumps(found, indent=1))
        print(f"OK: logged run {found['run_id']} through {args.url}")
        print(json.dumps(found))
        return 0
    expected = json.loads(args.fingerprint.read_text())
    found = json.loads(json.dumps(fingerprint(MlflowClient(args.url), expected["run_id"])))
    differs = sorted(key for key in expected if expected[key] != found.get(key))
    if differs:
        print(f"FAIL: through {args.url} these differ: {', '.join(differs)}")
        print(json.dumps({"expected": {k: expected[k] for k in differs}, "found": {k: found.get(k) for k in differs}}))
        return 1
    print(f"OK: run {expected['run_id']} reads back identical through {args.url}")
    print(json.dumps(found))
    return 0


if __name__ == "__main__":
    sys.exit(main())
