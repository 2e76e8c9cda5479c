"""Roles aws_network, instance_profile and rds_backend together against the local moto server."""

from __future__ import annotations

import json
import uuid

from aws_state import client, snapshot, vpc_with_subnets
from conftest import run

PLAY = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - ansible.builtin.include_role: {name: mlops.mlflow_aws.aws_network}
      vars: {aws_network_name: "{{ ident }}", aws_network_client_cidrs: [203.0.113.0/24]}
    - ansible.builtin.include_role: {name: mlops.mlflow_aws.instance_profile}
      vars:
        instance_profile_name: "{{ ident }}-host"
        instance_profile_inline_policies:
          mlflow-artifacts:
            Version: "2012-10-17"
            Statement: [{Effect: Allow, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::b/mlflow/*"]}]
    - ansible.builtin.include_role: {name: mlops.mlflow_aws.rds_backend}
      vars:
        rds_backend_identifier: "{{ ident }}"
        rds_backend_storage_type: gp2  # moto omits StorageThroughput for gp3, which rds_instance reads
        rds_backend_vpc_id: "{{ aws_network_resources.vpc_id }}"
        rds_backend_subnet_ids: "{{ aws_network_resources.private_subnet_ids }}"
        rds_backend_allowed_security_groups: ["{{ aws_network_resources.host_security_group_id }}"]
      when: aws_network_resources.vpc_id | length > 0
    - ansible.builtin.copy:
        content: "{{ {'network': aws_network_resources, 'db': rds_backend_connection | default({})} | to_json }}"
        dest: "{{ facts_file }}"
      check_mode: false
      changed_when: false
"""


def plan_apply_reapply(command: list[str], env: dict[str, str]):
    """Check mode plans changes and creates nothing; the run succeeds; a re-run changes nothing."""
    before = snapshot(env)
    planned = run([*command, "--check"], env)
    assert planned.returncode == 0, planned.stdout[-3000:]
    assert "changed=0" not in planned.stdout
    assert snapshot(env) == before, "check mode created resources"
    first = run(command, env)
    assert first.returncode == 0, first.stdout[-3000:]
    second = run(command, env)
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]
    return planned, first, second


def test_database_private_encrypted_reachable_from_hosts_only_and_password_never_shown(tmp_path, aws_env):
    name = f"db{uuid.uuid4().hex[:8]}"
    playbook, facts = tmp_path / "play.yml", tmp_path / "facts.json"
    playbook.write_text(PLAY)
    command = [
        "ansible-playbook",
        "-i",
        "localhost,",
        "-vvv",
        str(playbook),
        "-e",
        f"ident={name}",
        "-e",
        f"facts_file={facts}",
    ]

    planned, first, second = plan_apply_reapply(command, aws_env)
    wired = json.loads(facts.read_text())

    secret = json.loads(
        client("secretsmanager", aws_env).get_secret_value(SecretId=f"mlflow/{name}/db-master")["SecretString"]
    )
    assert len(secret["password"]) == 32 and secret["username"] == "mlflow"
    for output in (planned, first, second):
        assert secret["password"] not in output.stdout + output.stderr

    db = client("rds", aws_env).describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    assert secret["host"] == db["Endpoint"]["Address"] == wired["db"]["host"]
    assert wired["db"]["secret_arn"].endswith(f"mlflow/{name}/db-master-" + wired["db"]["secret_arn"].rsplit("-", 1)[1])
    assert db["PubliclyAccessible"] is False
    assert db["StorageEncrypted"] is True
    assert db["DeletionProtection"] is True
    assert db["BackupRetentionPeriod"] == 7
    assert db["CopyTagsToSnapshot"] is True
    assert {"Key": "ManagedBy", "Value": "mlops.mlflow_aws"} in db["TagList"]

    ec2 = client("ec2", aws_env)
    db_group = ec2.describe_security_groups(GroupIds=[db["VpcSecurityGroups"][0]["VpcSecurityGroupId"]])[
        "SecurityGroups"
    ][0]
    assert [(p["FromPort"], p["ToPort"]) for p in db_group["IpPermissions"]] == [(5432, 5432)]
    permission = db_group["IpPermissions"][0]
    assert permission["IpRanges"] == [] and permission.get("Ipv6Ranges", []) == []
    assert [g["GroupId"] for g in permission["UserIdGroupPairs"]] == [wired["network"]["host_security_group_id"]]
    subnets = ec2.describe_subnets(SubnetIds=wired["network"]["private_subnet_ids"])["Subnets"]
    assert len({s["AvailabilityZone"] for s in subnets}) == 2 and not any(s["MapPublicIpOnLaunch"] for s in subnets)

    iam = client("iam", aws_env)
    assert iam.list_attached_role_policies(RoleName=f"{name}-host")["AttachedPolicies"] == []
    assert iam.list_role_policies(RoleName=f"{name}-host")["PolicyNames"] == ["mlflow-artifacts"]
    assert (
        iam.get_instance_profile(InstanceProfileName=f"{name}-host")["InstanceProfile"]["Roles"][0]["RoleName"]
        == f"{name}-host"
    )


ABSENT = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  roles:
    - role: mlops.mlflow_aws.rds_backend
      rds_backend_state: absent
      rds_backend_identifier: "{{ ident }}"
"""


def test_absent_keeps_a_final_snapshot_and_the_secret(tmp_path, aws_env):
    name = f"gone{uuid.uuid4().hex[:8]}"
    rds, secrets = client("rds", aws_env), client("secretsmanager", aws_env)
    _vpc, subnets = vpc_with_subnets(aws_env)
    rds.create_db_subnet_group(DBSubnetGroupName=f"{name}-db", DBSubnetGroupDescription="t", SubnetIds=subnets)
    rds.create_db_instance(
        DBInstanceIdentifier=name,
        Engine="postgres",
        DBInstanceClass="db.t4g.micro",
        AllocatedStorage=20,
        MasterUsername="mlflow",
        MasterUserPassword="x" * 16,
        DeletionProtection=True,
        DBSubnetGroupName=f"{name}-db",
    )
    secrets.create_secret(
        Name=f"mlflow/{name}/db-master", SecretString=json.dumps({"username": "mlflow", "password": "x" * 16})
    )
    playbook = tmp_path / "absent.yml"
    playbook.write_text(ABSENT)
    result = run(["ansible-playbook", "-i", "localhost,", str(playbook), "-e", f"ident={name}"], aws_env)
    assert result.returncode == 0, result.stdout[-3000:]
    assert name not in {d["DBInstanceIdentifier"] for d in rds.describe_db_instances()["DBInstances"]}
    snapshots = [s["DBSnapshotIdentifier"] for s in rds.describe_db_snapshots()["DBSnapshots"]]
    assert any(s.startswith(f"{name}-final-") for s in snapshots), snapshots
    assert secrets.describe_secret(SecretId=f"mlflow/{name}/db-master")["Name"] == f"mlflow/{name}/db-master"
    assert "Kept: final snapshot" in result.stdout


def test_rds_proxy_in_front_of_the_database(tmp_path, aws_env):
    """rds_backend_proxy: the servers' connection goes to the proxy, which alone reaches the database."""
    name = f"px{uuid.uuid4().hex[:8]}"
    playbook, facts = tmp_path / "play.yml", tmp_path / "facts.json"
    playbook.write_text(PLAY)
    command = [
        "ansible-playbook",
        "-i",
        "localhost,",
        str(playbook),
        "-e",
        f"ident={name}",
        "-e",
        f"facts_file={facts}",
    ]
    command += ["-e", "rds_backend_proxy=true", "-e", "rds_backend_proxy_max_connections_percent=50"]
    plan_apply_reapply(command, aws_env)
    wired = json.loads(facts.read_text())

    rds, ec2, iam = client("rds", aws_env), client("ec2", aws_env), client("iam", aws_env)
    proxy = rds.describe_db_proxies(DBProxyName=name)["DBProxies"][0]
    assert wired["db"]["host"] == proxy["Endpoint"] and wired["db"]["port"] == 5432 and wired["db"]["proxy"]
    db = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"][0]
    assert wired["db"]["direct_host"] == db["Endpoint"]["Address"] != proxy["Endpoint"]
    assert proxy["RequireTLS"] is True and proxy["EngineFamily"] == "POSTGRESQL"
    assert [a["SecretArn"] for a in proxy["Auth"]] == [wired["db"]["secret_arn"]]
    targets = rds.describe_db_proxy_targets(DBProxyName=name)["Targets"]
    assert [t["RdsResourceId"] for t in targets] == [name]
    group = rds.describe_db_proxy_target_groups(DBProxyName=name)["TargetGroups"][0]
    assert group["ConnectionPoolConfig"]["MaxConnectionsPercent"] == 50

    # The servers' group reaches the proxy; the database admits the proxy and the servers.
    proxy_group = ec2.describe_security_groups(GroupIds=proxy["VpcSecurityGroupIds"])["SecurityGroups"][0]
    assert [g["GroupId"] for g in proxy_group["IpPermissions"][0]["UserIdGroupPairs"]] == [
        wired["network"]["host_security_group_id"]
    ]
    db_group = ec2.describe_security_groups(GroupIds=[db["VpcSecurityGroups"][0]["VpcSecurityGroupId"]])[
        "SecurityGroups"
    ][0]
    admitted = {g["GroupId"] for p in db_group["IpPermissions"] for g in p["UserIdGroupPairs"]}
    assert admitted == {proxy_group["GroupId"], wired["network"]["host_security_group_id"]}

    # The proxy's role reads exactly the database secret.
    policy = iam.get_role_policy(RoleName=f"{name}-rds-proxy", PolicyName="read-db-credentials")["PolicyDocument"]
    assert policy["Statement"] == [
        {"Effect": "Allow", "Action": ["secretsmanager:GetSecretValue"], "Resource": [wired["db"]["secret_arn"]]}
    ]
    assert iam.list_attached_role_policies(RoleName=f"{name}-rds-proxy")["AttachedPolicies"] == []

    # Teardown deletes the proxy, its group and role, and keeps the data.
    absent = tmp_path / "absent.yml"
    absent.write_text(
        ABSENT.replace(
            'rds_backend_identifier: "{{ ident }}"',
            'rds_backend_identifier: "{{ ident }}"\n      rds_backend_vpc_id: "{{ vpc }}"',
        )
    )
    gone = run(
        [
            "ansible-playbook",
            "-i",
            "localhost,",
            str(absent),
            "-e",
            f"ident={name}",
            "-e",
            f"vpc={wired['network']['vpc_id']}",
        ],
        aws_env,
    )
    assert gone.returncode == 0, gone.stdout[-3000:]
    assert name not in {p["DBProxyName"] for p in rds.describe_db_proxies()["DBProxies"]}
    assert f"{name}-rds-proxy" not in {r["RoleName"] for r in iam.list_roles()["Roles"]}
    assert "Kept: final snapshot" in gone.stdout
