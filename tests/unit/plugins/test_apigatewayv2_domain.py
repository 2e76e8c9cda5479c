"""apigatewayv2_domain_name and _api_mapping: what they check, compare and send, and waiting for a domain name."""

from __future__ import annotations

import datetime

import botocore.session
import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_domain_params as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

MODEL = botocore.session.get_session().get_service_model("apigatewayv2")
CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0"
OTHER_CERT = "arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555"


# ---------------------------------------------------------------- syntax
@pytest.mark.parametrize("name", ["api.example.com", "*.example.com", "mlflow.eu-west-1.corp.example.co.uk", "a.io"])
def test_good_domain_names(name):
    assert rules.domain_name_problem(name) == ""


@pytest.mark.parametrize(
    "name",
    [
        "example",
        "api.example.com.",
        "api..example.com",
        "-api.example.com",
        "api-.example.com",
        "api example.com",
        "https://api.example.com",
        "api.*.example.com",
        "api.example.c",
        "a" * 64 + ".example.com",
        ".".join(["a" * 60] * 5) + ".com",
        "",
        None,
    ],
)
def test_bad_domain_names(name):
    assert rules.domain_name_problem(name).startswith(f"domain_name {name!r}: a fully qualified domain name")


@pytest.mark.parametrize("key", ["", None, "mlflow", "orders/v1/items", "v1.2", "$x-_.+!*'()"])
def test_good_api_mapping_keys(key):
    assert rules.api_mapping_key_problem(key) == ""


@pytest.mark.parametrize("key", ["/mlflow", "mlflow/", "a//b", "a b", "a?b", "é", "x" * 301])
def test_bad_api_mapping_keys(key):
    assert rules.api_mapping_key_problem(key).startswith(f"api_mapping_key {key!r}:")


# ---------------------------------------------------------------- domain names
def domain_params(**overrides):
    base = {
        "domain_name": "mlflow.example.com",
        "state": "present",
        "certificate_arn": CERT,
        "endpoint_type": "REGIONAL",
        "security_policy": "TLS_1_2",
        "tags": None,
        "wait_timeout": 600,
    }
    base.update(overrides)
    return base


CURRENT_DOMAIN = {
    "DomainName": "mlflow.example.com",
    "DomainNameConfigurations": [
        {
            "ApiGatewayDomainName": "d-abcde12345.execute-api.eu-west-1.amazonaws.com",
            "CertificateArn": CERT,
            "CertificateUploadDate": datetime.datetime(2026, 1, 1),
            "DomainNameStatus": "AVAILABLE",
            "EndpointType": "REGIONAL",
            "HostedZoneId": "ZLY8HYME6SFDD",
            "SecurityPolicy": "TLS_1_2",
            "IpAddressType": "dualstack",
        }
    ],
    "Tags": {"Application": "mlflow"},
}


def test_domain_name_validation():
    assert rules.validate_domain_name(domain_params(), "eu-west-1") == []
    assert rules.validate_domain_name(domain_params(certificate_arn=None), "eu-west-1") == []
    problems = rules.validate_domain_name(domain_params(certificate_arn="arn:aws:iam::1:server-certificate/x"))
    assert problems == [
        "certificate_arn: 'arn:aws:iam::1:server-certificate/x' is not an ACM certificate ARN "
        "(arn:aws:acm:<region>:<account>:certificate/<id>)"
    ]
    (problem,) = rules.validate_domain_name(domain_params(), "us-east-1")
    assert problem.startswith("certificate_arn: the certificate is in eu-west-1;") and "(us-east-1)" in problem
    problems = rules.validate_domain_name(domain_params(domain_name="bad name", wait_timeout=0), "eu-west-1")
    assert len(problems) == 2 and problems[1] == "wait_timeout: 0 is not a positive number of seconds"
    absent = domain_params(state="absent", certificate_arn="junk", wait_timeout=0)
    assert rules.validate_domain_name(absent, "eu-west-1") == []


def test_domain_name_unchanged_keeps_what_the_options_leave_out():
    configuration = api.domain_configuration(CURRENT_DOMAIN)
    want = rules.desired_configuration(domain_params(certificate_arn=None), configuration)
    assert rules.configuration_update(want, configuration) is None
    assert (
        rules.configuration_update(rules.desired_configuration(domain_params(), configuration), configuration) is None
    )


def test_domain_name_update_sends_the_whole_configuration():
    configuration = api.domain_configuration(CURRENT_DOMAIN)
    want = rules.desired_configuration(domain_params(certificate_arn=OTHER_CERT), configuration)
    assert rules.configuration_update(want, configuration) == {
        "CertificateArn": OTHER_CERT,
        "EndpointType": "REGIONAL",
        "SecurityPolicy": "TLS_1_2",
        "IpAddressType": "dualstack",
    }
    want = rules.desired_configuration(domain_params(certificate_arn=None, security_policy="TLS_1_0"), configuration)
    assert rules.configuration_update(want, configuration)["SecurityPolicy"] == "TLS_1_0"


def test_domain_name_requests_are_the_models():
    request = rules.domain_name_create_request(domain_params(tags={"Application": "mlflow"}))
    assert request == {
        "DomainName": "mlflow.example.com",
        "DomainNameConfigurations": [{"CertificateArn": CERT, "EndpointType": "REGIONAL", "SecurityPolicy": "TLS_1_2"}],
        "Tags": {"Application": "mlflow"},
    }
    assert set(request) <= set(MODEL.operation_model("CreateDomainName").input_shape.members)
    configuration = MODEL.shape_for("DomainNameConfiguration")
    assert set(rules.CONFIGURATION_INPUTS) <= set(configuration.members)
    assert set(rules.ENDPOINT_TYPES) <= set(configuration.members["EndpointType"].enum)
    assert set(rules.SECURITY_POLICIES) == set(configuration.members["SecurityPolicy"].enum)
    assert rules.domain_name_view(request) == {
        "domain_name": "mlflow.example.com",
        "certificate_arn": CERT,
        "endpoint_type": "REGIONAL",
        "security_policy": "TLS_1_2",
    }


def test_domain_name_result_has_the_dns_target_at_the_top():
    snake = api.domain_name_to_snake(CURRENT_DOMAIN)
    assert snake["api_gateway_domain_name"] == "d-abcde12345.execute-api.eu-west-1.amazonaws.com"
    assert snake["hosted_zone_id"] == "ZLY8HYME6SFDD" and snake["domain_name"] == "mlflow.example.com"
    assert snake["domain_name_configurations"][0]["certificate_upload_date"] == "2026-01-01T00:00:00"
    assert snake["tags"] == {"Application": "mlflow"}
    assert api.domain_name_arn("eu-west-1", "mlflow.example.com") == (
        "arn:aws:apigateway:eu-west-1::/domainnames/mlflow.example.com"
    )


class Domains:
    """get_domain_name answers from a script of statuses (the last one for ever); None is 'gone'."""

    def __init__(self, *statuses, message=None):
        self.statuses = list(statuses)
        self.message = message

    def __call__(self, _client, name):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status is None:
            return None
        configuration = {"DomainNameStatus": status, "DomainNameStatusMessage": self.message}
        return {"DomainName": name, "DomainNameConfigurations": [configuration]}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_domain_name_wait_until_available(monkeypatch):
    monkeypatch.setattr(api, "get_domain_name", Domains("UPDATING", "UPDATING", "AVAILABLE"))
    clock = Clock()
    domain = api.wait_for_domain_name(None, "m.example.com", 60, sleep=clock.sleep, clock=clock)
    assert api.domain_configuration(domain)["DomainNameStatus"] == "AVAILABLE" and clock.now == 2 * api.POLL_SECONDS


def test_domain_name_needing_an_action_ends_the_wait_with_its_message(monkeypatch):
    stuck = Domains("UPDATING", "PENDING_CERTIFICATE_REIMPORT", message="The certificate expired")
    monkeypatch.setattr(api, "get_domain_name", stuck)
    clock = Clock()
    with pytest.raises(
        WaitError, match=r"custom domain name m\.example\.com is PENDING_CERTIFICATE_REIMPORT: The certificate expired"
    ):
        api.wait_for_domain_name(None, "m.example.com", 60, sleep=clock.sleep, clock=clock)


def test_domain_name_wait_times_out_with_its_status(monkeypatch):
    monkeypatch.setattr(api, "get_domain_name", Domains("UPDATING"))
    clock = Clock()
    with pytest.raises(
        WaitError,
        match=r"timed out after 12s waiting for custom domain name m\.example\.com to be available: still UPDATING",
    ):
        api.wait_for_domain_name(None, "m.example.com", 12, sleep=clock.sleep, clock=clock)
    monkeypatch.setattr(api, "get_domain_name", Domains(None))
    with pytest.raises(WaitError, match="disappeared while waiting"):
        api.wait_for_domain_name(None, "m.example.com", 12, sleep=clock.sleep, clock=clock)


# ---------------------------------------------------------------- API mappings
def mapping_params(**overrides):
    base = {
        "domain_name": "mlflow.example.com",
        "api_mapping_key": "",
        "state": "present",
        "api_id": "a1b2c3d4e5",
        "stage": "$default",
    }
    base.update(overrides)
    return base


def test_api_mapping_validation():
    assert rules.validate_api_mapping(mapping_params()) == []
    problems = rules.validate_api_mapping(mapping_params(api_id=None, stage="prod stage", api_mapping_key="/x"))
    assert [p.split(" ")[0] for p in problems] == ["api_mapping_key", "api_id:", "stage"]
    assert rules.validate_api_mapping(mapping_params(state="absent", api_id=None, stage="a b")) == []


def test_api_mapping_found_by_key_and_updated_when_api_or_stage_differ():
    mappings = [
        {"ApiMappingId": "m1", "ApiId": "a1", "Stage": "$default"},
        {"ApiMappingId": "m2", "ApiId": "a1", "Stage": "$default", "ApiMappingKey": "v1"},
    ]
    assert [m["ApiMappingId"] for m in rules.api_mappings_keyed(mappings, "")] == ["m1"]
    assert [m["ApiMappingId"] for m in rules.api_mappings_keyed(mappings, "v1")] == ["m2"]
    want = rules.desired_api_mapping(mapping_params(api_id="a1"))
    assert want == {"ApiId": "a1", "Stage": "$default"}
    assert rules.api_mapping_update(want, mappings[0]) == {}
    assert rules.api_mapping_update(dict(want, Stage="prod"), mappings[0]) == {"ApiId": "a1", "Stage": "prod"}
    keyed = rules.desired_api_mapping(mapping_params(api_mapping_key="v1"))
    assert set(keyed) <= set(MODEL.operation_model("CreateApiMapping").input_shape.members)
    assert rules.api_mapping_view(mappings[0], "m.example.com") == {
        "domain_name": "m.example.com",
        "api_mapping_key": "",
        "api_id": "a1",
        "stage": "$default",
    }
