# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""snake_case module results of an ECS Express service, for ecs_express_gateway_service(_info)."""

from __future__ import annotations

from typing import Any

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs import tags_dict
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs_express_params import active_configuration
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.ecs_service_params import plain


def endpoint(service: dict[str, Any] | None) -> str | None:
    """The ingress endpoint host of the active configuration (the PUBLIC one first); None without one."""
    paths = active_configuration(service).get("ingressPaths") or []
    paths = sorted(paths, key=lambda p: p.get("accessType") != "PUBLIC")
    return paths[0].get("endpoint") if paths else None


def status(service: dict[str, Any] | None) -> str | None:
    return ((service or {}).get("status") or {}).get("statusCode")


def service_view(service: dict[str, Any] | None, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """SERVICE for the result: snake_case, timestamps as ISO strings, tags as a dict (TAGS when given)."""
    if not service:
        return {}
    snake = camel_dict_to_snake_dict(plain({k: v for k, v in service.items() if k not in ("tags", "ResponseMetadata")}))
    snake["tags"] = tags_dict(service.get("tags")) if tags is None else dict(tags)
    return snake


def results(service: dict[str, Any] | None, tags: dict[str, str] | None = None) -> dict[str, Any]:
    """service, service_arn, status, endpoint and url, as both modules return them ({}/None without a service).

    An INACTIVE (deleted) service has no endpoint any more.
    """
    host = endpoint(service) if status(service) != "INACTIVE" else None
    return {
        "service": service_view(service, tags),
        "service_arn": (service or {}).get("serviceArn"),
        "status": status(service),
        "endpoint": host,
        "url": f"https://{host}/" if host else None,
    }
