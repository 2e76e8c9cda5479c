"""Bad input to nginx_basic_auth fails before any change, naming the variable.

Each case runs the role against localhost in check mode: the first task that could change
anything comes after the input check, so a failing check means nothing was touched.
"""

from __future__ import annotations

import pytest
from conftest import check_role_input

pytestmark = pytest.mark.preflight

GOOD_USER = {"name": "alice", "password": "a-long-enough-password"}

CASES = {
    "empty user list": ({"nginx_basic_auth_users": []}, "nginx_basic_auth_users is empty"),
    "short password": (
        {"nginx_basic_auth_users": [GOOD_USER, {"name": "bob", "password": "short-pw"}]},
        "nginx_basic_auth_users[1] (bob): password is shorter than 12 characters",
    ),
    "empty password": (
        {"nginx_basic_auth_users": [{"name": "bob", "password": ""}]},
        "nginx_basic_auth_users[0] (bob): password is empty",
    ),
    "default mlflow pair": (
        {
            "nginx_basic_auth_users": [{"name": "mlflow", "password": "mlflow"}],
            "nginx_basic_auth_password_min_length": 4,
        },
        "nginx_basic_auth_users[0]: the default mlflow/mlflow pair is not allowed",
    ),
    "upstream without port": (
        {"nginx_basic_auth_users": [GOOD_USER], "nginx_basic_auth_upstream": "mlflow.internal"},
        'nginx_basic_auth_upstream must be host:port (for example 127.0.0.1:5000), got "mlflow.internal"',
    ),
    "upstream port out of range": (
        {"nginx_basic_auth_users": [GOOD_USER], "nginx_basic_auth_upstream": "127.0.0.1:70000"},
        "nginx_basic_auth_upstream must be host:port",
    ),
    "tls with a cert but no key": (
        {
            "nginx_basic_auth_users": [GOOD_USER],
            "nginx_basic_auth_tls": True,
            "nginx_basic_auth_tls_cert_path": "/x.crt",
        },
        "nginx_basic_auth_tls_cert_path and nginx_basic_auth_tls_key_path go together",
    ),
    "body size not an nginx size": (
        {"nginx_basic_auth_users": [GOOD_USER], "nginx_basic_auth_client_max_body_size": "5 GB"},
        "nginx_basic_auth_client_max_body_size must be an nginx size",
    ),
    "rate limit rate": (
        {
            "nginx_basic_auth_users": [GOOD_USER],
            "nginx_basic_auth_rate_limit": True,
            "nginx_basic_auth_rate_limit_rate": "fast",
        },
        "nginx_basic_auth_rate_limit_rate must look like 20r/s",
    ),
    "bcrypt cost out of range": (
        {"nginx_basic_auth_users": [GOOD_USER], "nginx_basic_auth_bcrypt_cost": 40},
        "nginx_basic_auth_bcrypt_cost must be a whole number from 4 to 31",
    ),
    "user without password (argument spec)": (
        {"nginx_basic_auth_users": [{"name": "bob"}]},
        "missing required arguments: password found in nginx_basic_auth_users",
    ),
}


@pytest.mark.parametrize(("extra_vars", "message"), CASES.values(), ids=CASES.keys())
def test_bad_input_fails_first_and_names_the_variable(ansible_env, tmp_path, extra_vars, message):
    rc, output = check_role_input("mlops.mlflow_aws.nginx_basic_auth", extra_vars, ansible_env, tmp_path)
    assert rc == 2, output
    assert message in output
    assert "changed=0" in output and "failed=1" in output
    # Nothing past the input checks ran: no OS facts, no package or file tasks.
    assert "Include OS specific variables" not in output
    for user in extra_vars["nginx_basic_auth_users"]:
        if len(user.get("password", "")) >= 8:
            assert user["password"] not in output, "a password appeared in the playbook output"
