"""SageMaker's serving contract for an MLflow model: ``docker run <image> serve``.

Serves the MLflow model SageMaker put at /opt/ml/model with MLflow's pyfunc scoring server (GET /ping,
POST /invocations) on port 8080 (SAGEMAKER_BIND_TO_PORT when SageMaker sets it), every address unless
LISTEN_ADDRESS names one. The model's requirements are in the image already (--env-manager local).
Settings (the model's environment): MLFLOW_SERVING_WORKERS (default: one per CPU, at most 4),
MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT (MLflow's, seconds; SageMaker gives up on a request after 60).
"""

from __future__ import annotations

import os
import sys

MODEL_DIR = os.environ.get("MLFLOW_SERVING_MODEL_DIR", "/opt/ml/model")


def main(argv: list[str]) -> int:
    if argv[1:] != ["serve"]:
        print("usage: serve  (SageMaker starts this image with `serve`; nothing else is supported)", file=sys.stderr)
        return 2
    if not os.path.isfile(os.path.join(MODEL_DIR, "MLmodel")):
        print(f"no MLflow model at {MODEL_DIR} (no MLmodel file): check the model's data source", file=sys.stderr)
        return 3
    workers = os.environ.get("MLFLOW_SERVING_WORKERS") or str(min(4, os.cpu_count() or 1))
    host = os.environ.get("LISTEN_ADDRESS") or "0.0.0.0"  # noqa: S104 - SageMaker routes to the container's port 8080
    port = os.environ.get("SAGEMAKER_BIND_TO_PORT") or "8080"
    command = ["mlflow", "models", "serve", "--model-uri", MODEL_DIR, "--env-manager", "local"]
    command += ["--host", host, "--port", port, "--workers", workers]
    os.execvp(command[0], command)  # noqa: S606 - the scoring server becomes the container's process
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv))
