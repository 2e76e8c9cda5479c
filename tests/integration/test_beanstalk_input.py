"""playbooks/beanstalk.yml: bad input stops before any change, with a message that names the variable
at fault.

Every case runs the playbook against the local AWS (moto with the Elastic Beanstalk emulator) and checks
that it failed, that the output names the problem, that the foundation never started and that nothing
exists that did not exist before. The cases are the beanstalk role's rules (run by the stack's pre-flight
with the stack's wiring) and the stack's rules for this target; the modules' own checks are in
tests/unit/plugins/test_elasticbeanstalk_params.py.
"""

from __future__ import annotations

import pytest
from aws_state import snapshot
from conftest import playbook

pytestmark = pytest.mark.preflight

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
GOOD = {
    "mlflow_stack_name": "beanstalk-input",
    "s3_artifacts_bucket": "mlflow-beanstalk-input",
    "beanstalk_certificate_arn": CERT,
}
CASES = {
    "instance type that is none": (
        {"beanstalk_instance_type": "large"},
        'beanstalk_instance_type must be an EC2 instance type such as t3.small, got "large"',
    ),
    "min instances above max": (
        {"beanstalk_min_instances": 3, "beanstalk_max_instances": 2},
        "beanstalk_min_instances must be 1 or more and at most beanstalk_max_instances (at most 10000), got 3 and 2",
    ),
    "solution stack that is not Docker": (
        {"beanstalk_solution_stack": "64bit Amazon Linux 2023 v4.3.0 running Python 3.11"},
        "beanstalk_solution_stack must be a Docker platform on Amazon Linux 2023",
    ),
    "ECS-based Docker solution stack": (
        {"beanstalk_solution_stack": "64bit Amazon Linux 2023 v4.4.0 running ECS"},
        "beanstalk_solution_stack must be a Docker platform on Amazon Linux 2023",
    ),
    "no certificate": (
        {"beanstalk_certificate_arn": ""},
        "beanstalk_certificate_arn must be the ARN of an ACM certificate",
    ),
    "certificate that is no ACM ARN": (
        {"beanstalk_certificate_arn": "arn:aws:iam::123456789012:server-certificate/mlflow"},
        "beanstalk_certificate_arn must be the ARN of an ACM certificate",
    ),
    "certificate of another region": (
        {"beanstalk_certificate_arn": CERT.replace("us-east-1", "eu-west-1")},
        "beanstalk_certificate_arn is in eu-west-1 but the environment in us-east-1",
    ),
    "option namespace typo": (
        {
            "beanstalk_extra_option_settings": [
                {"namespace": "aws:elasticbeanstalk:enviroment", "option_name": "X", "value": "1"}
            ]
        },
        'beanstalk_extra_option_settings[0]: namespace "aws:elasticbeanstalk:enviroment" is not one the role knows;'
        " use one of aws:autoscaling:asg",
    ),
    "option namespace without aws:": (
        {
            "beanstalk_extra_option_settings": [
                {"namespace": "autoscaling:asg", "option_name": "Cooldown", "value": "60"}
            ]
        },
        'beanstalk_extra_option_settings[0]: namespace "autoscaling:asg" is not one the role knows',
    ),
    "extra option the role sets": (
        {
            "beanstalk_extra_option_settings": [
                {"namespace": "aws:autoscaling:asg", "option_name": "MaxSize", "value": "4"}
            ]
        },
        "beanstalk_extra_option_settings[0]: aws:autoscaling:asg MaxSize is set by the role from its own variables",
    ),
    "secret through the extra options": (
        {
            "beanstalk_extra_option_settings": [
                {"namespace": "aws:elasticbeanstalk:application:environment", "option_name": "DB", "value": "x"}
            ]
        },
        "beanstalk_extra_option_settings[0]: aws:elasticbeanstalk:application:environment comes from"
        " beanstalk_environment",
    ),
    "batch size above max instances": (
        {"beanstalk_batch_size": 2},
        "beanstalk_batch_size must be 1 to beanstalk_max_instances (1) instances, got 2",
    ),
    "rolling deployment of the only instance": (
        {"beanstalk_deployment_policy": "Rolling"},
        "beanstalk_deployment_policy Rolling takes batches of beanstalk_batch_size (1) out of service",
    ),
    "all-at-once deployment": (
        {"beanstalk_deployment_policy": "AllAtOnce"},
        "value of beanstalk_deployment_policy must be one of: Rolling, RollingWithAdditionalBatch, Immutable,"
        " got: AllAtOnce",
    ),
    "health-based configuration updates with min = max": (
        {"beanstalk_config_update_type": "Health"},
        "beanstalk_config_update_type Health keeps beanstalk_min_instances (1) in service",
    ),
    "secret-looking plain property": (
        {"mlflow_container_environment": {"SMTP_PASSWD": "x"}},
        "beanstalk_environment.SMTP_PASSWD looks like a secret",
    ),
    "log retention Beanstalk does not take": (
        {"beanstalk_log_retention_days": 1096},
        "beanstalk_log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731,"
        " 1827, 3653",
    ),
    "CNAME prefix with a leading hyphen": (
        {"beanstalk_cname_prefix": "-mlflow"},
        "beanstalk_cname_prefix must be 4-63 letters, digits or hyphens, not starting or ending with a hyphen"
        ' (empty: beanstalk_name), got "-mlflow"',
    ),
    "update window that is no day:hour:minute": (
        {"beanstalk_update_window": "Sunday 3am"},
        'beanstalk_update_window must be day:hour:minute in UTC (such as Sun:03:00), got "Sunday 3am"',
    ),
    "bundles among the artifacts": (
        {"beanstalk_bundle_prefix": "mlflow/bundles"},
        'beanstalk_bundle_prefix "mlflow/bundles" is within the artifact prefix of MLflow "mlflow"',
    ),
    "plain HTTP": (
        {"mlflow_stack_tls": "false"},
        "mlflow_stack_tls is false but the beanstalk target serves HTTPS only",
    ),
    "client CIDRs on the instances' group": (
        {"aws_network_client_cidrs": ["203.0.113.0/24"]},
        "aws_network_client_cidrs does not apply to beanstalk",
    ),
    "more instances than the database takes": (
        {"beanstalk_max_instances": 2},
        "connection budget exceeded: 4 instances x ((2 workers x 2 stores) x (2 pool + 3 overflow) + 2 server)"
        " = 88 connections, but the database allows 71 (max_connections 81 - reserve 10)."
        " Lower beanstalk_max_instances",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, aws_env, tmp_path):
    bad, message = CASES[case]
    before = snapshot(aws_env)
    result = playbook("beanstalk.yml", {**GOOD, **bad}, aws_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert snapshot(aws_env) == before


def test_good_input_passes_the_pre_flight(aws_env, tmp_path):
    """The cases' base is good: the same run without the bad input passes every check (check mode)."""
    before = snapshot(aws_env)
    result = playbook("beanstalk.yml", GOOD, aws_env, tmp_path, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" in output, output[-3000:]
    assert snapshot(aws_env) == before
