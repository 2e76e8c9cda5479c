#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: ecs_cluster
short_description: Manage Amazon ECS clusters
version_added: 1.0.0
description:
  - Creates, updates and deletes an Amazon ECS cluster, with its Container Insights setting, its capacity
    providers and default capacity provider strategy, and its tags.
  - An existing cluster is changed only where it differs from the options, one call per kind of change
    (settings, capacity providers, tags).
  - A cluster ECS reports as C(INACTIVE) (deleted earlier) counts as absent and is created again.
  - O(state=absent) fails, naming them, while the cluster still has active or draining services.
  - Replaces M(community.aws.ecs_cluster), which cannot manage settings or tags.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the cluster (1 to 255 letters, digits, hyphens or underscores).
    type: str
    required: true
  state:
    description: Whether the cluster exists.
    type: str
    choices: [present, absent]
    default: present
  container_insights:
    description: The cluster's C(containerInsights) setting (V(enhanced) adds task and container level metrics).
    type: str
    choices: [enabled, disabled, enhanced]
    default: enabled
  capacity_providers:
    description:
      - Capacity providers the cluster may use (V(FARGATE), V(FARGATE_SPOT) or Auto Scaling group providers).
      - The list replaces the cluster's; order does not matter.
    type: list
    elements: str
    default: [FARGATE]
  default_capacity_provider_strategy:
    description:
      - How services and tasks that give no launch type or strategy spread over the capacity providers.
        Each provider must be in O(capacity_providers). V([]) means none.
    type: list
    elements: dict
    default: []
    suboptions:
      capacity_provider:
        description: Name of the capacity provider.
        type: str
        required: true
      weight:
        description:
          - Relative share of tasks placed with this provider (0 to 1000; a provider of weight 0 gets no
            tasks beyond its O(default_capacity_provider_strategy[].base)).
          - The ECS API's default is 0; 1 here, so that a one-provider strategy places tasks.
        type: int
        default: 1
      base:
        description: Tasks placed with this provider before the weights apply (0 to 100000; one provider only).
        type: int
        default: 0
  wait:
    description: Wait until the cluster is C(ACTIVE) (or, with O(state=absent), C(INACTIVE)).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 300
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
notes:
  - The settings are changed with C(UpdateCluster), which takes the same C(settings) as C(UpdateClusterSettings).
"""

EXAMPLES = r"""
- name: Fargate cluster for MLflow, mostly on Spot
  mlops.mlflow_aws.ecs_cluster:
    name: mlflow
    capacity_providers: [FARGATE, FARGATE_SPOT]
    default_capacity_provider_strategy:
      - capacity_provider: FARGATE
        weight: 1
        base: 1
      - capacity_provider: FARGATE_SPOT
        weight: 3
    tags:
      Application: mlflow
  register: cluster

- name: Delete it (its services first)
  mlops.mlflow_aws.ecs_cluster:
    name: mlflow
    state: absent
"""

RETURN = r"""
cluster:
  description: The cluster as ECS describes it, in snake_case, with its tags as a dict.
  returned: when state is present (in check mode, only for an existing cluster; then with the changes applied)
  type: dict
  contains:
    cluster_name:
      description: Name of the cluster.
      type: str
      sample: mlflow
    cluster_arn:
      description: ARN of the cluster.
      type: str
      sample: arn:aws:ecs:eu-west-1:123456789012:cluster/mlflow
    status:
      description: C(ACTIVE) once usable.
      type: str
    settings:
      description: Cluster settings, a list of C(name)/C(value) dicts.
      type: list
      sample: [{"name": "containerInsights", "value": "enabled"}]
    capacity_providers:
      description: Capacity providers of the cluster.
      type: list
      elements: str
    default_capacity_provider_strategy:
      description: Default strategy, a list of C(capacity_provider)/C(weight)/C(base) dicts.
      type: list
    tags:
      description: Tags of the cluster.
      type: dict
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import ecs as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, compare_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

NAME = re.compile(r"^[A-Za-z0-9_-]{1,255}$")


def validate(params):
    """Every problem with the options, before any AWS call."""
    problems = []
    if not NAME.match(params["name"]):
        problems.append(f"name {params['name']!r}: 1-255 letters, digits, '-' or '_'")
    if params["state"] == "absent":
        return problems
    providers = params["capacity_providers"]
    strategy = params["default_capacity_provider_strategy"]
    seen = set()
    for index, item in enumerate(strategy):
        where = f"default_capacity_provider_strategy[{index}] ({item['capacity_provider']})"
        if item["capacity_provider"] not in providers:
            problems.append(f"{where}: not in capacity_providers {providers}")
        if item["capacity_provider"] in seen:
            problems.append(f"{where}: given twice")
        seen.add(item["capacity_provider"])
        if not 0 <= item["weight"] <= 1000:
            problems.append(f"{where}: weight {item['weight']} is not between 0 and 1000")
        if not 0 <= item["base"] <= 100000:
            problems.append(f"{where}: base {item['base']} is not between 0 and 100000")
    if sum(1 for item in strategy if item["base"]) > 1:
        problems.append("default_capacity_provider_strategy: only one provider may have a base")
    return problems


def insights(cluster):
    """The cluster's containerInsights setting (ECS's default, disabled, when it has none)."""
    values = [s.get("value") for s in cluster.get("settings") or [] if s.get("name") == "containerInsights"]
    return values[0] if values else "disabled"


def strategy_of(items):
    """A capacity provider strategy in ECS's shape, with ECS's defaults, in a stable order."""
    return sorted(
        (
            {"capacityProvider": i["capacityProvider"], "weight": i.get("weight") or 0, "base": i.get("base") or 0}
            for i in items or []
        ),
        key=lambda i: i["capacityProvider"],
    )


def desired_state(params):
    """What the options ask for, in the shape of a cluster description (ECS's member names)."""
    return {
        "clusterName": params["name"],
        "settings": [{"name": "containerInsights", "value": params["container_insights"]}],
        "capacityProviders": sorted(params["capacity_providers"]),
        "defaultCapacityProviderStrategy": strategy_of(
            {"capacityProvider": i["capacity_provider"], "weight": i["weight"], "base": i["base"]}
            for i in params["default_capacity_provider_strategy"]
        ),
    }


def changes(desired, current):
    """Which parts of CURRENT differ from DESIRED: a subset of ('settings', 'capacity_providers')."""
    differ = []
    if insights(current) != insights(desired):
        differ.append("settings")
    if sorted(current.get("capacityProviders") or []) != desired["capacityProviders"] or strategy_of(
        current.get("defaultCapacityProviderStrategy")
    ) != strategy_of(desired["defaultCapacityProviderStrategy"]):
        differ.append("capacity_providers")
    return differ


def compared(cluster, tags):
    """What the diff shows of a cluster: the managed parts."""
    return {
        "cluster_name": cluster["clusterName"],
        "container_insights": insights(cluster),
        "capacity_providers": sorted(cluster.get("capacityProviders") or []),
        "default_capacity_provider_strategy": [
            camel_dict_to_snake_dict(i) for i in strategy_of(cluster.get("defaultCapacityProviderStrategy"))
        ],
        "tags": tags,
    }


def view(cluster, tags):
    """What the result shows of a cluster."""
    snake = camel_dict_to_snake_dict({k: v for k, v in cluster.items() if k != "tags"})
    for key in ("settings", "capacity_providers", "default_capacity_provider_strategy"):
        snake.setdefault(key, [])
    snake["tags"] = tags
    return snake


def ensure_absent(module, client, current, result):
    name = module.params["name"]
    if current is None:
        return
    services = api.active_service_names(client, name)
    if services:
        module.fail_json(
            msg=f"cluster {name} still has {len(services)} active service(s): {', '.join(services)}. "
            "Delete them first (mlops.mlflow_aws.ecs_service with state=absent), then the cluster.",
            services=services,
        )
    result["changed"] = True
    result["diff"] = dict(before=compared(current, api.tags_dict(current.get("tags"))), after={})
    if module.check_mode:
        return
    api.delete_cluster(client, name)
    if module.params["wait"]:
        api.wait_for_cluster(client, name, module.params["wait_timeout"], deleted=True)


def ensure_present(module, client, current, result):
    params = module.params
    desired = desired_state(params)
    if current is None:
        tags = params["tags"] or {}
        result["changed"] = True
        result["diff"] = dict(before={}, after=compared(desired, tags))
        if module.check_mode:
            return None, tags
        request = dict(desired)
        if not request["defaultCapacityProviderStrategy"]:
            del request["defaultCapacityProviderStrategy"]
        if not request["capacityProviders"]:
            del request["capacityProviders"]
        if tags:
            request["tags"] = api.ecs_tags(tags)
        cluster = api.create_cluster(client, request)
        if params["wait"]:
            cluster = api.wait_for_cluster(client, params["name"], params["wait_timeout"])
        return cluster, tags

    if params["wait"] and current["status"] not in api.CLUSTER_SETTLED:
        current = api.wait_for_cluster(client, params["name"], params["wait_timeout"])
    tag_change = compare_tags(api.tags_dict(current.get("tags")), params["tags"], params["purge_tags"])
    differ = changes(desired, current)
    after = dict(current)
    if "settings" in differ:
        after["settings"] = desired["settings"]
    if "capacity_providers" in differ:
        after.update({k: desired[k] for k in ("capacityProviders", "defaultCapacityProviderStrategy")})
    if differ or tag_change.changed:
        result["changed"] = True
        result["diff"] = dict(before=compared(current, tag_change.before), after=compared(after, tag_change.after))
    if module.check_mode or not result["changed"]:
        return after, tag_change.after
    if "settings" in differ:
        api.update_cluster_settings(client, params["name"], desired["settings"])
    if "capacity_providers" in differ:
        api.put_cluster_capacity_providers(
            client, params["name"], desired["capacityProviders"], desired["defaultCapacityProviderStrategy"]
        )
    apply_tags(client, api.TAGS, current["clusterArn"], tag_change)
    if params["wait"]:
        return api.wait_for_cluster(client, params["name"], params["wait_timeout"]), tag_change.after
    return api.describe_cluster(client, params["name"]), tag_change.after


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            container_insights=dict(type="str", default="enabled", choices=["enabled", "disabled", "enhanced"]),
            capacity_providers=dict(type="list", elements="str", default=["FARGATE"]),
            default_capacity_provider_strategy=dict(
                type="list",
                elements="dict",
                default=[],
                options=dict(
                    capacity_provider=dict(type="str", required=True),
                    weight=dict(type="int", default=1),
                    base=dict(type="int", default=0),
                ),
            ),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="Invalid ECS cluster options: " + "; ".join(problems), problems=problems)
    client = module.client("ecs")
    result = dict(changed=False)
    try:
        current = api.describe_cluster(client, module.params["name"])
        if current is not None and current["status"] in api.CLUSTER_GONE:
            current = None  # deleted earlier: created again under the same name
        if module.params["state"] == "absent":
            ensure_absent(module, client, current, result)
            cluster = None
        else:
            cluster, tags = ensure_present(module, client, current, result)
    except WaitError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage ECS cluster {module.params['name']}")
    if cluster is not None:
        result["cluster"] = view(cluster, tags)
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
