"""amazon.aws modules work unchanged against the local moto server through AWS_ENDPOINT_URL.

Later roles (s3_artifacts, rds_backend, ...) are tested this way; this proves the harness
part: the env file from tests/local/moto.sh, the collection path, idempotent re-runs, and
state read back with boto3.
"""

from __future__ import annotations

import uuid

import boto3
from conftest import run

PLAY = """
- hosts: localhost
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - name: Bucket
      amazon.aws.s3_bucket:
        name: "{{ bucket }}"
        versioning: true
        encryption: AES256
        public_access:
          block_public_acls: true
          ignore_public_acls: true
          block_public_policy: true
          restrict_public_buckets: true
        tags:
          project: mlops-mlflow-aws
"""


def test_s3_bucket_created_idempotent_and_readable_with_boto3(aws_env, tmp_path):
    bucket = f"harness-{uuid.uuid4().hex[:12]}"
    playbook = tmp_path / "bucket.yml"
    playbook.write_text(PLAY)
    command = ["ansible-playbook", "-i", "localhost,", "-c", "local", "-e", f"bucket={bucket}", str(playbook)]

    first = run(command, aws_env)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "changed=1" in first.stdout

    second = run(command, aws_env)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "changed=0" in second.stdout

    s3 = boto3.client(
        "s3",
        endpoint_url=aws_env["AWS_ENDPOINT_URL"],
        region_name=aws_env["AWS_REGION"],
        aws_access_key_id=aws_env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=aws_env["AWS_SECRET_ACCESS_KEY"],
    )
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    assert {"Key": "project", "Value": "mlops-mlflow-aws"} in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]
