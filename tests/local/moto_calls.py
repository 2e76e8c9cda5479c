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
it was given). Requests and responses follow botocore's
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

from moto.apigatewayv2 import urls as apigatewayv2_urls
from moto.apigatewayv2.exceptions import APIGatewayV2Error, BadRequestException, StageNotFound
from moto.apigatewayv2.models import Api, ApiGatewayV2Backend, Stage, VpcLink
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


STAGE_ARN = re.compile(r"^arn:[a-z-]+:apigateway:[a-z0-9-]+::/apis/(?P<api>[^/]+)/stages/(?P<stage>[^/]+)$")
# URL paths moto 5.2 has no route for (the stage ARN's '/' reach the server unescaped).
APIGATEWAYV2_PATHS = {
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments$": ApiGatewayV2Response.dispatch,
    "{0}/v2/apis/(?P<api_id>[^/]+)/deployments/(?P<deployment_id>[^/]+)$": ApiGatewayV2Response.dispatch,
    "{0}/v2/tags/(?P<resource_arn_pt1>[^/]+)/apis/(?P<resource_arn_pt2>[^/]+)/stages/(?P<resource_arn_pt3>[^/]+)$": (
        ApiGatewayV2Response.dispatch
    ),
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


def _stage_of(backend: ApiGatewayV2Backend, resource_arn: str) -> Stage | None:
    """The stage RESOURCE_ARN names (NotFoundException when there is none); None for other ARNs."""
    match = STAGE_ARN.match(resource_arn)
    if not match:
        return None
    return backend.get_stage(match["api"], unquote(match["stage"]))


def _stage_json(original):
    def to_json(self: Stage) -> dict[str, Any]:
        dct = original(self)
        deployment = getattr(self, "_mlops_deployment_id", None) or self.config.get("deploymentId")
        if deployment:
            dct["deploymentId"] = deployment
        return dct

    return to_json


def _stage_tags(get, tag, untag):
    def get_tags(self: ApiGatewayV2Backend, resource_id: str) -> dict[str, str]:
        stage = _stage_of(self, resource_id)
        return dict(stage.tags) if stage is not None else get(self, resource_id)

    def tag_resource(self: ApiGatewayV2Backend, resource_arn: str, tags: dict[str, str]) -> None:
        stage = _stage_of(self, resource_arn)
        if stage is None:
            return tag(self, resource_arn, tags)
        stage.tags = dict(stage.tags or {}, **(tags or {}))
        return None

    def untag_resource(self: ApiGatewayV2Backend, resource_arn: str, tag_keys: list[str]) -> None:
        stage = _stage_of(self, resource_arn)
        if stage is None:
            return untag(self, resource_arn, tag_keys)
        stage.tags = {k: v for k, v in (stage.tags or {}).items() if k not in tag_keys}
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


def _vpc_link_json(original):
    def to_json(self: VpcLink) -> dict[str, Any]:
        dct = original(self)
        dct["vpcLinkStatus"], dct["vpcLinkStatusMessage"] = _vpc_link_status(self)
        return dct

    return to_json


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
    Stage.to_json = _stage_json(Stage.to_json)
    VpcLink.to_json = _vpc_link_json(VpcLink.to_json)
    ApiGatewayV2Backend.get_tags, ApiGatewayV2Backend.tag_resource, ApiGatewayV2Backend.untag_resource = _stage_tags(
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
