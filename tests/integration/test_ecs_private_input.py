"""playbooks/ecs_private.yml: bad input stops before any change, with a message that names the
variable at fault.

Every case runs the playbook against the local AWS (moto) and checks that it failed, that the
output names the problem, that the foundation never started and that nothing exists that did not
exist before. The API Gateway cases are the api_gateway role's own rules (run by the stack's
pre-flight with the stack's wiring); the rest are the stack's rules for a target behind API Gateway.

Not a case here: VPC link subnets outside the stack's VPC. The stack passes the network's own
private subnets (api_gateway_subnet_ids is wired in roles/mlflow_stack/tasks/component.yml), so
no stack input puts foreign subnets on the link; overriding a wired variable with -e is
documented as breaking the wiring (docs/mlflow_stack.md), and which VPC a subnet belongs to is
known only to AWS, which the pre-flight does not call.
"""

from __future__ import annotations

import pytest
from aws_state import snapshot
from conftest import playbook

pytestmark = pytest.mark.preflight

CERT = "arn:aws:acm:us-east-1:123456789012:certificate/00000000-0000-4000-8000-000000000000"
DOMAIN = "mlflow.example.com"
# Good as it stands: without alb_certificate_arn the internal load balancer serves plain HTTP
# inside the VPC, which this target allows (API Gateway serves HTTPS to the clients).
GOOD = {"mlflow_stack_name": "priv-input", "s3_artifacts_bucket": "mlflow-priv-input"}
CASES = {
    # Throttling of the $default stage.
    "negative rate limit": (
        {"api_gateway_throttling_rate_limit": -1},
        'api_gateway_throttling_rate_limit must be 0-10000 requests per second (the account limit), got "-1"',
    ),
    "rate limit above the account limit": (
        {"api_gateway_throttling_rate_limit": 10001},
        'api_gateway_throttling_rate_limit must be 0-10000 requests per second (the account limit), got "10001"',
    ),
    "rate limit that is no number": (
        {"api_gateway_throttling_rate_limit": "fast"},
        "api_gateway_throttling_rate_limit",
    ),
    "burst limit above 5000": (
        {"api_gateway_throttling_burst_limit": 5001},
        'api_gateway_throttling_burst_limit must be 0-5000 requests, got "5001"',
    ),
    "burst limit 0 with a positive rate": (
        {"api_gateway_throttling_burst_limit": 0, "api_gateway_throttling_rate_limit": 50},
        "api_gateway_throttling_burst_limit is 0 but api_gateway_throttling_rate_limit is 50:"
        " every request would be refused (429); give at least 1",
    ),
    # Integration timeout.
    "timeout of 0": (
        {"api_gateway_timeout": 0},
        'api_gateway_timeout must be 1-30 seconds (an HTTP API waits 30 s at most), got "0"',
    ),
    "timeout of 31": (
        {"api_gateway_timeout": 31},
        'api_gateway_timeout must be 1-30 seconds (an HTTP API waits 30 s at most), got "31"',
    ),
    # Authorization.
    "authorization not among the choices": (
        {"api_gateway_authorization": "COGNITO"},
        "value of api_gateway_authorization must be one of: NONE, AWS_IAM, got: COGNITO",
    ),
    "authorization in lower case": (
        {"api_gateway_authorization": "aws_iam"},
        "value of api_gateway_authorization must be one of: NONE, AWS_IAM, got: aws_iam",
    ),
    # Custom domain and its certificate.
    "certificate that is not an ACM ARN": (
        {
            "api_gateway_domain_name": DOMAIN,
            "api_gateway_certificate_arn": "arn:aws:iam::123456789012:server-certificate/mlflow",
        },
        "api_gateway_certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>),"
        ' got "arn:aws:iam::123456789012:server-certificate/mlflow"',
    ),
    "certificate in another region": (
        {"api_gateway_domain_name": DOMAIN, "api_gateway_certificate_arn": CERT.replace("us-east-1", "eu-west-1")},
        "api_gateway_certificate_arn is in eu-west-1 but the API is in us-east-1:"
        " a regional custom domain needs a certificate of its region",
    ),
    "certificate without a domain": (
        {"api_gateway_certificate_arn": CERT},
        "api_gateway_certificate_arn is set but api_gateway_domain_name is empty:"
        " give the domain the certificate is for",
    ),
    "domain that is not a DNS name": (
        {"api_gateway_domain_name": "MLflow_Tracking", "api_gateway_certificate_arn": CERT},
        'api_gateway_domain_name must be a DNS name (lower case), got "MLflow_Tracking"',
    ),
    "domain without a certificate": (
        {"api_gateway_domain_name": DOMAIN},
        "api_gateway_domain_name needs api_gateway_certificate_arn (an ACM certificate that covers it)",
    ),
    # Access logs.
    "access log format without the request ID": (
        {"api_gateway_access_log_format": '{"ip":"$context.identity.sourceIp","status":"$context.status"}'},
        "api_gateway_access_log_format must contain $context.requestId (API Gateway refuses a format without it)",
    ),
    "access log retention CloudWatch does not offer": (
        {"api_gateway_access_log_retention_days": 45},
        "api_gateway_access_log_retention_days must be a CloudWatch Logs retention"
        ' (1, 3, 5, 7, 14, 30, 60, 90, ... 3653), got "45"',
    ),
    # The stack's rules for a target behind API Gateway.
    "artifacts through the server": (
        {"mlflow_stack_artifact_transfer": "proxy"},
        "mlflow_stack_artifact_transfer is proxy but API Gateway takes 10 MB per request",
    ),
    "TLS off": (
        {"mlflow_stack_tls": False},
        "mlflow_stack_tls is false but API Gateway serves HTTPS only: leave mlflow_stack_tls true",
    ),
    # -e mlflow_stack_tls=false on the command line is the string "false".
    "TLS off, as a string": (
        {"mlflow_stack_tls": "false"},
        "mlflow_stack_tls is false but API Gateway serves HTTPS only: leave mlflow_stack_tls true",
    ),
    "load balancer certificate without its domain": (
        {"alb_certificate_arn": CERT},
        "alb_certificate_arn is set but alb_domain_name is empty: API Gateway verifies the certificate of the"
        " internal load balancer against alb_domain_name",
    ),
    "load balancer certificate in another region": (
        {
            "alb_certificate_arn": CERT.replace("us-east-1", "eu-west-1"),
            "alb_domain_name": "mlflow.internal.example.com",
        },
        "alb_certificate_arn is in eu-west-1 but the load balancer is in us-east-1",
    ),
    "client CIDRs on the internal load balancer": (
        {"alb_client_cidrs": ["203.0.113.0/24"]},
        "alb_client_cidrs does not apply to ecs_private: the internal load balancer admits the security group"
        " of the API Gateway VPC link only",
    ),
    "clients let into the tasks' group": (
        {"aws_network_client_cidrs": ["203.0.113.0/24"]},
        "aws_network_client_cidrs would open the security group the ecs_private tasks carry to clients:"
        " clients reach them through API Gateway only, leave it empty",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_bad_input_fails_before_any_change(case, aws_env, tmp_path):
    bad, message = CASES[case]
    before = snapshot(aws_env)
    result = playbook("ecs_private.yml", {**GOOD, **bad}, aws_env, tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output[-2000:]
    assert message in output, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" not in output, "the foundation started"
    assert snapshot(aws_env) == before


def test_good_input_passes_the_pre_flight(aws_env, tmp_path):
    """The cases' base is good: the same run without the bad input passes every check (check mode)."""
    before = snapshot(aws_env)
    result = playbook("ecs_private.yml", GOOD, aws_env, tmp_path, "--check")
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "mlflow_stack : Artifact bucket]" in output, output[-3000:]
    assert snapshot(aws_env) == before
