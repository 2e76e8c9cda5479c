"""playbooks/sagemaker_deploy.yml: bad input stops before any change, with a message that names the
variable at fault.

Every case runs the playbook against the local AWS (moto) and checks that it failed, that the output
names the problem, that the foundation never started and that nothing exists that did not exist before.
The cases are the sagemaker_endpoint and sagemaker_access roles' rules (run by the stack's pre-flight with
the stack's wiring) and the stack's rules for the components; the modules' own checks are in
tests/unit/plugins/.
"""

from __future__ import annotations

import json
import re

import pytest
from aws_state import client, snapshot, stack_login, vpc_with_subnets
from conftest import playbook, run

pytestmark = pytest.mark.preflight

GOOD = {
    "mlflow_stack_name": "sagemaker-input",
    "mlflow_stack_target": "ecs_private",
    "s3_artifacts_bucket": "mlflow-sagemaker-input",
    "sagemaker_endpoint_model_name": "churn",
    "sagemaker_endpoint_model_version": "3",
}
CASES = {
    "no target": (
        {"mlflow_stack_target": None},
        "sagemaker_deploy: set mlflow_stack_target to the target MLflow runs on",
    ),
    "no model name": (
        {"sagemaker_endpoint_model_name": ""},
        "sagemaker_endpoint_model_name is required: the name of the registered model in MLflow",
    ),
    "neither version nor alias": (
        {"sagemaker_endpoint_model_version": ""},
        'give exactly one of sagemaker_endpoint_model_version and sagemaker_endpoint_model_alias, got version ""',
    ),
    "both version and alias": (
        {"sagemaker_endpoint_model_alias": "champion"},
        'give exactly one of sagemaker_endpoint_model_version and sagemaker_endpoint_model_alias, got version "3"',
    ),
    "version that is no number": (
        {"sagemaker_endpoint_model_version": "v3"},
        'sagemaker_endpoint_model_version must be a version number (1, 2, ...), got "v3"',
    ),
    "alias with a space": (
        {"sagemaker_endpoint_model_version": "", "sagemaker_endpoint_model_alias": "best model"},
        "sagemaker_endpoint_model_alias must be an MLflow alias (letters, digits, _ and -, not a version such as v1),"
        ' got "best model"',
    ),
    "instance type that is none": (
        {"sagemaker_endpoint_instance_type": "m5.large"},
        'sagemaker_endpoint_instance_type must be a SageMaker instance type such as ml.m5.large, got "m5.large"',
    ),
    "no instance": (
        {"sagemaker_endpoint_instance_count": 0},
        "sagemaker_endpoint_instance_count must be 1 or more, got 0",
    ),
    "subnets without security groups": (
        {"sagemaker_endpoint_subnet_ids": ["subnet-0123456789abcdef0"]},
        "sagemaker_endpoint_subnet_ids and sagemaker_endpoint_security_group_ids go together",
    ),
    "security group that is no ID": (
        {
            "sagemaker_endpoint_subnet_ids": ["subnet-0123456789abcdef0"],
            "sagemaker_endpoint_security_group_ids": ["web"],
        },
        "sagemaker_endpoint_security_group_ids must be security group IDs, got web",
    ),
    "smoke body that is not JSON": (
        {"sagemaker_endpoint_smoke_body": "x=1"},
        'sagemaker_endpoint_smoke_body must be a JSON request body, got "x=1"',
    ),
    "endpoint name too long": (
        {"sagemaker_endpoint_name": "e" * 64},
        "sagemaker_endpoint_name must be 1-63 letters, digits or hyphens",
    ),
    "wait shorter than a minute": (
        {"sagemaker_endpoint_wait_timeout": 10},
        "sagemaker_endpoint_wait_timeout must be 60 seconds or more, got 10",
    ),
    "a FullAccess policy for the jobs": (
        {
            "sagemaker_access_extra_policies": {
                "s3": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
            }
        },
        "sagemaker_access policy s3 allows every action of a service on every resource; scope it",
    ),
    "a component the stack does not know": (
        {"mlflow_stack_components": ["sagemaker_notebook"]},
        "mlflow_stack_components must hold sagemaker_access and/or sagemaker_endpoint, got sagemaker_notebook",
    ),
    "SageMaker on the EC2 target": (
        {"mlflow_stack_target": "ec2", "ec2_instances_count": 1},
        "mlflow_stack_components sagemaker_access and sagemaker_endpoint need a front door that SageMaker reaches",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, aws_env, tmp_path):
    bad, message = CASES[case]
    before = snapshot(aws_env)
    extra = {k: v for k, v in {**GOOD, **bad}.items() if v is not None}  # None: not given at all
    result = playbook("sagemaker_deploy.yml", extra, aws_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert snapshot(aws_env) == before


def test_good_input_passes_the_pre_flight(aws_env, tmp_path):
    """The cases' base is good: the same run without the bad input passes every check (check mode)."""
    before = snapshot(aws_env)
    result = playbook("sagemaker_deploy.yml", GOOD, aws_env, tmp_path, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" in output, output[-3000:]
    assert snapshot(aws_env) == before


WAITS = (
    "Check mode: alb, api_gateway, mlflow_container, ecs_fargate, sagemaker_access, sagemaker_endpoint are"
    " planned once the network, the database and the web login exist"
)
ENDPOINT_WAITS = (
    "Check mode: the SageMaker endpoint is planned once MLflow answers at its URL, since the model version"
    " and its files are read from MLflow."
)


def plan_with_the_login(aws_env, tmp_path, name: str, **extra) -> str:
    """Check mode on stack NAME, whose web login exists: it must pass, plan the foundation, ask no MLflow and
    create nothing. The output, on one line."""
    password = f"{name.title()}-login-9"
    secret_arn = stack_login(aws_env, name, "ecs_private", password)
    try:
        before = snapshot(aws_env)
        variables = {
            **GOOD,
            "mlflow_stack_name": name,
            "s3_artifacts_bucket": f"mlflow-{name}",
            "mlflow_stack_web_password": password,
            **extra,
        }
        result = playbook("sagemaker_deploy.yml", variables, aws_env, tmp_path, "--check")
        output = " ".join((result.stdout + result.stderr).split())
        assert result.returncode == 0, output[-3000:]
        assert "mlflow_stack : Web login kept in Secrets Manager]" in output, output[-3000:]
        assert "Registered model churn" not in output, "the model was looked up with no MLflow to ask"
        assert snapshot(aws_env) == before
        return output
    finally:
        client("secretsmanager", aws_env).delete_secret(SecretId=secret_arn, ForceDeleteWithoutRecovery=True)


def check_mode_waits_for_the_network(aws_env, tmp_path, name: str, **extra) -> str:
    """As plan_with_the_login, and the play says that the target's roles and the components wait for the
    network, the database and the login."""
    output = plan_with_the_login(aws_env, tmp_path, name, **extra)
    assert WAITS in output and ENDPOINT_WAITS not in output, output[-3000:]
    return output


def test_check_mode_after_a_teardown_that_kept_the_data(aws_env, tmp_path):
    """A teardown keeps the web login and removes the network: check mode then plans the foundation and says
    the target's roles and the components wait for them (their inputs would be empty), instead of failing."""
    check_mode_waits_for_the_network(aws_env, tmp_path, "sagemaker-kept")


# What a first run of the ecs_private stack NAME on the adopted VPC (network.json: aws_network_vpc_id and the
# subnets) makes before its target's roles, made by the roles alone, one STEP at a time: the servers' security
# group (aws_network), then the database (gp2: moto leaves StorageThroughput out of gp3 instances, which
# rds_instance reads); absent removes both and leaves the VPC.
FOUNDATION = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    ansible_python_interpreter: "{{ ansible_playbook_python }}"
  tasks:
    - ansible.builtin.include_role: {name: mlops.mlflow_aws.rds_backend, tasks_from: absent}
      vars: {rds_backend_identifier: "{{ name }}", rds_backend_purge: true}
      when: step == 'absent'
    - ansible.builtin.include_role:
        name: mlops.mlflow_aws.aws_network
        tasks_from: "{{ 'absent' if step == 'absent' else 'main' }}"
      vars:
        aws_network_name: "{{ name }}"
        aws_network_endpoints: [ecr.api, ecr.dkr, s3, secretsmanager, logs]
    - ansible.builtin.include_role: {name: mlops.mlflow_aws.rds_backend}
      vars:
        rds_backend_identifier: "{{ name }}"
        rds_backend_storage_type: gp2
        rds_backend_vpc_id: "{{ aws_network_resources.vpc_id }}"
        rds_backend_subnet_ids: "{{ aws_network_resources.private_subnet_ids }}"
        rds_backend_allowed_security_groups: ["{{ aws_network_resources.host_security_group_id }}"]
      when: step == 'database'
"""


def test_check_mode_on_an_adopted_vpc_step_by_step(aws_env, tmp_path):
    """Check mode passes and creates nothing at each point a first run on a VPC of the user's (aws_network_vpc_id
    and subnets) with the web login can stop at:
    - before the servers' security group exists, it plans the group and the foundation and says the target's
      roles and the components wait (it failed on the group's None ID: NoneType has no len);
    - with the group but no database, they still wait (they need the database's secret: mlflow_container failed);
    - with the database too, it plans the target's roles and the access, and says the endpoint waits for MLflow
      to answer, since its model version is read from MLflow: no server is asked."""
    name = "sagemaker-adopted"
    vpc, subnets = vpc_with_subnets(aws_env, "abab")
    network = {"aws_network_vpc_id": vpc, "aws_network_public_subnet_ids": subnets[:2]}
    network["aws_network_private_subnet_ids"] = subnets[2:]
    (tmp_path / "network.json").write_text(json.dumps(network))
    (tmp_path / "foundation.yml").write_text(FOUNDATION)
    command = ["ansible-playbook", "-i", "localhost,", str(tmp_path / "foundation.yml"), "-e", f"name={name}"]
    command += ["-e", f"@{tmp_path / 'network.json'}"]
    database = "rds_backend : Security group admitting the database port from the allowed groups only]"
    planned = ("ecs_fargate : Cluster, task definition and service]", "sagemaker_access : Execution")
    try:
        output = check_mode_waits_for_the_network(aws_env, tmp_path, name, **network)
        assert "aws_network : Take the given VPC and subnets] " in output, output[-3000:]
        assert re.search(r"Security group of the MLflow hosts \([^]]*\] \**\s*changed", output), output[-3000:]
        assert database not in output, output[-3000:]

        made = run([*command, "-e", "step=network"], aws_env)
        assert made.returncode == 0, made.stdout[-3000:]
        output = check_mode_waits_for_the_network(aws_env, tmp_path, name, rds_backend_storage_type="gp2", **network)
        assert database in output and not any(task in output for task in planned), output[-3000:]

        made = run([*command, "-e", "step=database"], aws_env)
        assert made.returncode == 0, made.stdout[-3000:]
        output = plan_with_the_login(aws_env, tmp_path, name, rds_backend_storage_type="gp2", **network)
        assert WAITS not in output and ENDPOINT_WAITS in output, output[-3000:]
        # Planned, not skipped: each shows what the first real run will do.
        assert all(re.search(re.escape(task) + r"[^\n]* \**\s*changed", output) for task in planned), output[-3000:]
    finally:
        removed = run([*command, "-e", "step=absent"], aws_env)
        ec2 = client("ec2", aws_env)
        for subnet in subnets:
            ec2.delete_subnet(SubnetId=subnet)
        ec2.delete_vpc(VpcId=vpc)
        assert removed.returncode == 0, removed.stdout[-3000:]
