"""The MLflow the controller's client uses is the one the roles install by default."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def test_controller_mlflow_matches_the_role_default():
    default = yaml.safe_load((ROOT / "roles/mlflow_host/defaults/main.yml").read_text())["mlflow_host_version"]
    pins = [line.strip() for line in (ROOT / "requirements-dev.txt").read_text().splitlines()]
    assert f"mlflow=={default}" in pins, f"requirements-dev.txt must pin mlflow=={default} (mlflow_host_version)"
