"""The collection resolves from a plain checkout with the repository's ansible.cfg."""

from __future__ import annotations

import pytest
from conftest import run


def test_ansible_doc_prints_the_role_argument_spec(ansible_env):
    result = run(["ansible-doc", "-t", "role", "mlops.mlflow_aws.nginx_basic_auth"], ansible_env)
    assert result.returncode == 0, result.stderr
    assert "ENTRY POINT: *main*" in result.stdout
    assert "nginx_basic_auth_users" in result.stdout
    assert "nginx_basic_auth_client_max_body_size" in result.stdout


@pytest.mark.parametrize("playbook", ["playbooks/nginx_basic_auth.yml"])
def test_playbooks_resolve_collection_roles(ansible_env, playbook):
    result = run(["ansible-playbook", "-i", "inventories/example", "--syntax-check", playbook], ansible_env)
    assert result.returncode == 0, result.stdout + result.stderr
