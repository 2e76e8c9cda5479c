# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""snake_case module results for App Runner resources."""

from __future__ import annotations

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

# Maps whose keys are the user's own names (environment variables): never snake_cased.
_KEEP = ["RuntimeEnvironmentVariables", "RuntimeEnvironmentSecrets"]


def to_snake(resource):
    return camel_dict_to_snake_dict(resource, ignore_list=_KEEP)


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
