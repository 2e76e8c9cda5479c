#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticbeanstalk_environment_info
short_description: Describe AWS Elastic Beanstalk environments
version_added: 0.1.0
description:
  - Describes the live (not terminated) Elastic Beanstalk environments of a name and/or an application
    (C(DescribeEnvironments) with C(IncludeDeleted=false)), all of the region's without either, each with its
    tags (C(ListTagsForResource)).
  - On request, each with its option settings (C(DescribeConfigurationSettings)), its health
    (C(DescribeEnvironmentHealth), all attributes; enhanced health reporting only) and its recent events
    (C(DescribeEvents)).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the environment.
    type: str
    aliases: [environment_name]
  application:
    description: Name of the application of the environments.
    type: str
    aliases: [application_name]
  include_settings:
    description: Return each environment's option settings (one C(DescribeConfigurationSettings) call each).
    type: bool
    default: false
  include_health:
    description:
      - Return each environment's health (one C(DescribeEnvironmentHealth) call each); empty for an environment
        without enhanced health reporting.
    type: bool
    default: false
  include_events:
    description: Return each environment's recent events (one C(DescribeEvents) call each).
    type: bool
    default: false
  max_events:
    description: How many of the latest events to return for each environment (1-1000).
    type: int
    default: 20
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The MLflow environment with its settings, health and recent events
  mlops.mlflow_aws.elasticbeanstalk_environment_info:
    name: mlflow-prod
    application: mlflow
    include_settings: true
    include_health: true
    include_events: true
  register: mlflow_eb

- name: Its health
  ansible.builtin.debug:
    msg: "{{ health.health_status | default(env.health) }}: {{ health.causes | default([]) }}"
  vars:
    env: "{{ mlflow_eb.environments[0] }}"
    health: "{{ env.environment_health }}"
  when: mlflow_eb.exists
"""

RETURN = r"""
exists:
  description: Whether any environment matched.
  returned: always
  type: bool
environments:
  description: The environments as C(DescribeEnvironments) returns them, in snake_case, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    environment_name:
      description: Name of the environment.
      type: str
    environment_id:
      description: ID of the environment.
      type: str
    application_name:
      description: Name of its application.
      type: str
    version_label:
      description: Application version it runs.
      type: str
    status:
      description: C(Launching), C(Updating), C(Ready), C(Terminating) ...
      type: str
    health:
      description: Health colour (C(Green), C(Yellow), C(Red), C(Grey)).
      type: str
    environment_health:
      description:
        - With O(include_health), C(DescribeEnvironmentHealth)'s answer in snake_case (C(health_status),
          C(status), C(color), C(causes), C(application_metrics), C(instances_health), C(refreshed_at)); empty
          without enhanced health reporting.
      type: dict
    cname:
      description: CNAME of a web server environment.
      type: str
    url:
      description: C(http://<cname>/) of a web server environment.
      type: str
    tags:
      description: Tags of the environment, those Elastic Beanstalk keeps included.
      type: dict
    option_settings:
      description:
        - With O(include_settings), the option settings (C(namespace), C(option_name), C(value), C(resource_name)).
      type: list
      elements: dict
    events:
      description: With O(include_events), the latest events, oldest first (C(event_date), C(severity), C(message)).
      type: list
      elements: dict
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_results as results_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_settings as settings_lib

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def describe(client, params):
    """The environments the options name, each as the module returns it."""
    names = [params["name"]] if params.get("name") else None
    found = api.describe_environments(client, application=params.get("application"), names=names)
    result = []
    for env in sorted(found, key=lambda e: e.get("EnvironmentName", "")):
        view = results_lib.snake(env, api.get_tags(client, env["EnvironmentArn"]))
        view["url"] = results_lib.environment_url(env)
        if params.get("include_settings"):
            described = api.configuration_settings(client, env["ApplicationName"], env["EnvironmentName"])
            view["option_settings"] = settings_lib.settings_view(described)
        if params.get("include_health"):
            view["environment_health"] = results_lib.snake(api.environment_health(client, env["EnvironmentName"]))
        if params.get("include_events"):
            view["events"] = results_lib.events_view(
                api.events(client, env["EnvironmentId"], limit=params["max_events"])
            )
        result.append(view)
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            name=dict(type="str", aliases=["environment_name"]),
            application=dict(type="str", aliases=["application_name"]),
            include_settings=dict(type="bool", default=False),
            include_health=dict(type="bool", default=False),
            include_events=dict(type="bool", default=False),
            max_events=dict(type="int", default=20),
        ),
        supports_check_mode=True,
    )
    if not 1 <= module.params["max_events"] <= 1000:
        module.fail_json(msg=f"max_events: {module.params['max_events']} is not between 1 and 1000")
    client = module.client("elasticbeanstalk")
    try:
        environments = describe(client, module.params)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg="Could not describe the Elastic Beanstalk environments")
    module.exit_json(changed=False, exists=bool(environments), environments=environments)


if __name__ == "__main__":
    main()
