"""playbooks/ecs_express.yml and the move: bad input stops before any change, with a message that
names the variable at fault.

Every case runs the playbook against the local AWS (moto and the Express emulator) and checks that it
failed, that the output names the problem, that the foundation never started and that nothing exists
that did not exist before. The cases are the ecs_express role's rules (run by the stack's pre-flight
with the stack's wiring) and the stack's rules for this target; the module's own checks are in
test_ecs_express_modules.py.
"""

from __future__ import annotations

import pytest
from aws_state import snapshot
from conftest import playbook

pytestmark = pytest.mark.preflight

GOOD = {"mlflow_stack_name": "express-input", "s3_artifacts_bucket": "mlflow-express-input"}
CASES = {
    "memory Fargate does not offer with the CPU": (
        {"ecs_express_cpu": "256", "ecs_express_memory": "4096"},
        "ecs_express_memory 4096 is not offered with ecs_express_cpu 256",
    ),
    "CPU that is no Fargate size": ({"ecs_express_cpu": "300"}, "ecs_express_cpu"),
    "container port 0": ({"ecs_express_container_port": 0}, 'ecs_express_container_port must be 1-65535, got "0"'),
    "health check path without /": (
        {"ecs_express_health_check_path": "health"},
        'ecs_express_health_check_path must be a path starting with "/", got "health"',
    ),
    "min tasks above max": (
        {"ecs_express_min_tasks": 2, "ecs_express_max_tasks": 1},
        "ecs_express_min_tasks must be 1 or more and at most ecs_express_max_tasks, got 2 and 1",
    ),
    "CPU target above 100 %": (
        {"ecs_express_scaling_target": 150},
        "ecs_express_scaling_target is a percentage for AVERAGE_CPU: 1-100, got 150",
    ),
    "scaling metric unknown": (
        {"ecs_express_scaling_metric": "P99_LATENCY"},
        "value of ecs_express_scaling_metric must be one of: AVERAGE_CPU, AVERAGE_MEMORY, REQUEST_COUNT_PER_TARGET",
    ),
    "log retention CloudWatch does not offer": (
        {"ecs_express_log_retention_days": 45},
        "ecs_express_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90",
    ),
    "secret-looking plain variable": (
        {"ecs_express_environment": {"DB_PASSWORD": "x"}},
        "ecs_express_environment.DB_PASSWORD looks like a secret",
    ),
    "KMS key given as an alias": (
        {"rds_backend_kms_key": "alias/mlflow"},
        'ecs_express_secrets_kms_key_arns: "alias/mlflow" is not a KMS key ARN',
    ),
    "plain HTTP": (
        {"mlflow_stack_tls": "false"},
        "mlflow_stack_tls is false but ECS Express serves HTTPS only",
    ),
    "client CIDRs Express cannot apply": (
        {"aws_network_client_cidrs": ["203.0.113.0/24"]},
        "aws_network_client_cidrs does not apply to ecs_express",
    ),
    "more tasks than the database takes": (
        {"ecs_express_max_tasks": 3},
        "connection budget exceeded: 6 instances x ((2 workers x 2 stores) x (2 pool + 3 overflow) + 2 server)"
        " = 132 connections, but the database allows 71 (max_connections 81 - reserve 10). Lower ecs_express_max_tasks",
    ),
    "move with an unknown retirement": (
        {"mlflow_stack_move_retire": "archived"},
        "value of mlflow_stack_move_retire must be one of: paused, deleted, got: archived",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, aws_env, tmp_path):
    bad, message = CASES[case]
    book = "apprunner_to_ecs_express.yml" if case.startswith("move") else "ecs_express.yml"
    before = snapshot(aws_env)
    result = playbook(book, {**GOOD, **bad}, aws_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert snapshot(aws_env) == before


def test_good_input_passes_the_pre_flight(aws_env, tmp_path):
    """The cases' base is good: the same run without the bad input passes every check (check mode)."""
    before = snapshot(aws_env)
    result = playbook("ecs_express.yml", GOOD, aws_env, tmp_path, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" in output, output[-3000:]
    assert snapshot(aws_env) == before
