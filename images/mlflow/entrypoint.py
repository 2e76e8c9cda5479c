"""Start MLflow behind nginx basic auth from the container's environment (see README.md).

Order: read and check the configuration (refusing default or missing credentials), write the
password file, bring the database schema up to date under a database lock (only when it is behind),
then run `mlflow server` on a loopback port and nginx on $PORT. SIGTERM/SIGINT stop both cleanly;
if either exits, the other is stopped and the container exits non-zero.

The rules (logins, database URI and TLS, server environment) are pure functions of the environment,
tested without a container by tests/unit/test_entrypoint.py; importing this module starts nothing.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import ssl
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlencode

RUN_DIR = Path("/run/mlflow")
# System CAs + the RDS global bundle, written by the Dockerfile when images/mlflow/rds-ca/ has it.
CA_BUNDLE = Path("/etc/mlflow/rds-ca/bundle.pem")
SSLMODES = ("disable", "require", "verify-ca", "verify-full")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
# Seed-style defaults that must never reach a deployed server.
DEFAULT_SECRETS = {"mlflow", "password", "admin", "changeme"}
MIN_PASSWORD = 12
MAX_PASSWORD_BYTES = 256  # `openssl passwd -6` silently truncates longer passwords
MIGRATION_LOCK = 7716_0001  # advisory lock key (PostgreSQL) / lock name suffix (MySQL)
BOOLEANS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


class ConfigError(Exception):
    pass


def log(message: str) -> None:
    print(f"[mlflow-entrypoint] {message}", file=sys.stderr, flush=True)


def _json_env(env: dict[str, str], name: str) -> object:
    raw = env.get(name, "")
    if not raw:
        return None
    try:
        return json.loads(raw)
    except ValueError:
        raise ConfigError(f"{name} is not JSON") from None


def _check_user(name: str, password: str, name_var: str, password_var: str) -> None:
    """A user name nginx's htpasswd parser and HTTP basic auth accept; a password that is no default."""
    if not name or ":" in name or name.startswith("#") or not name.isprintable():
        raise ConfigError(
            f"{name_var}: user name {name!r} must be non-empty printable characters without ':' "
            "and must not start with '#'"
        )
    if password in DEFAULT_SECRETS or password == name or len(password) < MIN_PASSWORD:
        raise ConfigError(
            f"{password_var} for user {name!r} is a default or shorter than {MIN_PASSWORD} characters; "
            "refusing to start"
        )
    if not password.isprintable() or len(password.encode()) > MAX_PASSWORD_BYTES:
        raise ConfigError(
            f"{password_var} for user {name!r} must be printable characters (no line breaks or tabs), "
            f"at most {MAX_PASSWORD_BYTES} bytes"
        )


def _json_users(env: dict[str, str]) -> list[tuple[str, str]]:
    """MLFLOW_TRACKING_AUTH_JSON taken whole: {"username", "password"} or a list of such objects."""
    name = "MLFLOW_TRACKING_AUTH_JSON"
    value = _json_env(env, name)
    if value is None:
        return []
    entries = value if isinstance(value, list) else [value]
    users = []
    for entry in entries:
        if not (isinstance(entry, dict) and isinstance(entry.get("username"), str)):
            raise ConfigError(f'{name} must be {{"username": ..., "password": ...}} or a list of them')
        if not isinstance(entry.get("password"), str):
            raise ConfigError(f"{name} has no password (a string) for user {entry['username']!r}")
        _check_user(entry["username"], entry["password"], name, name)
        users.append((entry["username"], entry["password"]))
    return users


def tracking_users(env: dict[str, str]) -> list[tuple[str, str]]:
    """(user, password) pairs from MLFLOW_TRACKING_AUTH_JSON and MLFLOW_TRACKING_USERNAME/_PASSWORD.

    The JSON secret is never split (its password may hold any printable character, commas included);
    the two plain variables list users comma-separated, so their passwords cannot contain a comma.
    """
    users = _json_users(env)
    names = [n.strip() for n in env.get("MLFLOW_TRACKING_USERNAME", "").split(",") if n.strip()]
    passwords = [p for p in env.get("MLFLOW_TRACKING_PASSWORD", "").split(",") if p]
    if len(names) != len(passwords):
        raise ConfigError(
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD must list the same number of users "
            "(comma-separated); for a password with a comma use MLFLOW_TRACKING_AUTH_JSON"
        )
    for name, password in zip(names, passwords, strict=True):
        _check_user(name, password, "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
        users.append((name, password))
    if not users:
        raise ConfigError(
            "no web login: set MLFLOW_TRACKING_AUTH_JSON (username and password) or "
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
        )
    seen = [name for name, _pw in users]
    if len(set(seen)) != len(seen):
        raise ConfigError("a web user is listed twice (MLFLOW_TRACKING_AUTH_JSON / MLFLOW_TRACKING_USERNAME)")
    return users


def db_tls(env: dict[str, str], family: str, bundle: Path = CA_BUNDLE) -> tuple[str, dict[str, str]]:
    """(sslmode, URI query arguments) for a URI built from MLFLOW_DB_*: TLS unless disabled explicitly.

    PostgreSQL (libpq): sslmode/sslrootcert. MySQL (SQLAlchemy's mysqldb/pymysql dialects turn
    ssl_ca / ssl_check_hostname into the driver's ssl dict; any ssl option makes PyMySQL >= 1.2 refuse
    a server without TLS; migrate() checks the connection for older ones).
    """
    rootcert = env.get("MLFLOW_DB_SSLROOTCERT") or (str(bundle) if bundle.is_file() else "")
    mode = env.get("MLFLOW_DB_SSLMODE") or ("verify-full" if rootcert else "require")
    if mode not in SSLMODES:
        raise ConfigError(f"MLFLOW_DB_SSLMODE must be one of {', '.join(SSLMODES)}, got {mode!r}")
    if mode.startswith("verify") and not rootcert:
        raise ConfigError(
            f"MLFLOW_DB_SSLMODE={mode} needs a CA bundle: set MLFLOW_DB_SSLROOTCERT, or build the image "
            "with images/mlflow/rds-ca/global-bundle.pem"
        )
    if mode.startswith("verify") and not Path(rootcert).is_file():
        raise ConfigError(f"MLFLOW_DB_SSLROOTCERT {rootcert!r} is not a file")
    if family == "postgresql":
        return mode, {"sslmode": mode, **({"sslrootcert": rootcert} if mode.startswith("verify") else {})}
    if mode == "disable":
        return mode, {}
    if mode == "require":
        return mode, {"ssl_check_hostname": "false"}  # encrypted, certificate not checked (no CA)
    return mode, {"ssl_ca": rootcert, "ssl_check_hostname": "true" if mode == "verify-full" else "false"}


def backend_uri(env: dict[str, str], bundle: Path = CA_BUNDLE) -> tuple[str, str | None]:
    """(URI, sslmode): MLFLOW_BACKEND_URI as given (sslmode None: the user owns it), or one built from
    MLFLOW_DB_* over an RDS-style MLFLOW_DB_SECRET_JSON, with TLS (db_tls)."""
    if env.get("MLFLOW_BACKEND_URI"):
        return env["MLFLOW_BACKEND_URI"], None
    secret = _json_env(env, "MLFLOW_DB_SECRET_JSON")
    secret = {} if secret is None else secret
    if not isinstance(secret, dict):
        raise ConfigError("MLFLOW_DB_SECRET_JSON must be a JSON object")
    engine = str(secret.get("engine", ""))
    dialect = env.get("MLFLOW_DB_DIALECT") or (
        "postgresql+psycopg" if engine.startswith(("postgres", "aurora-postgresql")) else "mysql+pymysql"
    )
    family = "postgresql" if dialect.startswith("postgresql") else "mysql"
    user = env.get("MLFLOW_DB_USERNAME") or secret.get("username") or "mlflow"
    password = env.get("MLFLOW_DB_PASSWORD") or secret.get("password") or ""
    host = env.get("MLFLOW_DB_HOST") or secret.get("host")
    port = env.get("MLFLOW_DB_PORT") or secret.get("port") or DEFAULT_PORTS[family]
    database = env.get("MLFLOW_DB_DATABASE") or secret.get("dbname") or "mlflow"
    if not host:
        raise ConfigError("no database: set MLFLOW_BACKEND_URI, or MLFLOW_DB_HOST (or MLFLOW_DB_SECRET_JSON)")
    if not password or password in DEFAULT_SECRETS:
        raise ConfigError("MLFLOW_DB_PASSWORD is missing or a well-known default; refusing to start")
    mode, query = db_tls(env, family, bundle)
    tail = f"?{urlencode(query, safe='/', quote_via=quote)}" if query else ""
    credentials = f"{quote(str(user), safe='')}:{quote(str(password), safe='')}"
    return f"{dialect}://{credentials}@{host}:{port}/{quote(str(database), safe='')}{tail}", mode


def _flag(env: dict[str, str], name: str) -> bool | None:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return None
    if raw not in BOOLEANS:
        raise ConfigError(f"{name} must be true or false, got {env[name]!r}")
    return BOOLEANS[raw]


def job_execution(env: dict[str, str]) -> bool:
    """MLflow's job runner (huey consumers, each with its own database pool): off unless asked for.
    MLFLOW_JOB_EXECUTION wins; MLflow's own MLFLOW_SERVER_ENABLE_JOB_EXECUTION is honoured otherwise."""
    for name in ("MLFLOW_JOB_EXECUTION", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION"):
        value = _flag(env, name)
        if value is not None:
            return value
    return False


def server_environment(env: dict[str, str], uri: str, upstream: str) -> dict[str, str]:
    """The environment of `mlflow server`: no login or database secret but the URI in
    MLFLOW_BACKEND_STORE_URI (never on a command line), pools sized for docs/capacity.md."""
    server_env = {k: v for k, v in env.items() if not k.startswith(("MLFLOW_DB_", "MLFLOW_TRACKING_"))}
    server_env.pop("MLFLOW_BACKEND_URI", None)
    # Pools sized for the default connection budget (docs/capacity.md): 2 workers x 2 stores x (2 + 3).
    server_env.setdefault("MLFLOW_SQLALCHEMYSTORE_POOL_SIZE", "2")
    server_env.setdefault("MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW", "3")
    server_env.setdefault("MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE", "1800")
    allowed = [h.strip() for h in env.get("MLFLOW_ALLOWED_HOSTS", "*.awsapprunner.com").split(",") if h.strip()]
    server_env.update(
        MLFLOW_BACKEND_STORE_URI=uri,
        MLFLOW_SERVER_ALLOWED_HOSTS=",".join([*allowed, upstream]),
        MLFLOW_SERVER_ENABLE_JOB_EXECUTION=str(job_execution(env)).lower(),
    )
    return server_env


def htpasswd_text(users: list[tuple[str, str]], digests: list[str]) -> str:
    if len(digests) != len(users):
        raise ConfigError("openssl passwd returned an unexpected number of hashes")
    return "".join(f"{name}:{digest}\n" for (name, _pw), digest in zip(users, digests, strict=True))


def hash_passwords(passwords: list[str]) -> list[str]:
    """SHA-512 crypt hashes from openssl, one per line of stdin (never on the command line)."""
    return subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input="".join(f"{password}\n" for password in passwords),
        capture_output=True,
        encoding="utf-8",
        check=True,
    ).stdout.split()


def write_htpasswd(users: list[tuple[str, str]]) -> None:
    text = htpasswd_text(users, hash_passwords([password for _name, password in users]))
    path = RUN_DIR / "htpasswd"
    path.touch(mode=0o640)
    shutil.chown(path, "root", "www-data")  # nginx workers run as www-data
    path.write_text(text, encoding="utf-8")


def check_mysql_tls(engine: object, sslmode: str | None) -> None:
    """PyMySQL before 1.2 carries on in clear text when the server offers no TLS: refuse that.
    (libpq enforces sslmode itself.)"""
    if sslmode in (None, "disable") or engine.dialect.name != "mysql":
        return
    with engine.connect() as conn:
        sock = getattr(conn.connection.dbapi_connection, "_sock", None)
    if sock is not None and not isinstance(sock, ssl.SSLSocket):
        raise ConfigError(f"MLFLOW_DB_SSLMODE={sslmode} but the MySQL server did not negotiate TLS")


@contextlib.contextmanager
def _migration_lock(engine):
    """A database-wide lock (PostgreSQL advisory lock, MySQL named lock) around a migration."""
    import sqlalchemy  # noqa: PLC0415

    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock:
        if postgres:
            lock.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        else:
            got = lock.execute(sqlalchemy.text("SELECT GET_LOCK(:k, 600)"), {"k": f"mlflow-migrate-{MIGRATION_LOCK}"})
            if got.scalar() != 1:
                raise ConfigError("another instance has held the migration lock for 600 s; not migrating without it")
        try:
            yield
        finally:
            if postgres:
                lock.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            else:
                lock.execute(sqlalchemy.text("SELECT RELEASE_LOCK(:k)"), {"k": f"mlflow-migrate-{MIGRATION_LOCK}"})


def migrate(uri: str, sslmode: str | None) -> None:
    """Create or upgrade the schema only when it is behind, holding a database-wide lock."""
    # Heavy imports, only once the configuration checked out.
    import sqlalchemy  # noqa: PLC0415
    from mlflow.store.db import utils  # noqa: PLC0415

    head = utils._get_latest_schema_revision()
    engine = sqlalchemy.create_engine(uri, pool_pre_ping=True)
    for attempt in range(30):
        try:
            current = utils._get_schema_version(engine)
            break
        except sqlalchemy.exc.OperationalError as exc:
            # The driver's reason (no password in it): refused TLS or certificate, DNS, timeout, ...
            reason = (str(exc.orig).strip().splitlines() or [type(exc.orig).__name__])[0][:300]
            log(f"database not reachable yet ({reason}); retry {attempt + 1}/30")
            time.sleep(2)
    else:
        raise ConfigError(f"database not reachable after 60 s ({reason})")
    check_mysql_tls(engine, sslmode)
    if current == head:
        log(f"database schema is current ({head}); no migration")
        return
    with _migration_lock(engine):
        current = utils._get_schema_version(engine)  # another instance may have done it meanwhile
        if current == head:
            log("schema brought up to date by another instance")
        elif utils._is_empty_database(engine):
            log(f"empty database: creating the MLflow schema ({head})")
            utils._initialize_tables(engine)
        else:
            log(f"upgrading the schema from {current} to {head}")
            utils._upgrade_db(engine)
    engine.dispose()


def healthcheck(env: dict[str, str]) -> int:
    """The container health check (ECS `healthCheck`, Docker HEALTHCHECK): GET /health on $PORT."""
    import urllib.request  # noqa: PLC0415 - only the health check needs it

    listen = env.get("LISTEN_ADDRESS") or "127.0.0.1"
    host = "127.0.0.1" if listen in ("0.0.0.0", "::") else listen  # noqa: S104 - not a bind
    try:
        with urllib.request.urlopen(f"http://{host}:{env.get('PORT') or '8080'}/health", timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


def main() -> int:
    env = dict(os.environ)
    port = env.get("PORT") or "8080"
    listen = env.get("LISTEN_ADDRESS") or "0.0.0.0"  # noqa: S104 - the container's published port
    internal_host = listen if listen.startswith("127.") else "127.0.0.1"
    internal_port = env.get("MLFLOW_INTERNAL_PORT") or ("5001" if port == "5000" else "5000")
    upstream = f"{internal_host}:{internal_port}"
    try:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ConfigError(f"PORT {port!r} is not a port number")
        auth = (env.get("MLFLOW_WEB_AUTH") or "basic").strip().lower()
        if auth not in ("basic", "none"):
            raise ConfigError(f"MLFLOW_WEB_AUTH must be basic or none, got {auth!r}")
        users = tracking_users(env) if auth == "basic" else []
        uri, sslmode = backend_uri(env)
        server_env = server_environment(env, uri, upstream)
        if sslmode == "disable":
            log("WARNING: MLFLOW_DB_SSLMODE=disable: the database connection is not encrypted (local tests only)")
        log(f"database TLS: {'as given in MLFLOW_BACKEND_URI' if sslmode is None else 'sslmode=' + sslmode}")
        log(f"job execution: {server_env['MLFLOW_SERVER_ENABLE_JOB_EXECUTION']}")
        if users:
            write_htpasswd(users)
        else:
            log("web login: none (MLFLOW_WEB_AUTH=none: the front door authenticates every request)")
        migrate(uri, sslmode)
    except ConfigError as exc:
        log(f"configuration error: {exc}")
        return 2
    template = Path("/etc/mlflow/nginx.conf.template").read_text()
    basic = 'auth_basic "MLflow";\n            auth_basic_user_file /run/mlflow/htpasswd;'
    auth = basic if users else "auth_basic off;"
    conf = template.replace("${UPSTREAM}", upstream).replace("${LISTEN}", f"{listen}:{port}")
    conf = conf.replace("${AUTH}", auth)
    (RUN_DIR / "nginx.conf").write_text(conf)

    artifacts = env.get("MLFLOW_ARTIFACT_URI") or "/var/lib/mlflow/artifacts"
    workers = env.get("MLFLOW_WORKERS") or "2"
    # gunicorn threads, not uvicorn: a uvicorn worker runs up to 40 requests at once, so a pool
    # smaller than that exhausts under load and requests wait SQLAlchemy's 30 s pool timeout, then
    # fail (as HTTP 400). A gthread worker runs MLFLOW_THREADS requests at once (docs/capacity.md).
    threads = env.get("MLFLOW_THREADS") or "2"
    gunicorn = f"--worker-class gthread --threads {threads} --timeout 120 --graceful-timeout 25 --keep-alive 5"
    server = subprocess.Popen(
        [
            "mlflow",
            "server",
            "--host",
            internal_host,
            "--port",
            internal_port,
            "--workers",
            workers,
            "--gunicorn-opts",
            gunicorn,
            "--serve-artifacts",
            "--artifacts-destination",
            artifacts,
        ],
        env=server_env,
        user="mlflow",
        group="mlflow",
        cwd="/var/lib/mlflow",
        process_group=0,  # its own group: supervise() can stop gunicorn with it
    )
    (RUN_DIR / "server.pid").write_text(f"{server.pid}\n")
    nginx = subprocess.Popen(["nginx", "-c", str(RUN_DIR / "nginx.conf"), "-g", "daemon off;"])
    return supervise(server, nginx)


def supervise(server: subprocess.Popen, nginx: subprocess.Popen, grace: float = 28) -> int:
    """Run until SIGTERM/SIGINT or until either process exits; returns the container's status.

    A signal stops both gracefully: nginx finishes the requests it holds (SIGQUIT) and `mlflow
    server` passes SIGTERM on to gunicorn, whose workers finish theirs (gunicorn's graceful timeout
    is 25 s); both get `grace` seconds in all, under ECS's default 30 s stop timeout, and the
    container exits 0. If either exits by itself, the container goes down at once (status 1) so the
    platform replaces it: nginx stops fast (SIGTERM) and the server's whole process group is killed.
    A killed `mlflow server` leaves its gunicorn behind, still answering through nginx while the
    container neither serves reliably nor restarts (on a busy host, for 30 s). `server` must lead
    its own process group (Popen's process_group=0)."""
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        log(f"signal {signum}: stopping nginx (graceful) and mlflow")
        if nginx.poll() is None:
            nginx.send_signal(signal.SIGQUIT)
        if server.poll() is None:
            server.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    crashed = False
    while not stopping:
        exited = next((child for child in (server, nginx) if child.poll() is not None), None)
        if exited is not None:
            # Decided here, so that a stop signal arriving now cannot turn the crash into a clean stop.
            crashed = True
            name = "mlflow server" if exited is server else "nginx"
            log(f"{name} exited unexpectedly (status {exited.returncode}); stopping the rest now")
            if nginx.poll() is None:
                nginx.terminate()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
            break
        time.sleep(0.5)
    deadline = time.monotonic() + grace
    for child in (server, nginx):
        try:
            child.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        if child is server:
            # `mlflow server` returns once gunicorn has: what is left of its group is orphaned.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(server.pid, signal.SIGKILL)
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(healthcheck(dict(os.environ)) if sys.argv[1:] == ["healthcheck"] else main())
