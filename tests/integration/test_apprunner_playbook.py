"""playbooks/apprunner.yml: bad input stops before any change; on local AWS it deploys a working MLflow
that a real client uses, re-runs change nothing, and the teardown keeps the data."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from aws_state import client, snapshot
from conftest import REPO, changed, emulator, playbook, run

GOOD = {"mlflow_stack_name": "input-check", "s3_artifacts_bucket": "mlflow-apprunner-input-check"}
CASES = {
    "CPU/memory pair App Runner rejects": (
        {"apprunner_cpu": "1024", "apprunner_memory": "8192"},
        "apprunner_memory 8192 is not offered with apprunner_cpu 1024",
    ),
    "CPU size that does not exist": ({"apprunner_cpu": "3000"}, "apprunner_cpu must be one of"),
    "port out of range": ({"apprunner_port": 70000}, "apprunner_port must be 1-65535"),
    "env secret that is not an ARN": (
        {"mlflow_container_secrets": {"API_TOKEN": "abc123"}},
        "mlflow_container_secrets.API_TOKEN must be a Secrets Manager secret",
    ),
    "secret in a plain variable": (
        {"mlflow_container_environment": {"DB_PASSWORD": "hunter2hunter2"}},
        "mlflow_container_environment.DB_PASSWORD looks like a secret",
    ),
    "scaling bounds": (
        {"apprunner_min_size": 5, "apprunner_max_size": 2},
        "apprunner_min_size and apprunner_max_size must satisfy 1 <= min <= max <= 25",
    ),
    "concurrency above App Runner's limit": (
        {"apprunner_max_concurrency": 500},
        "apprunner_max_concurrency must be 1-200",
    ),
    "health check path": ({"apprunner_health_check_path": "health"}, "apprunner_health_check_path must start with /"),
    "KMS alias App Runner cannot take": (
        {"apprunner_kms_key": "alias/mlflow"},
        "apprunner_kms_key must be a KMS key ARN",
    ),
    "more connections than the database allows": (
        {"apprunner_max_size": 10},
        "mlflow_stack: connection budget exceeded: 10 instances x ((2 workers x 2 stores) x (2 pool + 3 overflow)"
        " + 2 server) = 220 connections, but the database allows 71 (max_connections 81 - reserve 10)."
        " Lower apprunner_max_size",
    ),
    "bigger pools than the database allows": (
        {"mlflow_container_db_pool_size": 10, "mlflow_container_db_max_overflow": 10},
        "3 instances x ((2 workers x 2 stores) x (10 pool + 10 overflow) + 2 server) = 246",
    ),
    "job runner processes counted": (
        {"mlflow_container_job_execution": True},
        "3 instances x ((2 workers x 2 stores + 9 job runner) x (2 pool + 3 overflow) + 2 server) = 201",
    ),
    "pool smaller than two connections per request": (
        {"mlflow_container_threads": 4},
        "mlflow_container_db_pool_size + mlflow_container_db_max_overflow (5) must be at least 2 x"
        " mlflow_container_threads (4)",
    ),
    "repository name": (
        {"ecr_image_repository": "MLflow Image"},
        "ecr_image_repository must be an ECR repository name",
    ),
}


@pytest.mark.preflight
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, apprunner_env, tmp_path):
    bad, message = CASES[case]
    before = snapshot(apprunner_env)
    emulator("calls/reset", {})
    result = playbook("apprunner.yml", {**GOOD, **bad}, apprunner_env, tmp_path, "-vvv")
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert "hunter2hunter2" not in output
    assert snapshot(apprunner_env) == before
    assert emulator("calls")["calls"] == {}


@pytest.fixture(scope="module")
def local_stack(apprunner_env):
    subprocess.run([str(REPO / "tests/local/postgresql.sh"), "start"], check=True)
    env = dict(apprunner_env)
    for line in (REPO / "tests/output/local/postgresql.env").read_text().splitlines():
        if line.startswith("export "):
            key, _sep, value = line.removeprefix("export ").partition("=")
            env[key] = value
    return env


# The stack is deployed in eu-west-1 while the environment says us-east-1 (AWS_REGION): every
# resource must land in mlflow_stack_region, and the container must be told so.
REGION, ENV_REGION = "eu-west-1", "us-east-1"
E2E = {
    "mlflow_stack_name": "mlflow-e2e",
    "mlflow_stack_region": REGION,
    # Any printable password works end to end (the image once split the login secret on commas).
    "mlflow_stack_web_password": 'P@ss, "w:rd" \\ $HOME 100%',
    "s3_artifacts_bucket": "mlflow-e2e-artifacts",
    "ecr_image_wheelhouse": str(REPO / "tests/output/wheelhouse/cp311"),
}


def regional(state: dict[str, set[str]]) -> dict[str, set[str]]:
    """The snapshot without IAM roles and bucket names, which every region lists."""
    return {kind: names for kind, names in state.items() if kind not in {"iam_roles", "buckets"}}


def container(service_arn: str) -> str:
    ids = subprocess.run(
        ["docker", "ps", "-q", "--filter", f"label=mlops.apprunner-emulator={service_arn}"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert len(ids) == 1, ids
    return ids[0]


def front_door_peak_kib() -> int:
    """Peak resident memory (VmHWM) of the App Runner front doors' nginx processes (masters and workers)."""
    masters = {p.read_text().strip() for p in (REPO / "tests/output/local/apprunner/front-doors").glob("*/nginx.pid")}
    peaks = []
    for proc in Path("/proc").iterdir():
        try:
            status = dict(line.split(":", 1) for line in (proc / "status").read_text().splitlines() if ":" in line)
        except OSError:
            continue
        if proc.name in masters or status.get("PPid", "").strip() in masters:
            peaks.append(int(status["VmHWM"].split()[0]))
    return max(peaks, default=0)


def test_local_apprunner_end_to_end(local_stack, tmp_path):  # noqa: PLR0915 - one deployment, many checks
    env = {**local_stack, "AWS_REGION": ENV_REGION, "AWS_DEFAULT_REGION": ENV_REGION}
    east_before = regional(snapshot(env))
    started = time.monotonic()
    first = playbook("apprunner.yml", E2E, env, tmp_path, inventory="inventories/local")
    assert first.returncode == 0, (first.stdout + first.stderr)[-4000:]
    print(f"first run: {time.monotonic() - started:.0f}s, changed={changed(first.stdout)}")
    assert "URL: http://127.0.0." in first.stdout

    assert regional(snapshot(env)) == east_before, "a resource was created in the environment's region"
    env = {**env, "AWS_REGION": REGION, "AWS_DEFAULT_REGION": REGION}
    check = run(
        [
            "python",
            "tests/local/client_check.py",
            "--target",
            "apprunner",
            "--service",
            "mlflow-e2e",
            "--scheme",
            "http",
            "--artifact-mb",
            "1024",
        ],
        env,
    )
    assert check.returncode == 0, check.stdout + check.stderr
    # 1 GiB in parts through presigned URLs: each request stays far under App Runner's 120 s.
    assert "OK: run" in check.stdout and "artifacts: presigned" in check.stdout
    figures = json.loads(check.stdout.strip().splitlines()[-1])
    peak = front_door_peak_kib()
    with (REPO / "tests/output/measurements.txt").open("a") as out:
        out.write(
            f"apprunner 1 GiB artifact (presigned parts): up {figures['up']:.1f}s, down {figures['down']:.1f}s;"
            f" front door nginx peak RSS {peak / 1024:.1f} MiB\n"
        )
    assert 0 < peak < 64 * 1024, peak

    emulator("calls/reset", {})
    started = time.monotonic()
    east = {**env, "AWS_REGION": ENV_REGION, "AWS_DEFAULT_REGION": ENV_REGION}
    second = playbook("apprunner.yml", E2E, east, tmp_path, inventory="inventories/local")
    assert second.returncode == 0, second.stdout[-3000:]
    calls = emulator("calls")["calls"]
    took = time.monotonic() - started
    figures = f"second run: {took:.0f}s, changed={changed(second.stdout)}, App Runner calls {calls}"
    print(figures)
    with (REPO / "tests/output/measurements.txt").open("a") as out:
        out.write(f"apprunner.yml {figures}\n")
    assert changed(second.stdout) == 0, [line for line in second.stdout.splitlines() if line.startswith("changed")]
    assert not [op for op in calls if not op.startswith(("List", "Describe"))], calls

    apprunner = client("apprunner", {**env, "AWS_ENDPOINT_URL": env["AWS_ENDPOINT_URL_APPRUNNER"]})
    arn = next(
        s["ServiceArn"] for s in apprunner.list_services()["ServiceSummaryList"] if s["ServiceName"] == "mlflow-e2e"
    )
    service = apprunner.describe_service(ServiceArn=arn)["Service"]
    image = service["SourceConfiguration"]["ImageRepository"]["ImageConfiguration"]
    login = json.loads(
        client("secretsmanager", env).get_secret_value(SecretId="mlflow/mlflow-e2e/web-login")["SecretString"]
    )
    # Secrets travel as App Runner secrets (ARNs), never as plain variables.
    assert arn.startswith(f"arn:aws:apprunner:{REGION}:"), arn
    assert image["RuntimeEnvironmentVariables"]["AWS_DEFAULT_REGION"] == REGION
    assert image["RuntimeEnvironmentVariables"]["MLFLOW_JOB_EXECUTION"] == "false"
    assert client("s3", env).get_bucket_location(Bucket="mlflow-e2e-artifacts")["LocationConstraint"] == REGION
    assert set(image["RuntimeEnvironmentSecrets"]) == {"MLFLOW_TRACKING_AUTH_JSON", "MLFLOW_BACKEND_URI"}
    assert all(v.startswith("arn:aws:secretsmanager:") for v in image["RuntimeEnvironmentSecrets"].values())
    assert login["password"] not in json.dumps(image["RuntimeEnvironmentVariables"])
    assert service["NetworkConfiguration"]["EgressConfiguration"]["EgressType"] == "VPC"
    assert service["HealthCheckConfiguration"]["Path"] == "/health"
    # The database stays private; the connector's group is the only one it admits.
    db = client("rds", env).describe_db_instances(DBInstanceIdentifier="mlflow-e2e")["DBInstances"][0]
    assert db["PubliclyAccessible"] is False and db["StorageEncrypted"] is True
    # Artifacts went through the server into the bucket.
    objects = client("s3", env).list_objects_v2(Bucket="mlflow-e2e-artifacts").get("Contents", [])
    assert any(o["Key"].endswith("model.bin") for o in objects), objects
    # The instance role has no FullAccess policy, only inline ones.
    iam = client("iam", env)
    assert iam.list_attached_role_policies(RoleName="mlflow-e2e-apprunner-instance")["AttachedPolicies"] == []
    assert set(iam.list_role_policies(RoleName="mlflow-e2e-apprunner-instance")["PolicyNames"]) == {
        "mlflow-artifacts",
        "runtime-secrets",
    }

    # In the container: no credential on any command line.
    box = container(arn)
    region = subprocess.run(
        ["docker", "exec", box, "printenv", "AWS_DEFAULT_REGION"], capture_output=True, text=True, check=True
    )
    assert region.stdout.strip() == REGION, "the container does not know the stack's region"
    cmdlines = subprocess.run(
        ["docker", "exec", box, "sh", "-c", "cat /proc/[0-9]*/cmdline | tr '\\0' ' '"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "mlflow server" in cmdlines or "mlflow" in cmdlines
    assert login["password"] not in cmdlines and "local-pg-Passw0rd" not in cmdlines
    # Migrations ran once; a restart finds the schema current. A stop is clean and quick.
    logs = subprocess.run(["docker", "logs", box], capture_output=True, text=True, check=True)
    assert "creating the MLflow schema" in logs.stderr or "no migration" in logs.stderr, logs.stderr[-2000:]
    current = "[mlflow-entrypoint] database schema is current"
    starts_before = subprocess.run(["docker", "logs", box], capture_output=True, text=True, check=True).stderr
    started = time.monotonic()
    subprocess.run(["docker", "stop", box], capture_output=True, text=True, check=True)
    assert time.monotonic() - started < 20, "SIGTERM did not stop the container promptly"
    state = subprocess.run(
        ["docker", "inspect", "-f", "{{.State.ExitCode}}", box], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert state == "0", f"exit code {state} after SIGTERM"
    subprocess.run(["docker", "start", box], check=True, capture_output=True)
    deadline = time.monotonic() + 120
    logs = ""
    while time.monotonic() < deadline:
        logs = subprocess.run(["docker", "logs", box], capture_output=True, text=True, check=False).stderr
        if logs.count(current) > starts_before.count(current):
            break
        time.sleep(2)
    assert logs.count(current) == starts_before.count(current) + 1, logs[-2000:]
    assert logs.count("creating the MLflow schema") == starts_before.count("creating the MLflow schema")

    teardown = playbook(
        "apprunner_teardown.yml",
        {**E2E, "mlflow_stack_teardown_confirm": "mlflow-e2e"},
        east,
        tmp_path,
        inventory="inventories/local",
    )
    assert teardown.returncode == 0, teardown.stdout[-3000:]
    assert "mlflow-e2e" not in {s["ServiceName"] for s in apprunner.list_services()["ServiceSummaryList"]}
    assert client("s3", env).list_objects_v2(Bucket="mlflow-e2e-artifacts")["KeyCount"] > 0  # data kept
    secrets = {s["Name"] for s in client("secretsmanager", env).list_secrets()["SecretList"]}
    assert "mlflow/mlflow-e2e/web-login" in secrets


def test_image_refuses_default_credentials(local_stack):
    image = subprocess.run(
        ["docker", "images", "--format", "{{.Repository}}:{{.Tag}}", "--filter", "reference=*/mlflow-e2e"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert image, "the end-to-end test builds the image first"
    result = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "host",
            "-e",
            "MLFLOW_TRACKING_USERNAME=mlflow",
            "-e",
            "MLFLOW_TRACKING_PASSWORD=mlflow",
            "-e",
            "MLFLOW_DB_HOST=127.0.0.1",
            "-e",
            "MLFLOW_DB_PASSWORD=x" * 3,
            image[0],
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "MLFLOW_TRACKING_PASSWORD for user 'mlflow' is a default" in result.stderr
