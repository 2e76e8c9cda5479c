"""Calls moto 5.2 lacks that the collection's modules use, added to its own response classes.

Application Auto Scaling: ``TagResource``, ``UntagResource``, ``ListTagsForResource`` (moto answers
HTTP 500) and the ``Tags`` of ``RegisterScalableTarget`` (moto drops them). Requests and responses
follow botocore's ``application-autoscaling`` model (JSON protocol); tests/unit checks these
shapes against it.

API Gateway v2: ``UpdateStage`` (moto answers HTTP 500), ``CreateDeployment``, ``GetDeployments``,
``GetDeployment`` (HTTP 404: no route), and the tag calls on a stage's ARN
(``arn:aws:apigateway:<region>::/apis/<id>/stages/<name>``: HTTP 404; moto keeps a stage's tags
on the stage, apart from its other tags). A VPC link is PENDING for its first
``MOTO_APIGATEWAYV2_VPC_LINK_PENDING_SECONDS`` (default 1) and FAILED, with AWS's kind of status
message, when one of its subnets or security groups does not exist (moto: AVAILABLE at once, whatever
it was given). Custom domain names: ``UpdateDomainName`` and ``UpdateApiMapping`` (not implemented
in moto), the endpoint configuration AWS describes (moto echoes the request: no
``ApiGatewayDomainName``, ``HostedZoneId`` or ``DomainNameStatus``; a domain name is UPDATING for its
first ``MOTO_APIGATEWAYV2_DOMAIN_NAME_UPDATING_SECONDS`` (default 1) after it is created or its
configuration changes), the certificate checked in ACM (it must exist in the region and be ISSUED), tags
on a domain name's ARN (HTTP 404; moto keeps the create call's tags on the domain name, apart from the
others), ``DeleteDomainName`` of a domain name with API mappings (HTTP 500), and API mappings as AWS
checks them (the stage must exist, a key once per domain name, an unknown domain name is
NotFoundException for ``GetApiMappings``). Requests and responses follow botocore's
``apigatewayv2`` model (rest-json: camelCase ``locationName`` members in the body, the IDs in the
URI) the way moto's own apigatewayv2 responses build them; tests/unit checks the members against it.
"""

from __future__ import annotations

import json
import os
import re
from datetime import datetime
from typing import Any
from urllib.parse import unquote

from moto.acm.exceptions import CertificateNotFound
from moto.acm.models import acm_backends
from moto.apigatewayv2 import urls as apigatewayv2_urls
from moto.apigatewayv2.exceptions import (
    APIGatewayV2Error,
    ApiMappingNotFound,
    BadRequestException,
    DomainNameNotFound,
    StageNotFound,
)
from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, ApiMapping, DomainName, Stage, VpcLink
from moto.apigatewayv2.responses import ApiGatewayV2Response
from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError
from moto.core.responses import TYPE_RESPONSE
from moto.core.utils import iso_8601_datetime_without_milliseconds
from moto.ec2.models import ec2_backends
from moto.moto_api._internal import mock_random as random


class ResourceNotFoundException(JsonRESTError):
    def __init__(self, arn: str) -> None:
        super().__init__("ResourceNotFoundException", f"No scalable target found for ARN {arn}")


def _tags(backend: ApplicationAutoscalingBackend) -> dict[str, dict[str, str]]:
    if not hasattr(backend, "_mlops_tags"):
        backend._mlops_tags = {}
    return backend._mlops_tags


def _known(backend: ApplicationAutoscalingBackend, arn: str) -> dict[str, str]:
    for targets in backend.targets.values():
        for target in targets.values():
            if target.arn == arn:
                return _tags(backend).setdefault(arn, {})
    raise ResourceNotFoundException(arn)


def tag_resource(self: ApplicationAutoScalingResponse) -> str:
    _known(self.applicationautoscaling_backend, self._get_param("ResourceARN")).update(self._get_param("Tags") or {})
    return json.dumps({})


def untag_resource(self: ApplicationAutoScalingResponse) -> str:
    tags = _known(self.applicationautoscaling_backend, self._get_param("ResourceARN"))
    for key in self._get_param("TagKeys") or []:
        tags.pop(key, None)
    return json.dumps({})


def list_tags_for_resource(self: ApplicationAutoScalingResponse) -> str:
    return json.dumps({"Tags": dict(_known(self.applicationautoscaling_backend, self._get_param("ResourceARN")))})


def _register_with_tags(original):
    def register_scalable_target(self: ApplicationAutoScalingResponse) -> str:
        body = original(self)
        arn = json.loads(body)["ScalableTargetARN"]
        tags = _tags(self.applicationautoscaling_backend)
        if arn not in tags:  # AWS applies Tags only when it creates the target
            tags[arn] = dict(self._get_param("Tags") or {})
        return body

    return register_scalable_target


# ---------------------------------------------------------------- API Gateway v2
class DeploymentNotFound(APIGatewayV2Error):
    code = 404

    def __init__(self, deployment_id: str) -> None:
        super().__init__("NotFoundException", f"Invalid Deployment identifier specified {deployment_id}")


class ApiMappingConflict(APIGatewayV2Error):
    code = 409

    def __init__(self, domain_name: str, key: str) -> None:
        super().__init__("ConflictException", f"API mapping key '{key}' already exists for domain name {domain_name}")


STAGE_ARN = re.compile(r"^arn:[a-z-]+:apigateway:[a-z0-9-]+::/apis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)$")
DOMAIN_NAME_ARN = re.compile(r"^arn:[a-z-]+:apigateway:[a-z0-9-]+::/domainnames/(?P<domain>[^/]+)$")
# Route 53 hosted zones of API Gateway's regional endpoints (AWS's table; another region gets a made-up one).
REGIONAL_HOSTED_ZONES = {
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
}
# Endpoint configuration members AWS fills in itself (a request's are dropped).
DOMAIN_CONFIGURATION_OUTPUTS = (
    "apiGatewayDomainName",
    "certificateUploadDate",
    "domainNameStatus",
    "domainNameStatusMessage",
    "hostedZoneId",
)
# URL paths moto 5.2 has no route for (the '/' of a stage's or a domain name's ARN reach the server unescaped).
APIGATEWAYV2_PATHS = {
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments$": ApiGatewayV2Response.dispatch,
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$": ApiGatewayV2Response.dispatch,
    "{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/apis/(?P<resource_arn_pt2>[^/]+)/stages/(?P<resource_arn_pt3>[^/]+)$": (
        ApiGatewayV2Response.dispatch
    ),
    "{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/domainnames/(?P<resource_arn_pt2>[^/]+)$": ApiGatewayV2Response.dispatch,
}
# UpdateStage members: replaced when given; DefaultRouteSettings is merged member by member (PATCH).
STAGE_MEMBERS = {
    "accessLogSettings": "access_log_settings",
    "autoDeploy": "auto_deploy",
    "clientCertificateId": "client_certificate_id",
    "description": "description",
    "routeSettings": "route_settings",
    "stageVariables": "stage_variables",
}


def _deployments(api: Api) -> dict[str, dict[str, Any]]:
    if not hasattr(api, "_mlops_deployments"):
        api._mlops_deployments = {}
    return api._mlops_deployments


def _tag_holder(backend: ApiGatewayV2Backend, resource_arn: str) -> Stage | DomainName | None:
    """The stage or the domain name RESOURCE_ARN names (NotFoundException when there is none); None for other ARNs.

    Both keep their tags themselves (``tags``), apart from moto's tagging service.
    """
    match = STAGE_ARN.match(resource_arn)
    if match:
        return backend.get_stage(match["api"], unquote(match["stage"]))
    match = DOMAIN_NAME_ARN.match(resource_arn)
    if match:
        return backend.get_domain_name(unquote(match["domain"]))
    return None


def _stage_json(original):
    def to_json(self: Stage) -> dict[str, Any]:
        dct = original(self)
        deployment = getattr(self, "_mlops_deployment_id", None) or self.config.get("deploymentId")
        if deployment:
            dct["deploymentId"] = deployment
        return dct

    return to_json


def _own_tags(get, tag, untag):
    def get_tags(self: ApiGatewayV2Backend, resource_id: str) -> dict[str, str]:
        holder = _tag_holder(self, resource_id)
        return dict(holder.tags or {}) if holder is not None else get(self, resource_id)

    def tag_resource(self: ApiGatewayV2Backend, resource_arn: str, tags: dict[str, str]) -> None:
        holder = _tag_holder(self, resource_arn)
        if holder is None:
            return tag(self, resource_arn, tags)
        holder.tags = dict(holder.tags or {}, **(tags or {}))
        return None

    def untag_resource(self: ApiGatewayV2Backend, resource_arn: str, tag_keys: list[str]) -> None:
        holder = _tag_holder(self, resource_arn)
        if holder is None:
            return untag(self, resource_arn, tag_keys)
        holder.tags = {k: v for k, v in (holder.tags or {}).items() if k not in tag_keys}
        return None

    return get_tags, tag_resource, untag_resource


def _vpc_link_status(link: VpcLink) -> tuple[str, str]:
    """What AWS would say of LINK: FAILED when its network does not exist, PENDING while young."""
    ec2 = ec2_backends[link.backend.account_id][link.backend.region_name]
    subnets = {s for zone in ec2.subnets.values() for s in zone}
    missing = [s for s in link.subnet_ids or [] if s not in subnets]
    missing += [g for g in link.sg_ids or [] if ec2.get_security_group_from_id(g) is None]
    if missing:
        return "FAILED", f"VPC link creation failed: {', '.join(missing)} not found"
    pending = float(os.environ.get("MOTO_APIGATEWAYV2_VPC_LINK_PENDING_SECONDS", "1"))
    if (datetime.now() - link.created).total_seconds() < pending:
        return "PENDING", "VPC link is provisioning ENIs"
    return "AVAILABLE", "VPC link is ready to route traffic"


vpc_link_status = _vpc_link_status


def _vpc_link_json(original):
    def to_json(self: VpcLink) -> dict[str, Any]:
        dct = original(self)
        dct["vpcLinkStatus"], dct["vpcLinkStatusMessage"] = _vpc_link_status(self)
        return dct

    return to_json


def _certificate_problem(backend: ApiGatewayV2Backend, arn: str | None) -> str:
    """Why AWS would refuse ARN as the certificate of a regional domain name of BACKEND's region; '' when fine."""
    if not arn:
        return "A certificate ARN is required for a REGIONAL domain name"
    try:
        certificate = acm_backends[backend.account_id][backend.region_name].get_certificate(arn)
    except CertificateNotFound:
        return f"Certificate {arn} not found in ACM in {backend.region_name}"
    if certificate.status != "ISSUED":
        return f"Certificate {arn} is {certificate.status}, not ISSUED"
    return ""


def _domain_configurations(backend: ApiGatewayV2Backend, configurations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """CONFIGURATIONS (wire members) as a domain name keeps them: checked, with AWS's defaults."""
    kept = []
    for configuration in configurations or [{}]:
        member = {k: v for k, v in configuration.items() if k not in DOMAIN_CONFIGURATION_OUTPUTS}
        member.setdefault("endpointType", "REGIONAL")
        member.setdefault("securityPolicy", "TLS_1_2")
        if member["endpointType"] == "REGIONAL":
            problem = _certificate_problem(backend, member.get("certificateArn"))
            if problem:
                raise BadRequestException(problem)
        kept.append(member)
    return kept


def _domain_name_status(domain: DomainName) -> tuple[str, str]:
    """UPDATING for a moment after the domain name is created or its configuration changes, then AVAILABLE."""
    updating = float(os.environ.get("MOTO_APIGATEWAYV2_DOMAIN_NAME_UPDATING_SECONDS", "1"))
    changed = getattr(domain, "_mlops_changed", None) or datetime.now()
    if (datetime.now() - changed).total_seconds() < updating:
        return "UPDATING", "Updating the domain name's endpoint configuration"
    return "AVAILABLE", ""


def _domain_name_json(original):
    def to_json(self: DomainName) -> dict[str, Any]:
        dct = original(self)
        region = self.domain_name_arn.split(":")[3]
        status, message = _domain_name_status(self)
        described = []
        for configuration in self.domain_name_configurations or []:
            member = dict(configuration)
            member["apiGatewayDomainName"] = f"{self._mlops_gateway}.execute-api.{region}.amazonaws.com"
            member["hostedZoneId"] = REGIONAL_HOSTED_ZONES.get(region, "Z" + region.upper().replace("-", ""))
            member["domainNameStatus"] = status
            if message:
                member["domainNameStatusMessage"] = message
            described.append(member)
        dct["domainNameConfigurations"] = described
        dct["tags"] = dict(self.tags or {})
        return dct

    return to_json


def _create_domain_name(original):
    def create_domain_name(
        self: ApiGatewayV2Backend,
        domain_name: str,
        domain_name_configurations: list[dict[str, Any]],
        mutual_tls_authentication: dict[str, str],
        tags: dict[str, str],
    ) -> DomainName:
        configurations = _domain_configurations(self, domain_name_configurations)
        domain = original(self, domain_name, configurations, mutual_tls_authentication, dict(tags or {}))
        domain._mlops_gateway = "d-" + random.get_random_string(length=10, lower_case=True)
        domain._mlops_changed = datetime.now()
        return domain

    return create_domain_name


def delete_domain_name_backend(self: ApiGatewayV2Backend, domain_name: str) -> None:
    """moto's, without deleting from the mappings while iterating over them (HTTP 500 once a domain has one)."""
    if domain_name not in self.domain_names:
        raise DomainNameNotFound()
    for mapping_id in [i for i, m in self.api_mappings.items() if m.domain_name == domain_name]:
        del self.api_mappings[mapping_id]
    del self.domain_names[domain_name]


def update_domain_name(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    backend = self.apigatewayv2_backend
    domain = backend.get_domain_name(unquote(self.path.split("/")[-1]))
    params = json.loads(self.body or "{}")
    if params.get("domainNameConfigurations") is not None:
        domain.domain_name_configurations = _domain_configurations(backend, params["domainNameConfigurations"])
        domain._mlops_changed = datetime.now()
    if params.get("mutualTlsAuthentication") is not None:
        domain.mutual_tls_authentication = params["mutualTlsAuthentication"]
    return 200, {}, json.dumps(domain.to_json())


def _check_mapping(  # noqa: PLR0913 (the mapping's members)
    backend: ApiGatewayV2Backend, domain_name: str, api_id: str, stage: str, key: str, *, mapping_id: str | None = None
) -> None:
    """What AWS checks of an API mapping: its API and stage exist, and no other mapping of the domain has its key."""
    if stage not in backend.get_api(api_id).stages:
        raise StageNotFound()
    for other_id, other in backend.api_mappings.items():
        if other.domain_name == domain_name and other.api_mapping_key == key and other_id != mapping_id:
            raise ApiMappingConflict(domain_name, key)


def _create_api_mapping(original):
    def create_api_mapping(
        self: ApiGatewayV2Backend, api_id: str, api_mapping_key: str, domain_name: str, stage: str
    ) -> ApiMapping:
        self.get_domain_name(domain_name)
        _check_mapping(self, domain_name, api_id, stage, api_mapping_key)
        return original(self, api_id=api_id, api_mapping_key=api_mapping_key, domain_name=domain_name, stage=stage)

    return create_api_mapping


def _get_api_mappings(original):
    def get_api_mappings(self: ApiGatewayV2Backend, domain_name: str) -> list[ApiMapping]:
        self.get_domain_name(domain_name)  # AWS: NotFoundException for a domain name it does not know
        return original(self, domain_name)

    return get_api_mappings


def _api_mapping_id(self: ApiGatewayV2Backend, **_ignored: str) -> str:
    """A new random ID (moto's hash of stage, domain and key would reuse the ID of a mapping since updated)."""
    return random.get_random_string(length=6, lower_case=True)


def update_api_mapping(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    backend = self.apigatewayv2_backend
    domain_name, mapping_id = unquote(self.path.split("/")[-3]), self.path.split("/")[-1]
    mapping = backend.get_api_mapping(mapping_id, domain_name)
    if mapping.domain_name != domain_name:
        raise ApiMappingNotFound()
    params = json.loads(self.body or "{}")
    api_id = params.get("apiId") or mapping.api_id
    stage = params.get("stage") or mapping.stage
    key = mapping.api_mapping_key if params.get("apiMappingKey") is None else params["apiMappingKey"]
    if key.startswith("/") or key.endswith("/") or "//" in key:
        raise BadRequestException("API mapping key should not start or end with a '/' or have consecutive '/'s.")
    _check_mapping(backend, domain_name, api_id, stage, key, mapping_id=mapping_id)
    mapping.api_id, mapping.stage, mapping.api_mapping_key = api_id, stage, key
    return 200, {}, json.dumps(mapping.to_json())


def update_stage(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api_id, stage_name = self.path.split("/")[-3], unquote(self.path.split("/")[-1])
    params = json.loads(self.body or "{}")
    api = self.apigatewayv2_backend.get_api(api_id)
    stage = api.get_stage(stage_name)
    if params.get("deploymentId") is not None:
        if params["deploymentId"] not in _deployments(api):
            raise DeploymentNotFound(params["deploymentId"])
        stage._mlops_deployment_id = params["deploymentId"]
    for member, attribute in STAGE_MEMBERS.items():
        if params.get(member) is not None:
            setattr(stage, attribute, params[member])
    if params.get("defaultRouteSettings") is not None:
        stage.default_route_settings = dict(stage.default_route_settings or {}, **params["defaultRouteSettings"])
    stage.updated = datetime.now()
    return 200, {}, json.dumps(stage.to_json())


def create_deployment(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api_id = self.path.split("/")[-2]
    params = json.loads(self.body or "{}")
    api = self.apigatewayv2_backend.get_api(api_id)
    stage = None
    if params.get("stageName"):
        if params["stageName"] not in api.stages:
            raise StageNotFound()
        stage = api.stages[params["stageName"]]
        if stage.auto_deploy:
            raise BadRequestException("Deployment to an AutoDeploy enabled Stage is not allowed")
    deployment = {
        "autoDeployed": False,
        "createdDate": iso_8601_datetime_without_milliseconds(datetime.now()),
        "deploymentId": random.get_random_string(length=6, lower_case=True),
        "deploymentStatus": "DEPLOYED",
    }
    if params.get("description"):
        deployment["description"] = params["description"]
    _deployments(api)[deployment["deploymentId"]] = deployment
    if stage is not None:
        stage._mlops_deployment_id = deployment["deploymentId"]
        stage.updated = datetime.now()
    return 201, {}, json.dumps(deployment)


def get_deployments(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api = self.apigatewayv2_backend.get_api(self.path.split("/")[-2])
    return 200, {}, json.dumps({"items": list(_deployments(api).values())})


def get_deployment(self: ApiGatewayV2Response) -> TYPE_RESPONSE:
    api = self.apigatewayv2_backend.get_api(self.path.split("/")[-3])
    deployment_id = self.path.split("/")[-1]
    if deployment_id not in _deployments(api):
        raise DeploymentNotFound(deployment_id)
    return 200, {}, json.dumps(_deployments(api)[deployment_id])


def install_apigatewayv2() -> None:
    apigatewayv2_urls.url_paths.update(APIGATEWAYV2_PATHS)
    ApiGatewayV2Response.update_stage = update_stage
    ApiGatewayV2Response.create_deployment = create_deployment
    ApiGatewayV2Response.get_deployments = get_deployments
    ApiGatewayV2Response.get_deployment = get_deployment
    ApiGatewayV2Response.update_domain_name = update_domain_name
    ApiGatewayV2Response.update_api_mapping = update_api_mapping
    ApiGatewayV2Backend.create_domain_name = _create_domain_name(ApiGatewayV2Backend.create_domain_name)
    ApiGatewayV2Backend.delete_domain_name = delete_domain_name_backend
    ApiGatewayV2Backend.create_api_mapping = _create_api_mapping(ApiGatewayV2Backend.create_api_mapping)
    ApiGatewayV2Backend.get_api_mappings = _get_api_mappings(ApiGatewayV2Backend.get_api_mappings)
    ApiGatewayV2Backend._generate_api_maping_id = _api_mapping_id
    DomainName.to_json = _domain_name_json(DomainName.to_json)
    Stage.to_json = _stage_json(Stage.to_json)
    VpcLink.to_json = _vpc_link_json(VpcLink.to_json)
    ApiGatewayV2Backend.get_tags, ApiGatewayV2Backend.tag_resource, ApiGatewayV2Backend.untag_resource = _own_tags(
        ApiGatewayV2Backend.get_tags, ApiGatewayV2Backend.tag_resource, ApiGatewayV2Backend.untag_resource
    )


def install() -> None:
    install_apigatewayv2()
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.register_scalable_target = _register_with_tags(
        ApplicationAutoScalingResponse.register_scalable_target
    )
