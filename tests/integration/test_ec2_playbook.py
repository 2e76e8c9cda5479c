"""playbooks/ec2.yml: bad input fails before any change, naming the variable; --check creates nothing."""

from __future__ import annotations

import json
import uuid

import pytest
from aws_state import snapshot
from conftest import run

SECRET = "Sup3r-secret-db-pass"
GOOD = {
    "mlflow_stack_name": "input",
    "s3_artifacts_bucket": "mlflow-input-check",
    "ec2_instances_count": 1,
    "ec2_instances_image_id": "ami-12c6146b",
    "rds_backend_password": SECRET,
}
CASES = {
    "no bucket": ({"s3_artifacts_bucket": ""}, "s3_artifacts_bucket is empty"),
    "unknown engine": ({"rds_backend_engine": "oracle-ee"}, "value of rds_backend_engine must be one of: postgres"),
    "engine version of another engine": (
        {"rds_backend_engine": "postgres", "rds_backend_engine_version": "8.0.39"},
        'rds_backend_engine_version "8.0.39" is not a postgres version',
    ),
    "database open to the world": (
        {"rds_backend_allowed_cidrs": ["0.0.0.0/0"]},
        "rds_backend_allowed_cidrs holds 0.0.0.0/0",
    ),
    "no backups and no deletion protection": (
        {"rds_backend_backup_retention": 0, "rds_backend_deletion_protection": False},
        "rds_backend_backup_retention is 0 and rds_backend_deletion_protection is off",
    ),
    "backup retention too long": (
        {"rds_backend_backup_retention": 40},
        "rds_backend_backup_retention must be 0-35 days",
    ),
    "instance class typo": (
        {"rds_backend_instance_class": "db.t3.mirco"},
        'rds_backend_instance_class "db.t3.mirco" is not',
    ),
    "bucket KMS key not an ARN or alias": (
        {"s3_artifacts_encryption": "aws:kms", "s3_artifacts_kms_key": "my-key"},
        's3_artifacts_kms_key "my-key" is neither a KMS key ARN',
    ),
    "database KMS key not an ARN or alias": ({"rds_backend_kms_key": "1234"}, 'rds_backend_kms_key "1234" is neither'),
    "empty mlflow_servers without launch": (
        {"ec2_instances_count": 0},
        "the inventory group mlflow_servers is empty and ec2_instances_count is 0",
    ),
    "launch without an AMI": ({"ec2_instances_image_id": ""}, "ec2_instances_image_id must be an AMI ID"),
    "SSH open to the world": (
        {"aws_network_ssh_cidrs": ["0.0.0.0/0"]},
        "aws_network_ssh_cidrs must not open SSH to every address",
    ),
    "FullAccess managed policy": (
        {"instance_profile_managed_policy_arns": ["arn:aws:iam::aws:policy/AmazonS3FullAccess"]},
        "AmazonS3FullAccess grants far more than MLflow needs",
    ),
    "VPC without subnets": (
        {"aws_network_vpc_id": "vpc-0123456789abcdef0"},
        "aws_network_vpc_id is given: list the subnets too",
    ),
    "password RDS rejects": (
        {"rds_backend_password": "has@sign-in-it"},
        "rds_backend_password must be 8-128 printable ASCII",
    ),
    "more connections than the database allows": (
        {"ec2_instances_count": 3},
        "mlflow_stack: connection budget exceeded: 3 hosts x (workers x 2 stores x (pool + overflow) + 2 server),"
        " or PgBouncer pools = 42 + 42 + 42 = 126"
        " connections, but the database allows 71 (max_connections 81 - reserve 10). Lower ec2_instances_count",
    ),
    "PgBouncer pools larger than the database allows": (
        {"ec2_instances_count": 3, "mlflow_host_pgbouncer": True, "mlflow_host_pgbouncer_pool_size": 30},
        "or PgBouncer pools = 30 + 30 + 30 = 90 connections, but the database allows 71",
    ),
    "database class of unknown limit": (
        {"rds_backend_instance_class": "db.serverless", "rds_backend_engine": "aurora-postgresql"},
        "the connection limit of db.serverless is not known: set mlflow_stack_db_max_connections",
    ),
    "wildcard inline policy": (
        {
            "instance_profile_inline_policies": {
                "all": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
            }
        },
        "instance_profile_inline_policies.all allows every action on every resource",
    ),
}


def playbook(extra: dict, env: dict[str, str], tmp_path, *flags: str):
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra))
    return run(
        ["ansible-playbook", "-i", "localhost,", "-vvv", *flags, "-e", f"@{vars_file}", "playbooks/ec2.yml"], env
    )


@pytest.mark.preflight
@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, aws_env, tmp_path):
    bad, message = CASES[case]
    before = snapshot(aws_env)
    result = playbook({**GOOD, **bad}, aws_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert SECRET not in output and "has@sign-in-it" not in output
    assert snapshot(aws_env) == before


def test_pgbouncer_fits_a_fleet_the_direct_pools_do_not(aws_env, tmp_path):
    """3 hosts need 120 connections with their own pools (the case above), 27 through PgBouncer."""
    name = f"pgb{uuid.uuid4().hex[:6]}"
    extra = {**GOOD, "mlflow_stack_name": name, "s3_artifacts_bucket": f"mlflow-{name}", "ec2_instances_count": 3}
    result = playbook({**extra, "mlflow_host_pgbouncer": True}, aws_env, tmp_path, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "connection budget exceeded" not in output
