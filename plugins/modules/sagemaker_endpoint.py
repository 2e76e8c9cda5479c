#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: sagemaker_endpoint
short_description: Manage Amazon SageMaker real-time endpoints
version_added: 0.1.0
description:
  - Creates, updates and deletes an Amazon SageMaker real-time inference endpoint, deployed from an endpoint
    configuration (M(mlops.mlflow_aws.sagemaker_endpoint_config)).
  - The endpoint is found by name with C(DescribeEndpoint). When it runs another endpoint configuration than
    O(endpoint_config_name), one C(UpdateEndpoint) call switches it to that configuration (SageMaker's blue/green
    deployment, the endpoint serves the old configuration until the new one is ready). An update already under way
    to O(endpoint_config_name) is followed, not started again. A run that changes nothing makes one
    C(DescribeEndpoint) and one C(ListTags) call.
  - With O(wait), the module polls C(DescribeEndpoint) until the endpoint is C(InService) and returns the statuses
    it went through with the time each was first seen (RV(status_history)); every failure and timeout message
    quotes them too. An endpoint that becomes C(Failed), C(UpdateRollbackFailed) or C(OutOfService) fails the
    task with SageMaker's C(FailureReason); so does an update that SageMaker rolled back (the endpoint is
    C(InService) again on its previous configuration).
  - A C(Failed) endpoint cannot be updated; the module fails with its C(FailureReason) (delete it with
    O(state=absent) and create it again). An endpoint with an operation under way (C(Creating), C(Updating) ...)
    takes no update; with O(wait) the module waits for it first, without it fails.
  - The options are checked before any AWS call (names, O(wait_timeout), tags).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the endpoint (1-63 letters, digits or hyphens, starting and ending with a letter or digit).
    type: str
    required: true
    aliases: [endpoint_name]
  endpoint_config_name:
    description: The endpoint configuration to deploy. Required with O(state=present).
    type: str
  state:
    description:
      - V(present) creates the endpoint, or switches it to O(endpoint_config_name) (C(UpdateEndpoint)).
      - V(absent) deletes it (C(DeleteEndpoint)); with O(wait), until SageMaker no longer knows it.
    type: str
    choices: [present, absent]
    default: present
  wait:
    description:
      - Wait until the endpoint is C(InService) after a creation or an update (with O(state=absent), until it is
        gone). Also waits for an operation already under way before changing anything.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait (endpoints often take 5 to 15 minutes, large models more).
    type: int
    default: 3600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Serve the configuration of this model version (created, or switched to it without downtime)
  mlops.mlflow_aws.sagemaker_endpoint:
    name: churn
    endpoint_config_name: "churn-{{ model_version }}"
    wait_timeout: 1800
    tags:
      Application: churn
  register: churn_endpoint

- name: How long each status lasted
  ansible.builtin.debug:
    msg: "{{ churn_endpoint.status_history }}"

- name: Delete it
  mlops.mlflow_aws.sagemaker_endpoint:
    name: churn
    state: absent
"""

RETURN = r"""
endpoint:
  description:
    - The endpoint as C(DescribeEndpoint) returns it, in snake_case, with its tags as a dict. Empty when there is no
      endpoint (deleted, or to be created in check mode).
  returned: always
  type: dict
  contains:
    endpoint_name:
      description: Name of the endpoint.
      type: str
    endpoint_arn:
      description: ARN of the endpoint.
      type: str
    endpoint_config_name:
      description: The endpoint configuration it runs.
      type: str
    endpoint_status:
      description: C(Creating), C(Updating), C(InService), C(Failed) ...
      type: str
    failure_reason:
      description: Why the last operation failed.
      type: str
    production_variants:
      description: The variants with their current and desired weights and instance counts.
      type: list
      elements: dict
    pending_deployment_summary:
      description: The configuration an update under way deploys.
      type: dict
    tags:
      description: Tags of the endpoint.
      type: dict
endpoint_name:
  description: Name of the endpoint.
  returned: always (null when there is no endpoint)
  type: str
  sample: churn
endpoint_arn:
  description: ARN of the endpoint.
  returned: always (null when there is no endpoint)
  type: str
  sample: arn:aws:sagemaker:eu-west-1:123456789012:endpoint/churn
endpoint_status:
  description: Status of the endpoint.
  returned: always (null when there is no endpoint)
  type: str
  sample: InService
endpoint_config_name:
  description: The endpoint configuration the endpoint runs.
  returned: always (null when there is no endpoint)
  type: str
  sample: churn-7
failure_reason:
  description: SageMaker's C(FailureReason) of the endpoint.
  returned: always (null when there is none)
  type: str
status_history:
  description:
    - The statuses the endpoint went through while the module waited, each with the seconds since the wait began.
  returned: always (empty when the module did not wait)
  type: list
  elements: dict
  sample: [{"status": "Updating", "seconds": 0}, {"status": "InService", "seconds": 421}]
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class EndpointManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.diff = {"before": {}, "after": {}}
        self.tags = None
        self.sleep = time.sleep
        self.delay = api.POLL_SECONDS
        self.progress = api.Progress()

    @property
    def name(self):
        return self.params["name"]

    @property
    def where(self):
        return f"SageMaker endpoint {self.name}"

    def describe(self):
        return api.describe_endpoint(self.client, self.name)

    def _waiting(self):
        return dict(progress=self.progress, delay=self.delay, sleep=self.sleep)

    def wait_in_service(self, config_name=None):
        return api.wait_for_in_service(
            self.client, self.name, self.params["wait_timeout"], config_name=config_name, **self._waiting()
        )

    def wait_settled(self):
        return api.wait_for_settled(self.client, self.name, self.params["wait_timeout"], **self._waiting())

    def wait_deleted(self):
        api.wait_for_deleted(self.client, self.name, self.params["wait_timeout"], **self._waiting())

    @staticmethod
    def summary(config_name, tags=None):
        view = {"endpoint_config_name": config_name}
        return view if tags is None else dict(view, tags=tags)

    # ------------------------------------------------------------ states
    def absent(self):
        found = self.describe()
        if found is None:
            return None
        wait = self.params["wait"] and not self.module.check_mode
        if found.get("EndpointStatus") == "Deleting":
            if wait:
                self.wait_deleted()
                return None
            return found
        self.changed = True
        self.diff = {"before": self.summary(found.get("EndpointConfigName")), "after": {}}
        if self.module.check_mode:
            return found
        if found.get("EndpointStatus") in api.BUSY and wait:
            self.wait_settled()  # an operation under way
        api.delete_endpoint(self.client, self.name)
        if self.params["wait"]:
            self.wait_deleted()
            return None
        return self.describe()

    def present(self):
        found = self.describe()
        if found is not None and found.get("EndpointStatus") == "Deleting":
            if not self.params["wait"]:
                self.module.fail_json(msg=f"{self.where} is Deleting; run again once it is gone, or with wait")
            if not self.module.check_mode:
                self.wait_deleted()
            found = None
        if found is None:
            return self.create()
        return self.update(found)

    def create(self):
        self.tags = dict(self.params["tags"] or {})
        self.changed = True
        self.diff = {"before": {}, "after": self.summary(self.params["endpoint_config_name"], self.tags)}
        if self.module.check_mode:
            return None
        api.create_endpoint(self.client, self.name, self.params["endpoint_config_name"], self.tags)
        if self.params["wait"]:
            return self.wait_in_service(self.params["endpoint_config_name"])
        return self.describe()

    def fail_broken(self, endpoint):
        self.module.fail_json(
            msg=f"{self.where} is {endpoint['EndpointStatus']} (FailureReason: "
            f"{endpoint.get('FailureReason') or 'none given'}); SageMaker cannot update it: delete it with "
            "state=absent and create it again",
            **results(endpoint, self.tags, self.progress),
        )

    def update(self, found):
        want = self.params["endpoint_config_name"]
        wait = self.params["wait"] and not self.module.check_mode
        if found.get("EndpointStatus") in api.BUSY and wait:  # an operation under way: its outcome first
            ours = api.pending_config(found) == want
            found = self.wait_in_service(want if ours else None)
        status = found.get("EndpointStatus")
        if status in api.BROKEN:
            self.fail_broken(found)
        deploy = want not in (found.get("EndpointConfigName"), api.pending_config(found))
        if deploy and status in api.BUSY and not self.module.check_mode:
            self.module.fail_json(
                msg=f"{self.where} is {status} (an operation is under way) and takes no update; run again once it "
                "is InService, or with wait",
                **results(found, self.tags, self.progress),
            )
        arn = found["EndpointArn"]
        current_tags = api.get_tags(self.client, arn)
        tag_change = plan_tags(
            self.client, api.TAGS, arn, self.params["tags"], self.params["purge_tags"], current=current_tags
        )
        self.tags = tag_change.after
        if not (deploy or tag_change.changed):
            return found
        self.changed = True
        running = found.get("EndpointConfigName")
        self.diff = {
            "before": self.summary(running, tag_change.before),
            "after": self.summary(want if deploy else running, tag_change.after),
        }
        if self.module.check_mode:
            return found
        apply_tags(self.client, api.TAGS, arn, tag_change)
        if not deploy:
            return found
        api.update_endpoint(self.client, self.name, want)
        if self.params["wait"]:
            return self.wait_in_service(want)
        return self.describe()


def results(endpoint, tags=None, progress=None):
    """What sagemaker_endpoint returns ({}/None without an endpoint)."""
    endpoint = endpoint or {}
    return {
        "endpoint": api.snake(endpoint, tags if endpoint else None),
        "endpoint_name": endpoint.get("EndpointName"),
        "endpoint_arn": endpoint.get("EndpointArn"),
        "endpoint_status": endpoint.get("EndpointStatus"),
        "endpoint_config_name": endpoint.get("EndpointConfigName"),
        "failure_reason": endpoint.get("FailureReason"),
        "status_history": list(progress.history) if progress else [],
    }


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.endpoint_spec(), supports_check_mode=True)
    problems = params_lib.validate_endpoint(module.params)
    if problems:
        module.fail_json(msg="Invalid SageMaker endpoint options: " + "; ".join(problems), problems=problems)

    manager = EndpointManager(module, module.client("sagemaker"))
    try:
        endpoint = manager.absent() if module.params["state"] == "absent" else manager.present()
    except api.EndpointWaitError as exc:
        module.fail_json(msg=str(exc), changed=manager.changed, **results(exc.endpoint, manager.tags, manager.progress))
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage {manager.where}", changed=manager.changed)

    result = dict(changed=manager.changed)
    if module._diff:
        result["diff"] = manager.diff
    result.update(results(endpoint, manager.tags, manager.progress))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
