#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rds_proxy_target_group
short_description: Manage the target group of an Amazon RDS Proxy
version_added: 0.1.0
description:
  - Sets the database an RDS Proxy forwards to (an RDS instance or an Aurora cluster) and the proxy's
    connection pool towards it.
  - The target group exists as long as its proxy does (RDS creates C(default) with the proxy); this module
    changes it and never creates or deletes it. Target groups carry no tags.
  - O(connection_pool.max_connections_percent) is the share of the database's C(max_connections) the proxy
    may open, which is what keeps a large fleet within the database's limit.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  proxy_name:
    description: Name of the proxy.
    type: str
    required: true
    aliases: [db_proxy_name]
  target_group_name:
    description: Name of the target group.
    type: str
    default: default
  db_instance_identifiers:
    description: RDS instances the proxy forwards to. Not given, the registered instances are left alone.
    type: list
    elements: str
  db_cluster_identifiers:
    description: Aurora clusters the proxy forwards to. Not given, the registered clusters are left alone.
    type: list
    elements: str
  purge_targets:
    description: Deregister instances or clusters that are registered but not listed (of the kinds given).
    type: bool
    default: true
  connection_pool:
    description: Connection pool towards the database. Members not given are left as they are.
    type: dict
    suboptions:
      max_connections_percent:
        description: Most connections the proxy opens, as a percentage of the database's C(max_connections) (1 to 100).
        type: int
      max_idle_connections_percent:
        description:
          - Most idle connections kept open, as a percentage of C(max_connections)
            (0 to O(connection_pool.max_connections_percent)).
        type: int
      connection_borrow_timeout:
        description: Seconds a client waits for a free connection before the proxy fails its request (0 to 3600).
        type: int
      session_pinning_filters:
        description: Session states the proxy ignores when deciding to pin a client to a connection.
        type: list
        elements: str
      init_query:
        description: SQL run on every new database connection.
        type: str
  wait:
    description: Wait until every registered target is available (or reports why it is not).
    type: bool
    default: false
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Forward the proxy to the MLflow database, using at most half its connections
  mlops.mlflow_aws.rds_proxy_target_group:
    proxy_name: mlflow
    db_instance_identifiers: [mlflow]
    connection_pool:
      max_connections_percent: 50
      connection_borrow_timeout: 30
"""

RETURN = r"""
target_group:
  description: The target group, in snake_case.
  returned: always
  type: dict
  contains:
    connection_pool_config:
      description: The pool settings.
      type: dict
    status:
      description: Status of the target group.
      type: str
targets:
  description: Registered targets, in snake_case, with their health.
  returned: always
  type: list
  elements: dict
"""

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import rds_proxy as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

POOL_MEMBERS = {
    "max_connections_percent": "MaxConnectionsPercent",
    "max_idle_connections_percent": "MaxIdleConnectionsPercent",
    "connection_borrow_timeout": "ConnectionBorrowTimeout",
    "session_pinning_filters": "SessionPinningFilters",
    "init_query": "InitQuery",
}


def validate(params):
    problems = []
    pool = params["connection_pool"] or {}
    most = pool.get("max_connections_percent")
    if most is not None and not 1 <= most <= 100:
        problems.append(f"connection_pool.max_connections_percent: {most} is not between 1 and 100")
    idle = pool.get("max_idle_connections_percent")
    if idle is not None and not 0 <= idle <= (most if most is not None else 100):
        problems.append(
            f"connection_pool.max_idle_connections_percent: {idle} is not between 0 and max_connections_percent"
        )
    borrow = pool.get("connection_borrow_timeout")
    if borrow is not None and not 0 <= borrow <= 3600:
        problems.append(f"connection_pool.connection_borrow_timeout: {borrow} is not between 0 and 3600 seconds")
    if params["db_instance_identifiers"] and params["db_cluster_identifiers"]:
        problems.append(
            "give db_instance_identifiers or db_cluster_identifiers, not both: a proxy forwards to one database"
        )
    return problems


def pool_changes(desired, current):
    """ConnectionPoolConfig members that differ from the current configuration."""
    changes = {}
    for option, member in POOL_MEMBERS.items():
        value = (desired or {}).get(option)
        if value is None:
            continue
        now = current.get(member)
        if isinstance(value, list):
            if sorted(value) != sorted(now or []):
                changes[member] = value
        elif value != now:
            changes[member] = value
    return changes


def wanted_pool(desired):
    """ConnectionPoolConfig with every member the user gave."""
    return {member: desired[option] for option, member in POOL_MEMBERS.items() if desired.get(option) is not None}


def registered(targets):
    """(instance identifiers, cluster identifiers) registered; a cluster's member instances are not counted."""
    instances = sorted(
        t["RdsResourceId"] for t in targets if t.get("Type") == "RDS_INSTANCE" and not t.get("TrackedClusterId")
    )
    clusters = sorted(
        {t.get("TrackedClusterId") or t["RdsResourceId"] for t in targets if t.get("Type") == "TRACKED_CLUSTER"}
    )
    return instances, clusters


def target_changes(params, targets):
    """{'register': (instances, clusters), 'deregister': (instances, clusters)} to reach the wanted targets."""
    instances, clusters = registered(targets)
    changes = {"register": ([], []), "deregister": ([], [])}
    for index, (wanted, have) in enumerate(
        ((params["db_instance_identifiers"], instances), (params["db_cluster_identifiers"], clusters))
    ):
        if wanted is None:
            continue
        changes["register"][index].extend(sorted(set(wanted) - set(have)))
        if params["purge_targets"]:
            changes["deregister"][index].extend(sorted(set(have) - set(wanted)))
    return changes


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            proxy_name=dict(type="str", required=True, aliases=["db_proxy_name"]),
            target_group_name=dict(type="str", default="default"),
            db_instance_identifiers=dict(type="list", elements="str"),
            db_cluster_identifiers=dict(type="list", elements="str"),
            purge_targets=dict(type="bool", default=True),
            connection_pool=dict(
                type="dict",
                options=dict(
                    max_connections_percent=dict(type="int"),
                    max_idle_connections_percent=dict(type="int"),
                    connection_borrow_timeout=dict(type="int"),
                    session_pinning_filters=dict(type="list", elements="str"),
                    init_query=dict(type="str"),
                ),
            ),
            wait=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = validate(params)
    if problems:
        module.fail_json(msg="Invalid RDS Proxy target group options: " + "; ".join(problems), problems=problems)
    client = module.client("rds")
    proxy, group_name = params["proxy_name"], params["target_group_name"]
    result = dict(changed=False)
    try:
        if api.describe_proxy(client, proxy) is None:
            module.fail_json(msg=f"proxy {proxy} does not exist: create it with mlops.mlflow_aws.rds_proxy first")
        group = api.describe_target_group(client, proxy, group_name)
        if group is None:
            module.fail_json(msg=f"proxy {proxy} has no target group {group_name}")
        targets = api.describe_targets(client, proxy, group_name)
        pool = pool_changes(params["connection_pool"], group.get("ConnectionPoolConfig", {}))
        moves = target_changes(params, targets)
        moving = any(ids for pair in moves.values() for ids in pair)
        if pool or moving:
            before_instances, before_clusters = registered(targets)
            after_instances = sorted(set(before_instances) - set(moves["deregister"][0]) | set(moves["register"][0]))
            after_clusters = sorted(set(before_clusters) - set(moves["deregister"][1]) | set(moves["register"][1]))
            result.update(
                changed=True,
                diff=dict(
                    before=dict(
                        connection_pool_config=camel_dict_to_snake_dict(group.get("ConnectionPoolConfig", {})),
                        db_instance_identifiers=before_instances,
                        db_cluster_identifiers=before_clusters,
                    ),
                    after=dict(
                        connection_pool_config=camel_dict_to_snake_dict(
                            dict(group.get("ConnectionPoolConfig", {}), **pool)
                        ),
                        db_instance_identifiers=after_instances,
                        db_cluster_identifiers=after_clusters,
                    ),
                ),
            )
        if result["changed"] and not module.check_mode:
            if pool:
                # Every member the user gave, not only the changed ones: RDS recomputes an omitted
                # MaxIdleConnectionsPercent from MaxConnectionsPercent.
                group = api.modify_target_group(client, proxy, group_name, wanted_pool(params["connection_pool"]))
            if any(moves["deregister"]):
                api.deregister_targets(client, proxy, group_name, *moves["deregister"])
            if any(moves["register"]):
                api.register_targets(client, proxy, group_name, *moves["register"])
            targets = api.describe_targets(client, proxy, group_name)
        if params["wait"] and not module.check_mode:
            targets = api.wait_for_targets(client, proxy, group_name, params["wait_timeout"])
    except WaitError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage target group {group_name} of RDS Proxy {proxy}")
    result.update(target_group=camel_dict_to_snake_dict(group), targets=[camel_dict_to_snake_dict(t) for t in targets])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
