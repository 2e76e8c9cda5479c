"""The contract every target of the mlflow_stack role keeps, driven by a registry of targets.

For each target: one bad shared input fails with the same message and before any AWS call; check
mode creates nothing; teardown without purge keeps the data, with purge removes it. A new target
is one more entry in TARGETS.
"""

from __future__ import annotations

import uuid

import pytest
from aws_state import client, snapshot, stack_login
from conftest import changed, emulator, playbook

# The web login of the stacks the teardown test leaves data of.
PASSWORD = "Kept-login-pass-9"
# playbook, teardown playbook, the variables a good run needs, and the App Runner emulator in use.
TARGETS = {
    "apprunner": {
        "playbook": "apprunner.yml",
        "teardown": "apprunner_teardown.yml",
        "good": {},
        "emulated": True,
    },
    "ec2": {
        "playbook": "ec2.yml",
        "teardown": "ec2_teardown.yml",
        "good": {"ec2_instances_count": 1, "ec2_instances_image_id": "ami-12c6146b"},
        "emulated": False,
    },
    "ecs_public": {
        "playbook": "ecs.yml",
        "teardown": "ecs_teardown.yml",
        "good": {
            "alb_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
        },
        "emulated": False,
    },
    # Without alb_certificate_arn the internal load balancer serves plain HTTP inside the VPC; API
    # Gateway serves the clients HTTPS.
    "ecs_private": {
        "playbook": "ecs_private.yml",
        "teardown": "ecs_private_teardown.yml",
        "good": {},
        "emulated": False,
    },
    # Express creates the load balancer and its certificate: the stack passes none.
    "ecs_express": {
        "playbook": "ecs_express.yml",
        "teardown": "ecs_express_teardown.yml",
        "good": {},
        "emulated": False,
    },
    # Beanstalk's HTTPS listener needs a certificate of the region.
    "beanstalk": {
        "playbook": "beanstalk.yml",
        "teardown": "beanstalk_teardown.yml",
        "good": {
            "beanstalk_certificate_arn": "arn:aws:acm:us-east-1:123456789012:certificate/"
            + "0" * 8
            + "-0000-4000-8000-"
            + "0" * 12
        },
        "emulated": False,
    },
}
SHARED_BAD = {
    "bucket name": ({"s3_artifacts_bucket": "Bad_Bucket"}, 's3_artifacts_bucket "Bad_Bucket" is not a valid S3 bucket'),
    "region name": ({"mlflow_stack_region": "mars-1"}, 'mlflow_stack_region "mars-1" is not an AWS region name'),
    "password with @ in the database URI": (
        {"mlflow_stack_backend_uri_override": "postgresql://mlflow:p@ssw0rd@db.example.com:5432/mlflow"},
        'mlflow_stack_backend_uri_override has an unencoded "@", ":" or "/" in its user name or password',
    ),
    "database URI that is not one": (
        {"mlflow_stack_backend_uri_override": "db.example.com"},
        "mlflow_stack_backend_uri_override must be a postgresql:// or mysql:// SQLAlchemy URI",
    ),
    "stack name": ({"mlflow_stack_name": "ML"}, "mlflow_stack_name must be 3-26 lower case letters"),
    "allowed hosts that are no list": ({"mlflow_stack_allowed_hosts": {"a": 1}}, "mlflow_stack_allowed_hosts"),
    "TLS flag that is no boolean": ({"mlflow_stack_tls": "maybe"}, "mlflow_stack_tls"),
    "web password too short": (
        {"mlflow_stack_web_password": "short"},
        "mlflow_stack_web_password must be 12-128 printable ASCII characters",
    ),
}


def base(target: str, name: str) -> dict:
    return {"mlflow_stack_name": name, "s3_artifacts_bucket": f"mlflow-{name}-art", **TARGETS[target]["good"]}


@pytest.mark.preflight
@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("case", SHARED_BAD, ids=list(SHARED_BAD))
def test_shared_bad_input_fails_the_same_way_before_any_change(target, case, apprunner_env, tmp_path):
    bad, message = SHARED_BAD[case]
    before = snapshot(apprunner_env)
    emulator("calls/reset", {})
    result = playbook(TARGETS[target]["playbook"], {**base(target, "contract"), **bad}, apprunner_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert snapshot(apprunner_env) == before
    assert emulator("calls")["calls"] == {}


@pytest.mark.preflight
@pytest.mark.parametrize("target", TARGETS)
def test_no_region_at_all_is_refused(target, apprunner_env, tmp_path):
    env = {k: v for k, v in apprunner_env.items() if k not in {"AWS_REGION", "AWS_DEFAULT_REGION"}}
    before = snapshot(apprunner_env)
    result = playbook(TARGETS[target]["playbook"], base(target, "noregion"), env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "no region: set mlflow_stack_region, or export AWS_REGION or AWS_DEFAULT_REGION" in output, output[-3000:]
    assert snapshot(apprunner_env) == before


@pytest.mark.preflight
@pytest.mark.parametrize("target", TARGETS)
def test_check_mode_creates_nothing(target, apprunner_env, tmp_path):
    name = f"plan-{target.replace('_', '-')}"
    before = snapshot(apprunner_env)
    emulator("calls/reset", {})
    result = playbook(TARGETS[target]["playbook"], base(target, name), apprunner_env, tmp_path, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert changed(result.stdout) >= 4, output[-3000:]  # bucket, VPC, subnets, web login secret at least
    assert "create bucket" in output and "Check mode: nothing was created" in output
    assert snapshot(apprunner_env) == before
    assert not [op for op in emulator("calls")["calls"] if not op.startswith(("List", "Describe"))]


def leave_data(env: dict[str, str], name: str, target: str) -> None:
    """What a deployment leaves that holds data: an artifact, the login secret (as the stack stores it), the
    database."""
    bucket = f"mlflow-{name}-art"
    s3 = client("s3", env)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="mlflow/1/model.bin", Body=b"weights")
    stack_login(env, name, target, PASSWORD)
    client("rds", env).create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        MasterUsername="mlflow",
        MasterUserPassword="Sup3r-secret-db-pass",
        AllocatedStorage=20,
    )


# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
@pytest.mark.control_plane
@pytest.mark.parametrize("target", TARGETS)
def test_teardown_keeps_the_data_unless_purge(target, apprunner_env, tmp_path):
    env, name = apprunner_env, f"down-{target.replace('_', '-')}-{uuid.uuid4().hex[:6]}"
    leave_data(env, name, target)
    extra = {**base(target, name), "mlflow_stack_teardown_confirm": name}

    refused = playbook(TARGETS[target]["teardown"], {**extra, "mlflow_stack_teardown_confirm": "x"}, env, tmp_path)
    assert refused.returncode != 0 and f"set mlflow_stack_teardown_confirm={name}" in refused.stdout

    kept = playbook(TARGETS[target]["teardown"], extra, env, tmp_path)
    assert kept.returncode == 0, kept.stdout[-3000:]
    rds, s3, sm = client("rds", env), client("s3", env), client("secretsmanager", env)
    assert name not in {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    snapshots = rds.describe_db_snapshots()["DBSnapshots"]
    assert any(s["DBInstanceIdentifier"] == name for s in snapshots), "no final snapshot"
    assert s3.get_object(Bucket=f"mlflow-{name}-art", Key="mlflow/1/model.bin")["Body"].read() == b"weights"
    assert f"mlflow/{name}/web-login" in {s["Name"] for s in sm.list_secrets()["SecretList"]}

    # What is left can be planned: check mode plans the foundation again and says what waits for it.
    before = snapshot(env)
    plan = playbook(
        TARGETS[target]["playbook"],
        {**base(target, name), "mlflow_stack_web_password": PASSWORD},
        env,
        tmp_path,
        "--check",
    )
    assert plan.returncode == 0, plan.stdout[-3000:]
    assert "Check mode: nothing was created" in plan.stdout
    if target != "ec2":  # the hosts' roles need no login ARN (they get the password)
        waits = "planned once the network, the database and the web login exist"
        assert waits in " ".join(plan.stdout.split()), plan.stdout[-3000:]
    assert snapshot(env) == before

    # As the teardown playbooks document it: -e mlflow_stack_purge=true, a string.
    purged = playbook(TARGETS[target]["teardown"], {**extra, "mlflow_stack_purge": "true"}, env, tmp_path)
    assert purged.returncode == 0, purged.stdout[-3000:]
    assert f"mlflow-{name}-art" not in {b["Name"] for b in s3.list_buckets()["Buckets"]}
    assert f"mlflow/{name}/web-login" not in {s["Name"] for s in sm.list_secrets()["SecretList"]}
