"""apigatewayv2_* modules: what they check, compare and send for a given state, and waiting for a VPC link."""

from __future__ import annotations

import datetime

import botocore.session
import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_integration_params as integ
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_params as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_stage_params as stages
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

LISTENER = "arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/mlflow/0123456789abcdef/fedcba9876543210"
LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/mlflow/access"
MODEL = botocore.session.get_session().get_service_model("apigatewayv2")


# ---------------------------------------------------------------- route keys
@pytest.mark.parametrize("key", ["$default", "ANY /{proxy+}", "ANY /", "GET /api/2.0/mlflow/{name}", "POST /a.b/c-d"])
def test_good_route_keys(key):
    assert rules.route_key_problem(key) == ""


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("default", "'$default' or '<METHOD> /<path>'"),
        ("FETCH /x", "METHOD one of"),
        ("ANY x", "starts with '/'"),
        ("ANY /x/", "does not end with one"),
        ("ANY /{proxy+}/x", "must be the last segment"),
        ("GET /a//b", "segment ''"),
        ("GET /a b", "segment 'a b'"),
        ("GET /{a", "segment '{a'"),
    ],
)
def test_bad_route_keys(key, problem):
    assert problem in rules.route_key_problem(key)


# ---------------------------------------------------------------- APIs
def api_params(**overrides):
    base = {"name": "mlflow", "description": None, "cors_configuration": None, "disable_execute_api_endpoint": None}
    base.update(overrides)
    return base


CURRENT_API = {
    "ApiId": "a1",
    "Name": "mlflow",
    "Description": "MLflow",
    "DisableExecuteApiEndpoint": False,
    "CorsConfiguration": {"AllowOrigins": ["https://b", "https://a"], "AllowHeaders": ["Authorization"]},
}


def test_api_options_left_out_change_nothing():
    assert rules.api_update(api_params(), CURRENT_API) == {}


def test_api_cors_compares_as_sets_and_headers_case_insensitively():
    cors = {"allow_origins": ["https://a", "https://b"], "allow_headers": ["authorization"]}
    assert rules.api_update(api_params(cors_configuration=cors, description="MLflow"), CURRENT_API) == {}
    cors["allow_origins"] = ["https://A", "https://b"]  # origins are case-sensitive
    assert rules.api_update(api_params(cors_configuration=cors), CURRENT_API) == {
        "CorsConfiguration": {"AllowOrigins": ["https://A", "https://b"], "AllowHeaders": ["authorization"]}
    }


def test_api_only_differing_members_and_cors_removal():
    wanted = api_params(description="", disable_execute_api_endpoint=True, cors_configuration={})
    assert rules.api_update(wanted, CURRENT_API) == {
        "Description": "",
        "DisableExecuteApiEndpoint": True,
        "DeleteCors": True,
    }
    assert rules.api_update(api_params(cors_configuration={}), dict(CURRENT_API, CorsConfiguration=None)) == {}


def test_api_create_request_is_an_http_api():
    request = rules.api_create_request(api_params(tags={"A": "1"}, description="d"))
    assert request == {"Name": "mlflow", "ProtocolType": "HTTP", "Description": "d", "Tags": {"A": "1"}}
    assert set(request) <= set(MODEL.operation_model("CreateApi").input_shape.members)


def test_cors_members_and_ranges_are_the_models():
    cors = MODEL.operation_model("CreateApi").input_shape.members["CorsConfiguration"]
    assert {member for _option, member in rules.CORS_MEMBERS} == set(cors.members)
    assert (cors.members["MaxAge"].metadata["min"], cors.members["MaxAge"].metadata["max"]) == (-1, 86400)
    timeout = MODEL.operation_model("CreateIntegration").input_shape.members["TimeoutInMillis"].metadata
    assert (timeout["min"], timeout["max"]) == rules.TIMEOUT_MS


# ---------------------------------------------------------------- VPC links
def link_params(**overrides):
    base = {"name": "mlflow", "state": "present", "subnet_ids": None, "security_group_ids": None, "wait_timeout": 600}
    base.update(overrides)
    return base


def test_vpc_link_network_compares_as_sets():
    current = {"SubnetIds": ["subnet-1", "subnet-2"], "SecurityGroupIds": ["sg-1"]}
    assert rules.vpc_link_replacements(link_params(subnet_ids=["subnet-2", "subnet-1"]), current) == []
    assert rules.vpc_link_replacements(link_params(), current) == []
    wanted = link_params(subnet_ids=["subnet-1"], security_group_ids=["sg-1", "sg-2"])
    assert rules.vpc_link_replacements(wanted, current) == ["subnet_ids", "security_group_ids"]


def test_vpc_link_validation():
    problems = rules.validate_vpc_link(link_params(name="a b", subnet_ids=[], security_group_ids=["web"]))
    assert any("name 'a b'" in p for p in problems)
    assert "subnet_ids: give at least one subnet" in problems
    assert any("'web' is not a security group ID" in p for p in problems)


class Links:
    """get_vpc_link answers from a script of statuses (the last one for ever); None is 'gone'."""

    def __init__(self, *statuses, message=None):
        self.statuses = list(statuses)
        self.message = message

    def __call__(self, _client, link_id):
        status = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        if status is None:
            return None
        return {"VpcLinkId": link_id, "Name": "mlflow", "VpcLinkStatus": status, "VpcLinkStatusMessage": self.message}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_vpc_link_wait_until_available(monkeypatch):
    monkeypatch.setattr(api, "get_vpc_link", Links("PENDING", "PENDING", "AVAILABLE"))
    clock = Clock()
    link = api.wait_for_vpc_link(None, "vl1", 60, sleep=clock.sleep, clock=clock)
    assert link["VpcLinkStatus"] == "AVAILABLE" and clock.now == 2 * api.POLL_SECONDS


def test_vpc_link_failed_ends_the_wait_with_its_message(monkeypatch):
    monkeypatch.setattr(api, "get_vpc_link", Links("PENDING", "FAILED", message="Subnet subnet-9 not found"))
    clock = Clock()
    with pytest.raises(WaitError, match=r"VPC link vl1 \(mlflow\) is FAILED: Subnet subnet-9 not found") as error:
        api.wait_for_vpc_link(None, "vl1", 60, sleep=clock.sleep, clock=clock)
    assert error.value.status == "FAILED"


def test_vpc_link_wait_times_out_with_its_status(monkeypatch):
    monkeypatch.setattr(api, "get_vpc_link", Links("PENDING"))
    clock = Clock()
    with pytest.raises(WaitError, match="timed out after 12s waiting for VPC link vl1 to be available: still PENDING"):
        api.wait_for_vpc_link(None, "vl1", 12, sleep=clock.sleep, clock=clock)


def test_vpc_link_wait_for_deletion(monkeypatch):
    monkeypatch.setattr(api, "get_vpc_link", Links("DELETING", None))
    clock = Clock()
    assert api.wait_for_vpc_link(None, "vl1", 60, deleted=True, sleep=clock.sleep, clock=clock) is None


# ---------------------------------------------------------------- integrations
def integ_params(**overrides):
    base = {
        "state": "present",
        "integration_id": None,
        "integration_type": "HTTP_PROXY",
        "integration_method": "ANY",
        "integration_uri": LISTENER,
        "connection_type": "VPC_LINK",
        "connection_id": "vl1",
        "payload_format_version": "1.0",
        "timeout_in_millis": None,
        "description": None,
        "tls_config": None,
        "request_parameters": None,
    }
    base.update(overrides)
    return base


CURRENT_INTEGRATION = {
    "IntegrationId": "i1",
    "IntegrationType": "HTTP_PROXY",
    "IntegrationMethod": "ANY",
    "IntegrationUri": LISTENER,
    "ConnectionType": "VPC_LINK",
    "ConnectionId": "vl1",
    "PayloadFormatVersion": "1.0",
    "TimeoutInMillis": 30000,
    "RequestParameters": {"overwrite:path": "$request.path"},
}


def test_integration_defaults_left_to_aws_change_nothing():
    assert integ.integration_update(integ.desired_integration(integ_params()), CURRENT_INTEGRATION) == {}


def test_integration_removed_parameters_are_sent_empty():
    want = integ.desired_integration(integ_params(timeout_in_millis=10000, request_parameters={"append:header.x": "1"}))
    assert integ.integration_update(want, CURRENT_INTEGRATION) == {
        "TimeoutInMillis": 10000,
        "RequestParameters": {"append:header.x": "1", "overwrite:path": ""},
    }


def test_integration_tls_config_and_create_request():
    want = integ.desired_integration(integ_params(tls_config={"server_name_to_verify": "mlflow.internal"}))
    assert integ.integration_update(want, CURRENT_INTEGRATION) == {
        "TlsConfig": {"ServerNameToVerify": "mlflow.internal"}
    }
    assert integ.integration_update(integ.desired_integration(integ_params(tls_config={})), CURRENT_INTEGRATION) == {}
    request = integ.integration_create_request(integ.desired_integration(integ_params(tls_config={})))
    assert "TlsConfig" not in request and request["ConnectionId"] == "vl1"
    assert set(request) <= set(MODEL.operation_model("CreateIntegration").input_shape.members)


def test_integration_is_found_by_uri_and_connection():
    others = [dict(CURRENT_INTEGRATION, IntegrationId="i2", ConnectionId="vl2"), CURRENT_INTEGRATION]
    assert integ.integration_matches(others, LISTENER, "vl1") == [CURRENT_INTEGRATION]
    assert integ.integration_matches(others, LISTENER, None) == []


@pytest.mark.parametrize(
    ("overrides", "problem"),
    [
        ({"timeout_in_millis": 30001}, "timeout_in_millis: 30001 is not between 50 and 30000"),
        ({"integration_uri": "arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/x/1"}, "not a load balancer"),
        ({"connection_type": "INTERNET", "integration_uri": LISTENER, "connection_id": None}, "not an http(s)://"),
        ({"connection_type": "INTERNET", "integration_uri": "https://x", "connection_id": "vl1"}, "only with"),
        ({"request_parameters": {"overwrite:body": "x"}}, "'overwrite:body' is not"),
    ],
)
def test_integration_validation(overrides, problem):
    assert any(problem in p for p in integ.validate_integration(integ_params(**overrides)))


def test_integration_validation_accepts_the_reference_design():
    params = integ_params(timeout_in_millis=30000, request_parameters={"overwrite:header.host": "mlflow"})
    assert integ.validate_integration(params) == []


# ---------------------------------------------------------------- routes
def test_route_update_only_what_differs():
    current = {"RouteId": "r1", "RouteKey": "ANY /{proxy+}", "Target": "integrations/i1"}
    want = rules.desired_route({"route_key": "ANY /{proxy+}", "authorization_type": "NONE", "target": None})
    assert rules.route_update(want, current) == {}
    want = rules.desired_route(
        {"route_key": "ANY /{proxy+}", "authorization_type": "AWS_IAM", "target": "integrations/i2"}
    )
    assert rules.route_update(want, current) == {"AuthorizationType": "AWS_IAM", "Target": "integrations/i2"}


# ---------------------------------------------------------------- stages
def stage_params(**overrides):
    base = {
        "stage_name": "$default",
        "state": "present",
        "auto_deploy": None,
        "description": None,
        "access_log_settings": None,
        "default_route_settings": None,
    }
    base.update(overrides)
    return base


CURRENT_STAGE = {
    "StageName": "$default",
    "AutoDeploy": True,
    "DefaultRouteSettings": {"DetailedMetricsEnabled": False, "ThrottlingBurstLimit": 100, "ThrottlingRateLimit": 50.0},
    "AccessLogSettings": {"DestinationArn": LOG_GROUP, "Format": "$context.requestId"},
    "CreatedDate": datetime.datetime(2026, 1, 1),
}


def test_stage_unchanged_and_merged_route_settings():
    same = stage_params(auto_deploy=True, default_route_settings={"throttling_rate_limit": 50})
    assert stages.stage_update(stages.desired_stage(same), CURRENT_STAGE) == {}
    want = stages.desired_stage(stage_params(default_route_settings={"throttling_rate_limit": 20.5}))
    assert stages.stage_update(want, CURRENT_STAGE) == {
        "DefaultRouteSettings": {
            "DetailedMetricsEnabled": False,
            "ThrottlingBurstLimit": 100,
            "ThrottlingRateLimit": 20.5,
        }
    }


def test_stage_access_logs_and_auto_deploy():
    logs = {"destination_arn": LOG_GROUP, "format": "$context.requestId $context.status"}
    want = stages.desired_stage(stage_params(auto_deploy=False, access_log_settings=logs))
    assert stages.stage_update(want, CURRENT_STAGE) == {
        "AutoDeploy": False,
        "AccessLogSettings": {"DestinationArn": LOG_GROUP, "Format": "$context.requestId $context.status"},
    }
    assert set(want) <= set(MODEL.operation_model("UpdateStage").input_shape.members)


def test_stage_validation():
    bad = stage_params(
        stage_name="prod/v1",
        access_log_settings={"destination_arn": LOG_GROUP + ":*", "format": " "},
        default_route_settings={"throttling_burst_limit": -1},
    )
    problems = stages.validate_stage(bad)
    assert len(problems) == 4, problems


def test_to_snake_keeps_data_keys_and_dates():
    snake = api.to_snake(
        dict(CURRENT_INTEGRATION, RequestParameters={"overwrite:header.X-Forwarded-Host": "a"}, Tags={"Team": "ml"})
    )
    assert snake["request_parameters"] == {"overwrite:header.X-Forwarded-Host": "a"}
    assert snake["tags"] == {"Team": "ml"} and snake["integration_id"] == "i1"
    assert api.to_snake(CURRENT_STAGE)["created_date"] == "2026-01-01T00:00:00"


def test_arns():
    assert api.api_arn("eu-west-1", "a1") == "arn:aws:apigateway:eu-west-1::/apis/a1"
    assert api.stage_arn("cn-north-1", "a1", "$default") == "arn:aws-cn:apigateway:cn-north-1::/apis/a1/stages/$default"
    assert api.vpc_link_arn("us-gov-west-1", "v1") == "arn:aws-us-gov:apigateway:us-gov-west-1::/vpclinks/v1"
