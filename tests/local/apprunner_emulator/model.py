"""Validation of App Runner requests and responses against botocore's service model.

The validator itself is service-agnostic (tests/local/botocore_shapes.py); this binds it to
``apprunner``. It reports problems the way AWS does (``Value 'x' at 'instanceConfiguration.cpu'
failed to satisfy ...``).
"""

from __future__ import annotations

from typing import Any

from botocore.model import OperationModel, ServiceModel

from tests.local import botocore_shapes
from tests.local.botocore_shapes import Validator

__all__ = ["Validator", "operation", "service_model", "validate_input", "validate_output"]
SERVICE = "apprunner"


def service_model() -> ServiceModel:
    return botocore_shapes.service_model(SERVICE)


def operation(name: str) -> OperationModel:
    return botocore_shapes.operation(SERVICE, name)


def validate_input(operation_name: str, params: Any) -> list[str]:
    return botocore_shapes.validate_input(SERVICE, operation_name, params)


def validate_output(operation_name: str, body: Any) -> list[str]:
    """Types, required members, enums and lengths of a response (patterns are not checked on output)."""
    return botocore_shapes.validate_output(SERVICE, operation_name, body)
