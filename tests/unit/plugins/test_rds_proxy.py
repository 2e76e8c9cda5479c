"""rds_proxy and rds_proxy_target_group: what they send for a given state, and waiting."""

from __future__ import annotations

import pytest
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import rds_proxy as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError
from ansible_collections.mlops.mlflow_aws.plugins.modules import rds_proxy as proxy
from ansible_collections.mlops.mlflow_aws.plugins.modules import rds_proxy_target_group as group

SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf"
ROLE = "arn:aws:iam::123456789012:role/proxy"
CURRENT = {
    "DBProxyName": "mlflow",
    "DBProxyArn": "arn:aws:rds:eu-west-1:123456789012:db-proxy:prx-1",
    "Status": "available",
    "EngineFamily": "POSTGRESQL",
    "VpcSubnetIds": ["subnet-1", "subnet-2"],
    "VpcSecurityGroupIds": ["sg-1"],
    "Auth": [
        {
            "AuthScheme": "SECRETS",
            "SecretArn": SECRET,
            "IAMAuth": "DISABLED",
            "ClientPasswordAuthType": "POSTGRES_SCRAM_SHA_256",
        }
    ],
    "RoleArn": ROLE,
    "RequireTLS": True,
    "IdleClientTimeout": 1800,
    "DebugLogging": False,
}


def params(**overrides):
    base = {
        "name": "mlflow",
        "state": "present",
        "engine_family": "POSTGRESQL",
        "auth": [{"secret_arn": SECRET, "iam_auth": "DISABLED", "client_password_auth_type": None}],
        "role_arn": ROLE,
        "vpc_subnet_ids": ["subnet-2", "subnet-1"],
        "vpc_security_group_ids": None,
        "require_tls": True,
        "idle_client_timeout": 1800,
        "debug_logging": False,
    }
    base.update(overrides)
    return base


def test_matching_proxy_needs_no_call():
    # AWS's own choices (the client password type) and subnet order do not count as differences.
    assert proxy.modify_request(params(), CURRENT) == {}
    assert proxy.immutable_problems(params(), CURRENT) == []


def test_only_differing_members_are_sent():
    wanted = params(idle_client_timeout=600, vpc_security_group_ids=["sg-2", "sg-1"], require_tls=False)
    assert proxy.modify_request(wanted, CURRENT) == {
        "SecurityGroups": ["sg-2", "sg-1"],
        "RequireTLS": False,
        "IdleClientTimeout": 600,
    }


def test_a_new_login_sends_the_whole_auth_list():
    other = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:reader-XyZ123"
    logins = params()["auth"] + [{"secret_arn": other, "iam_auth": "REQUIRED", "client_password_auth_type": None}]
    request = proxy.modify_request(params(auth=logins), CURRENT)
    assert [a["SecretArn"] for a in request["Auth"]] == sorted([SECRET, other])
    assert request["Auth"][0]["ClientPasswordAuthType"] == "POSTGRES_SCRAM_SHA_256"  # kept, not reset


def test_immutable_changes_are_named():
    problems = proxy.immutable_problems(params(engine_family="MYSQL", vpc_subnet_ids=["subnet-3", "subnet-4"]), CURRENT)
    assert problems == ["engine_family is POSTGRESQL and cannot change", "vpc_subnet_ids cannot change"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"name": "my_proxy"}, "name 'my_proxy'"),
        ({"auth": [{"secret_arn": "arn:aws:ssm:eu-west-1:123456789012:parameter/x"}]}, "auth[0].secret_arn"),
        ({"vpc_subnet_ids": ["subnet-1", "subnet-1"]}, "at least two subnets"),
        ({"idle_client_timeout": 40000}, "idle_client_timeout: 40000"),
    ],
)
def test_validation_messages(overrides, message):
    assert any(message in problem for problem in proxy.validate(params(**overrides)))


def test_create_request_leaves_security_groups_to_aws_when_not_given():
    request = proxy.create_request(dict(params(), tags={"a": "b"}))
    assert "VpcSecurityGroupIds" not in request
    assert request["Auth"] == [{"AuthScheme": "SECRETS", "SecretArn": SECRET, "IAMAuth": "DISABLED"}]
    assert request["Tags"] == [{"Key": "a", "Value": "b"}]


def test_waiting_for_a_proxy_stuck_in_incompatible_network_fails_at_once():
    class Client:
        def describe_db_proxies(self, DBProxyName):
            return {"DBProxies": [dict(CURRENT, Status="incompatible-network")]}

    with pytest.raises(WaitError, match="proxy mlflow is incompatible-network: check its subnets"):
        api.wait_for_proxy(Client(), "mlflow", 600, sleep=lambda _s: pytest.fail("slept"))


def test_waiting_times_out_with_the_last_status():
    clock = iter(range(0, 10_000, 5))

    class Client:
        def describe_db_proxies(self, DBProxyName):
            return {"DBProxies": [dict(CURRENT, Status="creating")]}

    with pytest.raises(WaitError, match="timed out after 60s waiting for proxy mlflow to be available: still creating"):
        api.wait_for_proxy(Client(), "mlflow", 60, sleep=lambda _s: None, clock=lambda: next(clock))


def tg_params(**overrides):
    base = {
        "db_instance_identifiers": None,
        "db_cluster_identifiers": None,
        "purge_targets": True,
        "connection_pool": None,
    }
    base.update(overrides)
    return base


def test_pool_changes_and_full_config_sent():
    current = {"MaxConnectionsPercent": 100, "MaxIdleConnectionsPercent": 50, "SessionPinningFilters": []}
    wanted = {"max_connections_percent": 50, "max_idle_connections_percent": 50, "session_pinning_filters": None}
    assert group.pool_changes(wanted, current) == {"MaxConnectionsPercent": 50}
    # Everything the user gave goes out, or RDS would recompute the idle share.
    assert group.wanted_pool(wanted) == {"MaxConnectionsPercent": 50, "MaxIdleConnectionsPercent": 50}
    assert group.pool_changes(wanted, dict(current, MaxConnectionsPercent=50)) == {}


def test_target_changes_register_and_purge():
    targets = [{"RdsResourceId": "old", "Type": "RDS_INSTANCE"}]
    moves = group.target_changes(tg_params(db_instance_identifiers=["new"]), targets)
    assert moves == {"register": (["new"], []), "deregister": (["old"], [])}
    kept = group.target_changes(tg_params(db_instance_identifiers=["new"], purge_targets=False), targets)
    assert kept == {"register": (["new"], []), "deregister": ([], [])}
    # Not given: left alone.
    assert group.target_changes(tg_params(), targets) == {"register": ([], []), "deregister": ([], [])}


def test_cluster_members_count_as_the_cluster():
    targets = [
        {"RdsResourceId": "db-writer", "Type": "RDS_INSTANCE", "TrackedClusterId": "mlflow"},
        {"RdsResourceId": "mlflow", "Type": "TRACKED_CLUSTER"},
    ]
    assert group.registered(targets) == ([], ["mlflow"])
    assert group.target_changes(tg_params(db_cluster_identifiers=["mlflow"]), targets)["register"] == ([], [])
