"""tests/local/dataplane/sigv4.py: execute-api's SigV4 check, against the signers that call it.

botocore's SigV4Auth (every AWS SDK path) and requests-auth-aws-sigv4's AWSSigV4 (what the `mlflow`
client uses with MLFLOW_TRACKING_AWS_SIGV4=true) sign requests; the check must accept what API
Gateway accepts and refuse the rest with API Gateway's messages. The service runs on loopback only.
"""

from __future__ import annotations

import http.client
import json
import socket
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

import boto3
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from moto import mock_aws
from requests_auth_aws_sigv4 import AWSSigV4

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.local.dataplane.sigv4 import (  # noqa: E402
    BAD_SIGNATURE,
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    MOTO_PRINCIPAL,
    AuthService,
    Credential,
    Result,
    authorization,
    canonical_query,
    canonical_uri,
    chain,
    fixed_credentials,
    moto_credentials,
    verify,
)

REGION = "eu-west-1"
HOST = "abc123.execute-api.eu-west-1.amazonaws.com"
BASE = f"https://{HOST}"
KEY, SECRET = "AKIDEXAMPLE", "secret"
KEYS = fixed_credentials({KEY: SECRET})
GET_BY_NAME = "/api/2.0/mlflow/experiments/get-by-name?experiment_name=a%20b"
CREATE = ("POST", "/api/2.0/mlflow/experiments/create", b'{"name": "a b"}')


class Signed:
    """A signed request as the gateway receives it."""

    def __init__(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes) -> None:
        self.method, self.url, self.body = method, url, body
        split = urlsplit(url)
        self.path, self.query = split.path, split.query
        has_host = any(n.lower() == "host" for n, _value in headers)
        self.headers = headers if has_host else [("Host", split.netloc), *headers]

    def header(self, name: str) -> str:
        return next(v for n, v in self.headers if n.lower() == name.lower())

    def check(self, lookup=KEYS, **kwargs) -> Result:
        return verify(
            self.method, self.path, self.query, self.headers, self.body, lookup=lookup, region=REGION, **kwargs
        )


def botocore_signed(  # noqa: PLR0913
    method,
    path,
    body=b"",
    *,
    key=KEY,
    secret=SECRET,
    token=None,
    headers=None,
    region=REGION,
    service="execute-api",
    presign=False,
) -> Signed:
    request = AWSRequest(method=method, url=BASE + path, data=body, headers=headers or {})
    signer = SigV4QueryAuth if presign else SigV4Auth
    signer(Credentials(key, secret, token), service, region).add_auth(request)
    return Signed(method, request.url, list(request.headers.items()), body)


def mlflow_signed(method, path, *, key=KEY, secret=SECRET, token=None, **kwargs) -> Signed:
    """As mlflow.utils.rest_utils.http_request does: requests with auth=AWSSigV4("execute-api")."""
    prepared = requests.Request(method, BASE + path, **kwargs).prepare()
    auth = AWSSigV4(
        "execute-api", aws_access_key_id=key, aws_secret_access_key=secret, aws_session_token=token, region=REGION
    )
    auth(prepared)
    body = prepared.body.encode() if isinstance(prepared.body, str) else prepared.body or b""
    return Signed(method, prepared.url or "", list(prepared.headers.items()), body)


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", GET_BY_NAME, b""),
        CREATE,
        ("GET", "/ajax-api/2.0/mlflow/artifacts/a%20b/c%2Bd.txt", b""),  # how SDKs send `a b/c+d.txt`
        ("GET", "/ajax-api/2.0/mlflow/artifacts/a+b@c:d", b""),  # raw reserved characters, encoded once
        ("PUT", "/a/./b/../c//d?z=1&a=%2F&a=%2B&b", b"\x00binary"),
    ],
)
def test_botocore_signatures_pass(method, path, body):
    result = botocore_signed(method, path, body).check()
    assert result == Result(200, KEY, MOTO_PRINCIPAL)


def test_botocore_presigned_url_passes_until_it_expires():
    signed = botocore_signed("GET", GET_BY_NAME, presign=True)
    assert "X-Amz-Signature=" in signed.query and not any(n == "Authorization" for n, _value in signed.headers)
    assert signed.check().status == 200
    assert signed.check(now=datetime.now(UTC) + timedelta(hours=2)).message.startswith("Signature expired: ")
    tampered = Signed("GET", signed.url.replace("a%20b", "a%20c"), signed.headers, b"")
    assert tampered.check().message.startswith(BAD_SIGNATURE)


@pytest.mark.parametrize(
    ("method", "path", "kwargs"),
    [
        ("GET", GET_BY_NAME, {}),
        ("GET", "/api/2.0/mlflow/runs/get", {"params": {"run_id": "0123abcd"}}),
        ("POST", "/api/2.0/mlflow/runs/log-batch", {"json": {"run_id": "0123abcd", "metrics": []}}),
        ("PUT", "/api/2.0/mlflow-artifacts/artifacts/0/0123abcd/artifacts/model.pkl", {"data": b"\x80\x04."}),
    ],
)
def test_mlflow_client_signatures_pass(method, path, kwargs):
    assert mlflow_signed(method, path, **kwargs).check().status == 200


@pytest.mark.parametrize(
    ("path", "kwargs", "expected_line"),
    [
        # requests encodes the space as `+`, signed as is; API Gateway reads `+` as a space -> %20.
        ("/api/2.0/mlflow/experiments/get-by-name", {"params": {"experiment_name": "a b"}}, "experiment_name=a%20b"),
        # The library signs the path as sent; AWS encodes it once more (%20 -> %2520, + -> %2B).
        ("/ajax-api/2.0/mlflow/artifacts/a b/c+d.txt", {}, "/ajax-api/2.0/mlflow/artifacts/a%2520b/c%2Bd.txt"),
    ],
)
def test_mlflow_client_is_refused_where_api_gateway_refuses_it(path, kwargs, expected_line):
    """requests-auth-aws-sigv4 0.7 skips SigV4's encoding steps, so such requests fail on AWS as well."""
    result = mlflow_signed("GET", path, **kwargs).check()
    assert (result.status, result.error_type) == (403, "InvalidSignatureException")
    assert result.message.startswith(
        BAD_SIGNATURE + "\n\nThe Canonical String for this request should have been\n'GET\n"
    )
    assert f"\n{expected_line}\n" in result.message


def test_refusals_carry_api_gateway_messages():
    good = botocore_signed(*CREATE)
    amz_date = good.header("X-Amz-Date")
    signed_at = datetime.strptime(amz_date, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)

    def refused(signed: Signed, **kwargs) -> tuple[int, str, str | None]:
        result = signed.check(**kwargs)
        return result.status, result.message.split("\n")[0], result.error_type

    bad = (403, BAD_SIGNATURE, "InvalidSignatureException")
    assert refused(Signed(good.method, good.url, good.headers, b'{"name": "a c"}')) == bad
    assert refused(Signed(good.method, good.url.replace("create", "delete"), good.headers, good.body)) == bad
    assert refused(Signed("PUT", good.url, good.headers, good.body)) == bad
    assert refused(botocore_signed(*CREATE, secret="wrong")) == bad
    assert refused(botocore_signed(*CREATE, headers={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})) == bad
    later = signed_at + timedelta(minutes=6)
    assert refused(good, now=later) == (
        403,
        f"Signature expired: {amz_date} is now earlier than {(later - timedelta(minutes=5)):%Y%m%dT%H%M%SZ}"
        f" ({later:%Y%m%dT%H%M%SZ} - 5 min.)",
        "InvalidSignatureException",
    )
    assert refused(good, now=signed_at - timedelta(minutes=6))[1].startswith("Signature not yet current: ")
    assert refused(good, now=signed_at + timedelta(minutes=4, seconds=59))[0] == 200
    unsigned = Signed("GET", BASE + GET_BY_NAME, [], b"")
    assert refused(unsigned) == (403, "Forbidden", "IncompleteSignatureException")
    assert unsigned.check().body == '{"message":"Forbidden"}'
    assert refused(unsigned, api="rest") == (403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    assert refused(botocore_signed(*CREATE, key="AKIDUNKNOWN")) == (403, INVALID_TOKEN, "UnrecognizedClientException")
    assert refused(botocore_signed(*CREATE, region="us-east-1"))[1] == (
        "Credential should be scoped to a valid region, not 'us-east-1'. "
    )
    assert refused(botocore_signed(*CREATE, service="lambda"))[1] == (
        "Credential should be scoped to correct service: 'execute-api'. "
    )
    dated = botocore_signed(*CREATE, headers={"Date": "set by the signer", "X-Spaced": "  a   b "})
    for value, expected in (("a b", 200), ("ab", 403)):  # values are compared trimmed, inner runs of spaces as one
        spaced = [(n, value if n == "X-Spaced" else v) for n, v in dated.headers]
        assert refused(Signed(dated.method, dated.url, spaced, dated.body))[0] == expected
    basic = Signed("GET", BASE + GET_BY_NAME, [("Authorization", "Basic dXNlcjpwYXNz")], b"")
    assert refused(basic)[1].startswith("Invalid key=value pair (missing equal-sign) in Authorization header")
    no_host = [(n, v.replace("host;", "")) for n, v in good.headers]
    assert refused(Signed(good.method, good.url, no_host, good.body))[1] == (
        "'Host' must be a 'SignedHeader' in the AWS Authorization."
    )


def test_moto_users_and_assumed_roles():
    with mock_aws():
        iam, sts = (boto3.client(s, region_name=REGION) for s in ("iam", "sts"))
        iam.create_user(UserName="alice")
        key = iam.create_access_key(UserName="alice")["AccessKey"]
        user = {"key": key["AccessKeyId"], "secret": key["SecretAccessKey"]}
        role = sts.assume_role(RoleArn="arn:aws:iam::123456789012:role/invoker", RoleSessionName="s1")["Credentials"]
        temp = {"key": role["AccessKeyId"], "secret": role["SecretAccessKey"]}
        lookup = chain(KEYS, moto_credentials)

        assert botocore_signed(*CREATE, **user).check(lookup) == Result(
            200, key["AccessKeyId"], "arn:aws:iam::123456789012:user/alice"
        )
        session = "arn:aws:sts::123456789012:assumed-role/invoker/s1"
        assert botocore_signed(*CREATE, **temp, token=role["SessionToken"]).check(lookup).principal == session
        assert mlflow_signed("GET", GET_BY_NAME, **temp, token=role["SessionToken"]).check(lookup).principal == session
        assert botocore_signed(*CREATE, **temp).check(lookup).message == INVALID_TOKEN
        assert botocore_signed(*CREATE, **temp, token="forged").check(lookup).message == INVALID_TOKEN
        assert botocore_signed(*CREATE, **user, token="forged").check(lookup).message == INVALID_TOKEN
        assert botocore_signed(*CREATE).check(lookup).status == 200  # the fixed keys still count
        found = moto_credentials(temp["key"])
        assert found and found.role_arn == "arn:aws:iam::123456789012:role/invoker"
        assert found.expiration and datetime.now(UTC) < found.expiration < datetime.now(UTC) + timedelta(hours=1)
        iam.update_access_key(UserName="alice", AccessKeyId=key["AccessKeyId"], Status="Inactive")
        assert botocore_signed(*CREATE, **user).check(lookup).message == INVALID_TOKEN
    assert moto_credentials(key["AccessKeyId"]) is None  # mock_aws reset the backends


def test_expired_temporary_credentials():
    past = Credential("secret", "arn:aws:sts::123456789012:assumed-role/r/s", "token", datetime.now(UTC))
    result = botocore_signed(*CREATE, token="token").check(lambda key_id: past)
    assert (result.status, result.message, result.error_type) == (403, EXPIRED_TOKEN, "ExpiredTokenException")


def test_aws_sigv4_test_suite_get_vanilla():
    """The AWS SigV4 test suite's get-vanilla request, signed by AWS, not by a client under test."""
    signature = "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
    auth = f"AWS4-HMAC-SHA256 Credential={KEY}/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date,"
    headers = {
        "Host": "example.amazonaws.com",
        "X-Amz-Date": "20150830T123600Z",
        "Authorization": f"{auth} Signature={signature}",
    }
    lookup = fixed_credentials({KEY: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"})
    now = datetime(2015, 8, 30, 12, 40, tzinfo=UTC)
    assert (
        verify("GET", "/", "", headers, b"", lookup=lookup, region="us-east-1", service="service", now=now).status
        == 200
    )


def test_canonical_forms():
    assert canonical_uri("") == "/"
    assert canonical_uri("/a/./b/../c//d/") == "/a/c/d/"
    assert canonical_uri("/a%20b/c+d@e~f") == "/a%2520b/c%2Bd%40e~f"
    assert canonical_query("b=2&a=1&a=0&c&&X-Amz-Signature=x", "X-Amz-Signature") == "a=0&a=1&b=2&c="
    assert canonical_query("q=a+b%2Bc&%24f=%7e*") == "%24f=~%2A&q=a%20b%2Bc"


def check_target(signed: Signed, **extra: str) -> str:
    args = {"method": signed.method, "uri": f"{signed.path}?{signed.query}" if signed.query else signed.path}
    args |= extra
    return "/check?" + "&".join(f"{k}={quote(v, safe='')}" for k, v in args.items())


def post(conn: http.client.HTTPConnection, target: str, signed: Signed, host: bool = True):
    headers = dict(signed.headers if host else [(n, v) for n, v in signed.headers if n.lower() != "host"])
    conn.request("POST", target, body=signed.body, headers=headers)
    response = conn.getresponse()
    return response.status, dict(response.getheaders()), response.read()


def test_service_round_trip_over_loopback():
    with AuthService(KEYS, region=REGION) as service:
        host, port = service.address  # type: ignore[misc]
        conn = http.client.HTTPConnection(host, port, timeout=5)
        signed = mlflow_signed("GET", GET_BY_NAME)
        status, headers, body = post(conn, check_target(signed), signed)
        assert (status, headers["X-Principal"], headers["X-Access-Key-Id"], body) == (200, MOTO_PRINCIPAL, KEY, b"")
        signed = botocore_signed(*CREATE)
        assert post(conn, check_target(signed, host=HOST), signed, host=False)[0] == 200  # proxy rewrote Host
        assert post(conn, check_target(signed), signed, host=False)[0] == 403
        tampered = Signed(signed.method, signed.url, signed.headers, b"{}")
        status, headers, body = post(conn, check_target(tampered, region=REGION), tampered)
        assert (status, headers["X-Amzn-ErrorType"]) == (403, "InvalidSignatureException")
        assert json.loads(body)["message"].startswith(BAD_SIGNATURE)
        unsigned = Signed("GET", BASE + GET_BY_NAME, [], b"")
        assert post(conn, check_target(unsigned), unsigned)[::2] == (403, b'{"message":"Forbidden"}')
        assert post(conn, "/check?method=GET", unsigned)[0] == 400
        assert post(conn, "/other", unsigned)[0] == 404

        def one(i: int) -> int:
            request = botocore_signed("POST", f"/api/2.0/mlflow/runs/create?i={i}", b'{"n": %d}' % i)
            with_conn = http.client.HTTPConnection(host, port, timeout=5)
            return post(with_conn, check_target(request), request)[0]

        with ThreadPoolExecutor(8) as pool:
            assert set(pool.map(one, range(32))) == {200}


class UnixConnection(http.client.HTTPConnection):
    def __init__(self, path: str) -> None:
        super().__init__("localhost", timeout=5)
        self.socket_path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.socket_path)


def test_service_on_a_unix_socket(tmp_path):
    path = str(tmp_path / "sigv4.sock")
    signed = botocore_signed(*CREATE)
    with AuthService(KEYS, socket_path=path, region=REGION):
        assert post(UnixConnection(path), check_target(signed), signed)[0] == 200
    assert not Path(path).exists()


def test_execute_api_invoke_is_authorised_by_the_session_roles_policies():
    api = "arn:aws:execute-api:eu-west-2:123456789012:a1b2c3/$default"
    role = "arn:aws:iam::123456789012:role/job"
    session = Result(200, "ASIAKEY", "arn:aws:sts::123456789012:assumed-role/job/run", None, role)
    asked: list[tuple[str, str, str]] = []

    def only_get(role_arn: str, action: str, resource: str) -> bool:
        asked.append((role_arn, action, resource))
        return resource.startswith(api + "/GET/")

    assert authorization(session, only_get, api, "GET", "/api/2.0/mlflow/runs/get") == session
    assert asked[0] == (role, "execute-api:Invoke", f"{api}/GET/api/2.0/mlflow/runs/get")
    denied = authorization(session, only_get, api, "post", "/api/2.0/mlflow/runs/create")
    assert denied.status == 403 and denied.error_type == "AccessDeniedException"
    assert denied.message == (
        "User: arn:aws:sts::123456789012:assumed-role/job/run is not authorized to perform: execute-api:Invoke"
        f" on resource: {api}/POST/api/2.0/mlflow/runs/create"
    )
    # Keys that are no role session (IAM users, the local root), and routes without a resource, pass as verified.
    user = Result(200, "AKIAKEY", "arn:aws:iam::123456789012:user/alice")
    assert authorization(user, only_get, api, "POST", "/x") == user
    assert authorization(session, only_get, "", "POST", "/x") == session
    refused = Result(403, "bad signature", None, "InvalidSignatureException")
    assert authorization(refused, only_get, api, "GET", "/x") == refused
