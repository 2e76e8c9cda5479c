"""Role s3_artifacts against the local moto server, state read back with boto3."""

from __future__ import annotations

import json
import uuid

import pytest
from aws_state import client
from botocore.exceptions import ClientError
from conftest import run

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: mlops.mlflow_aws.s3_artifacts
  post_tasks:
    - name: Facts for the next roles
      ansible.builtin.copy:
        content: >-
          {{ {'uri': s3_artifacts_uri | default(''), 'policy': s3_artifacts_iam_policy | default({})} | to_json }}
        dest: "{{ facts_file }}"
      check_mode: false
      changed_when: false
      when: s3_artifacts_state | default('present') == 'present'
"""


@pytest.fixture
def play(tmp_path, aws_env):
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAY)
    facts = tmp_path / "facts.json"

    def apply(*extra: str, check: bool = False):
        args = ["ansible-playbook", "-i", "localhost,", str(playbook), "-e", f"facts_file={facts}", *extra]
        result = run([*args, "--check", "--diff"] if check else args, aws_env)
        return result, (json.loads(facts.read_text()) if facts.exists() else {})

    return apply


def test_bucket_is_private_encrypted_versioned_tls_only_and_idempotent(play, aws_env):
    bucket = f"art-{uuid.uuid4().hex[:10]}"
    s3 = client("s3", aws_env)

    planned, _unused = play("-e", f"s3_artifacts_bucket={bucket}", check=True)
    assert planned.returncode == 0, planned.stdout
    assert "create bucket" in planned.stdout and "changed=1" in planned.stdout
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}, "check mode created the bucket"

    first, facts = play("-e", f"s3_artifacts_bucket={bucket}", "-e", '{"s3_artifacts_tags": {"team": "ml"}}')
    assert first.returncode == 0, first.stdout
    second, _unused = play("-e", f"s3_artifacts_bucket={bucket}", "-e", '{"s3_artifacts_tags": {"team": "ml"}}')
    assert "changed=0" in second.stdout, second.stdout
    replanned, _unused = play(
        "-e", f"s3_artifacts_bucket={bucket}", "-e", '{"s3_artifacts_tags": {"team": "ml"}}', check=True
    )
    assert "already matches" in replanned.stdout and "changed=0" in replanned.stdout

    assert all(s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"].values())
    rule = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"
    tags = {t["Key"]: t["Value"] for t in s3.get_bucket_tagging(Bucket=bucket)["TagSet"]}
    assert tags == {"team": "ml", "ManagedBy": "mlops.mlflow_aws"}
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules[0]["NoncurrentVersionExpiration"]["NoncurrentDays"] == 90
    assert rules[0]["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"] == 7

    # moto enforces bucket policies and speaks plain HTTP: the TLS-only policy must deny this.
    statement = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"][0]
    assert statement["Effect"] == "Deny" and statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    with pytest.raises(ClientError) as denied:
        s3.put_object(Bucket=bucket, Key="mlflow/x", Body=b"over plain http")
    assert denied.value.response["Error"]["Code"] in {"AccessDenied", "403"}

    assert facts["uri"] == f"s3://{bucket}/mlflow"
    statements = {s["Sid"]: s for s in facts["policy"]["Statement"]}
    assert statements["ReadWriteArtifacts"]["Resource"] == [f"arn:aws:s3:::{bucket}/mlflow/*"]
    assert statements["ListArtifactPrefix"]["Condition"] == {"StringLike": {"s3:prefix": ["mlflow", "mlflow/*"]}}
    assert not any(a in {"*", "s3:*"} for s in facts["policy"]["Statement"] for a in s["Action"])


def test_existing_bucket_is_adopted_and_absent_needs_purge(play, aws_env):
    bucket = f"own-{uuid.uuid4().hex[:10]}"
    s3 = client("s3", aws_env)
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="mlflow/keep.txt", Body=b"data")

    adopted, facts = play("-e", f"s3_artifacts_bucket={bucket}", "-e", "s3_artifacts_create=false")
    assert adopted.returncode == 0 and "changed=0" in adopted.stdout, adopted.stdout
    assert facts["uri"] == f"s3://{bucket}/mlflow"

    managed, _unused = play("-e", f"s3_artifacts_bucket={bucket}", "-e", "s3_artifacts_tls_only=false")
    assert managed.returncode == 0, managed.stdout
    assert s3.get_bucket_versioning(Bucket=bucket)["Status"] == "Enabled"

    refused, _unused = play("-e", f"s3_artifacts_bucket={bucket}", "-e", "s3_artifacts_state=absent")
    assert refused.returncode != 0
    assert f"refusing to delete bucket {bucket}" in refused.stdout and "s3_artifacts_purge: true" in refused.stdout
    assert s3.get_object(Bucket=bucket, Key="mlflow/keep.txt")["Body"].read() == b"data"

    purged, _unused = play(
        "-e", f"s3_artifacts_bucket={bucket}", "-e", "s3_artifacts_state=absent", "-e", "s3_artifacts_purge=true"
    )
    assert purged.returncode == 0, purged.stdout
    assert bucket not in {b["Name"] for b in s3.list_buckets()["Buckets"]}

    missing, _unused = play("-e", f"s3_artifacts_bucket={bucket}", "-e", "s3_artifacts_create=false")
    assert missing.returncode != 0 and "s3_artifacts_create is false" in missing.stdout
