#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: rds_proxy
short_description: Manage Amazon RDS Proxy proxies
version_added: 0.1.0
description:
  - Creates, updates and deletes an RDS Proxy, a managed connection pooler in front of an RDS instance
    or Aurora cluster. Many application connections share a few database connections, so a large
    fleet of MLflow servers stays within the database's C(max_connections).
  - The proxy logs in to the database with credentials it reads from Secrets Manager (O(auth)), through
    the IAM role O(role_arn).
  - The database the proxy forwards to is set with M(mlops.mlflow_aws.rds_proxy_target_group).
  - O(engine_family) and O(vpc_subnet_ids) cannot be changed on an existing proxy; the module fails with
    an explanation rather than replacing the proxy (its endpoint would change).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the proxy (1 to 63 letters, digits or hyphens, starting with a letter).
    type: str
    required: true
    aliases: [db_proxy_name]
  state:
    description: Whether the proxy exists.
    type: str
    choices: [present, absent]
    default: present
  engine_family:
    description: Kind of database the proxy speaks to. Required to create a proxy.
    type: str
    choices: [POSTGRESQL, MYSQL, SQLSERVER]
  auth:
    description:
      - Database logins the proxy may use, each a Secrets Manager secret with C(username) and C(password).
        Required to create a proxy.
    type: list
    elements: dict
    suboptions:
      secret_arn:
        description: ARN of the secret.
        type: str
        required: true
      iam_auth:
        description: Whether clients must log in to the proxy with IAM database authentication.
        type: str
        choices: [DISABLED, REQUIRED, ENABLED]
        default: DISABLED
      client_password_auth_type:
        description: Password authentication clients use towards the proxy. Left to AWS when not given.
        type: str
        choices:
          - MYSQL_NATIVE_PASSWORD
          - MYSQL_CACHING_SHA2_PASSWORD
          - POSTGRES_SCRAM_SHA_256
          - POSTGRES_MD5
          - SQL_SERVER_AUTHENTICATION
      description:
        description: Description of the login.
        type: str
  role_arn:
    description: ARN of the IAM role the proxy reads the secrets with. Required to create a proxy.
    type: str
  vpc_subnet_ids:
    description: Subnets of the proxy's endpoint, in at least two Availability Zones. Required to create a proxy.
    type: list
    elements: str
  vpc_security_group_ids:
    description:
      - Security groups of the proxy's endpoint (allow the application's group on the database port).
      - Not given, a new proxy gets the VPC's default group and an existing one keeps its groups.
    type: list
    elements: str
  require_tls:
    description: Whether clients must connect with TLS.
    type: bool
    default: true
  idle_client_timeout:
    description: Seconds an idle client connection is kept (1 to 28800).
    type: int
    default: 1800
  debug_logging:
    description: Log SQL statements (contains data; for troubleshooting only).
    type: bool
    default: false
  wait:
    description: Wait until the proxy is available (or, with O(state=absent), deleted).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 900
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Proxy in front of the MLflow database
  mlops.mlflow_aws.rds_proxy:
    name: mlflow
    engine_family: POSTGRESQL
    auth:
      - secret_arn: "{{ rds_backend_connection.secret_arn }}"
    role_arn: "{{ proxy_role.iam_role.arn }}"
    vpc_subnet_ids: "{{ aws_network_resources.private_subnet_ids }}"
    vpc_security_group_ids: ["{{ proxy_sg.group_id }}"]
    tags:
      Application: mlflow
  register: proxy

- name: Delete it
  mlops.mlflow_aws.rds_proxy:
    name: mlflow
    state: absent
"""

RETURN = r"""
endpoint:
  description: Host name applications connect to.
  returned: when state is present and the proxy exists
  type: str
  sample: mlflow.proxy-abcdefghijkl.eu-west-1.rds.amazonaws.com
db_proxy_arn:
  description: ARN of the proxy.
  returned: when state is present and the proxy exists
  type: str
db_proxy:
  description: The proxy as RDS describes it, in snake_case, with its tags.
  returned: when state is present and the proxy exists
  type: dict
  contains:
    status:
      description: Proxy status (C(available) once it serves connections).
      type: str
    vpc_security_group_ids:
      description: Security groups of the endpoint.
      type: list
    require_tls:
      description: Whether clients must use TLS.
      type: bool
    tags:
      description: Tags of the proxy.
      type: dict
"""

import re

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import rds_proxy as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, boto3_tags, compare_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

NAME = re.compile(r"^[A-Za-z](?!.*--)[A-Za-z0-9-]{0,62}(?<!-)$")
CREATE_ONLY = ("engine_family", "auth", "role_arn", "vpc_subnet_ids")


def validate(params):
    """Every problem with the options, before any AWS call."""
    problems = []
    if not NAME.match(params["name"]):
        problems.append(
            f"name {params['name']!r}: 1-63 letters, digits or hyphens, starting with a letter, no '--' or final '-'"
        )
    if params["state"] == "absent":
        return problems
    for index, login in enumerate(params["auth"] or []):
        if not re.match(r"^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:.+$", login["secret_arn"]):
            problems.append(f"auth[{index}].secret_arn: {login['secret_arn']!r} is not a Secrets Manager secret ARN")
    if params["role_arn"] is not None and not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$", params["role_arn"]):
        problems.append(f"role_arn: {params['role_arn']!r} is not an IAM role ARN")
    if params["vpc_subnet_ids"] is not None:
        if len(set(params["vpc_subnet_ids"])) < 2:
            problems.append("vpc_subnet_ids: give at least two subnets (in two Availability Zones)")
        problems.extend(
            f"vpc_subnet_ids: {s!r} is not a subnet ID (subnet-...)"
            for s in params["vpc_subnet_ids"]
            if not str(s).startswith("subnet-")
        )
    problems.extend(
        f"vpc_security_group_ids: {g!r} is not a security group ID (sg-...)"
        for g in params["vpc_security_group_ids"] or []
        if not str(g).startswith("sg-")
    )
    if not 1 <= params["idle_client_timeout"] <= 28800:
        problems.append(f"idle_client_timeout: {params['idle_client_timeout']} is not between 1 and 28800 seconds")
    return problems


def desired_auth(params, current=None):
    """The Auth list to send; members the user left out keep their current values."""
    known = {a.get("SecretArn"): a for a in (current or {}).get("Auth", [])}
    logins = []
    for login in params["auth"]:
        now = known.get(login["secret_arn"], {})
        entry = {"AuthScheme": "SECRETS", "SecretArn": login["secret_arn"], "IAMAuth": login["iam_auth"]}
        password_type = login.get("client_password_auth_type") or now.get("ClientPasswordAuthType")
        if password_type:
            entry["ClientPasswordAuthType"] = password_type
        description = login.get("description") if login.get("description") is not None else now.get("Description")
        if description:
            entry["Description"] = description
        logins.append(entry)
    return sorted(logins, key=lambda a: a["SecretArn"])


def comparable_auth(logins):
    keys = ("AuthScheme", "SecretArn", "IAMAuth", "ClientPasswordAuthType", "Description")
    return sorted(({k: a[k] for k in keys if a.get(k)} for a in logins), key=lambda a: a["SecretArn"])


def create_request(params):
    request = dict(
        DBProxyName=params["name"],
        EngineFamily=params["engine_family"],
        Auth=desired_auth(params),
        RoleArn=params["role_arn"],
        VpcSubnetIds=params["vpc_subnet_ids"],
        RequireTLS=params["require_tls"],
        IdleClientTimeout=params["idle_client_timeout"],
        DebugLogging=params["debug_logging"],
    )
    if params["vpc_security_group_ids"] is not None:
        request["VpcSecurityGroupIds"] = params["vpc_security_group_ids"]
    if params["tags"]:
        request["Tags"] = boto3_tags(params["tags"])
    return request


def immutable_problems(params, current):
    problems = []
    if params["engine_family"] and params["engine_family"] != current["EngineFamily"]:
        problems.append(f"engine_family is {current['EngineFamily']} and cannot change")
    if params["vpc_subnet_ids"] is not None and sorted(params["vpc_subnet_ids"]) != sorted(current["VpcSubnetIds"]):
        problems.append("vpc_subnet_ids cannot change")
    return problems


def modify_request(params, current):
    """ModifyDBProxy members that differ from CURRENT (empty when nothing does)."""
    request = {}
    if params["auth"] is not None:
        auth = desired_auth(params, current)
        if comparable_auth(auth) != comparable_auth(current.get("Auth", [])):
            request["Auth"] = auth
    if params["role_arn"] is not None and params["role_arn"] != current.get("RoleArn"):
        request["RoleArn"] = params["role_arn"]
    groups = params["vpc_security_group_ids"]
    if groups is not None and sorted(groups) != sorted(current.get("VpcSecurityGroupIds", [])):
        request["SecurityGroups"] = groups
    for option, member in (
        ("require_tls", "RequireTLS"),
        ("idle_client_timeout", "IdleClientTimeout"),
        ("debug_logging", "DebugLogging"),
    ):
        if params[option] != current.get(member):
            request[member] = params[option]
    return request


def view(proxy, tags):
    """What the diff and the result show of a proxy."""
    snake = camel_dict_to_snake_dict({k: v for k, v in proxy.items() if k not in ("CreatedDate", "UpdatedDate")})
    snake["tags"] = tags
    return snake


def ensure_absent(module, client, current, result):
    if current is None:
        module.exit_json(**result)
    result["changed"] = True
    result["diff"] = dict(before=view(current, {}), after={})
    if not module.check_mode:
        api.delete_proxy(client, module.params["name"])
        if module.params["wait"]:
            api.wait_for_proxy(client, module.params["name"], module.params["wait_timeout"], deleted=True)
    module.exit_json(**result)


def ensure_present(module, client, current, result):
    params = module.params
    if current is None:
        missing = [option for option in CREATE_ONLY if not params[option]]
        if missing:
            module.fail_json(msg=f"proxy {params['name']} does not exist; to create it give " + ", ".join(missing))
        request = create_request(params)
        result["changed"] = True
        result["diff"] = dict(
            before={}, after=camel_dict_to_snake_dict({k: v for k, v in request.items() if k != "Tags"})
        )
        result["diff"]["after"]["tags"] = params["tags"] or {}
        if module.check_mode:
            return None, params["tags"] or {}
        proxy = api.create_proxy(client, request)
        if params["wait"]:
            proxy = api.wait_for_proxy(client, params["name"], params["wait_timeout"])
        return proxy, params["tags"] or {}

    problems = immutable_problems(params, current)
    if problems:
        module.fail_json(
            msg=f"proxy {params['name']}: " + "; ".join(problems) + ". Delete it (state=absent) and create it again; "
            "its endpoint changes.",
            problems=problems,
        )
    if params["wait"] and current["Status"] != "available":
        current = api.wait_for_proxy(client, params["name"], params["wait_timeout"])
    # The tags are read even when not managed: the result shows them.
    tag_change = compare_tags(api.get_tags(client, current["DBProxyArn"]), params["tags"], params["purge_tags"])
    tags, new_tags = tag_change.before, tag_change.after
    request = modify_request(params, current)
    if request or tag_change.changed:
        result["changed"] = True
        after = dict(
            current, **{("VpcSecurityGroupIds" if k == "SecurityGroups" else k): v for k, v in request.items()}
        )
        result["diff"] = dict(before=view(current, tags), after=view(after, new_tags))
    if module.check_mode or not result["changed"]:
        return current, new_tags
    proxy = current
    if request:
        proxy = api.modify_proxy(client, dict(DBProxyName=params["name"], **request))
    apply_tags(client, api.TAGS, current["DBProxyArn"], tag_change)
    if params["wait"]:
        proxy = api.wait_for_proxy(client, params["name"], params["wait_timeout"])
    return proxy, new_tags


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", required=True, aliases=["db_proxy_name"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            engine_family=dict(type="str", choices=["POSTGRESQL", "MYSQL", "SQLSERVER"]),
            auth=dict(
                type="list",
                elements="dict",
                options=dict(
                    secret_arn=dict(type="str", required=True, no_log=False),
                    iam_auth=dict(type="str", default="DISABLED", choices=["DISABLED", "REQUIRED", "ENABLED"]),
                    client_password_auth_type=dict(
                        type="str",
                        no_log=False,
                        choices=[
                            "MYSQL_NATIVE_PASSWORD",
                            "MYSQL_CACHING_SHA2_PASSWORD",
                            "POSTGRES_SCRAM_SHA_256",
                            "POSTGRES_MD5",
                            "SQL_SERVER_AUTHENTICATION",
                        ],
                    ),
                    description=dict(type="str"),
                ),
            ),
            role_arn=dict(type="str"),
            vpc_subnet_ids=dict(type="list", elements="str"),
            vpc_security_group_ids=dict(type="list", elements="str"),
            require_tls=dict(type="bool", default=True),
            idle_client_timeout=dict(type="int", default=1800),
            debug_logging=dict(type="bool", default=False),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=900),
        ),
        supports_check_mode=True,
    )
    problems = validate(module.params)
    if problems:
        module.fail_json(msg="Invalid RDS Proxy options: " + "; ".join(problems), problems=problems)
    client = module.client("rds")
    result = dict(changed=False)
    try:
        current = api.describe_proxy(client, module.params["name"])
        if module.params["state"] == "absent":
            ensure_absent(module, client, current, result)
        proxy, tags = ensure_present(module, client, current, result)
    except WaitError as exc:
        module.fail_json(msg=str(exc))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage RDS Proxy {module.params['name']}")
    if proxy is not None:
        result.update(db_proxy=view(proxy, tags), endpoint=proxy.get("Endpoint"), db_proxy_arn=proxy["DBProxyArn"])
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
