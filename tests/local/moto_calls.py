"""Calls moto 5.2 lacks that the collection's modules use, added to its own response classes.

Application Auto Scaling: ``TagResource``, ``UntagResource``, ``ListTagsForResource`` (moto answers
HTTP 500) and the ``Tags`` of ``RegisterScalableTarget`` (moto drops them). Requests and responses
follow botocore's ``application-autoscaling`` model (JSON protocol); tests/unit checks these
shapes against it.
"""

from __future__ import annotations

import json

from moto.applicationautoscaling.models import ApplicationAutoscalingBackend
from moto.applicationautoscaling.responses import ApplicationAutoScalingResponse
from moto.core.exceptions import JsonRESTError


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


def install() -> None:
    ApplicationAutoScalingResponse.tag_resource = tag_resource
    ApplicationAutoScalingResponse.untag_resource = untag_resource
    ApplicationAutoScalingResponse.list_tags_for_resource = list_tags_for_resource
    ApplicationAutoScalingResponse.register_scalable_target = _register_with_tags(
        ApplicationAutoScalingResponse.register_scalable_target
    )
