#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticbeanstalk_application_version
short_description: Manage AWS Elastic Beanstalk application versions
version_added: 0.1.0
description:
  - Creates an application version of an AWS Elastic Beanstalk application from a source bundle in S3
    (C(CreateApplicationVersion)), updates its description and tags, and deletes it.
  - Version labels are immutable. An existing version with another source bundle fails the task (give the new
    bundle a new label); one with the same bundle is left alone. A run that changes nothing makes one call
    (two with O(tags)).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  application:
    description: Name of the application (it must exist).
    type: str
    required: true
    aliases: [application_name]
  version_label:
    description: Label of the version (1-100 characters, no V(/)).
    type: str
    required: true
    aliases: [label]
  description:
    description: Description of the version (up to 200 characters). Not given, it is not compared.
    type: str
  s3_bucket:
    description: Bucket of the source bundle (in the region of the application). Required with O(state=present).
    type: str
  s3_key:
    description:
      - Key of the source bundle (a ZIP file, or a C(Dockerrun.aws.json) or C(docker-compose.yml) alone).
      - Required with O(state=present).
    type: str
  process:
    description:
      - Have AWS validate the source bundle when it creates the version (C(Process)); with O(wait), the module
        waits for the validation and fails when it fails. Not compared on an existing version.
    type: bool
    default: false
  state:
    description: V(present) creates the version; V(absent) deletes it (AWS refuses while an environment runs it).
    type: str
    choices: [present, absent]
    default: present
  delete_source_bundle:
    description: With O(state=absent), delete the source bundle from S3 too.
    type: bool
    default: false
  wait:
    description: With O(process), wait until AWS has processed the new version.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait.
    type: int
    default: 600
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The MLflow version from its Dockerrun bundle
  mlops.mlflow_aws.elasticbeanstalk_application_version:
    application: mlflow
    version_label: mlflow-3.17.2-1
    s3_bucket: ml-deploy-bundles
    s3_key: mlflow/mlflow-3.17.2-1.zip
    description: MLflow 3.17.2
    process: true

- name: Delete an old version and its bundle
  mlops.mlflow_aws.elasticbeanstalk_application_version:
    application: mlflow
    version_label: mlflow-3.16.0-1
    state: absent
    delete_source_bundle: true
"""

RETURN = r"""
application_version:
  description:
    - The version as C(DescribeApplicationVersions) returns it, in snake_case, with its tags as a dict when
      O(tags) was given.
    - Empty when there is no version (deleted, or to be created in check mode).
  returned: always
  type: dict
  contains:
    version_label:
      description: Label of the version.
      type: str
    source_bundle:
      description: C(s3_bucket) and C(s3_key) of the source bundle.
      type: dict
    status:
      description: C(Unprocessed), C(Processing), C(Processed), C(Failed) ...
      type: str
    tags:
      description: Its tags (when O(tags) was given).
      type: dict
application_version_arn:
  description: ARN of the version.
  returned: always (null when there is no version)
  type: str
  sample: arn:aws:elasticbeanstalk:eu-west-1:123456789012:applicationversion/mlflow/mlflow-3.17.2-1
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_results as results_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, compare_tags
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.waiters import WaitError

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class VersionManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.diff = {"before": {}, "after": {}}
        self.tags = None
        self.sleep = time.sleep
        self.clock = time.monotonic

    @property
    def where(self):
        return f"version {self.params['version_label']} of Elastic Beanstalk application {self.params['application']}"

    def bundle(self):
        return {"S3Bucket": self.params["s3_bucket"], "S3Key": self.params["s3_key"]}

    def describe(self):
        return api.describe_version(self.client, self.params["application"], self.params["version_label"])

    def absent(self):
        version = self.describe()
        if version is None:
            return None
        self.changed = True
        self.diff = {"before": {"source_bundle": results_lib.snake(version.get("SourceBundle"))}, "after": {}}
        if not self.module.check_mode:
            api.delete_version(
                self.client,
                self.params["application"],
                self.params["version_label"],
                self.params["delete_source_bundle"],
            )
        return None

    def present(self):
        version = self.describe()
        if version is None:
            return self.create()
        have = version.get("SourceBundle") or {}
        if (have.get("S3Bucket"), have.get("S3Key")) != (self.params["s3_bucket"], self.params["s3_key"]):
            self.module.fail_json(
                msg=f"s3_bucket/s3_key: {self.where} exists with the source bundle "
                f"s3://{have.get('S3Bucket')}/{have.get('S3Key')}, not s3://{self.params['s3_bucket']}/"
                f"{self.params['s3_key']}; version labels are immutable: give the new bundle a new version_label "
                "(or delete this version with state=absent first)",
                application_version=results_lib.snake(version),
                application_version_arn=version.get("ApplicationVersionArn"),
            )
        return self.update(version)

    def create(self):
        self.changed = True
        self.tags = dict(self.params["tags"] or {})
        after = {"source_bundle": results_lib.snake(self.bundle()), "description": self.params["description"]}
        self.diff = {"before": {}, "after": dict(after, tags=self.tags)}
        if self.module.check_mode:
            return None
        request = {
            "ApplicationName": self.params["application"],
            "VersionLabel": self.params["version_label"],
            "SourceBundle": self.bundle(),
            "Process": self.params["process"],
        }
        if self.params["description"] is not None:
            request["Description"] = self.params["description"]
        if self.tags:
            request["Tags"] = api.boto3_tags(self.tags)
        version = api.create_version(self.client, request)
        if self.params["process"] and self.params["wait"]:
            version = api.wait_for_version(
                self.client,
                self.params["application"],
                self.params["version_label"],
                self.params["wait_timeout"],
                sleep=self.sleep,
                clock=self.clock,
            )
            if version.get("Status") == "Failed":
                raise WaitError(
                    f"{self.where} failed to process (Status Failed): AWS could not validate the source bundle "
                    f"s3://{self.params['s3_bucket']}/{self.params['s3_key']}",
                    status="Failed",
                    last=version,
                )
        return version

    def update(self, version):
        description = self.params["description"]
        describe_change = description is not None and description != (version.get("Description") or "")
        before, after = {}, {}
        if description is not None:
            before["description"], after["description"] = version.get("Description"), description
        tag_change = compare_tags({}, None)
        if self.params["tags"] is not None:
            arn = version["ApplicationVersionArn"]
            current = api.user_tags(api.get_tags(self.client, arn), self.params["tags"])
            tag_change = compare_tags(current, self.params["tags"], self.params["purge_tags"])
            self.tags = tag_change.after
            before["tags"], after["tags"] = tag_change.before, tag_change.after
        if not (describe_change or tag_change.changed):
            return version
        self.changed = True
        self.diff = {"before": before, "after": after}
        if self.module.check_mode:
            return version
        if describe_change:
            version = api.update_version(
                self.client, self.params["application"], self.params["version_label"], description
            )
        apply_tags(self.client, api.TAGS, version["ApplicationVersionArn"], tag_change)
        return version


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.version_spec(), supports_check_mode=True)
    problems = params_lib.validate_version(module.params)
    if problems:
        module.fail_json(
            msg="Invalid Elastic Beanstalk application version options: " + "; ".join(problems), problems=problems
        )

    manager = VersionManager(module, module.client("elasticbeanstalk"))
    try:
        version = manager.absent() if module.params["state"] == "absent" else manager.present()
    except WaitError as exc:
        module.fail_json(
            msg=str(exc),
            changed=manager.changed,
            application_version=results_lib.snake(exc.last),
            application_version_arn=(exc.last or {}).get("ApplicationVersionArn"),
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage the {manager.where}", changed=manager.changed)

    result = dict(changed=manager.changed)
    if module._diff:
        result["diff"] = manager.diff
    result["application_version"] = results_lib.snake(version, manager.tags if version else None)
    result["application_version_arn"] = (version or {}).get("ApplicationVersionArn")
    module.exit_json(**result)


if __name__ == "__main__":
    main()
