"""Validation of requests and responses against botocore's service models, for any service.

botocore's own client-side validator checks required members, types and minimum lengths only;
the services also enforce maxima, enums and patterns. This walks the same shapes and reports
problems the way AWS does (``Value 'x' at 'instanceConfiguration.cpu' failed to satisfy ...``).
Used by the App Runner emulator (tests/local/apprunner_emulator/model.py) and the ECS Express Mode
emulator (tests/local/dataplane/express.py).
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape

try:  # Unicode classes (\p{L}) in the models' patterns: the regex module knows them, re does not.
    import regex as _regex
except ImportError:  # pragma: no cover - the venv has it
    _regex = None


@cache
def service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def operation(service: str, name: str) -> OperationModel:
    return service_model(service).operation_model(name)


@cache
def _pattern(expr: str) -> Any:
    """The model's pattern compiled, or None when neither regex nor re can read it (then unchecked)."""
    for engine in (_regex, re):
        if engine is None:
            continue
        try:
            return engine.compile(expr)
        except Exception:  # noqa: S112 - the next engine may read it
            continue
    return None


def _lower_first(name: str) -> str:
    return name[:1].lower() + name[1:]


class Validator:
    """Collects constraint violations of a value against a shape."""

    def __init__(self, check_patterns: bool = True) -> None:
        self.check_patterns = check_patterns
        self.errors: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        self.errors.append(f"Value '{value}' at '{path}' failed to satisfy constraint: {constraint}")

    def check(self, shape: Shape, value: Any, path: str) -> None:
        handler = getattr(self, f"_{shape.type_name}", None)
        if handler is None:
            # A shape type the validator does not know must not pass unchecked: the request fails.
            self.errors.append(
                f"Value at '{path}' has shape type {shape.type_name}, which the local validator cannot check"
            )
            return
        handler(shape, value, path)

    def _structure(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a structure")
            return
        for name in shape.required_members:
            if value.get(name) is None:
                self.errors.append(
                    f"Value null at '{self._join(path, name)}' failed to satisfy constraint: Member must not be null"
                )
        for name, member_value in value.items():
            if name not in shape.members:
                self.errors.append(f"Unknown member '{self._join(path, name)}'")
                continue
            if member_value is not None:
                self.check(shape.members[name], member_value, self._join(path, name))

    @staticmethod
    def _join(path: str, name: str) -> str:
        return f"{path}.{_lower_first(name)}" if path else _lower_first(name)

    def _length(self, shape: Shape, size: int, value: Any, path: str, what: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and size < low:
            self.fail(value, path, f"Member must have {what} greater than or equal to {low}")
        if high is not None and size > high:
            self.fail(value, path, f"Member must have {what} less than or equal to {high}")

    def _string(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, str):
            self.fail(value, path, "Member must be a string")
            return
        self._length(shape, len(value), value, path, "length")
        if shape.enum and value not in shape.enum:
            self.fail(value, path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if self.check_patterns and pattern else None
        if compiled is not None and not compiled.fullmatch(value):
            shown = "***" if shape.metadata.get("sensitive") else value
            self.errors.append(
                f"Value '{shown}' at '{path}' failed to satisfy constraint: "
                f"Member must satisfy regular expression pattern: {pattern}"
            )

    def _range(self, shape: Shape, value: Any, path: str) -> None:
        low, high = shape.metadata.get("min"), shape.metadata.get("max")
        if low is not None and value < low:
            self.fail(value, path, f"Member must have value greater than or equal to {low}")
        if high is not None and value > high:
            self.fail(value, path, f"Member must have value less than or equal to {high}")

    def _integer(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(value, path, "Member must be an integer")
            return
        self._range(shape, value, path)

    _long = _integer

    def _double(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(value, path, "Member must be a number")
            return
        self._range(shape, value, path)

    _float = _double

    def _boolean(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, bool):
            self.fail(value, path, "Member must be a boolean")

    def _timestamp(self, shape: Shape, value: Any, path: str) -> None:
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(value, path, "Member must be a timestamp (epoch seconds)")

    def _list(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, list):
            self.fail(value, path, "Member must be a list")
            return
        self._length(shape, len(value), value, path, "length")
        for index, item in enumerate(value):
            self.check(shape.member, item, f"{path}.{index + 1}.member")

    def _map(self, shape: Shape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            self.fail(value, path, "Member must be a map")
            return
        self._length(shape, len(value), value, path, "length")
        for key, item in value.items():
            self.check(shape.key, key, f"{path}.key")
            self.check(shape.value, item, f"{path}.{key}")


def validate_input(service: str, operation_name: str, params: Any) -> list[str]:
    validator = Validator()
    validator.check(operation(service, operation_name).input_shape, params, "")
    return validator.errors


def validate_output(service: str, operation_name: str, body: Any) -> list[str]:
    """Types, required members, enums and lengths of a response.

    Patterns are not checked on output: some models' own patterns contradict what the real services
    return (App Runner's ServiceId pattern is a dashed UUID, its length 32 and the IDs 32 hex digits).
    """
    validator = Validator(check_patterns=False)
    output = operation(service, operation_name).output_shape
    if output is not None:
        validator.check(output, body, "")
    return validator.errors


def error_message(errors: list[str]) -> str:
    """AWS's summary of validation errors: ``2 validation errors detected: a; b``."""
    count = len(errors)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors)
