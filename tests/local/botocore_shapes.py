"""Validation of requests and responses against botocore's service models, for any service.

botocore's own client-side validator checks required members, types and minimum lengths only;
the services also enforce maxima, enums and patterns. This walks the same shapes and reports
problems the way AWS does (``Value 'x' at 'instanceConfiguration.cpu' failed to satisfy ...``).
Used by the App Runner emulator (tests/local/apprunner_emulator/model.py), the ECS Express Mode
emulator (tests/local/dataplane/express.py) and the Elastic Beanstalk emulator
(tests/local/dataplane/beanstalk.py), which speaks the query protocol: ``parse_query`` turns its
flattened form (``OptionSettings.member.1.Namespace=...``) into the model's structure before it is
validated, and ``query_response``/``query_error`` write the XML answers botocore's parser reads; and the
SageMaker runtime (tests/local/moto_sagemaker_runtime.py), in rest-json: ``rest_request`` gathers the URI, header
and payload members of a request, ``rest_response`` writes an answer's header members and payload.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from functools import cache
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.utils import parse_timestamp

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
        shown = "***" if shape.metadata.get("sensitive") else value  # AWS does not echo a sensitive value
        self._length(shape, len(value), shown, path, "length")
        if shape.enum and value not in shape.enum:
            self.fail(shown, path, f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        pattern = shape.metadata.get("pattern")
        compiled = _pattern(pattern) if self.check_patterns and pattern else None
        if compiled is not None and not compiled.fullmatch(value):
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

    def _blob(self, shape: Shape, value: Any, path: str) -> None:
        shown = f"<{len(value)} bytes>" if isinstance(value, bytes | bytearray | str) else value
        if not isinstance(value, bytes | bytearray | str):
            self.fail(shown, path, "Member must be a blob")
            return
        self._length(shape, len(value), "***" if shape.metadata.get("sensitive") else shown, path, "length")

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
    shape = operation(service, operation_name).input_shape
    if shape is not None:  # some operations take nothing (Elastic Beanstalk's ListAvailableSolutionStacks)
        validator.check(shape, params, "")
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


def validate_error(service: str, code: str, body: Any) -> list[str]:
    """An error's members against its shape in the service's model (``ModelError``: ``OriginalStatusCode`` ...)."""
    validator = Validator(check_patterns=False)
    validator.check(service_model(service).shape_for(code), body, "")
    return validator.errors


def error_message(errors: list[str]) -> str:
    """AWS's summary of validation errors: ``2 validation errors detected: a; b``."""
    count = len(errors)
    return f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors)


# ------------------------------------------------------------------ the REST protocols
def rest_request(service: str, operation_name: str, uri: dict[str, str], headers: Any, body: bytes) -> dict[str, Any]:
    """A rest-json request in the structure of the operation's input shape: URI members from URI (the path's
    captures), header members from HEADERS (their values as the protocol writes them), the payload member from
    BODY (a blob or string payload; without one, BODY is the JSON of the other members)."""
    shape = operation(service, operation_name).input_shape
    lowered = {str(key).lower(): value for key, value in headers.items()}
    payload = shape.serialization.get("payload")
    params: dict[str, Any] = {} if payload or not body else json.loads(body)
    for name, member in shape.members.items():
        location, wire = member.serialization.get("location"), member.serialization.get("name", name)
        if location == "uri" and wire in uri:
            params[name] = uri[wire]
        elif location == "header" and wire.lower() in lowered:
            params[name] = _query_scalar(member.type_name, lowered[wire.lower()])
        elif name == payload and body:
            params[name] = body
    return params


def rest_response(service: str, operation_name: str, values: dict[str, Any]) -> tuple[dict[str, str], Any]:
    """The headers and the payload of a rest-json answer whose output shape has a payload member (a blob)."""
    shape = operation(service, operation_name).output_shape
    headers: dict[str, str] = {}
    payload = None
    for name, member in shape.members.items():
        if values.get(name) is None:
            continue
        if member.serialization.get("location") == "header":
            headers[member.serialization.get("name", name)] = str(values[name])
        elif name == shape.serialization.get("payload"):
            payload = values[name]
    return headers, payload


# ------------------------------------------------------------------ the query protocol
def _query_value(shape: Shape, form: dict[str, str], prefix: str) -> Any:
    """The value of PREFIX in FORM as SHAPE, None when absent. A scalar that does not parse stays a
    string, so that the validator reports it (``Member must be an integer``)."""
    kind = shape.type_name
    if kind == "structure":
        if prefix and not any(key.startswith(prefix + ".") for key in form):
            return None
        parsed = {}
        for name, member in shape.members.items():
            key = member.serialization.get("name", name)
            value = _query_value(member, form, f"{prefix}.{key}" if prefix else key)
            if value is not None:
                parsed[name] = value
        return parsed
    if kind == "list":
        if form.get(prefix) == "":
            return []  # the protocol's empty list
        base = (
            prefix
            if shape.serialization.get("flattened")
            else f"{prefix}.{shape.member.serialization.get('name', 'member')}"
        )
        items, index = [], 1
        while (item := _query_value(shape.member, form, f"{base}.{index}")) is not None:
            items.append(item)
            index += 1
        return items or None
    if kind == "map":
        base = prefix if shape.serialization.get("flattened") else f"{prefix}.entry"
        parsed, index = {}, 1
        while (key := form.get(f"{base}.{index}.key")) is not None:
            parsed[key] = _query_value(shape.value, form, f"{base}.{index}.value")
            index += 1
        return parsed or None
    return _query_scalar(kind, form.get(prefix))


_SCALARS = {
    "integer": int,
    "long": int,
    "double": float,
    "float": float,
    "timestamp": lambda text: parse_timestamp(text).timestamp(),
    "boolean": lambda text: {"true": True, "false": False}[text],
}


def _query_scalar(kind: str, text: str | None) -> Any:
    convert = _SCALARS.get(kind)
    if text is None or convert is None:
        return text
    try:
        return convert(text)
    except (KeyError, ValueError, OverflowError):
        return text


def parse_query(service: str, operation_name: str, form: dict[str, str]) -> dict[str, Any]:
    """A query-protocol request's form (``Action``, ``Version`` and the members, flattened) in the
    structure of the operation's input shape; validate_input then checks it."""
    shape = operation(service, operation_name).input_shape
    return {} if shape is None else _query_value(shape, form, "") or {}


def _xml_text(value: str) -> str:
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _xml(shape: Shape, value: Any) -> str:
    kind = shape.type_name
    if kind == "structure":
        parts = []
        for name, member in shape.members.items():
            if value.get(name) is not None:
                tag = member.serialization.get("name", name)
                parts.append(f"<{tag}>{_xml(member, value[name])}</{tag}>")
        return "".join(parts)
    if kind == "list":
        tag = shape.member.serialization.get("name", "member")
        return "".join(f"<{tag}>{_xml(shape.member, item)}</{tag}>" for item in value)
    if kind == "map":
        return "".join(
            f"<entry><key>{_xml(shape.key, k)}</key><value>{_xml(shape.value, v)}</value></entry>"
            for k, v in value.items()
        )
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "timestamp":
        moment = datetime.fromtimestamp(value, tz=UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    return _xml_text(str(value))


def query_response(service: str, operation_name: str, body: dict[str, Any], request_id: str) -> str:
    """The XML a query-protocol service answers: ``<XResponse><XResult>...</XResult><ResponseMetadata>``."""
    model = operation(service, operation_name)
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    result = ""
    if model.output_shape is not None:
        wrapper = model.output_shape.serialization.get("resultWrapper", f"{operation_name}Result")
        result = f"<{wrapper}>{_xml(model.output_shape, body)}</{wrapper}>"
    return (
        f'<{operation_name}Response xmlns="{namespace}">{result}'
        f"<ResponseMetadata><RequestId>{request_id}</RequestId></ResponseMetadata></{operation_name}Response>"
    )


def query_error(service: str, code: str, message: str, request_id: str, sender: bool = True) -> str:
    """A query-protocol error: ``<ErrorResponse><Error><Type><Code><Message></Error><RequestId>``."""
    namespace = service_model(service).metadata.get("xmlNamespace", "")
    kind = "Sender" if sender else "Receiver"
    return (
        f'<ErrorResponse xmlns="{namespace}"><Error><Type>{kind}</Type><Code>{_xml_text(code)}</Code>'
        f"<Message>{_xml_text(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
