# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Amazon ECS API calls shared by the ecs_* modules.

Every call goes through ``AWSRetry.jittered_backoff``; waiting for a cluster to settle
(``waiters.wait_until``) lives here, so each module only decides *what* to change. ECS tags are
lower-case ``key``/``value`` lists set with ``tag_resource``/``untag_resource`` (``TAGS``, for
``tags.ensure_tags``); ``ecs_tags`` turns an Ansible tag dict into the list create calls take.

One section per kind of resource (``# ---- clusters``, ``# ---- task definitions``); a module for a
new kind adds its own section at the end.
"""

from __future__ import annotations

import json
import re
import time

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry
from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    boto3_tag_list_to_ansible_dict,
)
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import TagAdapter
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import wait_until

# ECS throttles with "ThrottlingException", which AWSRetry's default list does not include. A cluster
# whose capacity providers are being changed refuses another change for a while ("UpdateInProgressException").
_retry = AWSRetry.jittered_backoff(retries=10, delay=2, max_delay=30, catch_extra_error_codes=["ThrottlingException"])
_retry_busy = AWSRetry.jittered_backoff(
    retries=10, delay=3, max_delay=30, catch_extra_error_codes=["ThrottlingException", "UpdateInProgressException"]
)

POLL_SECONDS = 5


def _paginate(client, method, key, **params):
    items = []
    while True:
        page = _retry(getattr(client, method))(**params)
        items.extend(page.get(key, []))
        if not page.get("nextToken"):
            return items
        params["nextToken"] = page["nextToken"]


# ---------------------------------------------------------------- tags
def ecs_tags(tags):
    """An Ansible tag dict as the [{'key': ..., 'value': ...}] list ECS create/register calls take."""
    return ansible_dict_to_boto3_tag_list(tags or {}, tag_name_key_name="key", tag_value_key_name="value")


def get_tags(client, arn):
    tags = _retry(client.list_tags_for_resource)(resourceArn=arn).get("tags") or []
    return boto3_tag_list_to_ansible_dict(tags, tag_name_key_name="key", tag_value_key_name="value")


def _tag(client, arn, tags):
    _retry(client.tag_resource)(resourceArn=arn, tags=ecs_tags(tags))


def _untag(client, arn, keys):
    _retry(client.untag_resource)(resourceArn=arn, tagKeys=keys)


TAGS = TagAdapter(list_tags=get_tags, tag_resource=_tag, untag_resource=_untag)


def tags_dict(tags):
    """The lower-case tag list a describe call returns (include=['TAGS']) as an Ansible tag dict."""
    return boto3_tag_list_to_ansible_dict(tags or [], tag_name_key_name="key", tag_value_key_name="value")


# ---------------------------------------------------------------- clusters
CLUSTER_SETTLED = ("ACTIVE",)
CLUSTER_GONE = ("INACTIVE",)


def describe_cluster(client, name):
    """The cluster NAME (or ARN) with its settings and tags; None when ECS does not know it.

    An INACTIVE (deleted) cluster is returned as ECS describes it: callers decide what it means.
    """
    response = _retry(client.describe_clusters)(clusters=[name], include=["SETTINGS", "TAGS"])
    clusters = response.get("clusters") or []
    return clusters[0] if clusters else None


def create_cluster(client, request):
    """CreateCluster. In an account that has never used ECS, the first call with capacity providers
    fails until ECS has created its service-linked role ("Unable to assume the service linked
    role"): that call is retried for a minute."""
    for attempt in range(6):
        try:
            return _retry(client.create_cluster)(**request)["cluster"]
        except is_boto3_error_code("InvalidParameterException") as exc:
            if "service linked role" not in str(exc) or attempt == 5:
                raise
            time.sleep(10)
    return None


def update_cluster_settings(client, name, settings):
    """Set the cluster's settings (containerInsights).

    UpdateCluster takes the same ``settings`` as UpdateClusterSettings and is what moto implements too.
    """
    return _retry_busy(client.update_cluster)(cluster=name, settings=settings)["cluster"]


def put_cluster_capacity_providers(client, name, providers, strategy):
    return _retry_busy(client.put_cluster_capacity_providers)(
        cluster=name, capacityProviders=providers, defaultCapacityProviderStrategy=strategy
    )["cluster"]


def delete_cluster(client, name):
    try:
        return _retry_busy(client.delete_cluster)(cluster=name)["cluster"]
    except is_boto3_error_code("ClusterNotFoundException"):
        return None


def active_service_names(client, cluster):
    """Names of the cluster's services that keep it from being deleted (ACTIVE or DRAINING)."""
    try:
        arns = _paginate(client, "list_services", "serviceArns", cluster=cluster)
    except is_boto3_error_code("ClusterNotFoundException"):
        return []
    names = []
    for start in range(0, len(arns), 10):  # DescribeServices takes at most 10 services
        services = _retry(client.describe_services)(cluster=cluster, services=arns[start : start + 10])["services"]
        names.extend(s["serviceName"] for s in services if s.get("status") in ("ACTIVE", "DRAINING"))
    return sorted(names)


def wait_for_cluster(client, name, timeout, *, deleted=False, sleep=time.sleep, clock=time.monotonic):  # noqa: PLR0913 (test clock)
    """Poll until the cluster is ACTIVE (or, with DELETED, INACTIVE or gone); returns its description."""

    def problem(cluster):
        if deleted:
            return None
        if cluster is None or cluster["status"] in CLUSTER_GONE:
            return f"cluster {name} disappeared while waiting for it to become active"
        if cluster["status"] == "FAILED":
            return f"cluster {name} is FAILED: {cluster.get('attachmentsStatus', 'see its attachments')}"
        return None

    def done(cluster):
        if deleted:
            return cluster is None or cluster["status"] in CLUSTER_GONE
        return cluster is not None and cluster["status"] in CLUSTER_SETTLED

    return wait_until(
        lambda: describe_cluster(client, name),
        done,
        failure=problem,
        resource=f"cluster {name}",
        goal="be deleted" if deleted else "be active",
        status=lambda cluster: "gone" if cluster is None else cluster["status"],
        timeout=timeout,
        delay=POLL_SECONDS,
        sleep=sleep,
        clock=clock,
    )


# ---------------------------------------------------------------- task definitions
# The module compares the options with the latest ACTIVE revision as ECS describes it; these functions
# bring both to one shape (compared_definitions), so that a no-op run is unchanged.
TOP_LEVEL = ("cpu", "memory", "networkMode", "requiresCompatibilities", "executionRoleArn", "taskRoleArn")
TOP_LEVEL += ("runtimePlatform", "ephemeralStorage")
# Container fields ECS never fills in itself (beyond an empty list): when the latest revision has one the
# options no longer give, the user removed it. Other fields are compared only when given.
_USER_FIELD_NAMES = (
    "command cpu credentialSpecs dependsOn disableNetworking dnsSearchDomains dnsServers dockerLabels "
    "dockerSecurityOptions entryPoint environment environmentFiles extraHosts firelensConfiguration healthCheck "
    "hostname image interactive links linuxParameters logConfiguration memory memoryReservation mountPoints "
    "portMappings privileged pseudoTerminal readonlyRootFilesystem repositoryCredentials resourceRequirements "
    "restartPolicy secrets startTimeout stopTimeout systemControls ulimits user versionConsistency volumesFrom "
    "workingDirectory"
)
USER_FIELDS = frozenset(_USER_FIELD_NAMES.split())
FALSE_BY_DEFAULT = ("disableNetworking", "interactive", "privileged", "pseudoTerminal", "readonlyRootFilesystem")
HEALTH_CHECK_DEFAULTS = {"interval": 30, "timeout": 5, "retries": 3}


def empty(value):
    return value is None or (isinstance(value, (list, dict)) and not value)


def prune(value):
    """VALUE without None, [] and {} members in its dicts (ECS returns empty lists for fields not given)."""
    if isinstance(value, dict):
        pruned = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in pruned.items() if not empty(v)}
    if isinstance(value, list):
        return [prune(v) for v in value]
    return value


def units(value, unit):
    """'1 vCPU' -> '1024', '2 GB' -> '2048' (as ECS stores them); anything else as a stripped string."""
    text = str(value).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*" + unit, text, re.IGNORECASE)
    return str(int(float(match[1]) * 1024)) if match else text


def _port_mapping(mapping, network_mode):
    mapping = dict(mapping)
    mapping.setdefault("protocol", "tcp")
    if network_mode in ("awsvpc", "host") and "containerPort" in mapping:
        mapping.setdefault("hostPort", mapping["containerPort"])
    elif mapping.get("hostPort") == 0:  # bridge: 0 and none both mean a dynamic host port
        del mapping["hostPort"]
    return mapping


def normalize_container(container, network_mode):
    """CONTAINER as ECS would describe it, in a stable order, without what ECS adds for fields not given."""
    c = prune(container)
    c.setdefault("essential", True)
    if c.get("cpu") == 0:
        del c["cpu"]
    if c.get("versionConsistency") == "enabled":
        del c["versionConsistency"]
    for key in FALSE_BY_DEFAULT:
        if c.get(key) is False:
            del c[key]
    if "portMappings" in c:
        mappings = (_port_mapping(m, network_mode) for m in c["portMappings"])
        c["portMappings"] = sorted(mappings, key=lambda m: json.dumps(m, sort_keys=True))
    for key in ("environment", "secrets"):
        if key in c:
            c[key] = sorted(c[key], key=lambda item: (item.get("name", ""), json.dumps(item, sort_keys=True)))
    if "healthCheck" in c:
        check = dict(HEALTH_CHECK_DEFAULTS, **c["healthCheck"])
        if not check.get("startPeriod"):
            check.pop("startPeriod", None)
        c["healthCheck"] = check
    return c


def normalize_definition(definition):
    """The compared top-level fields of a task definition (a request or a description)."""
    normal = {"family": definition["family"]}
    for key in TOP_LEVEL:
        value = prune(definition.get(key))
        if key in ("cpu", "memory") and value is not None:
            value = units(value, "vcpu" if key == "cpu" else "gb")
        if key == "requiresCompatibilities" and value:
            value = sorted(value)
        if not empty(value):
            normal[key] = value
    return normal


# Integer fields of a container definition. Templated values may reach the module as digit strings
# (ansible-core before 2.19 renders "{{ port | int }}" inside a structure as text); the API wants
# numbers.
_CONTAINER_INTS = ("cpu", "memory", "memoryReservation", "startTimeout", "stopTimeout")
_NESTED_INTS = {
    "portMappings": ("containerPort", "hostPort"),
    "healthCheck": ("interval", "timeout", "retries", "startPeriod"),
    "ulimits": ("softLimit", "hardLimit"),
}


def _int(value):
    return int(value) if isinstance(value, str) and value.strip().lstrip("-").isdigit() else value


def coerce_container_numbers(containers):
    """CONTAINERS with the integer fields that came as digit strings turned into integers."""
    fixed = []
    for given in containers or []:
        container = dict(given)
        for key in _CONTAINER_INTS:
            if key in container:
                container[key] = _int(container[key])
        for key, fields in _NESTED_INTS.items():
            value = container.get(key)
            if isinstance(value, dict):
                container[key] = {k: _int(v) if k in fields else v for k, v in value.items()}
            elif isinstance(value, list):
                container[key] = [
                    {k: _int(v) if k in fields else v for k, v in item.items()} if isinstance(item, dict) else item
                    for item in value
                ]
        fixed.append(container)
    return fixed


def compared_definitions(desired, current):
    """(before, after): the latest revision CURRENT (None: no revision) and the request DESIRED, as compared.

    Only the containers' fields DESIRED gives, plus the USER_FIELDS CURRENT has, are compared.
    """
    after = normalize_definition(desired)
    network_mode = desired.get("networkMode", "bridge")
    after["containerDefinitions"] = sorted(
        (normalize_container(c, network_mode) for c in desired["containerDefinitions"]), key=lambda c: c["name"]
    )
    if current is None:
        return None, after
    wanted = {c["name"]: c for c in after["containerDefinitions"]}
    before = normalize_definition(current)
    containers = []
    for container in current.get("containerDefinitions", []):
        normal = normalize_container(container, current.get("networkMode", "bridge"))
        keys = set(wanted.get(normal["name"], {})) | (set(normal) & USER_FIELDS) | {"name", "image", "essential"}
        containers.append({k: v for k, v in normal.items() if k in keys})
    before["containerDefinitions"] = sorted(containers, key=lambda c: c["name"])
    return before, after


_TASK_DEFINITION_ARN = re.compile(r"^arn:aws[a-z-]*:ecs:[^:]*:\d*:task-definition/(?P<family>[^:]+):(?P<revision>\d+)$")


def parse_task_definition(ref):
    """(family, revision) of a task definition ARN, 'family:revision' or 'family' (revision None)."""
    match = _TASK_DEFINITION_ARN.match(ref)
    if match:
        return match["family"], int(match["revision"])
    family, _sep, revision = ref.partition(":")
    return family, int(revision) if revision.isdigit() else None


def describe_task_definition(client, ref):
    """(task definition, tags dict) of REF (ARN, 'family:revision' or 'family'); (None, {}) when unknown."""
    try:
        response = _retry(client.describe_task_definition)(taskDefinition=ref, include=["TAGS"])
    except is_boto3_error_code("ClientException"):  # ECS's answer for an unknown family or revision
        return None, {}
    return response["taskDefinition"], tags_dict(response.get("tags"))


def list_active_task_definitions(client, family):
    """ARNs of the ACTIVE revisions of FAMILY, oldest first (familyPrefix is filtered to FAMILY exactly)."""
    arns = _paginate(client, "list_task_definitions", "taskDefinitionArns", familyPrefix=family, status="ACTIVE")
    mine = [arn for arn in arns if parse_task_definition(arn)[0] == family]
    return sorted(mine, key=lambda arn: parse_task_definition(arn)[1])


def latest_active_task_definition(client, family):
    """(latest ACTIVE revision of FAMILY, its tags); (None, {}) when the family has none.

    The revision is looked up in the ACTIVE list and described by number: describing the bare family
    name answers the newest revision even when it is INACTIVE on some implementations (moto).
    """
    arns = list_active_task_definitions(client, family)
    if not arns:
        return None, {}
    return describe_task_definition(client, arns[-1])


def resolve_task_definition(client, ref):
    """The task definition REF names, for a caller that needs one to run: 'family' is its latest ACTIVE
    revision, 'family:revision' or an ARN that revision (whatever its status: check ``status``).

    Returns (task definition, tags dict), or (None, {}) when there is no such revision.
    """
    family, revision = parse_task_definition(ref)
    if revision is None:
        return latest_active_task_definition(client, family)
    return describe_task_definition(client, f"{family}:{revision}")


def register_task_definition(client, request):
    """RegisterTaskDefinition (synchronous: the revision is ACTIVE when it returns); (definition, tags)."""
    response = _retry(client.register_task_definition)(**request)
    return response["taskDefinition"], tags_dict(response.get("tags"))


def deregister_task_definition(client, arn):
    return _retry(client.deregister_task_definition)(taskDefinition=arn)["taskDefinition"]
