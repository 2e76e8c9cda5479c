"""mlflow_model_version_info (plugins/modules/mlflow_model_version_info.py, module_utils/mlflow_rest.py): its main()
against a real MLflow tracking server and against stand-ins.

The real server: `mlflow server` of the venv (sqlite backend, --serve-artifacts with a file artifacts destination)
on a free address of 127.0.0.90-99, port 5090-5099, for the whole session, stopped by its process group's ID; a
scikit-learn LinearRegression registered through the real mlflow client (version 1, alias champion, a tag) and a
version 2 whose source is in S3 already.

Stand-ins (stdlib HTTP servers on the same addresses) where a real one would take more than this test should
start: a login that refuses (401, as nginx_basic_auth and MLflow's basic-auth answer), an API Gateway with IAM
authorization (the signature checked with the local API Gateway's verifier, tests/local/dataplane/sigv4.py, and
the Authorization header recorded), a version still registering, and HTTPS with a self-signed certificate.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
for path in (ROOT, ROOT / ".collections"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))

from ansible.module_utils.testing import patch_module_args  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import mlflow_rest as rest  # noqa: E402
from ansible_collections.mlops.mlflow_aws.plugins.modules import mlflow_model_version_info as info  # noqa: E402

from tests.local.dataplane.sigv4 import Credential, verify  # noqa: E402

HOSTS = [f"127.0.0.{n}" for n in range(90, 100)]
PORTS = range(5090, 5100)
DESTINATION = "s3://ml-artifacts/mlflow"
S3_SOURCE = "s3://ml-artifacts/models/churn/2"
REGION = "eu-west-1"
PRINCIPAL = "arn:aws:sts::123456789012:assumed-role/deployer/ansible"
KEY, SECRET, TOKEN = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token"
PASSWORD = "s3cret-login"

REGISTER = """
import sys

import mlflow
import numpy as np
from sklearn.linear_model import LinearRegression

uri, name = sys.argv[1], sys.argv[2]
mlflow.set_tracking_uri(uri)
model = LinearRegression().fit(np.array([[0.0], [1.0], [2.0]]), np.array([1.0, 3.0, 5.0]))
with mlflow.start_run() as run:
    mlflow.sklearn.log_model(model, name="model", registered_model_name=name)
client = mlflow.MlflowClient()
client.set_registered_model_alias(name, "champion", "1")
client.set_model_version_tag(name, "1", "validated", "true")
client.create_model_version(name, source=sys.argv[3])
print(run.info.run_id)
"""


def _bindable(host: str, port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_address() -> tuple[str, int]:
    for host in HOSTS:
        for port in PORTS:
            if _bindable(host, port):
                return host, port
    pytest.fail("no free address in 127.0.0.90-99:5090-5099 for this test's servers: stop what listens there")


def _quiet_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    return dict(env, MLFLOW_DISABLE_TELEMETRY="true", DO_NOT_TRACK="true")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory):
    """(URL, artifacts directory, run ID of version 1) of a real tracking server with the model registered."""
    state = tmp_path_factory.mktemp("mlflow-server")
    artifacts = state / "artifacts"
    host, port = free_address()
    url = f"http://{host}:{port}"
    log = open(state / "server.log", "wb")  # noqa: SIM115 - the server writes it until the end
    command = [sys.executable, "-m", "mlflow", "server", "--host", host, "--port", str(port), "--workers", "1"]
    command += ["--backend-store-uri", f"sqlite:///{state / 'mlflow.db'}", "--serve-artifacts"]
    command += ["--artifacts-destination", str(artifacts), "--allowed-hosts", f"{host}:{port}"]
    process = subprocess.Popen(
        command, cwd=state, env=_quiet_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        for _attempt in range(240):
            if process.poll() is not None:
                pytest.fail(f"mlflow server exited: {(state / 'server.log').read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"{url}/health", timeout=1).close()
                break
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail(f"mlflow server did not answer in 60 s: {(state / 'server.log').read_text()[-3000:]}")
        registered = subprocess.run(
            [sys.executable, "-c", REGISTER, url, "churn", S3_SOURCE],
            cwd=state,
            env=_quiet_env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert registered.returncode == 0, registered.stderr[-3000:]
        yield url, artifacts, registered.stdout.split()[-1]
    finally:
        os.killpg(process.pid, signal.SIGTERM)  # the server and its uvicorn worker: the group it leads
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)
        log.close()


@pytest.fixture(autouse=True)
def aws_isolated(monkeypatch, tmp_path):
    """No AWS setting of this machine reaches the module: only the options each test gives."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def run(args: dict, capsys) -> dict:
    """The module's main() with ARGS: its result."""
    with patch_module_args(args), pytest.raises(SystemExit):
        info.main()
    return json.loads(capsys.readouterr().out)


# ---------------------------------------------------------------- stand-in servers
class StandIn:
    """A stdlib HTTP(S) server on a free address of the range. ANSWER(handler) -> (status, headers, body);
    every request is recorded (method, path, query, headers)."""

    def __init__(self, answer, context: ssl.SSLContext | None = None) -> None:
        self.requests: list[dict] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format, *args):
                pass

            def do_GET(self):
                split = urlsplit(self.path)
                stand_in.requests.append(
                    {"path": split.path, "raw_query": split.query, "query": dict(parse_qsl(split.query))}
                    | {"headers": dict(self.headers.items())}
                )
                status, headers, body = answer(self)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        for host in HOSTS:
            for port in PORTS:
                try:
                    self.server = ThreadingHTTPServer((host, port), Handler)
                except OSError:
                    continue
                self.host, self.port = host, port
                break
            else:
                continue
            break
        else:
            pytest.fail("no free address in 127.0.0.90-99:5090-5099 for a stand-in server")
        if context is not None:
            self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"{'https' if context else 'http'}://{self.host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def mlflow_json(status: int, document: dict) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json"}, json.dumps(document).encode()


def version_document(name: str = "churn", version: str = "4", status: str = "READY", **members) -> dict:
    found = {"name": name, "version": version, "creation_timestamp": "1795702401515", "source": S3_SOURCE}
    return {"model_version": {**found, "status": status, "run_id": "", "aliases": [], **members}}


def registry(handler) -> tuple[int, dict, bytes]:
    """A registry that knows version 4 of any model (in S3), as MLflow answers."""
    query = dict(parse_qsl(urlsplit(handler.path).query))
    if handler.path.startswith(f"{rest.API}/model-versions/get-download-uri"):
        return mlflow_json(200, {"artifact_uri": S3_SOURCE})
    if handler.path.startswith(f"{rest.API}/model-versions/get"):
        return mlflow_json(200, version_document(query["name"], query["version"]))
    return 404, {}, b"<html>Not Found</html>"


@pytest.fixture
def stand_in():
    servers: list[StandIn] = []

    def start(answer, context=None) -> StandIn:
        servers.append(StandIn(answer, context))
        return servers[-1]

    yield start
    for server in servers:
        server.close()


# ---------------------------------------------------------------- the real server
def test_a_version_by_number_and_where_its_files_are_in_the_bucket(mlflow_server, capsys):
    url, artifacts, run_id = mlflow_server
    result = run(
        {"tracking_uri": url, "name": "churn", "version": "1", "auth": "none", "artifacts_destination": DESTINATION},
        capsys,
    )
    assert not result.get("failed") and result["changed"] is False, result
    found = result["model_version"]
    assert {k: found[k] for k in ("name", "version", "status", "run_id", "aliases", "tags")} == {
        "name": "churn",
        "version": "1",
        "status": "READY",
        "run_id": run_id,
        "aliases": ["champion"],
        "tags": {"validated": "true"},
    }
    assert found["source"].startswith("models:/m-") and isinstance(found["creation_timestamp"], int)
    assert result["artifact_uri"].startswith("mlflow-artifacts:/") and result["artifact_uri"].endswith("/artifacts")
    relative = urlsplit(result["artifact_uri"]).path.strip("/")
    assert result["model_s3_uri"] == f"{DESTINATION}/{relative}/"
    assert (artifacts / relative / "MLmodel").is_file(), "the mapped prefix is where the server put the model"


def test_an_alias_finds_its_version_in_check_mode_too(mlflow_server, capsys):
    url, _artifacts, _run_id = mlflow_server
    args = {"tracking_uri": url + "/", "name": "churn", "alias": "champion", "auth": "none"}
    by_alias = run(dict(args, _ansible_check_mode=True), capsys)
    assert not by_alias.get("failed") and by_alias["changed"] is False, by_alias
    assert by_alias["model_version"]["version"] == "1" and by_alias["model_version"]["aliases"] == ["champion"]
    by_number = run({k: v for k, v in args.items() if k != "alias"} | {"version": "1"}, capsys)
    assert by_alias["artifact_uri"] == by_number["artifact_uri"]
    assert by_alias["model_s3_uri"] == "", "mlflow-artifacts:/ with no artifacts_destination: not known"


def test_a_version_registered_from_s3_is_its_own_s3_uri(mlflow_server, capsys):
    url, _artifacts, _run_id = mlflow_server
    result = run({"tracking_uri": url, "name": "churn", "version": "2", "auth": "none"}, capsys)
    assert result["artifact_uri"] == S3_SOURCE and result["model_s3_uri"] == S3_SOURCE + "/"
    assert result["model_version"]["run_id"] == "" and result["model_version"]["aliases"] == []


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"name": "nope", "version": "1"}, "MLflow has no version 1 of registered model nope (Model Version "),
        ({"name": "churn", "version": "9"}, "MLflow has no version 9 of registered model churn ("),
        ({"name": "churn", "alias": "nope"}, "MLflow has no alias nope on registered model churn ("),
        ({"name": "nope", "alias": "champion"}, "MLflow has no alias champion on registered model nope ("),
    ],
)
def test_what_the_registry_does_not_have_is_named(mlflow_server, capsys, query, message):
    url, _artifacts, _run_id = mlflow_server
    result = run({"tracking_uri": url, "auth": "none", **query}, capsys)
    assert result["failed"] and result["msg"].startswith(message), result["msg"]


def test_an_address_nothing_answers_on_is_named(capsys):
    host, port = free_address()
    result = run({"tracking_uri": f"http://{host}:{port}", "name": "churn", "version": "1", "auth": "none"}, capsys)
    assert result["failed"], result
    assert result["msg"].startswith(f"Could not reach MLflow at http://{host}:{port}/api/2.0/mlflow/model-versions/get")


# ---------------------------------------------------------------- stand-ins: logins, signatures, status, TLS
def test_a_refused_login_says_what_to_check_and_never_shows_the_password(stand_in, capsys):
    # Stand-in for nginx_basic_auth / MLflow's basic-auth: 401 with a Basic challenge for any login.
    server = stand_in(lambda handler: (401, {"WWW-Authenticate": 'Basic realm="mlflow"'}, b"Unauthorized"))
    args = {"tracking_uri": server.url, "name": "churn", "version": "1", "username": "deployer", "password": PASSWORD}
    result = run(args, capsys)
    assert result["failed"] and result["msg"].startswith("MLflow refused the request (401): check username/password")
    assert PASSWORD not in json.dumps(result)
    sent = server.requests[0]["headers"]["Authorization"]
    assert sent.startswith("Basic "), "basic auth is sent with the first request"
    anonymous = run({k: v for k, v in args.items() if k not in ("username", "password")} | {"auth": "none"}, capsys)
    assert anonymous["msg"].startswith("MLflow refused the request (401): the server wants a login")
    assert "Authorization" not in server.requests[-1]["headers"]


def test_sigv4_signs_for_execute_api_in_the_region_as_api_gateway_checks_it(stand_in, capsys):
    # Stand-in for an API Gateway with IAM authorization: the local API Gateway's SigV4 check, then MLflow.
    session = Credential(secret_access_key=SECRET, principal=PRINCIPAL, session_token=TOKEN)

    def keys(key_id):
        return session if key_id == KEY else None

    def gateway(handler):
        split = urlsplit(handler.path)
        checked = verify("GET", split.path, split.query, list(handler.headers.items()), b"", lookup=keys, region=REGION)
        if checked.status != 200:
            return 403, {"Content-Type": "application/json"}, checked.body.encode()
        return registry(handler)

    server = stand_in(gateway)
    args = {"tracking_uri": server.url, "name": "churn model", "version": "4", "auth": "sigv4", "region": REGION}
    args |= {"access_key": KEY, "secret_key": SECRET, "session_token": TOKEN}
    result = run(args, capsys)
    assert not result.get("failed"), result
    assert result["model_version"]["name"] == "churn model" and result["model_s3_uri"] == S3_SOURCE + "/"
    assert [r["path"] for r in server.requests] == [
        f"{rest.API}/model-versions/get",
        f"{rest.API}/model-versions/get-download-uri",
    ]
    for request in server.requests:
        authorization = request["headers"]["Authorization"]
        assert authorization.startswith(f"AWS4-HMAC-SHA256 Credential={KEY}/"), authorization
        assert f"/{REGION}/execute-api/aws4_request, SignedHeaders=" in authorization
        assert {"host", "x-amz-date"} <= set(authorization.split("SignedHeaders=")[1].split(",")[0].split(";"))
        assert request["headers"]["X-Amz-Security-Token"] == TOKEN
        assert "name=churn%20model" in request["raw_query"], "a space as SigV4 encodes it, not '+'"
    wrong = run(dict(args, secret_key="not-the-secret"), capsys)
    assert wrong["failed"] and wrong["msg"].startswith(
        f"MLflow refused the request (403): check the AWS credentials and region (signed for execute-api in {REGION})"
    )
    assert "The request signature we calculated does not match" in wrong["msg"]
    assert "not-the-secret" not in json.dumps(wrong)


def test_sigv4_needs_a_region_and_credentials(capsys):
    args = {"tracking_uri": "https://abc123.execute-api.eu-west-1.amazonaws.com", "name": "churn", "version": "1"}
    no_region = run(dict(args, auth="sigv4", access_key=KEY, secret_key=SECRET), capsys)
    assert no_region["failed"] and no_region["msg"].startswith("region: required with auth=sigv4")
    no_keys = run(dict(args, auth="sigv4", region=REGION), capsys)
    assert no_keys["failed"] and no_keys["msg"].startswith("auth=sigv4: no AWS credentials found")


@pytest.mark.parametrize("status", ["PENDING_REGISTRATION", "FAILED_REGISTRATION"])
def test_a_version_that_is_not_ready_fails_naming_it(stand_in, capsys, status):
    def not_ready(handler):
        return mlflow_json(200, version_document(status=status, status_message="copying the model"))

    server = stand_in(not_ready)
    result = run({"tracking_uri": server.url, "name": "churn", "version": "4", "auth": "none"}, capsys)
    assert result["failed"] and result["msg"] == (
        f"Version 4 of registered model churn is {status}, not READY: copying the model"
    )
    assert len(server.requests) == 1, "no download URI asked for"


def test_an_answer_that_is_not_mlflow_says_to_check_the_url(stand_in, capsys):
    server = stand_in(lambda handler: (200, {"Content-Type": "text/html"}, b"<html>Sign in</html>"))
    result = run({"tracking_uri": server.url, "name": "churn", "version": "4", "auth": "none"}, capsys)
    assert result["failed"] and "did not answer with JSON" in result["msg"] and "tracking_uri" in result["msg"]
    missing = stand_in(lambda handler: (404, {"Content-Type": "text/html"}, b"<html>Not Found</html>"))
    result = run({"tracking_uri": missing.url + "/mlflow", "name": "churn", "version": "4", "auth": "none"}, capsys)
    assert result["msg"].startswith(f"No MLflow API at {missing.url}/mlflow/api/2.0/mlflow/model-versions/get")


def test_a_redirect_is_not_followed_with_the_login(stand_in, capsys):
    server = stand_in(lambda handler: (302, {"Location": "https://login.example.com/"}, b""))
    args = {"tracking_uri": server.url, "name": "churn", "version": "4", "username": "deployer", "password": PASSWORD}
    result = run(args, capsys)
    assert result["failed"] and "redirected the request (302, to https://login.example.com/)" in result["msg"]
    assert len(server.requests) == 1


def _self_signed(host: str, directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address(host))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "server.pem", directory / "server.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return cert_path, key_path


def test_https_with_a_private_certificate_needs_ca_path(stand_in, tmp_path, capsys):
    host, _port = free_address()
    cert, key = _self_signed(host, tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = stand_in(registry, context)
    assert server.host == host, "the certificate names the address the stand-in took"
    args = {"tracking_uri": server.url, "name": "churn", "version": "4", "auth": "none"}
    untrusted = run(args, capsys)
    assert untrusted["failed"] and untrusted["msg"].startswith(f"Could not reach MLflow at {server.url}/api/2.0/")
    assert "give ca_path" in untrusted["msg"]
    trusted = run(dict(args, ca_path=str(cert)), capsys)
    assert not trusted.get("failed") and trusted["model_s3_uri"] == S3_SOURCE + "/", trusted
    unverified = run(dict(args, validate_certs=False), capsys)
    assert not unverified.get("failed"), unverified


# ---------------------------------------------------------------- bad input: before any request
BAD = [
    ({"tracking_uri": "http://mlflow.example.com"}, "tracking_uri 'http://mlflow.example.com': https://"),
    ({"tracking_uri": "mlflow.example.com"}, "tracking_uri 'mlflow.example.com': the server's https:// URL"),
    ({"tracking_uri": "https://u:p@mlflow.example.com"}, "no login in the URL"),
    ({"version": "champion"}, "version 'champion': a version number (1, 2, ...); for a name like champion, use alias"),
    ({"version": "0"}, "version '0': a version number"),
    ({"name": " "}, "name: the registered model's name, not empty"),
    ({"auth": "none"}, "username: only with auth=basic (auth is none)"),
    ({"timeout": 0}, "timeout: 0 is not a positive number of seconds"),
    ({"artifacts_destination": "ml-artifacts/mlflow"}, "artifacts_destination 'ml-artifacts/mlflow': the server's"),
    ({"ca_path": "/nonexistent/ca.pem"}, "ca_path '/nonexistent/ca.pem': no such file"),
]
DEFAULTS = {option: spec.get("default") for option, spec in rest.spec().items()}
GOOD = {
    "tracking_uri": "https://mlflow.example.com",
    "name": "churn",
    "version": "3",
    "username": "deployer",
    "password": PASSWORD,
}


@pytest.mark.parametrize(("overrides", "message"), BAD)
def test_each_bad_option_is_named_before_any_request(overrides, message, capsys):
    params = dict(GOOD, **overrides)
    assert any(message in problem for problem in rest.validate(dict(DEFAULTS, **params)))
    result = run(params, capsys)
    assert result["failed"] and result["msg"].startswith("Invalid mlflow_model_version_info options: ")
    assert message in result["msg"], result["msg"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"alias": "champion"}, "parameters are mutually exclusive: version|alias"),
        ({"version": None}, "one of the following is required: version, alias"),
        ({"password": None}, "auth is basic but all of the following are missing: password"),
    ],
)
def test_version_or_alias_and_a_login_for_basic(overrides, message, capsys):
    result = run({k: v for k, v in dict(GOOD, **overrides).items() if v is not None}, capsys)
    assert result["failed"] and message in result["msg"], result["msg"]


def test_good_options_have_no_problem_and_loopback_may_be_http():
    assert rest.validate(dict(DEFAULTS, **GOOD)) == []
    for uri in ("http://127.0.0.1:5000", "http://localhost:5000/", "http://[::1]:5000", "https://h/mlflow/"):
        assert rest.uri_problem(uri) is None, uri


# ---------------------------------------------------------------- pure functions
@pytest.mark.parametrize(
    ("artifact_uri", "destination", "expected"),
    [
        ("mlflow-artifacts:/1/models/m-1/artifacts", "s3://b/mlflow", "s3://b/mlflow/1/models/m-1/artifacts/"),
        ("mlflow-artifacts:/1/models/m-1/artifacts", "s3://b/mlflow/", "s3://b/mlflow/1/models/m-1/artifacts/"),
        ("mlflow-artifacts://mlflow.example.com/1/x", "s3://b", "s3://b/1/x/"),
        ("mlflow-artifacts:/1/models/m-1/artifacts", None, ""),
        ("s3://b/models/churn/2", None, "s3://b/models/churn/2/"),
        ("s3://b/models/churn/2/", "s3://other", "s3://b/models/churn/2/"),
        ("s3://b", None, "s3://b/"),
        ("file:///tmp/mlruns/1/x/artifacts", "s3://b", ""),
        ("", "s3://b", ""),
    ],
)
def test_the_s3_location_of_an_artifact_uri(artifact_uri, destination, expected):
    assert rest.s3_location(artifact_uri, destination) == expected


def test_a_model_version_in_snake_case_with_tags_as_a_dict():
    found = version_document(
        tags=[{"key": "validated", "value": "true"}],
        aliases=["champion"],
        last_updated_timestamp=1795702401516,
        model_id="m-0123",
        run_link="",
    )["model_version"]
    assert rest.snake_version(found) == {
        "name": "churn",
        "version": "4",
        "source": S3_SOURCE,
        "run_id": "",
        "status": "READY",
        "aliases": ["champion"],
        "tags": {"validated": "true"},
        "creation_timestamp": 1795702401515,
        "last_updated_timestamp": 1795702401516,
        "description": "",
        "model_id": "m-0123",
    }
