# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""snake_case module results for App Runner resources."""

from __future__ import annotations

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

# Maps whose keys are the user's own names (environment variables): never snake_cased.
_KEEP = ["RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets"]


def to_snake(resource):
    """camel_dict_to_snake_dict at every level, leaving the maps in _KEEP as they are.

    (camel_dict_to_snake_dict applies its ignore_list to the top level only.)
    """
    converted = camel_dict_to_snake_dict({k: v for k, v in resource.items() if k not in _KEEP})
    for key, value in resource.items():
        if key in _KEEP:
            converted[camel_dict_to_snake_dict({key: None}).popitem()[0]] = value
        elif isinstance(value, dict):
            converted[camel_dict_to_snake_dict({key: None}).popitem()[0]] = to_snake(value)
    return converted


def service_result(service, tags=None):
    """The service_arn/service_url/status/service members the service modules return."""
    snake = to_snake(service)
    if tags is not None:
        snake["tags"] = tags
    return {
        "service_arn": service["ServiceArn"],
        "service_url": service.get("ServiceUrl"),
        "status": service["Status"],
        "service": snake,
    }
