# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon API Gateway v2 (HTTP API) calls shared by the apigatewayv2_* modules.

Every call goes through ``AWSRetry.jittered_backoff`` (API Gateway throttles with
``TooManyRequestsException``, which AWSRetry's default list does not include). A missing resource
(``NotFoundException``) reads as None. Tags are API Gateway's dict tags on a resource ARN
(``arn:aws:apigateway:<region>::/apis/<id>``, ``.../vpclinks/<id>``, ``.../apis/<id>/stages/<name>``,
``.../domainnames/<name>``):
``TAGS`` is the TagAdapter for ``tags.ensure_tags``; describe calls already carry the tags, so
modules give them to ``plan_tags`` as ``current`` and a no-op run reads nothing more.

One section per kind of resource; waiting for a VPC link (``wait_for_vpc_link``) and for a custom domain
name (``wait_for_domain_name``) lives here.
"""

from __future__ import annotations

import datetime
import time

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import TagAdapter
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import wait_until

_retry = AWSRetry.jittered_backoff(
    retries=10, delay=2, max_delay=30, catch_extra_error_codes=["TooManyRequestsException"]
)

POLL_SECONDS = 5
NOT_FOUND = "NotFoundException"
# Members whose keys are data (header names, tag keys, stage variables): never snake_cased.
DATA_MEMBERS = ["Tags", "RequestParameters", "ResponseParameters", "StageVariables", "RouteSettings"]


def _paginate(client, method, **params):
    items = []
    while True:
        page = _retry(getattr(client, method))(**params)
        items.extend(page.get("Items", []))
        if not page.get("NextToken"):
            return items
        params["NextToken"] = page["NextToken"]


def _get(call, **params):
    """CALL(**PARAMS) without its ResponseMetadata; None when API Gateway does not know the resource."""
    try:
        response = _retry(call)(**params)
    except is_boto3_error_code(NOT_FOUND):
        return None
    response.pop("ResponseMetadata", None)
    return response


def _delete(call, **params):
    """CALL(**PARAMS); False when the resource was already gone."""
    try:
        _retry(call)(**params)
    except is_boto3_error_code(NOT_FOUND):
        return False
    return True


def _created(response):
    response.pop("ResponseMetadata", None)
    return response


def partition(region):
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def arn(region, path):
    """The ARN of the API Gateway resource at PATH ('/apis/<id>', '/vpclinks/<id>', ...)."""
    return f"arn:{partition(region)}:apigateway:{region}::{path}"


def to_snake(resource):
    """RESOURCE in snake_case (data members keep their keys, dates become ISO 8601 strings)."""
    if resource is None:
        return None
    plain = {k: v.isoformat() if isinstance(v, (datetime.datetime, datetime.date)) else v for k, v in resource.items()}
    snake = camel_dict_to_snake_dict(plain, ignore_list=DATA_MEMBERS)
    if "tags" in snake or "Tags" in resource:
        snake["tags"] = dict(resource.get("Tags") or {})
    return snake


# ---------------------------------------------------------------- tags
def get_tags(client, resource_arn):
    return dict(_retry(client.get_tags)(ResourceArn=resource_arn).get("Tags") or {})


def _tag(client, resource_arn, tags):
    _retry(client.tag_resource)(ResourceArn=resource_arn, Tags=tags)


def _untag(client, resource_arn, keys):
    _retry(client.untag_resource)(ResourceArn=resource_arn, TagKeys=keys)


TAGS = TagAdapter(list_tags=get_tags, tag_resource=_tag, untag_resource=_untag)


# ---------------------------------------------------------------- APIs
def list_apis(client):
    return _paginate(client, "get_apis")


def apis_named(client, name):
    return [a for a in list_apis(client) if a.get("Name") == name]


def get_api(client, api_id):
    return _get(client.get_api, ApiId=api_id)


def create_api(client, request):
    return _created(_retry(client.create_api)(**request))


def update_api(client, api_id, request):
    return _created(_retry(client.update_api)(ApiId=api_id, **request))


def delete_cors_configuration(client, api_id):
    _retry(client.delete_cors_configuration)(ApiId=api_id)


def delete_api(client, api_id):
    return _delete(client.delete_api, ApiId=api_id)


def api_arn(region, api_id):
    return arn(region, f"/apis/{api_id}")


# ---------------------------------------------------------------- VPC links
VPC_LINK_READY = ("AVAILABLE",)
# An unused link turns INACTIVE; it wakes up when used again, so waiting would not end.
VPC_LINK_SETTLED = ("AVAILABLE", "INACTIVE")


def vpc_links_named(client, name):
    return [v for v in _paginate(client, "get_vpc_links") if v.get("Name") == name]


def get_vpc_link(client, vpc_link_id):
    return _get(client.get_vpc_link, VpcLinkId=vpc_link_id)


def create_vpc_link(client, request):
    return _created(_retry(client.create_vpc_link)(**request))


def update_vpc_link(client, vpc_link_id, name):
    return _created(_retry(client.update_vpc_link)(VpcLinkId=vpc_link_id, Name=name))


def delete_vpc_link(client, vpc_link_id):
    return _delete(client.delete_vpc_link, VpcLinkId=vpc_link_id)


def vpc_link_arn(region, vpc_link_id):
    return arn(region, f"/vpclinks/{vpc_link_id}")


def vpc_link_problem(link, vpc_link_id):
    """Why waiting for the link cannot succeed (FAILED, or gone while being created); None otherwise."""
    if link is None:
        return f"VPC link {vpc_link_id} disappeared while waiting for it to become available"
    if link.get("VpcLinkStatus") == "FAILED":
        message = link.get("VpcLinkStatusMessage") or "no status message"
        return f"VPC link {vpc_link_id} ({link.get('Name')}) is FAILED: {message}"
    return None


def wait_for_vpc_link(client, vpc_link_id, timeout, *, deleted=False, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913 (test clock)
    """Poll until the VPC link is AVAILABLE (INACTIVE counts too), or gone with DELETED; returns it.

    A FAILED link ends the wait at once with WaitError carrying its status message.
    """

    def ready(link):
        if deleted:
            return link is None
        return link is not None and link.get("VpcLinkStatus") in VPC_LINK_SETTLED

    def failure(link):
        return None if deleted else vpc_link_problem(link, vpc_link_id)

    return wait_until(
        lambda: get_vpc_link(client, vpc_link_id),
        ready,
        failure=failure,
        resource=f"VPC link {vpc_link_id}",
        goal="be deleted" if deleted else "be available",
        status=lambda link: "gone" if link is None else link.get("VpcLinkStatus", "unknown"),
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- integrations
def list_integrations(client, api_id):
    return _paginate(client, "get_integrations", ApiId=api_id)


def get_integration(client, api_id, integration_id):
    return _get(client.get_integration, ApiId=api_id, IntegrationId=integration_id)


def create_integration(client, api_id, request):
    return _created(_retry(client.create_integration)(ApiId=api_id, **request))


def update_integration(client, api_id, integration_id, request):
    return _created(_retry(client.update_integration)(ApiId=api_id, IntegrationId=integration_id, **request))


def delete_integration(client, api_id, integration_id):
    return _delete(client.delete_integration, ApiId=api_id, IntegrationId=integration_id)


# ---------------------------------------------------------------- routes
def list_routes(client, api_id):
    return _paginate(client, "get_routes", ApiId=api_id)


def find_route(client, api_id, route_key):
    matches = [r for r in list_routes(client, api_id) if r.get("RouteKey") == route_key]
    return matches[0] if matches else None


def create_route(client, api_id, request):
    return _created(_retry(client.create_route)(ApiId=api_id, **request))


def update_route(client, api_id, route_id, request):
    return _created(_retry(client.update_route)(ApiId=api_id, RouteId=route_id, **request))


def delete_route(client, api_id, route_id):
    return _delete(client.delete_route, ApiId=api_id, RouteId=route_id)


# ---------------------------------------------------------------- stages
def list_stages(client, api_id):
    return _paginate(client, "get_stages", ApiId=api_id)


def get_stage(client, api_id, stage_name):
    return _get(client.get_stage, ApiId=api_id, StageName=stage_name)


def create_stage(client, api_id, request):
    return _created(_retry(client.create_stage)(ApiId=api_id, **request))


def update_stage(client, api_id, stage_name, request):
    return _created(_retry(client.update_stage)(ApiId=api_id, StageName=stage_name, **request))


def delete_stage(client, api_id, stage_name):
    return _delete(client.delete_stage, ApiId=api_id, StageName=stage_name)


def stage_arn(region, api_id, stage_name):
    return arn(region, f"/apis/{api_id}/stages/{stage_name}")


# ---------------------------------------------------------------- custom domain names
DOMAIN_NAME_READY = ("AVAILABLE",)
# Statuses waiting does not end: the certificate must be re-imported, or the domain's ownership proven
# with another certificate (OwnershipVerificationCertificateArn).
DOMAIN_NAME_STUCK = ("PENDING_CERTIFICATE_REIMPORT", "PENDING_OWNERSHIP_VERIFICATION")


def get_domain_name(client, domain_name):
    return _get(client.get_domain_name, DomainName=domain_name)


def create_domain_name(client, request):
    return _created(_retry(client.create_domain_name)(**request))


def update_domain_name(client, domain_name, configuration):
    """Give DOMAIN_NAME the endpoint configuration CONFIGURATION (the whole of it: AWS replaces it)."""
    call = _retry(client.update_domain_name)
    return _created(call(DomainName=domain_name, DomainNameConfigurations=[configuration]))


def delete_domain_name(client, domain_name):
    return _delete(client.delete_domain_name, DomainName=domain_name)


def domain_name_arn(region, domain_name):
    return arn(region, f"/domainnames/{domain_name}")


def domain_configuration(domain):
    """The endpoint configuration of DOMAIN (a domain name has one); {} when there is none."""
    configurations = (domain or {}).get("DomainNameConfigurations") or []
    return configurations[0] if configurations else {}


def domain_name_to_snake(domain):
    """DOMAIN in snake_case, with the members of its endpoint configuration at the top as well.

    ``api_gateway_domain_name`` and ``hosted_zone_id`` are what a DNS alias (or CNAME) of the custom
    domain name points at.
    """
    if domain is None:
        return None
    snake = to_snake(domain)
    configurations = [to_snake(c) for c in domain.get("DomainNameConfigurations") or []]
    snake["domain_name_configurations"] = configurations
    for member, value in (configurations[0] if configurations else {}).items():
        snake.setdefault(member, value)
    return snake


def domain_name_problem(domain, domain_name):
    """Why waiting for the domain name cannot succeed (gone, or a status only an action ends); None otherwise."""
    if domain is None:
        return f"custom domain name {domain_name} disappeared while waiting for it to become available"
    configuration = domain_configuration(domain)
    status = configuration.get("DomainNameStatus")
    if status in DOMAIN_NAME_STUCK:
        message = configuration.get("DomainNameStatusMessage") or "no status message"
        return f"custom domain name {domain_name} is {status}: {message}"
    return None


def wait_for_domain_name(client, domain_name, timeout, *, sleep=time.sleep, clock=time.monotonic):
    """Poll until the custom domain name is AVAILABLE (after a create, or an update while UPDATING); returns it.

    A status only an action ends (PENDING_CERTIFICATE_REIMPORT, PENDING_OWNERSHIP_VERIFICATION) ends the
    wait at once with WaitError carrying its status message.
    """
    return wait_until(
        lambda: get_domain_name(client, domain_name),
        lambda domain: domain is not None and domain_configuration(domain).get("DomainNameStatus") in DOMAIN_NAME_READY,
        failure=lambda domain: domain_name_problem(domain, domain_name),
        resource=f"custom domain name {domain_name}",
        goal="be available",
        status=lambda domain: (
            "gone" if domain is None else domain_configuration(domain).get("DomainNameStatus", "unknown")
        ),
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- API mappings
def list_api_mappings(client, domain_name):
    """The API mappings of the custom domain name DOMAIN_NAME; None when the domain name does not exist."""
    try:
        return _paginate(client, "get_api_mappings", DomainName=domain_name)
    except is_boto3_error_code(NOT_FOUND):
        return None


def create_api_mapping(client, domain_name, request):
    return _created(_retry(client.create_api_mapping)(DomainName=domain_name, **request))


def update_api_mapping(client, domain_name, api_mapping_id, request):
    call = _retry(client.update_api_mapping)
    return _created(call(DomainName=domain_name, ApiMappingId=api_mapping_id, **request))


def delete_api_mapping(client, domain_name, api_mapping_id):
    return _delete(client.delete_api_mapping, DomainName=domain_name, ApiMappingId=api_mapping_id)
