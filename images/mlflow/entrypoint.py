"""Start MLflow behind nginx basic auth from the container's environment (see README.md).

Order: read and check the configuration (refusing default or missing credentials), write the
password file, bring the database schema up to date under a database lock (only when it is behind),
then run `mlflow server` on a loopback port and nginx on $PORT. SIGTERM/SIGINT stop both cleanly;
if either exits, the other is stopped and the container exits non-zero.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

RUN_DIR = Path("/run/mlflow")
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}
# Seed-style defaults that must never reach a deployed server.
DEFAULT_SECRETS = {"mlflow", "password", "admin", "changeme"}
MIN_PASSWORD = 12
MIGRATION_LOCK = 7716_0001  # advisory lock key (PostgreSQL) / lock name suffix (MySQL)


class ConfigError(Exception):
    pass


def log(message: str) -> None:
    print(f"[mlflow-entrypoint] {message}", file=sys.stderr, flush=True)


def _json_env(name: str) -> dict:
    raw = os.environ.get(name, "")
    if not raw:
        return {}
    try:
        value = json.loads(raw)
    except ValueError:
        raise ConfigError(f"{name} is not JSON") from None
    if not isinstance(value, dict):
        raise ConfigError(f"{name} must be a JSON object")
    return value


def backend_uri(env: dict[str, str]) -> str:
    """MLFLOW_BACKEND_URI, or one built from MLFLOW_DB_* (over an RDS-style MLFLOW_DB_SECRET_JSON)."""
    if env.get("MLFLOW_BACKEND_URI"):
        return env["MLFLOW_BACKEND_URI"]
    secret = _json_env("MLFLOW_DB_SECRET_JSON")
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
    query = "?sslmode=prefer" if family == "postgresql" else ""
    return f"{dialect}://{quote(str(user), safe='')}:{quote(str(password), safe='')}@{host}:{port}/{database}{query}"


def tracking_users(env: dict[str, str]) -> list[tuple[str, str]]:
    """(user, password) pairs from MLFLOW_TRACKING_USERNAME/PASSWORD (comma-separated) or _AUTH_JSON."""
    auth = _json_env("MLFLOW_TRACKING_AUTH_JSON")
    names = (env.get("MLFLOW_TRACKING_USERNAME") or auth.get("username") or "").split(",")
    passwords = (env.get("MLFLOW_TRACKING_PASSWORD") or auth.get("password") or "").split(",")
    names, passwords = [n.strip() for n in names if n.strip()], [p for p in passwords if p]
    if not names or len(names) != len(passwords):
        raise ConfigError(
            "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD must list the same number of users "
            "(comma-separated), or MLFLOW_TRACKING_AUTH_JSON must hold username and password"
        )
    for name, password in zip(names, passwords, strict=True):
        if password in DEFAULT_SECRETS or password == name or len(password) < MIN_PASSWORD:
            raise ConfigError(
                f"MLFLOW_TRACKING_PASSWORD for user {name!r} is a default or shorter than {MIN_PASSWORD} "
                "characters; refusing to start"
            )
        if ":" in name:
            raise ConfigError(f"MLFLOW_TRACKING_USERNAME {name!r} must not contain ':'")
    return list(zip(names, passwords, strict=True))


def write_htpasswd(users: list[tuple[str, str]]) -> None:
    """SHA-512 crypt hashes from openssl; passwords go through stdin, never the command line."""
    hashes = subprocess.run(
        ["openssl", "passwd", "-6", "-stdin"],
        input="".join(f"{password}\n" for _name, password in users),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    path = RUN_DIR / "htpasswd"
    path.touch(mode=0o640)
    shutil.chown(path, "root", "www-data")  # nginx workers run as www-data
    path.write_text("".join(f"{name}:{digest}\n" for (name, _pw), digest in zip(users, hashes, strict=True)))


def migrate(uri: str) -> None:
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
            log(f"database not reachable yet ({type(exc.orig).__name__}); retry {attempt + 1}/30")
            time.sleep(2)
    else:
        raise ConfigError("database not reachable after 60 s")
    if current == head:
        log(f"database schema is current ({head}); no migration")
        return
    postgres = engine.dialect.name == "postgresql"
    with engine.connect() as lock:
        if postgres:
            lock.execute(sqlalchemy.text("SELECT pg_advisory_lock(:k)"), {"k": MIGRATION_LOCK})
        else:
            lock.execute(sqlalchemy.text("SELECT GET_LOCK(:k, 600)"), {"k": f"mlflow-migrate-{MIGRATION_LOCK}"})
        try:
            current = utils._get_schema_version(engine)  # another instance may have done it meanwhile
            if current == head:
                log("schema brought up to date by another instance")
            elif utils._is_empty_database(engine):
                log(f"empty database: creating the MLflow schema ({head})")
                utils._initialize_tables(engine)
            else:
                log(f"upgrading the schema from {current} to {head}")
                utils._upgrade_db(engine)
        finally:
            if postgres:
                lock.execute(sqlalchemy.text("SELECT pg_advisory_unlock(:k)"), {"k": MIGRATION_LOCK})
            else:
                lock.execute(sqlalchemy.text("SELECT RELEASE_LOCK(:k)"), {"k": f"mlflow-migrate-{MIGRATION_LOCK}"})
    engine.dispose()


def main() -> int:  # noqa: PLR0915 - one linear start-up sequence
    env = dict(os.environ)
    port = env.get("PORT") or "8080"
    listen = env.get("LISTEN_ADDRESS") or "0.0.0.0"  # noqa: S104 - the container's published port
    internal_host = listen if listen.startswith("127.") else "127.0.0.1"
    internal_port = env.get("MLFLOW_INTERNAL_PORT") or ("5001" if port == "5000" else "5000")
    upstream = f"{internal_host}:{internal_port}"
    try:
        if not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ConfigError(f"PORT {port!r} is not a port number")
        users = tracking_users(env)
        uri = backend_uri(env)
        write_htpasswd(users)
        migrate(uri)
    except ConfigError as exc:
        log(f"configuration error: {exc}")
        return 2
    allowed = [h.strip() for h in env.get("MLFLOW_ALLOWED_HOSTS", "*.awsapprunner.com").split(",") if h.strip()]
    template = Path("/etc/mlflow/nginx.conf.template").read_text()
    conf = template.replace("${UPSTREAM}", upstream).replace("${LISTEN}", f"{listen}:{port}")
    (RUN_DIR / "nginx.conf").write_text(conf)

    server_env = {k: v for k, v in env.items() if not k.startswith(("MLFLOW_DB_", "MLFLOW_TRACKING_"))}
    server_env.pop("MLFLOW_BACKEND_URI", None)
    # Pools sized for the default connection budget (docs/capacity.md): 2 workers x 2 stores x (2 + 3).
    server_env.setdefault("MLFLOW_SQLALCHEMYSTORE_POOL_SIZE", "2")
    server_env.setdefault("MLFLOW_SQLALCHEMYSTORE_MAX_OVERFLOW", "3")
    server_env.setdefault("MLFLOW_SQLALCHEMYSTORE_POOL_RECYCLE", "1800")
    server_env.update(
        MLFLOW_BACKEND_STORE_URI=uri,
        MLFLOW_SERVER_ALLOWED_HOSTS=",".join([*allowed, upstream]),
    )
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
    )
    (RUN_DIR / "server.pid").write_text(f"{server.pid}\n")
    nginx = subprocess.Popen(["nginx", "-c", str(RUN_DIR / "nginx.conf"), "-g", "daemon off;"])
    children = [server, nginx]
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
    while all(child.poll() is None for child in children):
        time.sleep(0.5)
    if not stopping:
        log("a process exited unexpectedly; stopping the other")
        stop(signal.SIGTERM, None)
    for child in children:
        try:
            child.wait(timeout=25)
        except subprocess.TimeoutExpired:
            child.kill()
    return 0 if stopping else 1


if __name__ == "__main__":
    sys.exit(main())
