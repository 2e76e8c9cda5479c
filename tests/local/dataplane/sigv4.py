"""SigV4 check for the local API Gateway's AWS_IAM routes, and a small HTTP service answering it.

Reproduces how execute-api authenticates a request: the canonical request built from the request as
received (path normalised, then URI-encoded once more, as for every service but S3; query decoded,
`+` read as a space, re-encoded and sorted; the SignedHeaders with trimmed values; the SHA-256 of the
body received, whatever X-Amz-Content-Sha256 says, since only S3 honours `UNSIGNED-PAYLOAD`), the
credential scope (date, region, service, terminator), the 5-minute clock skew, session tokens of
temporary credentials, presigned (query-string) requests, and API Gateway's 403 messages. A bad
signature's message carries the canonical string and the string to sign, as API Gateway's does.
So the mlflow client's signer (requests-auth-aws-sigv4 0.7, which signs path and query as sent) is
refused for a space in a GET parameter (sent as `+`) or an encoded character in the path, as on AWS.

Authorization: when the service is given an ``authorize`` callable and the request a ``resource``
(``arn:aws:execute-api:<region>:<account>:<api id>/<stage>``), the caller's identity policies are asked
whether they allow ``execute-api:Invoke`` on ``<resource>/<METHOD>/<path>``, for assumed-role sessions
(SageMaker jobs, tasks); a refusal is API Gateway's 403 AccessDeniedException "User: <principal> is not
authorized to perform: execute-api:Invoke on resource: <arn>". IAM users and the local root keys are
not evaluated (they pass), nor are resource policies or SCPs.

Not reproduced: GetSessionToken and federation credentials (moto does not keep them), SigV4a, chunked
payload signing. Messages for malformed Authorization headers are close to AWS's, not verified.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import socketserver
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import parse_qsl, quote, unquote_plus, urlsplit

ALGORITHM = "AWS4-HMAC-SHA256"
SKEW = timedelta(minutes=5)
MOTO_PRINCIPAL = "arn:aws:sts::123456789012:user/moto"  # moto's GetCallerIdentity for keys it does not know
BAD_SIGNATURE = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret"
    " Access Key and signing method. Consult the service documentation for details."
)
INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
# An unsigned request: HTTP APIs answer {"message":"Forbidden"}, REST APIs "Missing Authentication Token".
MISSING = {
    "http": ("Forbidden", "IncompleteSignatureException"),
    "rest": ("Missing Authentication Token", "MissingAuthenticationTokenException"),
}
FIELDS = ("Credential", "SignedHeaders", "Signature")
Headers = Mapping[str, str] | Iterable[tuple[str, str]]


@dataclass(frozen=True)
class Credential:
    """An access key's secret and whose it is (an IAM user, or an assumed-role session)."""

    secret_access_key: str
    principal: str
    session_token: str | None = None  # temporary credentials must present it
    expiration: datetime | None = None
    role_arn: str | None = None


Lookup = Callable[[str], Credential | None]


class Result(NamedTuple):
    """(200, access key id, principal) or (403, message, None, x-amzn-ErrorType)."""

    status: int
    message: str
    principal: str | None = None
    error_type: str | None = None
    role_arn: str | None = None  # the role of an assumed-role session

    @property
    def body(self) -> str:
        return "" if self.status == 200 else json.dumps({"message": self.message}, separators=(",", ":"))


def _deny(message: str, error_type: str = "IncompleteSignatureException") -> Result:
    return Result(403, message, None, error_type)


def _invalid(message: str) -> Result:
    return _deny(message, "InvalidSignatureException")


def _amz(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _parse_date(value: str, http_date: bool = False) -> datetime | None:
    try:
        if http_date:
            return parsedate_to_datetime(value).astimezone(UTC)
        return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    except (TypeError, ValueError):
        return None


def canonical_uri(raw_path: str) -> str:
    """botocore's: dot and empty segments removed, then the path as received URI-encoded once more."""
    kept: list[str] = []
    for seg in raw_path.split("/"):
        if seg == "..":
            kept = kept[:-1]
        elif seg and seg != ".":
            kept.append(seg)
    return quote("/" + "/".join(kept) + ("/" if raw_path.endswith("/") and kept else ""), safe="/~")


def canonical_query(query: str, drop: str | None = None) -> str:
    """Each name and value decoded (`+` is a space), encoded again (RFC 3986), sorted by name then value."""
    pairs = []
    for piece in filter(None, query.split("&")):
        key, value = (quote(unquote_plus(s), safe="-_.~") for s in piece.partition("=")[::2])
        if key != drop:
            pairs.append((key, value))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def _from_header(value: str, hdrs: dict[str, list[str]]) -> tuple[dict[str, str], str, str | None] | Result:
    scheme, _sep, rest = value.strip().partition(" ")
    if not scheme:
        return _deny("Authorization header cannot be empty: ''")
    if scheme != ALGORITHM:
        digest = base64.b64encode(hashlib.sha256(value.encode()).digest()).decode()
        return _deny(
            "Invalid key=value pair (missing equal-sign) in Authorization header"
            f" (hashed with SHA-256 and encoded with Base64): '{digest}'."
        )
    fields = dict(part.strip().partition("=")[::2] for part in rest.split(","))
    amz_date = (hdrs.get("x-amz-date") or [None])[0]
    if amz_date is None and "date" in hdrs:  # the Date header, in the ISO 8601 basic format
        http_date = _parse_date(hdrs["date"][0], http_date=True)
        amz_date = _amz(http_date) if http_date else hdrs["date"][0]
    problems = [f"Authorization header requires '{n}' parameter." for n in FIELDS if not fields.get(n)]
    if amz_date is None:
        problems.append("Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
    if problems:
        return _deny(" ".join([*problems, f"Authorization={value}"]))
    return fields, amz_date, (hdrs.get("x-amz-security-token") or [None])[0]


def _from_query(params: dict[str, str]) -> tuple[dict[str, str], str, str | None] | Result:
    if params["X-Amz-Algorithm"] != ALGORITHM:
        return _deny(f"X-Amz-Algorithm only supports '{ALGORITHM}'")
    fields = {n: params.get(f"X-Amz-{n}", "") for n in FIELDS}
    if not all(fields.values()) or not params.get("X-Amz-Date") or not params.get("X-Amz-Expires", "").isdigit():
        return _deny(
            "AWS query-string parameters must include 'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date',"
            " 'X-Amz-Expires', 'X-Amz-SignedHeaders' and 'X-Amz-Signature'."
        )
    return fields, params["X-Amz-Date"], params.get("X-Amz-Security-Token")


def _check_form(signed: list[str], credential: str, amz_date: str) -> Result | None:
    if "host" not in signed:
        return _deny("'Host' must be a 'SignedHeader' in the AWS Authorization.")
    if credential.count("/") != 4:
        return _deny(
            "Credential must have exactly 5 slash-delimited elements, e.g. keyid/date/region/service/term,"
            f" got '{credential}'"
        )
    if _parse_date(amz_date) is None:
        return _invalid(
            f"Date must be in ISO-8601 'basic format'. Got '{amz_date}'. See http://en.wikipedia.org/wiki/ISO_8601"
        )
    return None


def _check_scope(scope: list[str], amz_date: str, region: str, service: str, date_from: str) -> Result | None:
    day, scope_region, scope_service, terminator = scope[1:]
    if day != amz_date[:8]:
        return _invalid(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP:"
            f" '{day}' != '{amz_date[:8]}', from '{date_from}'."
        )
    if scope_region != region:
        return _invalid(f"Credential should be scoped to a valid region, not '{scope_region}'. ")
    if scope_service != service:
        return _invalid(f"Credential should be scoped to correct service: '{service}'. ")
    if terminator != "aws4_request":
        return _invalid(f"Credential should be scoped with a valid terminator: 'aws4_request', not '{terminator}'. ")
    return None


def _check_time(amz_date: str, now: datetime, expires: int | None) -> Result | None:
    t = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
    if t - now > SKEW:
        return _invalid(
            f"Signature not yet current: {amz_date} is still later than {_amz(now + SKEW)} ({_amz(now)} + 5 min.)"
        )
    window = SKEW if expires is None else timedelta(seconds=expires)
    if now - t > window:
        span = "5 min." if expires is None else f"{expires} sec."
        return _invalid(
            f"Signature expired: {amz_date} is now earlier than {_amz(now - window)} ({_amz(now)} - {span})"
        )
    return None


def _check_credential(credential: Credential | None, token: str | None, now: datetime) -> Result | None:
    if credential is None or not hmac.compare_digest(credential.session_token or "", token or ""):
        return _deny(INVALID_TOKEN, "UnrecognizedClientException")
    if credential.expiration is not None and credential.expiration <= now:
        return _deny(EXPIRED_TOKEN, "ExpiredTokenException")
    return None


def verify(  # noqa: PLR0913
    method: str,
    raw_path: str,
    query: str,
    headers: Headers,
    body: bytes,
    *,
    lookup: Lookup,
    region: str,
    service: str = "execute-api",
    now: datetime | None = None,
    api: str = "http",
) -> Result:
    """Authenticate one request as execute-api does; `raw_path` and `query` as received (still encoded).

    `api` is "http" (HTTP API) or "rest" (REST API): they differ in the answer to an unsigned request.
    """
    now = (now or datetime.now(UTC)).astimezone(UTC)
    hdrs: dict[str, list[str]] = {}
    for name, value in headers.items() if isinstance(headers, Mapping) else headers:
        hdrs.setdefault(name.lower(), []).append(value)
    params = dict(parse_qsl(query, keep_blank_values=True))
    presigned = "authorization" not in hdrs and "X-Amz-Algorithm" in params
    if not presigned and "authorization" not in hdrs:
        return _deny(*MISSING[api])
    found = _from_query(params) if presigned else _from_header(hdrs["authorization"][0], hdrs)
    if isinstance(found, Result):
        return found
    fields, amz_date, token = found
    signed, scope = fields["SignedHeaders"].split(";"), fields["Credential"].split("/")
    date_from = "x-amz-date" if presigned or "x-amz-date" in hdrs else "date"
    credential = None
    refused = (
        _check_form(signed, fields["Credential"], amz_date)
        or _check_scope(scope, amz_date, region, service, date_from)
        or _check_time(amz_date, now, int(params["X-Amz-Expires"]) if presigned else None)
        or _check_credential(credential := lookup(scope[0]), token, now)
    )
    if refused or credential is None:
        return refused or _deny(INVALID_TOKEN, "UnrecognizedClientException")
    canonical = "\n".join(
        [
            method,
            canonical_uri(raw_path),
            canonical_query(query, "X-Amz-Signature" if presigned else None),
            "".join(f"{n}:{','.join(' '.join(v.split()) for v in hdrs.get(n.lower(), []))}\n" for n in signed),
            fields["SignedHeaders"],
            hashlib.sha256(body).hexdigest(),
        ]
    )
    to_sign = "\n".join([ALGORITHM, amz_date, "/".join(scope[1:]), hashlib.sha256(canonical.encode()).hexdigest()])
    key = f"AWS4{credential.secret_access_key}".encode()
    for part in [*scope[1:], to_sign]:
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(key.hex(), fields["Signature"]):
        return _invalid(
            f"{BAD_SIGNATURE}\n\nThe Canonical String for this request should have been\n'{canonical}'\n\n"
            f"The String-to-Sign should have been\n'{to_sign}'\n"
        )
    return Result(200, scope[0], credential.principal, None, credential.role_arn)


# (role ARN, action, resource ARN) -> allowed
Authorize = Callable[[str, str, str], bool]


def invoke_arn(resource: str, method: str, path: str) -> str:
    """The execute-api ARN a request is authorised against: <api arn>/<stage>/<METHOD>/<path without />."""
    return f"{resource}/{method.upper()}/{path.lstrip('/')}"


def authorization(result: Result, authorize: Authorize | None, resource: str, method: str, path: str) -> Result:
    """RESULT, or API Gateway's refusal when the session's role may not invoke RESOURCE (see the docstring)."""
    if result.status != 200 or authorize is None or not resource or not result.role_arn:
        return result
    arn = invoke_arn(resource, method, path)
    if authorize(result.role_arn, "execute-api:Invoke", arn):
        return result
    message = f"User: {result.principal} is not authorized to perform: execute-api:Invoke on resource: {arn}"
    return Result(403, message, None, "AccessDeniedException")


def fixed_credentials(secrets: Mapping[str, str], principal: str = MOTO_PRINCIPAL) -> Lookup:
    """Long-term keys from a mapping of access key id to secret, e.g. the local `testing`/`testing`."""
    return lambda key_id: Credential(secrets[key_id], principal) if key_id in secrets else None


def moto_credentials(key_id: str) -> Credential | None:
    """IAM users' active access keys and AssumeRole credentials held by this process's moto backends."""
    from moto.iam.models import iam_backends  # noqa: PLC0415 - only where moto runs
    from moto.sts.models import sts_backends  # noqa: PLC0415

    for account_id, partitions in list(iam_backends.items()):
        for iam in list(partitions.values()):
            key = iam.access_keys.get(key_id)
            if key is None:
                continue
            if key.status != "Active":
                return None
            if key.user_name is not None:
                user = iam.users.get(key.user_name)
                return Credential(key.secret_access_key, user.arn if user else f"arn:aws:iam::{account_id}:root")
            roles = (
                r for p in list(sts_backends.values()) for sts in list(p.values()) for r in list(sts.assumed_roles)
            )
            role = next((r for r in roles if r.access_key_id == key_id), None)
            if role is None:  # a temporary key whose session moto did not record
                return None
            expiration = role.expiration.replace(tzinfo=role.expiration.tzinfo or UTC)
            return Credential(role.secret_access_key, role.arn, role.session_token, expiration, role.role_arn)
    return None


def chain(*lookups: Lookup) -> Lookup:
    """The first lookup that knows the key answers."""
    return lambda key_id: next((c for c in (f(key_id) for f in lookups) if c is not None), None)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: Any

    def log_message(self, format: str, *args: Any) -> None:  # quiet
        pass

    def _reply(self, status: int, body: str = "", extra: Mapping[str, str] | None = None) -> None:
        data = body.encode()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **(extra or {})}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if data:  # nginx may close as soon as it has read an empty answer's headers
            self.wfile.write(data)

    def do_POST(self) -> None:
        url = urlsplit(self.path)
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        args = dict(parse_qsl(url.query, keep_blank_values=True))
        service: AuthService = self.server.service
        region = args.get("region") or service.region
        if url.path != "/check" or not args.get("method") or not args.get("uri") or not region:
            self._reply(400 if url.path == "/check" else 404, '{"message":"expected POST /check?method=&uri=&region="}')
            return
        (path, _sep, query), host = args["uri"].partition("?"), args.get("host")  # not urlsplit: "//x" is a path
        headers = [(n, v) for n, v in self.headers.items() if not (host and n.lower() == "host")]
        headers += [("Host", host)] if host else []
        now = service.clock() if service.clock else None
        result = verify(
            args["method"], path, query, headers, body,
            lookup=service.lookup, region=region, now=now, api=service.api,
        )  # fmt: skip
        result = authorization(result, service.authorize, args.get("resource", ""), args["method"], path)
        if result.status == 200:
            self._reply(200, "", {"X-Principal": result.principal or "", "X-Access-Key-Id": result.message})
        else:
            self._reply(403, result.body, {"X-Amzn-ErrorType": result.error_type or ""})


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


class AuthService:
    """`POST /check?method=<m>&uri=<percent-encoded original URI, with its query>&region=<r>[&host=<h>]`.

    The body and headers are the original request's (`host=` stands for a Host header the proxy
    rewrote); the body is read by Content-Length. Answers 200 with `X-Principal` and `X-Access-Key-Id`,
    or 403 with API Gateway's JSON body and `X-Amzn-ErrorType`. Listens on `host`:`port` (0: a free
    port) or on the Unix socket `socket_path`; each request runs on its own thread, sharing nothing.
    """

    def __init__(  # noqa: PLR0913
        self,
        lookup: Lookup,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        socket_path: str | None = None,
        region: str | None = None,
        api: str = "http",
        clock: Callable[[], datetime] | None = None,
        authorize: Authorize | None = None,
    ) -> None:
        self.lookup, self.region, self.api, self.clock, self.socket_path = lookup, region, api, clock, socket_path
        self.authorize = authorize
        if socket_path and os.path.exists(socket_path):
            os.unlink(socket_path)
        server = _UnixServer(socket_path, _Handler) if socket_path else ThreadingHTTPServer((host, port), _Handler)
        if socket_path:  # nginx's workers run as another user than the server that made the socket
            os.chmod(socket_path, 0o666)  # noqa: S103 - it answers signature checks, nothing secret
        server.daemon_threads = True
        server.service = self  # type: ignore[attr-defined]
        self._server: socketserver.BaseServer = server
        self._thread = threading.Thread(target=server.serve_forever, name="sigv4-auth", daemon=True)

    @property
    def address(self) -> tuple[str, int] | str:
        return self._server.server_address  # type: ignore[return-value]

    def start(self) -> AuthService:
        self._thread.start()
        return self

    def close(self) -> None:
        if self._thread.is_alive():
            self._server.shutdown()
            self._thread.join()
        self._server.server_close()
        if self.socket_path and os.path.exists(self.socket_path):
            os.unlink(self.socket_path)

    def __enter__(self) -> AuthService:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()
