"""tests/local/moto_calls.py's API Gateway v2 calls speak botocore's apigatewayv2 model (rest-json).

The added handlers read and answer the members by their ``locationName`` (camelCase, as moto's own
apigatewayv2 responses do); this checks that every one they use is in the model, where the model puts
it (URI or body), and that the URL routes they add match the model's request URIs.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import botocore.session
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

MODEL = botocore.session.get_session().get_service_model("apigatewayv2")
SOURCE = (ROOT / "tests/local/moto_calls.py").read_text()


def wire_names(shape, location=None):
    """locationName of each member of SHAPE (only those bound to LOCATION: None is the body)."""
    return {
        member.serialization.get("name", name)
        for name, member in shape.members.items()
        if member.serialization.get("location") == location
    }


@pytest.mark.parametrize(
    ("operation", "method", "uri", "body_in", "body_out"),
    [
        (
            "UpdateStage",
            "PATCH",
            "/v2/apis/{apiId}/stages/{stageName}",
            {
                "accessLogSettings",
                "autoDeploy",
                "clientCertificateId",
                "defaultRouteSettings",
                "deploymentId",
                "description",
                "routeSettings",
                "stageVariables",
            },
            {"deploymentId"},
        ),
        (
            "CreateDeployment",
            "POST",
            "/v2/apis/{apiId}/deployments",
            {"description", "stageName"},
            {"autoDeployed", "createdDate", "deploymentId", "deploymentStatus", "description"},
        ),
        ("GetDeployments", "GET", "/v2/apis/{apiId}/deployments", set(), {"items"}),
        (
            "GetDeployment",
            "GET",
            "/v2/apis/{apiId}/deployments/{deploymentId}",
            set(),
            {"autoDeployed", "createdDate", "deploymentId", "deploymentStatus"},
        ),
        ("GetVpcLink", "GET", "/v2/vpclinks/{vpcLinkId}", set(), {"vpcLinkStatus", "vpcLinkStatusMessage"}),
        (
            "UpdateDomainName",
            "PATCH",
            "/v2/domainnames/{domainName}",
            {"domainNameConfigurations", "mutualTlsAuthentication"},
            {"domainNameConfigurations", "tags"},
        ),
        ("GetDomainName", "GET", "/v2/domainnames/{domainName}", set(), {"domainNameConfigurations", "tags"}),
        (
            "UpdateApiMapping",
            "PATCH",
            "/v2/domainnames/{domainName}/apimappings/{apiMappingId}",
            {"apiId", "apiMappingKey", "stage"},
            set(),
        ),
    ],
)
def test_added_calls_read_and_answer_model_members(operation, method, uri, body_in, body_out):
    model = MODEL.operation_model(operation)
    assert (model.http["method"], model.http["requestUri"]) == (method, uri)
    assert body_in <= wire_names(model.input_shape)
    assert body_out <= wire_names(model.output_shape)
    for member in body_in | body_out:
        assert f'"{member}"' in SOURCE, member


def test_domain_name_configurations_speak_the_model():
    """The endpoint configuration members moto_calls.py reads and writes are the model's."""
    from tests.local import moto_calls  # noqa: PLC0415

    shape = MODEL.shape_for("DomainNameConfiguration")
    written = {"apiGatewayDomainName", "hostedZoneId", "domainNameStatus", "domainNameStatusMessage"}
    read = {"certificateArn", "endpointType", "securityPolicy"}
    assert written | read | set(moto_calls.DOMAIN_CONFIGURATION_OUTPUTS) <= wire_names(shape)
    for member in written | read:
        assert f'"{member}"' in SOURCE, member
    assert {"AVAILABLE", "UPDATING"} <= set(shape.members["DomainNameStatus"].enum)
    assert {"REGIONAL"} <= set(shape.members["EndpointType"].enum)
    assert {"TLS_1_2"} <= set(shape.members["SecurityPolicy"].enum)


def test_added_routes_match_the_model_uris():
    """Each URL path added for moto's Flask app matches the request URI of the operation it serves."""
    from tests.local import moto_calls  # noqa: PLC0415

    paths = [re.compile(p.format("")) for p in moto_calls.APIGATEWAYV2_PATHS]
    samples = {
        "CreateDeployment": "/v2/apis/a1b2c3/deployments",
        "GetDeployment": "/v2/apis/a1b2c3/deployments/d1",
        "GetTags": "/v2/tags/arn:aws:apigateway:us-east-1::/apis/a1b2c3/stages/$default",
        "TagResource": "/v2/tags/arn:aws:apigateway:us-east-1::/domainnames/mlflow.example.com",
    }
    for operation, path in samples.items():
        assert any(p.match(path) for p in paths), operation
    for operation in ("GetTags", "TagResource", "UntagResource"):
        assert MODEL.operation_model(operation).http["requestUri"] == "/v2/tags/{resource-arn}"
    untag = MODEL.operation_model("UntagResource").input_shape.members["TagKeys"].serialization
    assert untag == {"location": "querystring", "name": "tagKeys"}


def test_stage_arns_are_recognised():
    from tests.local import moto_calls  # noqa: PLC0415

    match = moto_calls.STAGE_ARN.match("arn:aws:apigateway:eu-west-1::/apis/a1b2c3/stages/$default")
    assert match and (match["api"], match["stage"]) == ("a1b2c3", "$default")
    assert not moto_calls.STAGE_ARN.match("arn:aws:apigateway:eu-west-1::/apis/a1b2c3")
    assert not moto_calls.STAGE_ARN.match("arn:aws:apigateway:eu-west-1::/vpclinks/v1")
    match = moto_calls.DOMAIN_NAME_ARN.match("arn:aws:apigateway:eu-west-1::/domainnames/mlflow.example.com")
    assert match and match["domain"] == "mlflow.example.com"
    assert not moto_calls.DOMAIN_NAME_ARN.match("arn:aws:apigateway:eu-west-1::/domainnames/m.example.com/apimappings")


def test_the_modules_use_only_model_members():
    """The request members the modules send exist in the operations they send them to."""
    expected = {
        "CreateApi": {"Name", "ProtocolType", "Description", "DisableExecuteApiEndpoint", "CorsConfiguration", "Tags"},
        "UpdateApi": {"ApiId", "Description", "DisableExecuteApiEndpoint", "CorsConfiguration"},
        "CreateVpcLink": {"Name", "SubnetIds", "SecurityGroupIds", "Tags"},
        "CreateIntegration": {
            "ApiId",
            "IntegrationType",
            "IntegrationMethod",
            "IntegrationUri",
            "ConnectionType",
            "ConnectionId",
            "PayloadFormatVersion",
            "Description",
            "TimeoutInMillis",
            "TlsConfig",
            "RequestParameters",
        },
        "CreateRoute": {"ApiId", "RouteKey", "AuthorizationType", "Target"},
        "UpdateRoute": {"ApiId", "RouteId", "AuthorizationType", "Target"},
        "CreateStage": {"ApiId", "StageName", "AutoDeploy", "Description", "AccessLogSettings", "DefaultRouteSettings"},
        "UpdateStage": {"ApiId", "StageName", "AutoDeploy", "Description", "AccessLogSettings", "DefaultRouteSettings"},
        "TagResource": {"ResourceArn", "Tags"},
        "UntagResource": {"ResourceArn", "TagKeys"},
        "CreateDomainName": {"DomainName", "DomainNameConfigurations", "Tags"},
        "UpdateDomainName": {"DomainName", "DomainNameConfigurations"},
        "DeleteDomainName": {"DomainName"},
        "GetApiMappings": {"DomainName"},
        "CreateApiMapping": {"DomainName", "ApiId", "Stage", "ApiMappingKey"},
        "UpdateApiMapping": {"DomainName", "ApiMappingId", "ApiId", "Stage"},
        "DeleteApiMapping": {"DomainName", "ApiMappingId"},
    }
    for operation, members in expected.items():
        assert members <= set(MODEL.operation_model(operation).input_shape.members), operation
    settings = MODEL.shape_for("RouteSettings").members
    assert {"ThrottlingBurstLimit", "ThrottlingRateLimit", "DetailedMetricsEnabled"} <= set(settings)
    assert set(MODEL.shape_for("TlsConfigInput").members) == {"ServerNameToVerify"}
