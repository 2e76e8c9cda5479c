"""Database chores of an MLflow host, run by systemd units with the server's environment.

upgrade: run ``mlflow db upgrade`` on MLFLOW_BACKEND_STORE_URI, then record the MLflow version
         in the state file (the mlflow_host role migrates again only when that version changes).
backup:  dump the backend database with pg_dump or mysqldump into a directory.

The database URI comes from the environment (systemd EnvironmentFile), so the password never
appears on a command line. Installed by the mlflow_host role of mlops.mlflow_aws.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import os
import subprocess
import sys
import time
from pathlib import Path


def backend_uri() -> str:
    uri = os.environ.get("MLFLOW_BACKEND_STORE_URI", "")
    if not uri:
        sys.exit("MLFLOW_BACKEND_STORE_URI is not set (is the environment file loaded?)")
    return uri


def check_connection(uri: str, attempts: int = 3) -> None:
    """Fail in seconds, not after MLflow's minutes of retries, when the database is unreachable."""
    import sqlalchemy  # noqa: PLC0415 - imported only in the virtualenv

    engine = sqlalchemy.create_engine(uri, poolclass=sqlalchemy.pool.NullPool)
    for attempt in range(1, attempts + 1):
        try:
            with engine.connect():
                return
        except sqlalchemy.exc.OperationalError as exc:
            reason = str(exc.orig).strip()
            print(f"cannot connect to the backend database (attempt {attempt}/{attempts}): {reason}", flush=True)
            if attempt < attempts:
                time.sleep(2)
    sys.exit("the backend database is unreachable or refuses the credentials in MLFLOW_BACKEND_STORE_URI")


def upgrade(state_file: Path) -> None:
    from mlflow.db import commands  # noqa: PLC0415 - imported only in the virtualenv

    version = importlib.metadata.version("mlflow")
    check_connection(backend_uri())
    print(f"upgrading the database schema for MLflow {version}", flush=True)
    commands.main(args=["upgrade", backend_uri()], prog_name="mlflow db", standalone_mode=False)
    state_file.write_text(version + "\n", encoding="utf-8")
    print(f"database schema is at MLflow {version}", flush=True)


def backup(directory: Path) -> None:
    from sqlalchemy.engine import make_url  # noqa: PLC0415 - imported only in the virtualenv

    url = make_url(backend_uri())
    dialect = url.get_backend_name()
    stamp = datetime.datetime.now(tz=datetime.timezone.utc).strftime("%Y%m%dT%H%M%SZ")  # noqa: UP017 - Python 3.9 hosts
    env = dict(os.environ)
    if dialect == "postgresql":
        target = directory / f"{url.database}-{stamp}.pgdump"
        env["PGPASSWORD"] = url.password or ""
        cmd = ["pg_dump", "--format=custom", "--no-owner", f"--file={target}", f"--dbname={url.database}"]
        cmd += [f"--host={url.host or 'localhost'}", f"--port={url.port or 5432}", f"--username={url.username}"]
    elif dialect == "mysql":
        target = directory / f"{url.database}-{stamp}.sql"
        env["MYSQL_PWD"] = url.password or ""
        cmd = ["mysqldump", "--single-transaction", f"--result-file={target}", f"--host={url.host or 'localhost'}"]
        cmd += [f"--port={url.port or 3306}", f"--user={url.username}", str(url.database)]
    else:
        sys.exit(f"backup: no dump tool for the {dialect} dialect")
    subprocess.run(cmd, env=env, check=True)
    print(f"database dumped to {target} ({target.stat().st_size} bytes)", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("upgrade", help="run mlflow db upgrade and record the version")
    up.add_argument("--state-file", type=Path, required=True)
    bk = sub.add_parser("backup", help="dump the database")
    bk.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args()
    if args.command == "upgrade":
        upgrade(args.state_file)
    else:
        backup(args.dir)


if __name__ == "__main__":
    main()
