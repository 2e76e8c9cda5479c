"""apigatewayv2_domain_name and apigatewayv2_api_mapping against the local moto server, run by ansible-playbook.

moto 5.2 lacks UpdateDomainName, UpdateApiMapping, tags on a domain name's ARN and the endpoint
configuration AWS describes (the DNS target, its hosted zone, the status); tests/local/moto_calls.py adds
them (a domain name is UPDATING for a moment after it is created or changed; its certificate must be an
ISSUED one in ACM). As in test_apigatewayv2_modules.py, which calls a run made is read from the moto
server's request log.
"""

from __future__ import annotations

import datetime
import re
import uuid

import pytest
from aws_state import client
from conftest import module
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from test_apigatewayv2_modules import Calls

# Needs the control plane only: make integration runs it in the second lane (tests/local/integration.sh).
pytestmark = pytest.mark.control_plane

REGION = "us-east-1"
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"


def certificate(env, name):
    """An ACM certificate for NAME: self-signed and imported, so ISSUED at once (API Gateway takes no other)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    pem_key = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return client("acm", env).import_certificate(
        Certificate=cert.public_bytes(serialization.Encoding.PEM), PrivateKey=pem_key
    )["CertificateArn"]


@pytest.fixture(scope="module")
def gw(aws_env):
    return client("apigatewayv2", aws_env)


@pytest.fixture
def name():
    return f"mlflow-{uuid.uuid4().hex[:8]}.example.com"


def described(gw, domain_name):
    """The domain name as GetDomainName describes it; None when it does not exist."""
    try:
        return gw.get_domain_name(DomainName=domain_name)
    except gw.exceptions.NotFoundException:
        return None


def test_domain_name_create_and_update(gw, name, aws_env, tmp_path):
    cert, new_cert = certificate(aws_env, name), certificate(aws_env, name)
    args = {"domain_name": name, "certificate_arn": cert, "tags": {"Application": "mlflow"}}
    rc, task, out = module("apigatewayv2_domain_name", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"]["before"] == {} and task["diff"]["after"] == {
        "domain_name": name,
        "certificate_arn": cert,
        "endpoint_type": "REGIONAL",
        "security_policy": "TLS_1_2",
        "tags": {"Application": "mlflow"},
    }
    assert described(gw, name) is None, "check mode created the domain name"

    # A new domain name is UPDATING at first: the module waits until it is AVAILABLE.
    calls = Calls()
    rc, task, out = module("apigatewayv2_domain_name", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    made = task["domain_name"]
    assert made["domain_name"] == name and made["domain_name_status"] == "AVAILABLE", made
    assert re.match(rf"^d-[a-z0-9]{{10}}\.execute-api\.{REGION}\.amazonaws\.com$", made["api_gateway_domain_name"])
    assert made["hosted_zone_id"] == "Z1UJRXOUMOOFQ8" and made["certificate_arn"] == cert
    assert made["security_policy"] == "TLS_1_2" and made["endpoint_type"] == "REGIONAL"
    assert made["tags"] == {"Application": "mlflow"}
    arn = f"arn:aws:apigateway:{REGION}::/domainnames/{name}"
    assert task["domain_name_arn"] == arn
    assert calls.writes() == ["POST /v2/domainnames"]
    assert calls.made().count(f"GET /v2/domainnames/{name}") >= 2, "no wait for an UPDATING domain name"

    calls = Calls()
    rc, task, out = module("apigatewayv2_domain_name", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and calls.writes() == [], out
    assert task["domain_name"]["api_gateway_domain_name"] == made["api_gateway_domain_name"]

    # The certificate left out: the domain name keeps it.
    rc, task, out = module("apigatewayv2_domain_name", {"domain_name": name}, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["domain_name"]["certificate_arn"] == cert, out

    # One field: the diff says so in check mode, one UpdateDomainName applies it, and the module waits.
    rotated = dict(args, certificate_arn=new_cert)
    rc, task, out = module("apigatewayv2_domain_name", rotated, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert (task["diff"]["before"]["certificate_arn"], task["diff"]["after"]["certificate_arn"]) == (cert, new_cert)
    assert task["diff"]["before"]["tags"] == task["diff"]["after"]["tags"]
    assert gw.get_domain_name(DomainName=name)["DomainNameConfigurations"][0]["CertificateArn"] == cert
    calls = Calls()
    rc, task, out = module("apigatewayv2_domain_name", rotated, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["domain_name"]["domain_name_status"] == "AVAILABLE", out
    assert calls.writes() == [f"PATCH /v2/domainnames/{name}"]
    assert calls.made().count(f"GET /v2/domainnames/{name}") >= 2, "no wait for an UPDATING domain name"
    (now,) = gw.get_domain_name(DomainName=name)["DomainNameConfigurations"]
    assert (now["CertificateArn"], now["SecurityPolicy"], now["EndpointType"]) == (new_cert, "TLS_1_2", "REGIONAL")
    assert now["ApiGatewayDomainName"] == made["api_gateway_domain_name"]
    gw.delete_domain_name(DomainName=name)


def test_domain_name_tags_and_deletion(gw, name, aws_env, tmp_path):
    args = {"domain_name": name, "certificate_arn": certificate(aws_env, name), "tags": {"Application": "mlflow"}}
    rc, task, out = module("apigatewayv2_domain_name", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    arn = task["domain_name_arn"]

    # Tags: purged by default, kept with purge_tags=false; only tag calls.
    calls = Calls()
    rc, task, out = module("apigatewayv2_domain_name", dict(args, tags={"Team": "ml"}), aws_env, tmp_path, "--diff")
    assert rc == 0 and task["changed"] and task["domain_name"]["tags"] == {"Team": "ml"}, out
    assert (task["diff"]["before"]["tags"], task["diff"]["after"]["tags"]) == (
        {"Application": "mlflow"},
        {"Team": "ml"},
    )
    assert [c.split(" ")[0] for c in calls.writes()] == ["DELETE", "POST"], calls.writes()
    assert all(f"domainnames%2F{name}" in c for c in calls.writes()), calls.writes()
    assert gw.get_tags(ResourceArn=arn)["Tags"] == {"Team": "ml"}
    keep = dict(args, tags={"Application": "mlflow"}, purge_tags=False)
    rc, task, out = module("apigatewayv2_domain_name", keep, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    assert gw.get_domain_name(DomainName=name)["Tags"] == {"Team": "ml", "Application": "mlflow"}
    rc, task, out = module("apigatewayv2_domain_name", keep, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    absent = {"domain_name": name, "state": "absent"}
    rc, task, out = module("apigatewayv2_domain_name", absent, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"] and task["diff"]["after"] == {}, out
    assert described(gw, name) is not None, "check mode deleted the domain name"
    rc, task, out = module("apigatewayv2_domain_name", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and described(gw, name) is None, out
    rc, task, out = module("apigatewayv2_domain_name", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out


def test_domain_name_needs_a_usable_certificate(gw, name, aws_env, tmp_path):
    rc, task, out = module("apigatewayv2_domain_name", {"domain_name": name}, aws_env, tmp_path)
    assert rc != 0 and f"{name} does not exist; to create it give certificate_arn" in task["msg"], out

    # Well-formed, but not in ACM: API Gateway refuses it, the module says which domain name.
    rc, task, out = module(
        "apigatewayv2_domain_name", {"domain_name": name, "certificate_arn": CERT}, aws_env, tmp_path
    )
    assert rc != 0 and f"Could not manage custom domain name {name}" in task["msg"] and CERT in task["msg"], out
    assert described(gw, name) is None


@pytest.fixture
def http_api(gw):
    api_id = gw.create_api(Name=f"map-{uuid.uuid4().hex[:6]}", ProtocolType="HTTP")["ApiId"]
    for stage in ("$default", "v2"):
        gw.create_stage(ApiId=api_id, StageName=stage)
    yield api_id
    gw.delete_api(ApiId=api_id)


def test_api_mapping_life_cycle(gw, name, http_api, aws_env, tmp_path):
    cert = certificate(aws_env, name)
    gw.create_domain_name(DomainName=name, DomainNameConfigurations=[{"CertificateArn": cert}])

    def mappings():
        return sorted(
            (m.get("ApiMappingKey", ""), m["ApiId"], m["Stage"]) for m in gw.get_api_mappings(DomainName=name)["Items"]
        )

    args = {"domain_name": name, "api_id": http_api}
    rc, task, out = module("apigatewayv2_api_mapping", args, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert task["diff"] == {
        "before": {},
        "after": {"domain_name": name, "api_mapping_key": "", "api_id": http_api, "stage": "$default"},
    }
    assert mappings() == [], "check mode created the mapping"

    rc, task, out = module("apigatewayv2_api_mapping", args, aws_env, tmp_path)
    assert rc == 0 and task["changed"], out
    mapping_id = task["api_mapping_id"]
    assert task["api_mapping"]["api_mapping_id"] == mapping_id and task["api_mapping"]["stage"] == "$default"
    assert mappings() == [("", http_api, "$default")]

    calls = Calls()
    rc, task, out = module("apigatewayv2_api_mapping", args, aws_env, tmp_path)
    assert rc == 0 and not task["changed"] and task["api_mapping_id"] == mapping_id, out
    assert calls.writes() == []

    # Another stage: the diff in check mode, then one UpdateApiMapping of the same mapping.
    staged = dict(args, stage="v2")
    rc, task, out = module("apigatewayv2_api_mapping", staged, aws_env, tmp_path, "--check", "--diff")
    assert rc == 0 and task["changed"], out
    assert (task["diff"]["before"]["stage"], task["diff"]["after"]["stage"]) == ("$default", "v2")
    assert mappings() == [("", http_api, "$default")]
    calls = Calls()
    rc, task, out = module("apigatewayv2_api_mapping", staged, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["api_mapping_id"] == mapping_id, out
    assert calls.writes() == [f"PATCH /v2/domainnames/{name}/apimappings/{mapping_id}"]
    assert mappings() == [("", http_api, "v2")]

    # A path of several levels is another mapping.
    nested = dict(args, api_mapping_key="mlflow/v1")
    rc, task, out = module("apigatewayv2_api_mapping", nested, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and task["api_mapping"]["api_mapping_key"] == "mlflow/v1", out
    assert mappings() == [("", http_api, "v2"), ("mlflow/v1", http_api, "$default")]

    # A stage the API does not have: API Gateway refuses, nothing changes.
    rc, task, out = module("apigatewayv2_api_mapping", dict(args, stage="nope"), aws_env, tmp_path)
    assert rc != 0 and "Could not manage API mapping '' of" in task["msg"], out
    assert mappings() == [("", http_api, "v2"), ("mlflow/v1", http_api, "$default")]

    # Deleted by domain name and key alone.
    absent = {"domain_name": name, "state": "absent"}
    rc, task, out = module("apigatewayv2_api_mapping", absent, aws_env, tmp_path, "--check")
    assert rc == 0 and task["changed"] and len(mappings()) == 2, out
    rc, task, out = module("apigatewayv2_api_mapping", absent, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and mappings() == [("mlflow/v1", http_api, "$default")], out
    rc, task, out = module("apigatewayv2_api_mapping", absent, aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out

    # Deleting the domain name deletes its mappings.
    rc, task, out = module("apigatewayv2_domain_name", {"domain_name": name, "state": "absent"}, aws_env, tmp_path)
    assert rc == 0 and task["changed"] and described(gw, name) is None, out
    rc, task, out = module("apigatewayv2_api_mapping", dict(nested, state="absent"), aws_env, tmp_path)
    assert rc == 0 and not task["changed"], out
    rc, task, out = module("apigatewayv2_api_mapping", nested, aws_env, tmp_path)
    assert rc != 0 and f"Custom domain name {name} does not exist; create it first" in task["msg"], out


GOOD_DOMAIN = {"domain_name": "mlflow.example.com", "certificate_arn": CERT}
GOOD_MAPPING = {"domain_name": "mlflow.example.com", "api_id": "a1b2c3d4e5"}


@pytest.mark.preflight
@pytest.mark.parametrize(
    ("module_name", "args", "message"),
    [
        ("apigatewayv2_domain_name", dict(GOOD_DOMAIN, domain_name="mlflow example.com"), "domain_name 'mlflow exam"),
        ("apigatewayv2_domain_name", dict(GOOD_DOMAIN, domain_name="mlflow.example.com."), "no trailing '.'"),
        ("apigatewayv2_domain_name", dict(GOOD_DOMAIN, domain_name="https://m.example.com"), "fully qualified"),
        (
            "apigatewayv2_domain_name",
            dict(GOOD_DOMAIN, certificate_arn="arn:aws:iam::123456789012:server-certificate/mlflow"),
            "certificate_arn: 'arn:aws:iam::123456789012:server-certificate/mlflow' is not an ACM certificate ARN",
        ),
        (
            "apigatewayv2_domain_name",
            dict(GOOD_DOMAIN, certificate_arn=CERT.replace("us-east-1", "eu-west-1")),
            "certificate_arn: the certificate is in eu-west-1; a REGIONAL domain name takes an ACM certificate of "
            "its own region (us-east-1)",
        ),
        ("apigatewayv2_domain_name", dict(GOOD_DOMAIN, wait_timeout=0), "wait_timeout: 0"),
        ("apigatewayv2_domain_name", dict(GOOD_DOMAIN, endpoint_type="EDGE"), "endpoint_type"),
        ("apigatewayv2_api_mapping", dict(GOOD_MAPPING, api_mapping_key="/mlflow"), "api_mapping_key '/mlflow'"),
        ("apigatewayv2_api_mapping", dict(GOOD_MAPPING, api_mapping_key="a//b"), "separated by one '/'"),
        ("apigatewayv2_api_mapping", dict(GOOD_MAPPING, api_mapping_key="ml flow"), "api_mapping_key 'ml flow'"),
        ("apigatewayv2_api_mapping", dict(GOOD_MAPPING, domain_name="mlflow"), "domain_name 'mlflow'"),
        ("apigatewayv2_api_mapping", {"domain_name": "mlflow.example.com"}, "api_id: the ID of the HTTP API"),
        ("apigatewayv2_api_mapping", dict(GOOD_MAPPING, stage="prod stage"), "stage 'prod stage'"),
    ],
)
def test_bad_input_fails_before_any_call(module_name, args, message, aws_env, tmp_path):
    # Nothing listens on port 9: any AWS call would fail with a connection error instead.
    env = dict(aws_env, AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_MAX_ATTEMPTS="1")
    rc, task, out = module(module_name, args, env, tmp_path)
    assert rc != 0, out
    assert message in task["msg"], out
    assert "Could not connect" not in out and "Could not manage" not in out
