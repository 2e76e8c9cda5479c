"""The MLflow image's start-up rules (images/mlflow/entrypoint.py), without a container.

The module is loaded by path; importing it must start nothing (no nginx, no mlflow, no openssl).
"""

from __future__ import annotations

import importlib.util
import json
import socket
import ssl
import string
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = ROOT / "images/mlflow/entrypoint.py"
# Every printable ASCII character, space included: what a JSON secret's password may hold.
PRINTABLE = "".join(c for c in string.printable if c not in "\t\n\r\x0b\x0c")
TRICKY_PASSWORDS = [
    "comma,in,the,middle",
    "colon:in:the:middle",
    'double"quote"password',
    "single'quote'password",
    "back\\slash\\password",
    "  spaces around and inside  ",
    "dollar$HOME${PATH}`id`",
    "at@sign@password:with@colon",
    "percent%20encoded%2Clooking",
    "plus+and=equals&amp;",
    PRINTABLE,
]


def _load():
    def refuse(*_args, **_kwargs):
        raise AssertionError("importing the entrypoint must not start a process")

    spec = importlib.util.spec_from_file_location("mlflow_image_entrypoint", ENTRYPOINT)
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(subprocess, "Popen", refuse)
        patch.setattr(subprocess, "run", refuse)
        spec.loader.exec_module(module)
    return module


ep = _load()


def _auth(*users: tuple[str, str]) -> dict[str, str]:
    entries = [{"username": name, "password": password} for name, password in users]
    return {"MLFLOW_TRACKING_AUTH_JSON": json.dumps(entries[0] if len(entries) == 1 else entries)}


def _refused(call, *args, match: str) -> None:
    with pytest.raises(ep.ConfigError, match=match):
        call(*args)


# --- web logins --------------------------------------------------------------------------------


@pytest.mark.parametrize("password", TRICKY_PASSWORDS)
def test_json_secret_password_is_taken_whole(password):
    assert ep.tracking_users(_auth(("ml-team", password))) == [("ml-team", password)]


def test_json_secret_may_list_several_users():
    users = [("alice", "a,b:c@d'e\"f\\g h$"), ("bob", "another, long: password")]
    assert ep.tracking_users(_auth(*users)) == users


def test_comma_separated_variables_still_list_several_users():
    env = {"MLFLOW_TRACKING_USERNAME": "alice, bob", "MLFLOW_TRACKING_PASSWORD": "alice-password1,bob:pass@word$2"}
    assert ep.tracking_users(env) == [("alice", "alice-password1"), ("bob", "bob:pass@word$2")]


def test_json_secret_and_variables_add_up():
    env = {**_auth(("alice", "alice,password,1")), "MLFLOW_TRACKING_USERNAME": "bob"}
    env["MLFLOW_TRACKING_PASSWORD"] = "bob-password-22"
    assert ep.tracking_users(env) == [("alice", "alice,password,1"), ("bob", "bob-password-22")]


@pytest.mark.parametrize(
    ("env", "match"),
    [
        (_auth(("al:ice", "long-enough-password")), "MLFLOW_TRACKING_AUTH_JSON: user name 'al:ice'"),
        (
            {"MLFLOW_TRACKING_USERNAME": "al:ice", "MLFLOW_TRACKING_PASSWORD": "long-enough-password"},
            "MLFLOW_TRACKING_USERNAME: user name 'al:ice'",
        ),
        (_auth(("#alice", "long-enough-password")), "must not start with '#'"),
        (_auth(("", "long-enough-password")), "user name '' must be non-empty"),
        (_auth(("ali\nce", "long-enough-password")), "MLFLOW_TRACKING_AUTH_JSON: user name"),
    ],
)
def test_user_names_htpasswd_cannot_hold_are_refused(env, match):
    _refused(ep.tracking_users, env, match=match)


@pytest.mark.parametrize(
    ("env", "match"),
    [
        (
            {"MLFLOW_TRACKING_USERNAME": "mlflow", "MLFLOW_TRACKING_PASSWORD": "mlflow"},
            "MLFLOW_TRACKING_PASSWORD for user 'mlflow' is a default",
        ),
        (_auth(("alice", "password")), "MLFLOW_TRACKING_AUTH_JSON for user 'alice' is a default"),
        (_auth(("alice", "short,pw")), "shorter than 12"),
        (_auth(("alice-the-admin", "alice-the-admin")), "is a default"),
        (_auth(("alice", "line\nbreak-password")), "printable"),
        (_auth(("alice", "tab\tseparated-password")), "printable"),
        (_auth(("alice", "x" * 257)), "at most 256 bytes"),
    ],
)
def test_weak_or_unusable_passwords_are_refused(env, match):
    _refused(ep.tracking_users, env, match=match)


def test_longest_password_openssl_hashes_whole_is_accepted():
    assert ep.tracking_users(_auth(("alice", "x" * 256))) == [("alice", "x" * 256)]


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({}, "no web login"),
        ({"MLFLOW_TRACKING_AUTH_JSON": "{not json"}, "MLFLOW_TRACKING_AUTH_JSON is not JSON"),
        ({"MLFLOW_TRACKING_AUTH_JSON": '"a string"'}, "MLFLOW_TRACKING_AUTH_JSON must be"),
        ({"MLFLOW_TRACKING_AUTH_JSON": '{"username": "alice"}'}, "no password"),
        ({"MLFLOW_TRACKING_AUTH_JSON": '{"username": "alice", "password": 123456789012345}'}, "no password"),
        ({"MLFLOW_TRACKING_USERNAME": "alice,bob", "MLFLOW_TRACKING_PASSWORD": "one-long-password"}, "same number"),
        ({**_auth(("alice", "alice-password-1")), "MLFLOW_TRACKING_USERNAME": "alice",
          "MLFLOW_TRACKING_PASSWORD": "alice-password-2"}, "listed twice"),
    ],
)  # fmt: skip
def test_malformed_logins_are_refused(env, match):
    _refused(ep.tracking_users, env, match=match)


def test_password_file_verifies_every_printable_password():
    """openssl passwd on stdin, then the htpasswd line as nginx parses it (user up to the first ':')."""
    from passlib.hash import sha512_crypt  # noqa: PLC0415 - requirements-dev.txt pins it

    users = [(f"user{i}", password) for i, password in enumerate(TRICKY_PASSWORDS)]
    users.append(("long", "y" * 256))
    text = ep.htpasswd_text(users, ep.hash_passwords([password for _name, password in users]))
    lines = text.splitlines()
    assert len(lines) == len(users)
    for (name, password), line in zip(users, lines, strict=True):
        user, digest = line.split(":", 1)
        assert user == name
        assert digest.startswith("$6$")
        assert ":" not in digest
        assert sha512_crypt.verify(password, digest), name
        assert not sha512_crypt.verify(password + "x", digest)


def test_password_file_refuses_a_hash_count_mismatch():
    _refused(ep.htpasswd_text, [("a", "p"), ("b", "q")], ["$6$x$y"], match="unexpected number")


# --- database URI and TLS ----------------------------------------------------------------------

DB_PASSWORD = 'db,pass:w@rd/"q"\\ $%?#&='
RDS_SECRET = {"username": "mlflow", "password": DB_PASSWORD, "host": "db.abc.eu-west-1.rds.amazonaws.com"}


def _secret(engine: str, **env: str) -> dict[str, str]:
    return {"MLFLOW_DB_SECRET_JSON": json.dumps({**RDS_SECRET, "engine": engine}), **env}


@pytest.fixture
def bundle(tmp_path):
    path = tmp_path / "bundle.pem"
    path.write_text("-----BEGIN CERTIFICATE-----\n")
    return path


@pytest.fixture
def no_bundle(tmp_path):
    return tmp_path / "absent.pem"


def _url(uri: str):
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - mlflow (requirements-dev.txt) brings it

    return make_url(uri)


def test_postgres_without_a_bundle_requires_tls(no_bundle):
    uri, mode = ep.backend_uri(_secret("postgres"), no_bundle)
    url = _url(uri)
    assert mode == "require"
    assert url.drivername == "postgresql+psycopg"
    assert dict(url.query) == {"sslmode": "require"}
    assert (url.username, url.password, url.host, url.port, url.database) == (
        "mlflow",
        DB_PASSWORD,
        RDS_SECRET["host"],
        5432,
        "mlflow",
    )


def test_postgres_with_the_bundle_verifies_the_server(bundle):
    uri, mode = ep.backend_uri(_secret("aurora-postgresql"), bundle)
    assert mode == "verify-full"
    assert dict(_url(uri).query) == {"sslmode": "verify-full", "sslrootcert": str(bundle)}
    assert f"sslrootcert={bundle}" in uri  # readable, '/' not escaped


@pytest.mark.parametrize(
    ("env", "query"),
    [
        ({"MLFLOW_DB_SSLMODE": "require"}, {"sslmode": "require"}),
        ({"MLFLOW_DB_SSLMODE": "verify-ca"}, {"sslmode": "verify-ca", "sslrootcert": "BUNDLE"}),
        ({"MLFLOW_DB_SSLMODE": "disable"}, {"sslmode": "disable"}),
    ],
)
def test_postgres_sslmode_can_be_chosen(bundle, env, query):
    uri, mode = ep.backend_uri(_secret("postgres", **env), bundle)
    assert mode == env["MLFLOW_DB_SSLMODE"]
    assert dict(_url(uri).query) == {k: str(bundle) if v == "BUNDLE" else v for k, v in query.items()}


def test_an_explicit_root_certificate_means_verify_full(tmp_path, no_bundle):
    ca = tmp_path / "my ca.pem"
    ca.write_text("x")
    uri, mode = ep.backend_uri(_secret("postgres", MLFLOW_DB_SSLROOTCERT=str(ca)), no_bundle)
    assert mode == "verify-full"
    assert dict(_url(uri).query) == {"sslmode": "verify-full", "sslrootcert": str(ca)}


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({"MLFLOW_DB_SSLMODE": "prefer"}, "MLFLOW_DB_SSLMODE must be one of"),
        ({"MLFLOW_DB_SSLMODE": "verify-full"}, "needs a CA bundle"),
        ({"MLFLOW_DB_SSLROOTCERT": "/nonexistent/ca.pem"}, "MLFLOW_DB_SSLROOTCERT '/nonexistent/ca.pem' is not a file"),
    ],
)
def test_impossible_tls_settings_are_refused(no_bundle, env, match):
    _refused(ep.backend_uri, _secret("postgres", **env), no_bundle, match=match)


def test_mysql_with_the_bundle_verifies_the_server(bundle):
    uri, mode = ep.backend_uri(_secret("mysql"), bundle)
    url = _url(uri)
    assert mode == "verify-full"
    assert (url.drivername, url.port, url.password) == ("mysql+pymysql", 3306, DB_PASSWORD)
    assert dict(url.query) == {"ssl_ca": str(bundle), "ssl_check_hostname": "true"}


@pytest.mark.parametrize(
    ("env", "query"),
    [
        ({}, {"ssl_check_hostname": "false"}),
        ({"MLFLOW_DB_SSLMODE": "disable"}, {}),
    ],
)
def test_mysql_without_a_bundle(no_bundle, env, query):
    uri, mode = ep.backend_uri(_secret("mysql", **env), no_bundle)
    assert mode == env.get("MLFLOW_DB_SSLMODE", "require")
    assert dict(_url(uri).query) == query


@pytest.mark.parametrize(
    ("sslmode", "ssl_args"),
    [
        ("verify-full", {"ca": "BUNDLE", "check_hostname": True}),
        ("verify-ca", {"ca": "BUNDLE", "check_hostname": False}),
        ("require", {"check_hostname": False}),
    ],
)
def test_sqlalchemy_hands_pymysql_an_ssl_dict(bundle, sslmode, ssl_args):
    """SQLAlchemy's mysql+pymysql dialect turns the URI's ssl_* arguments into PyMySQL's ssl dict."""
    from sqlalchemy.dialects.mysql.pymysql import MySQLDialect_pymysql as pymysql_dialect  # noqa: PLC0415

    uri, _mode = ep.backend_uri(_secret("mysql", MLFLOW_DB_SSLMODE=sslmode), bundle)
    _args, kwargs = pymysql_dialect().create_connect_args(_url(uri))
    assert kwargs["ssl"] == {k: str(bundle) if v == "BUNDLE" else v for k, v in ssl_args.items()}
    assert kwargs["password"] == DB_PASSWORD


def test_variables_override_the_secret(no_bundle):
    env = _secret("postgres", MLFLOW_DB_HOST="proxy.example", MLFLOW_DB_PORT="6432", MLFLOW_DB_DATABASE="ml")
    url = _url(ep.backend_uri(env, no_bundle)[0])
    assert (url.host, url.port, url.database) == ("proxy.example", 6432, "ml")


@pytest.mark.parametrize(
    "uri",
    [
        "postgresql+psycopg://mlflow:pw@127.0.0.1:55432/mlflow",
        "postgresql+psycopg://mlflow:pw@127.0.0.1:55432/mlflow?sslmode=disable",
        "mysql+pymysql://mlflow:p%2Cw@db:3306/mlflow",
    ],
)
def test_backend_uri_is_used_as_given(bundle, uri):
    env = {"MLFLOW_BACKEND_URI": uri, "MLFLOW_DB_SSLMODE": "verify-full", **_secret("postgres")}
    assert ep.backend_uri(env, bundle) == (uri, None)


@pytest.mark.parametrize(
    ("env", "match"),
    [
        ({}, "no database"),
        ({"MLFLOW_DB_HOST": "db"}, "MLFLOW_DB_PASSWORD is missing"),
        ({"MLFLOW_DB_HOST": "db", "MLFLOW_DB_PASSWORD": "changeme"}, "well-known default"),
        ({"MLFLOW_DB_SECRET_JSON": "[]"}, "MLFLOW_DB_SECRET_JSON must be a JSON object"),
    ],
)
def test_missing_or_default_database_credentials_are_refused(no_bundle, env, match):
    _refused(ep.backend_uri, env, no_bundle, match=match)


class _FakeEngine:
    def __init__(self, dialect: str, sock: object) -> None:
        self.dialect = type("Dialect", (), {"name": dialect})()
        raw = type("Raw", (), {"_sock": sock})()
        self.connection = type("Fairy", (), {"dbapi_connection": raw})()

    def connect(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *_exc):
        return False


def test_a_mysql_connection_without_tls_is_refused():
    with socket.socket() as plain:
        _refused(ep.check_mysql_tls, _FakeEngine("mysql", plain), "require", match="did not negotiate TLS")
        ep.check_mysql_tls(_FakeEngine("mysql", plain), "disable")  # asked for: allowed
        ep.check_mysql_tls(_FakeEngine("mysql", plain), None)  # MLFLOW_BACKEND_URI: the user's choice
        ep.check_mysql_tls(_FakeEngine("postgresql", plain), "require")  # libpq enforces sslmode itself
    with ssl.create_default_context().wrap_socket(
        socket.socket(), server_hostname="db", do_handshake_on_connect=False
    ) as tls:
        ep.check_mysql_tls(_FakeEngine("mysql", tls), "verify-full")


# --- mlflow server's environment ---------------------------------------------------------------

URI = "postgresql+psycopg://mlflow:secret@db:5432/mlflow?sslmode=require"


def test_job_execution_is_off_by_default():
    assert ep.server_environment({}, URI, "127.0.0.1:5000")["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == "false"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"MLFLOW_JOB_EXECUTION": "true"}, "true"),
        ({"MLFLOW_JOB_EXECUTION": "True"}, "true"),
        ({"MLFLOW_JOB_EXECUTION": "false"}, "false"),
        ({"MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "true"}, "true"),
        ({"MLFLOW_JOB_EXECUTION": "false", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "true"}, "false"),
        ({"MLFLOW_JOB_EXECUTION": "", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "1"}, "true"),
    ],
)
def test_job_execution_can_be_turned_on(env, expected):
    assert ep.server_environment(env, URI, "127.0.0.1:5000")["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] == expected


def test_job_execution_refuses_a_non_boolean():
    _refused(ep.server_environment, {"MLFLOW_JOB_EXECUTION": "maybe"}, URI, "u", match="MLFLOW_JOB_EXECUTION must be")


def test_server_environment_carries_no_secret_but_the_uri():
    env = {
        "MLFLOW_BACKEND_URI": URI,
        "MLFLOW_DB_PASSWORD": "db-secret",
        "MLFLOW_DB_SECRET_JSON": "{}",
        "MLFLOW_TRACKING_AUTH_JSON": "{}",
        "MLFLOW_TRACKING_PASSWORD": "web-secret",
        "MLFLOW_ALLOWED_HOSTS": "mlflow.example.com, *.awsapprunner.com",
        "MLFLOW_SQLALCHEMYSTORE_POOL_SIZE": "4",
        "AWS_REGION": "eu-west-1",
    }
    server_env = ep.server_environment(env, URI, "127.0.0.1:5000")
    assert not [k for k in server_env if k.startswith(("MLFLOW_DB_", "MLFLOW_TRACKING_"))]
    assert "MLFLOW_BACKEND_URI" not in server_env
    assert server_env["MLFLOW_BACKEND_STORE_URI"] == URI
    assert server_env["MLFLOW_SERVER_ALLOWED_HOSTS"] == "mlflow.example.com,*.awsapprunner.com,127.0.0.1:5000"
    assert server_env["MLFLOW_SQLALCHEMYSTORE_POOL_SIZE"] == "4"
    assert server_env["MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW"] == "3"
    assert server_env["AWS_REGION"] == "eu-west-1"


# --- start-up ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"MLFLOW_TRACKING_USERNAME": "mlflow", "MLFLOW_TRACKING_PASSWORD": "mlflow"}, "is a default"),
        ({**_auth(("alice", "a,long:password")), "MLFLOW_DB_HOST": "db", "MLFLOW_DB_PASSWORD": "db-password-1",
          "MLFLOW_DB_SSLMODE": "bogus"}, "MLFLOW_DB_SSLMODE must be one of"),
        ({**_auth(("alice", "a,long:password")), "MLFLOW_BACKEND_URI": URI, "MLFLOW_JOB_EXECUTION": "maybe"},
         "MLFLOW_JOB_EXECUTION must be"),
    ],
)  # fmt: skip
def test_main_refuses_bad_configuration_before_starting_anything(monkeypatch, capsys, env, message):
    def refuse(*_args, **_kwargs):
        raise AssertionError("nothing may start on a configuration error")

    monkeypatch.setattr(ep.os, "environ", env)
    monkeypatch.setattr(ep, "write_htpasswd", refuse)
    monkeypatch.setattr(ep, "migrate", refuse)
    monkeypatch.setattr(ep.subprocess, "Popen", refuse)
    assert ep.main() == 2
    assert message in capsys.readouterr().err
