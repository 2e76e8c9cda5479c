# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What sagemaker_model and sagemaker_endpoint_config share: SageMaker resources that cannot change.

A model or endpoint configuration has no Update call; only its tags change in place. ``ImmutableManager``
finds the resource by name (Describe), compares it with the options (sagemaker_forms) and:

- creates it when absent;
- when it matches, only reconciles its tags (ListTags, then AddTags/DeleteTags when they differ): a run that
  changes nothing makes one Describe and one ListTags call;
- when it differs, fails before any change, listing each difference ("primary_container.image: 'a' -> 'b'"),
  unless ``replace=true``: then deletes it and creates it again under the same name, with the tags it had
  (merged with ``tags`` as ``purge_tags`` says).

A subclass (in the module) says what the resource is (``KIND``, ``RESULT``, ``NAME_KEY``, ``ARN_KEY``, ``HINT``)
and how to describe, create and delete it and read its normal forms.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import sagemaker_forms as forms
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import compare_tags, ensure_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class ImmutableManager(ABC):
    KIND = ""  # what messages call it: "SageMaker model"
    RESULT = ""  # the result's key: "model" (and model_name, model_arn)
    NAME_KEY = ""  # the Describe answer's name member: "ModelName"
    ARN_KEY = ""  # and its ARN member: "ModelArn"
    HINT = ""  # what to do instead of replacing it

    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.replaced = False
        self.diff: dict[str, Any] = {"before": {}, "after": {}}
        self.tags: dict[str, str] | None = None

    @property
    def where(self) -> str:
        return f"{self.KIND} {self.params['name']}"

    # ------------------------------------------------------------ what a subclass says
    @abstractmethod
    def describe(self) -> dict[str, Any] | None:
        """Each module's own (see the module docstring)."""

    @abstractmethod
    def create(self, tags: dict[str, str]) -> None:
        """Each module's own (see the module docstring)."""

    @abstractmethod
    def delete(self) -> None:
        """Each module's own (see the module docstring)."""

    @abstractmethod
    def current(self, described: dict[str, Any]) -> dict[str, Any]:
        """Each module's own (see the module docstring)."""

    @abstractmethod
    def desired(self) -> dict[str, Any]:
        """Each module's own (see the module docstring)."""

    # ------------------------------------------------------------ states
    def absent(self) -> dict[str, Any] | None:
        found = self.describe()
        if found is None:
            return None
        self.changed = True
        self.diff = {"before": forms.view(self.current(found)), "after": {}}
        if self.module.check_mode:
            return found
        self.delete()
        return None

    def present(self) -> dict[str, Any] | None:
        found = self.describe()
        want = self.desired()
        if found is None:
            return self._create(want, dict(self.params["tags"] or {}))
        arn = found[self.ARN_KEY]
        have = self.current(found)
        changes = forms.differences(have, want)
        current_tags = api.get_tags(self.client, arn)
        if not changes:
            change = ensure_tags(
                self.client,
                api.TAGS,
                arn,
                self.params["tags"],
                self.params["purge_tags"],
                check_mode=self.module.check_mode,
                current=current_tags,
            )
            self.tags = change.after
            if change.changed:
                self.changed = True
                self.diff = change.diff
            return found
        if not self.params["replace"]:
            self.module.fail_json(
                msg=f"{self.where} exists with other settings ({'; '.join(changes)}); SageMaker cannot change "
                f"it in place (only its tags): {self.HINT}, or set replace=true to delete it and create it again",
                differences=changes,
                **self.results(found, current_tags),
            )
        tags = compare_tags(current_tags, self.params["tags"], self.params["purge_tags"]).after
        self.changed = self.replaced = True
        self.diff = {
            "before": dict(forms.view(have), tags=current_tags),
            "after": dict(forms.view(want), tags=tags),
        }
        if self.module.check_mode:
            self.tags = tags
            return found
        self.delete()
        return self._create(want, tags, diff=False)

    def _create(self, want: dict[str, Any], tags: dict[str, str], diff: bool = True) -> dict[str, Any] | None:
        self.changed = True
        self.tags = tags
        if diff:
            self.diff = {"before": {}, "after": dict(forms.view(want), tags=tags)}
        if self.module.check_mode:
            return None
        self.create(tags)
        return self.describe()

    # ------------------------------------------------------------ results
    def results(self, described: dict[str, Any] | None, tags: dict[str, str] | None = None) -> dict[str, Any]:
        described = described or {}
        return {
            self.RESULT: api.snake(described, tags if described else None),
            f"{self.RESULT}_name": described.get(self.NAME_KEY),
            f"{self.RESULT}_arn": described.get(self.ARN_KEY),
        }


def run(module, manager_class: type[ImmutableManager], problems: list[str]) -> None:
    """The main() of sagemaker_model and sagemaker_endpoint_config: PROBLEMS (the input checks) fail the task
    before any AWS call (and before a client exists); then the state, and the result."""
    if problems:
        module.fail_json(msg=f"Invalid {manager_class.KIND} options: " + "; ".join(problems), problems=problems)
    manager = manager_class(module, module.client("sagemaker"))
    try:
        found = manager.absent() if module.params["state"] == "absent" else manager.present()
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage {manager.where}", changed=manager.changed)
    result = dict(changed=manager.changed, replaced=manager.replaced)
    if module._diff:
        result["diff"] = manager.diff
    result.update(manager.results(found, manager.tags))
    module.exit_json(**result)
