"""Bad input to mlflow_host fails before any change, naming the variable, without secrets.

Each case runs the role against localhost in check mode at -vvv: the input check follows only
the (read-only) fact gathering, so a failing check means nothing was installed or written.
"""

from __future__ import annotations

import pytest
from conftest import check_role_input

pytestmark = pytest.mark.preflight

DB_PASSWORD = "db-password-never-shown"
GOOD = {
    "mlflow_host_backend_uri": f"postgresql://mlflow:{DB_PASSWORD}@db.internal:5432/mlflow",
    "mlflow_host_artifacts_destination": "s3://bucket/mlflow",
}

CASES = {
    "no backend": ({"mlflow_host_backend_uri": ""}, "mlflow_host_backend_uri is empty"),
    "unknown backend scheme": (
        {"mlflow_host_backend_uri": f"oracle://mlflow:{DB_PASSWORD}@db:1521/x"},
        'mlflow_host_backend_uri: unsupported scheme "oracle"; use one of postgresql://',
    ),
    "mysql without pymysql": (
        {"mlflow_host_backend_uri": f"mysql://mlflow:{DB_PASSWORD}@db:3306/x"},
        'unsupported scheme "mysql"',
    ),
    "proxied artifacts without destination": (
        {"mlflow_host_artifacts_destination": ""},
        "mlflow_host_artifacts_destination is empty: proxied artifacts need a destination",
    ),
    "direct artifacts without root": (
        {"mlflow_host_artifacts_mode": "direct"},
        "mlflow_host_default_artifact_root is empty",
    ),
    "workers not a number": ({"mlflow_host_workers": "many"}, "mlflow_host_workers"),
    "port out of range": ({"mlflow_host_port": 70000}, "mlflow_host_port must be between 1 and 65535"),
    "old mlflow": ({"mlflow_host_version": "2.22.0"}, "mlflow_host_version must be an MLflow release 3.5 or later"),
    "auth without admin password": (
        {"mlflow_host_auth": "basic-auth", "mlflow_host_secret_key": "k" * 32},
        "mlflow_host_auth_admin_password must be set",
    ),
    "auth without shared secret key": (
        {"mlflow_host_auth": "basic-auth", "mlflow_host_auth_admin_password": "admin-password-long"},
        "mlflow_host_secret_key must be set",
    ),
    "unknown auth mode": ({"mlflow_host_auth": "ldap"}, "mlflow_host_auth"),
    "half an AWS key pair": (
        {"mlflow_host_aws_access_key_id": "AKIAEXAMPLE"},
        "mlflow_host_aws_access_key_id and mlflow_host_aws_secret_access_key must be given together",
    ),
    "backup with sqlite": (
        {
            "mlflow_host_backend_uri": "sqlite:////var/lib/mlflow/mlflow.db",
            "mlflow_host_db_backup_before_upgrade": True,
        },
        "mlflow_host_db_backup_before_upgrade works with PostgreSQL and MySQL backends only",
    ),
    "PgBouncer with MySQL": (
        {"mlflow_host_backend_uri": f"mysql+pymysql://mlflow:{DB_PASSWORD}@db:3306/x", "mlflow_host_pgbouncer": True},
        "mlflow_host_pgbouncer works with PostgreSQL backends only (mlflow_host_backend_uri is mysql+pymysql)",
    ),
    "PgBouncer pool smaller than the requests": (
        {
            "mlflow_host_pgbouncer": True,
            "mlflow_host_workers": 4,
            "mlflow_host_threads": 2,
            "mlflow_host_pgbouncer_pool_size": 3,
        },
        "mlflow_host_pgbouncer_pool_size (3) must be at least workers x mlflow_host_threads + 1 (9, or 0 for that)",
    ),
    "PgBouncer port out of range": (
        {"mlflow_host_pgbouncer": True, "mlflow_host_pgbouncer_port": 70000},
        "mlflow_host_pgbouncer_port must be between 1 and 65535",
    ),
    "PgBouncer TLS mode typo": (
        {"mlflow_host_pgbouncer": True, "mlflow_host_pgbouncer_server_tls_sslmode": "verify_full"},
        "mlflow_host_pgbouncer_server_tls_sslmode",
    ),
    "PgBouncer md5 on a network address": (
        {
            "mlflow_host_pgbouncer": True,
            "mlflow_host_pgbouncer_client_auth": "md5",
            "mlflow_host_pgbouncer_listen_address": "10.0.0.5",
        },
        "mlflow_host_pgbouncer_client_auth md5 needs a loopback mlflow_host_pgbouncer_listen_address"
        ' (127.x.x.x, ::1), not "10.0.0.5"',
    ),
    "bad environment name": ({"mlflow_host_environment": {"NOT-VALID": "x"}}, 'mlflow_host_environment: "NOT-VALID"'),
}


@pytest.mark.parametrize(("overrides", "message"), CASES.values(), ids=CASES.keys())
def test_bad_input_fails_first_and_names_the_variable(ansible_env, tmp_path, overrides, message):
    rc, output = check_role_input("mlops.mlflow_aws.mlflow_host", GOOD | overrides, ansible_env, tmp_path)
    assert rc == 2, output
    assert message in output
    assert "changed=0" in output and "failed=1" in output
    assert "Install system packages" not in output, "the role went past its input check"
    assert DB_PASSWORD not in output, "the database password appeared in the playbook output"
