# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the apigatewayv2_domain_name and apigatewayv2_api_mapping modules check and compare.

As in apigatewayv2_params.py: ``validate_*`` before any call, ``desired_*`` and ``*_update`` (no AWS calls).
"""

from __future__ import annotations

import re

from ansible_collections.mlops.mlflow_aws.plugins.module_utils.apigatewayv2_params import STAGE_NAME
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.aws_rules import ACM_CERTIFICATE_ARN

# ---------------------------------------------------------------- rules
_LABEL = r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)"
_TOP_LABEL = r"(?!-)[A-Za-z][A-Za-z0-9-]{1,62}(?<!-)"
# A fully qualified name (at least two labels, no trailing dot); '*.' first for a wildcard domain name.
DOMAIN_NAME = re.compile(rf"^(\*\.)?({_LABEL}\.)+{_TOP_LABEL}$")
DOMAIN_NAME_MAX = 253
CERTIFICATE_ARN = re.compile(ACM_CERTIFICATE_ARN)
# Paths of letters, digits and $-_.+!*'() separated by single '/' (several levels: regional TLS 1.2 domains).
_MAPPING_SEGMENT = r"[A-Za-z0-9$_.+!*'()-]+"
API_MAPPING_KEY = re.compile(rf"^({_MAPPING_SEGMENT}(/{_MAPPING_SEGMENT})*)?$")
API_MAPPING_KEY_MAX = 300
ENDPOINT_TYPES = ("REGIONAL",)
SECURITY_POLICIES = ("TLS_1_2", "TLS_1_0")
# Members of an endpoint configuration a request carries; the others (ApiGatewayDomainName, HostedZoneId,
# DomainNameStatus ...) are AWS's answer. UpdateDomainName replaces the configuration, so an update carries
# the current values of the members the options do not set.
CONFIGURATION_INPUTS = (
    "CertificateArn",
    "CertificateName",
    "EndpointType",
    "SecurityPolicy",
    "OwnershipVerificationCertificateArn",
    "IpAddressType",
)


def domain_name_problem(domain_name):
    """What is wrong with DOMAIN_NAME as a custom domain name; '' when nothing."""
    if DOMAIN_NAME.match(domain_name or "") and len(domain_name) <= DOMAIN_NAME_MAX:
        return ""
    return (
        f"domain_name {domain_name!r}: a fully qualified domain name such as api.example.com (labels of letters, "
        f"digits and '-', no trailing '.', '*.' first for a wildcard), at most {DOMAIN_NAME_MAX} characters"
    )


def api_mapping_key_problem(key):
    """What is wrong with KEY as an API mapping key; '' when nothing."""
    key = key or ""
    if API_MAPPING_KEY.match(key) and len(key) <= API_MAPPING_KEY_MAX:
        return ""
    return (
        f"api_mapping_key {key!r}: '' (the root of the domain name) or a path such as 'mlflow' or 'orders/v1', "
        f"segments of letters, digits and $-_.+!*'() separated by one '/', without a '/' first or last, "
        f"at most {API_MAPPING_KEY_MAX} characters"
    )


# ---------------------------------------------------------------- custom domain names
def validate_domain_name(params, region=None):
    problems = []
    problem = domain_name_problem(params["domain_name"])
    if problem:
        problems.append(problem)
    if params["state"] == "absent":
        return problems
    certificate = params["certificate_arn"]
    if certificate is not None:
        if not CERTIFICATE_ARN.match(certificate):
            problems.append(
                f"certificate_arn: {certificate!r} is not an ACM certificate ARN "
                "(arn:aws:acm:<region>:<account>:certificate/<id>)"
            )
        elif region and certificate.split(":")[3] != region:
            problems.append(
                f"certificate_arn: the certificate is in {certificate.split(':')[3]}; a REGIONAL domain name takes "
                f"an ACM certificate of its own region ({region})"
            )
    if params["wait_timeout"] <= 0:
        problems.append(f"wait_timeout: {params['wait_timeout']} is not a positive number of seconds")
    return problems


def desired_configuration(params, current=None):
    """The endpoint configuration the options ask for, over the request members of the CURRENT one."""
    want = {k: v for k, v in (current or {}).items() if k in CONFIGURATION_INPUTS}
    if params["certificate_arn"] is not None:
        want["CertificateArn"] = params["certificate_arn"]
    want["EndpointType"] = params["endpoint_type"]
    want["SecurityPolicy"] = params["security_policy"]
    return want


def configuration_update(want, current):
    """The configuration UpdateDomainName takes when a member the options set differs from CURRENT; else None."""
    if all(current.get(member) == value for member, value in want.items()):
        return None
    return want


def domain_name_create_request(params):
    request = {"DomainName": params["domain_name"], "DomainNameConfigurations": [desired_configuration(params)]}
    if params["tags"]:
        request["Tags"] = dict(params["tags"])
    return request


def domain_name_view(domain):
    """The managed members of DOMAIN (as described or as a request), for the diff."""
    configurations = domain.get("DomainNameConfigurations") or [{}]
    configuration = configurations[0]
    return {
        "domain_name": domain.get("DomainName"),
        "certificate_arn": configuration.get("CertificateArn"),
        "endpoint_type": configuration.get("EndpointType"),
        "security_policy": configuration.get("SecurityPolicy"),
    }


# ---------------------------------------------------------------- API mappings
def validate_api_mapping(params):
    problems = []
    problem = domain_name_problem(params["domain_name"])
    if problem:
        problems.append(problem)
    problem = api_mapping_key_problem(params["api_mapping_key"])
    if problem:
        problems.append(problem)
    if params["state"] == "absent":
        return problems
    if not (params["api_id"] or "").strip():
        problems.append("api_id: the ID of the HTTP API to map is required with state=present")
    if not STAGE_NAME.match(params["stage"] or ""):
        problems.append(f"stage {params['stage']!r}: '$default' or 1 to 128 letters, digits, '_' or '-'")
    return problems


def mapping_key(mapping):
    """The key of MAPPING ('' for the root, which AWS may leave out)."""
    return mapping.get("ApiMappingKey") or ""


def api_mappings_keyed(mappings, key):
    """The mappings of a domain name whose key is KEY (AWS allows one)."""
    return [m for m in mappings if mapping_key(m) == key]


def desired_api_mapping(params):
    want = {"ApiId": params["api_id"], "Stage": params["stage"]}
    if params["api_mapping_key"]:
        want["ApiMappingKey"] = params["api_mapping_key"]
    return want


def api_mapping_update(want, current):
    """UpdateApiMapping members when the API or the stage differs from CURRENT (ApiId always: AWS requires it)."""
    if all(want[member] == current.get(member) for member in ("ApiId", "Stage")):
        return {}
    return {"ApiId": want["ApiId"], "Stage": want["Stage"]}


def api_mapping_view(mapping, domain_name):
    return {
        "domain_name": domain_name,
        "api_mapping_key": mapping_key(mapping),
        "api_id": mapping.get("ApiId"),
        "stage": mapping.get("Stage"),
    }
