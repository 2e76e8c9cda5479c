# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""mlflow_model_version_info: an MLflow tracking server's REST API (the model registry's reads), with no mlflow
package: ansible.module_utils.urls (urllib) for HTTP(S), botocore's SigV4Auth to sign for an API Gateway.

- ``spec`` and ``validate``: the options and every problem with them, each naming its option (no request).
- ``Server``: where and how to ask (tracking URI, basic auth or SigV4 credentials, TLS, timeout); ``get`` makes
  one GET of ``/api/2.0/mlflow/...`` and returns its JSON, or raises ``MlflowError`` with a message that says
  what to check (the login on 401/403, the model, version or alias on RESOURCE_DOES_NOT_EXIST, the URL when
  the server cannot be reached or does not answer as MLflow).
- ``find_version`` (``GET model-versions/get`` or ``GET registered-models/alias``), ``download_uri``
  (``GET model-versions/get-download-uri``), ``snake_version`` (the result's ``model_version``) and
  ``s3_location`` (``mlflow-artifacts:/X`` through the server's ``--artifacts-destination`` to ``s3://...``).

Unit-tested against a real ``mlflow server`` and stand-in servers in tests/unit/test_mlflow_model_version_info.py.
"""

from __future__ import annotations

import http.client
import ipaddress
import json
import os
import re
import ssl
import urllib.error
from typing import Any
from urllib.parse import quote, urlsplit

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url

try:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
except ImportError:
    pass  # Handled by AnsibleAWSModule

API = "/api/2.0/mlflow"
SERVICE = "execute-api"  # what an API Gateway in front of the server checks SigV4 signatures for
AUTHS = ("basic", "sigv4", "none")
READY = "READY"
AGENT = "mlops.mlflow_aws.mlflow_model_version_info"
VERSION = re.compile(r"^[1-9][0-9]*$")
S3_PREFIX = re.compile(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$")
LOOPBACK_NAMES = ("localhost",)


def spec() -> dict[str, Any]:
    """mlflow_model_version_info's own options (documented in plugins/modules/mlflow_model_version_info.py)."""
    return dict(
        tracking_uri=dict(type="str", required=True),
        name=dict(type="str", required=True),
        version=dict(type="str"),
        alias=dict(type="str"),
        auth=dict(type="str", default="basic", choices=list(AUTHS)),
        username=dict(type="str"),
        password=dict(type="str", no_log=True),
        ca_path=dict(type="path"),
        validate_certs=dict(type="bool", default=True),
        timeout=dict(type="int", default=30),
        artifacts_destination=dict(type="str"),
    )


def _loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def uri_problem(uri: Any) -> str | None:
    """What is wrong with tracking_uri, or None."""
    try:
        split = urlsplit(uri if isinstance(uri, str) else "")
        host = split.hostname or ""
        split.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return f"tracking_uri {uri!r}: not a URL"
    if split.scheme not in ("https", "http") or not host:
        return f"tracking_uri {uri!r}: the server's https:// URL (https://mlflow.example.com)"
    if split.scheme == "http" and not _loopback(host):
        return (
            f"tracking_uri {uri!r}: https:// (the login or signature would cross the network in clear); "
            "http:// is for a loopback address only (a local server or a tunnel)"
        )
    if split.username is not None or split.password is not None:
        return f"tracking_uri {uri!r}: no login in the URL; give username and password"
    if split.query or split.fragment:
        return f"tracking_uri {uri!r}: no query or fragment (the server's base URL)"
    return None


def validate(params: dict[str, Any]) -> list[str]:
    """Every problem with the options, each naming its option; empty when fine (no request)."""
    problems = list(filter(None, [uri_problem(params.get("tracking_uri"))]))
    if not (params.get("name") or "").strip():
        problems.append("name: the registered model's name, not empty")
    version, alias = params.get("version"), params.get("alias")
    if version is not None and not VERSION.match(version):
        problems.append(f"version {version!r}: a version number (1, 2, ...); for a name like champion, use alias")
    if alias is not None and not alias.strip():
        problems.append("alias: the alias's name, not empty (champion)")
    auth = params.get("auth")
    if auth != "basic":
        problems.extend(
            f"{option}: only with auth=basic (auth is {auth})"
            for option in ("username", "password")
            if params.get(option)
        )
    timeout = params.get("timeout")
    if timeout is not None and timeout <= 0:
        problems.append(f"timeout: {timeout} is not a positive number of seconds")
    ca_path = params.get("ca_path")
    if ca_path is not None and not os.path.isfile(ca_path):
        problems.append(f"ca_path {ca_path!r}: no such file (a PEM bundle of the CA certificates to trust)")
    destination = params.get("artifacts_destination")
    if destination is not None and not S3_PREFIX.match(destination):
        problems.append(
            f"artifacts_destination {destination!r}: the server's --artifacts-destination, s3://<bucket>[/<prefix>]"
        )
    return problems


class MlflowError(Exception):
    """A request that failed; the message says what to check. STATUS: the HTTP status (None: no answer)."""

    def __init__(self, message: str, status: int | None = None, error_code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


def _query(query: dict[str, str]) -> str:
    """The query as SigV4 canonicalises it (RFC 3986, %20 for a space), so that what is signed is what is sent."""
    return "&".join(f"{quote(k, safe='-_.~')}={quote(str(v), safe='-_.~')}" for k, v in query.items())


class Server:
    """An MLflow tracking server and how to ask it. CREDENTIALS (auth=sigv4): botocore credentials (access key,
    secret key, token) to sign with for execute-api in REGION."""

    def __init__(self, params: dict[str, Any], credentials: Any = None, region: str | None = None) -> None:
        self.base = params["tracking_uri"].rstrip("/")
        self.auth = params.get("auth") or "basic"
        self.username = params.get("username")
        self.password = params.get("password")
        self.ca_path = params.get("ca_path")
        self.validate_certs = params.get("validate_certs", True)
        self.timeout = params.get("timeout") or 30
        self.credentials = credentials
        self.region = region

    def url(self, endpoint: str, query: dict[str, str]) -> str:
        return f"{self.base}{API}/{endpoint}?{_query(query)}"

    def headers(self, url: str) -> dict[str, str]:
        """The request's headers: with auth=sigv4, signed (Host as urllib sends it, X-Amz-Date, Authorization)."""
        headers = {"Accept": "application/json", "Host": urlsplit(url).netloc}
        if self.auth != "sigv4":
            return headers
        request = AWSRequest(method="GET", url=url, headers=headers)
        SigV4Auth(self.credentials, SERVICE, self.region).add_auth(request)
        return dict(request.headers.items())

    def get(self, endpoint: str, query: dict[str, str], subject: str) -> dict[str, Any]:
        """GET ``/api/2.0/mlflow/<ENDPOINT>?<QUERY>``: its JSON. SUBJECT names what is asked for in messages
        ("version 3 of registered model churn")."""
        url = self.url(endpoint, query)
        basic = self.auth == "basic"
        try:
            with open_url(
                url,
                method="GET",
                headers=self.headers(url),
                timeout=self.timeout,
                validate_certs=self.validate_certs,
                ca_path=self.ca_path,
                url_username=self.username if basic else None,
                url_password=self.password if basic else None,
                force_basic_auth=basic,
                http_agent=AGENT,
                follow_redirects="none",
                use_netrc=False,
            ) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            location = exc.headers.get("Location") if exc.headers is not None else None
            raise self._refusal(url, exc.code, _read(exc), subject, location) from None
        except (urllib.error.URLError, UrlsConnectionError, OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", None) or exc
            if isinstance(reason, ssl.SSLError):
                hint = " (give ca_path, the PEM bundle of the CA that signed the server's certificate)"
            elif isinstance(reason, TimeoutError):
                hint = f" (no answer within timeout={self.timeout} s)"
            else:
                hint = ""
            raise MlflowError(f"Could not reach MLflow at {url}: {reason}{hint}") from None
        try:
            return json.loads(body)
        except ValueError:
            raise MlflowError(
                f"{url} did not answer with JSON ({_excerpt(body)!r}): is tracking_uri the MLflow server's URL?",
                status=200,
            ) from None

    def _refusal(self, url: str, status: int, body: bytes, subject: str, location: str | None) -> MlflowError:
        try:
            answer = json.loads(body)
        except ValueError:
            answer = {}
        answer = answer if isinstance(answer, dict) else {}
        code = answer.get("error_code")
        said = answer.get("message") or answer.get("Message") or _excerpt(body)
        if status in (401, 403):
            check = {
                "basic": "check username/password"
                + (f" and that the user may read {subject}" if status == 403 else ""),
                "sigv4": f"check the AWS credentials and region (signed for {SERVICE} in {self.region}) and that "
                "they may execute-api:Invoke the API",
                "none": "the server wants a login: set auth=basic with username/password, or auth=sigv4",
            }[self.auth]
            return MlflowError(f"MLflow refused the request ({status}): {check} ({url}: {said})", status, code)
        if 300 <= status < 400:
            return MlflowError(
                f"MLflow at {url} redirected the request ({status}, to {location}): give the URL of the server's API "
                "as tracking_uri (a redirect is not followed: the login or signature is for this URL)",
                status,
                code,
            )
        if code == "RESOURCE_DOES_NOT_EXIST" or (code == "INVALID_PARAMETER_VALUE" and "not found" in str(said)):
            return MlflowError(f"MLflow has no {subject} ({said})", status, code)
        if code:
            return MlflowError(f"MLflow refused the request for {subject} ({status} {code}: {said})", status, code)
        if status == 404:
            return MlflowError(f"No MLflow API at {url} (404): is tracking_uri the MLflow server's URL?", status)
        return MlflowError(f"MLflow at {url} answered {status}: {said}", status)


def _read(exc: urllib.error.HTTPError) -> bytes:
    try:
        return exc.read() or b""
    except (OSError, http.client.HTTPException, AttributeError):
        return b""


def _excerpt(body: bytes) -> str:
    return " ".join(body[:300].decode("utf-8", "replace").split())


# ---------------------------------------------------------------- the registry's reads
def find_version(server: Server, name: str, version: str | None = None, alias: str | None = None) -> dict[str, Any]:
    """The model version (MLflow's JSON ``model_version``) by VERSION or by ALIAS."""
    if alias is not None:
        subject = f"alias {alias} on registered model {name}"
        answer = server.get("registered-models/alias", {"name": name, "alias": alias}, subject)
    else:
        subject = f"version {version} of registered model {name}"
        answer = server.get("model-versions/get", {"name": name, "version": str(version)}, subject)
    found = answer.get("model_version")
    if not isinstance(found, dict) or not found.get("version"):
        raise MlflowError(
            f"MLflow's answer for {subject} holds no model_version: {_excerpt(json.dumps(answer).encode())}"
        )
    return found


def download_uri(server: Server, name: str, version: str) -> str:
    """Where the version's files are (``artifact_uri``: s3://..., mlflow-artifacts:/..., ...)."""
    subject = f"version {version} of registered model {name}"
    answer = server.get("model-versions/get-download-uri", {"name": name, "version": str(version)}, subject)
    return answer.get("artifact_uri") or ""


def _int(value: Any) -> Any:
    """int64 members (creation_timestamp): JSON numbers, or strings in proto3's JSON mapping."""
    return int(value) if isinstance(value, str) and value.isdigit() else value


def snake_version(found: dict[str, Any]) -> dict[str, Any]:
    """The module's ``model_version``: MLflow's members (already snake_case) with tags as a dict."""
    result = {
        "name": found.get("name"),
        "version": str(found.get("version")),
        "source": found.get("source"),
        "run_id": found.get("run_id") or "",
        "status": found.get("status"),
        "aliases": list(found.get("aliases") or []),
        "tags": {t.get("key"): t.get("value") for t in found.get("tags") or []},
        "creation_timestamp": _int(found.get("creation_timestamp")),
        "last_updated_timestamp": _int(found.get("last_updated_timestamp")),
        "description": found.get("description") or "",
    }
    for optional in ("model_id", "user_id", "status_message", "current_stage"):
        if found.get(optional):
            result[optional] = found[optional]
    return result


def s3_location(artifact_uri: str, artifacts_destination: str | None) -> str:
    """ARTIFACT_URI as an s3:// prefix ending in '/': as it is when it is s3://, through ARTIFACTS_DESTINATION
    (the server's --artifacts-destination) when it is mlflow-artifacts:/<path>; '' when that is not known."""
    split = urlsplit(artifact_uri or "")
    if split.scheme == "s3" and split.netloc:
        return _prefix(f"s3://{split.netloc}", split.path)
    if split.scheme == "mlflow-artifacts" and artifacts_destination:
        return _prefix(artifacts_destination.rstrip("/"), split.path)
    return ""


def _prefix(base: str, path: str) -> str:
    path = path.strip("/")
    return f"{base}/{path}/" if path else f"{base}/"
