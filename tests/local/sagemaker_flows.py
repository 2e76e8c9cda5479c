"""A tiny scikit-learn model through a deployed MLflow, and a SageMaker job stand-in (real mlflow client).

  python tests/local/sagemaker_flows.py train --name NAME --slope 2 [--alias champion]
      trains y = slope*x + 1 (LinearRegression), logs it with an input example, registers it as NAME and
      prints one JSON line: version, run_id, the request body (dataframe_split) and the predictions of
      mlflow.pyfunc on the model as MLflow serves it back (models:/NAME/VERSION, read through the front door);
  python tests/local/sagemaker_flows.py job --experiment NAME
      what a SageMaker training job does with the execution role's environment only: log a run (a param, a
      metric, a small artifact) and read it back; prints one JSON line with the run ID.
The tracking URI, the login or SigV4 signing and the artifact settings come from the environment, as a
user's or a job's would.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import mlflow

INPUT = {"columns": ["x"], "data": [[0.0], [1.5], [4.0], [10.0]]}


def train(name: str, slope: float, alias: str) -> dict:
    import pandas as pd  # noqa: PLC0415 - only this command needs them
    from sklearn.linear_model import LinearRegression  # noqa: PLC0415

    x = pd.DataFrame({"x": [float(i) for i in range(20)]})
    y = slope * x["x"] + 1.0
    model = LinearRegression().fit(x, y)
    mlflow.set_experiment(f"{name}-training")
    with mlflow.start_run() as run:
        mlflow.log_param("slope", slope)
        # Its requirements, pinned as trained: what the serving image installs (from the wheelhouse offline).
        pins = [f"{p}=={version(p)}" for p in ("scikit-learn", "cloudpickle", "pandas", "numpy")]
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            input_example=x.head(3),
            registered_model_name=name,
            serialization_format="cloudpickle",
            pip_requirements=pins,
        )
    number = str(info.registered_model_version)
    client = mlflow.MlflowClient()
    if alias:
        client.set_registered_model_alias(name, alias, number)
    served = mlflow.pyfunc.load_model(f"models:/{name}/{number}")
    frame = pd.DataFrame(INPUT["data"], columns=INPUT["columns"])
    predictions = [float(p) for p in served.predict(frame)]
    body = {"dataframe_split": INPUT}
    return {"version": number, "run_id": run.info.run_id, "body": body, "predictions": predictions}


def job(experiment: str) -> dict:
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        mlflow.log_param("instance_type", "ml.m5.large")
        mlflow.log_metric("loss", 0.25)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp, "notes.txt")
            path.write_text("logged by a SageMaker job stand-in\n")
            mlflow.log_artifact(str(path))
    back = mlflow.get_run(run.info.run_id)
    artifacts = [a.path for a in mlflow.MlflowClient().list_artifacts(run.info.run_id)]
    return {"run_id": run.info.run_id, "metrics": back.data.metrics, "params": back.data.params, "artifacts": artifacts}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train")
    t.add_argument("--name", required=True)
    t.add_argument("--slope", type=float, required=True)
    t.add_argument("--alias", default="")
    j = sub.add_parser("job")
    j.add_argument("--experiment", required=True)
    args = parser.parse_args()
    result = train(args.name, args.slope, args.alias) if args.command == "train" else job(args.experiment)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
