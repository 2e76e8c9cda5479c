#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticbeanstalk_application
short_description: Manage AWS Elastic Beanstalk applications
version_added: 0.1.0
description:
  - Creates, updates (the description and tags) and deletes an AWS Elastic Beanstalk application.
  - The application is found with C(DescribeApplications) and its name compared exactly (unlike
    M(community.aws.elasticbeanstalk_app), which trusts the API's name filter). A run that changes nothing makes
    one call (two with O(tags)).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the application (1-100 characters, no V(/)).
    type: str
    required: true
    aliases: [application_name, app_name]
  description:
    description: Description of the application (up to 200 characters). Not given, it is not compared.
    type: str
  state:
    description:
      - V(present) creates the application or updates its description and tags.
      - V(absent) deletes it with its versions (C(DeleteApplication)); AWS refuses while it has running
        environments unless O(terminate_by_force).
    type: str
    choices: [present, absent]
    default: present
  terminate_by_force:
    description: With O(state=absent), terminate the application's running environments too.
    type: bool
    default: false
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The MLflow application
  mlops.mlflow_aws.elasticbeanstalk_application:
    name: mlflow
    description: MLflow tracking server
    tags:
      Application: mlflow

- name: Delete it
  mlops.mlflow_aws.elasticbeanstalk_application:
    name: mlflow
    state: absent
"""

RETURN = r"""
application:
  description:
    - The application as C(DescribeApplications) returns it, in snake_case, with its tags as a dict when
      O(tags) was given (the ones Elastic Beanstalk keeps left out).
    - Empty when there is no application (deleted, or to be created in check mode).
  returned: always
  type: dict
  contains:
    application_name:
      description: Name of the application.
      type: str
    description:
      description: Its description.
      type: str
    versions:
      description: Labels of its versions.
      type: list
      elements: str
    date_created:
      description: When it was created (ISO 8601).
      type: str
    tags:
      description: Its tags (when O(tags) was given).
      type: dict
application_arn:
  description: ARN of the application.
  returned: always (null when there is no application)
  type: str
  sample: arn:aws:elasticbeanstalk:eu-west-1:123456789012:application/mlflow
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_results as results_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, compare_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class ApplicationManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.diff = {"before": {}, "after": {}}
        self.tags = None

    @property
    def where(self):
        return f"Elastic Beanstalk application {self.params['name']}"

    def absent(self):
        app = api.describe_application(self.client, self.params["name"])
        if app is None:
            return None
        self.changed = True
        self.diff = {"before": {"description": app.get("Description")}, "after": {}}
        if not self.module.check_mode:
            api.delete_application(self.client, self.params["name"], self.params["terminate_by_force"])
        return None

    def present(self):
        app = api.describe_application(self.client, self.params["name"])
        description = self.params["description"]
        if app is None:
            self.changed = True
            self.tags = dict(self.params["tags"] or {})
            self.diff = {"before": {}, "after": {"description": description, "tags": self.tags}}
            if self.module.check_mode:
                return None
            return api.create_application(self.client, self.params["name"], description, self.tags)
        before, after = {}, {}
        describe_change = description is not None and description != (app.get("Description") or "")
        if description is not None:
            before["description"], after["description"] = app.get("Description"), description
        tag_change = compare_tags({}, None)
        if self.params["tags"] is not None:
            current = api.user_tags(api.get_tags(self.client, app["ApplicationArn"]), self.params["tags"])
            tag_change = compare_tags(current, self.params["tags"], self.params["purge_tags"])
            self.tags = tag_change.after
            before["tags"], after["tags"] = tag_change.before, tag_change.after
        if not (describe_change or tag_change.changed):
            return app
        self.changed = True
        self.diff = {"before": before, "after": after}
        if self.module.check_mode:
            return app
        if describe_change:
            app = api.update_application(self.client, self.params["name"], description)
        apply_tags(self.client, api.TAGS, app["ApplicationArn"], tag_change)
        return app


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.application_spec(), supports_check_mode=True)
    problems = params_lib.validate_application(module.params)
    if problems:
        module.fail_json(msg="Invalid Elastic Beanstalk application options: " + "; ".join(problems), problems=problems)

    manager = ApplicationManager(module, module.client("elasticbeanstalk"))
    try:
        app = manager.absent() if module.params["state"] == "absent" else manager.present()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage {manager.where}", changed=manager.changed)

    result = dict(changed=manager.changed)
    if module._diff:
        result["diff"] = manager.diff
    result["application"] = results_lib.snake(app, manager.tags if app else None)
    result["application_arn"] = (app or {}).get("ApplicationArn")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
