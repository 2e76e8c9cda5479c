#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: apigatewayv2_stage
short_description: Manage stages of Amazon API Gateway HTTP APIs
version_added: 0.1.0
description:
  - Creates, updates and deletes a stage of an HTTP API, found by its name (V($default) serves the API at
    the root of its endpoint).
  - An existing stage gets one C(UpdateStage) with only the members that differ. Options left out are
    left as they are.
  - With O(auto_deploy), API Gateway deploys every change of the API's routes and integrations to the
    stage by itself; without it the stage serves the deployment it was last given.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  api_id:
    description: ID of the HTTP API.
    type: str
    required: true
  stage_name:
    description: Name of the stage, V($default) or 1 to 128 letters, digits, V(_) or V(-).
    type: str
    default: $default
  state:
    description: Whether the stage exists.
    type: str
    choices: [present, absent]
    default: present
  auto_deploy:
    description: Deploy every change of the API to this stage automatically.
    type: bool
  description:
    description: Description of the stage.
    type: str
  access_log_settings:
    description: Access logs of the stage, one line per request in a CloudWatch Logs log group.
    type: dict
    suboptions:
      destination_arn:
        description: ARN of the log group (C(arn:aws:logs:<region>:<account>:log-group:<name>), without C(:*)).
        type: str
        required: true
      format:
        description: Format of a line, with C($context) variables (such as C($context.requestId)).
        type: str
        required: true
  default_route_settings:
    description: Settings of every route of the stage. Members left out keep their values.
    type: dict
    suboptions:
      throttling_burst_limit:
        description: Requests the stage takes in a burst (0 or more).
        type: int
      throttling_rate_limit:
        description: Steady requests per second the stage takes (0 or more).
        type: float
      detailed_metrics_enabled:
        description: Whether per-route CloudWatch metrics are published.
        type: bool
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Auto-deployed default stage with access logs and throttling
  mlops.mlflow_aws.apigatewayv2_stage:
    api_id: "{{ http_api.api.api_id }}"
    stage_name: $default
    auto_deploy: true
    access_log_settings:
      destination_arn: "{{ access_log_group.log_groups[0].arn | regex_replace(':\\*$', '') }}"
      format: '$context.requestId $context.httpMethod $context.path $context.status $context.integrationLatency'
    default_route_settings:
      throttling_burst_limit: 100
      throttling_rate_limit: 50
"""

RETURN = r"""
stage:
  description: The stage as API Gateway describes it, in snake_case, with its tags.
  returned: when state is present (in check mode, only for an existing stage)
  type: dict
  contains:
    stage_name:
      description: Name of the stage.
      type: str
    auto_deploy:
      description: Whether changes deploy automatically.
      type: bool
    access_log_settings:
      description: Access log destination and format.
      type: dict
    default_route_settings:
      description: Throttling and metrics of every route.
      type: dict
    tags:
      description: Tags of the stage.
      type: dict
stage_arn:
  description: ARN of the stage (the one its tags are set on).
  returned: when state is present and the stage exists
  type: str
  sample: arn:aws:apigateway:eu-west-1::/apis/a1b2c3d4e5/stages/$default
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2 as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import apigatewayv2_stage_params as rules
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, plan_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


def ensure_present(module, client, current, result):
    params = module.params
    want = rules.desired_stage(params)
    if current is None:
        request = dict(StageName=params["stage_name"], **want)
        tags = params["tags"] or {}
        if tags:
            request["Tags"] = dict(tags)
        result["changed"] = True
        result["diff"] = dict(before={}, after=dict(rules.stage_view(request), tags=tags))
        if module.check_mode:
            return None
        return api.create_stage(client, params["api_id"], request)

    arn = api.stage_arn(module.region, params["api_id"], params["stage_name"])
    tag_change = plan_tags(client, api.TAGS, arn, params["tags"], params["purge_tags"], current=current.get("Tags"))
    request = rules.stage_update(want, current)
    after = dict(current, **request, Tags=tag_change.after)
    if request or tag_change.changed:
        result["changed"] = True
        result["diff"] = dict(
            before=dict(rules.stage_view(current), tags=tag_change.before),
            after=dict(rules.stage_view(after), tags=tag_change.after),
        )
    if module.check_mode or not result["changed"]:
        return after
    if request:
        api.update_stage(client, params["api_id"], params["stage_name"], request)
    apply_tags(client, api.TAGS, arn, tag_change)
    return api.get_stage(client, params["api_id"], params["stage_name"])


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            api_id=dict(type="str", required=True),
            stage_name=dict(type="str", default="$default"),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            auto_deploy=dict(type="bool"),
            description=dict(type="str"),
            access_log_settings=dict(
                type="dict",
                options=dict(destination_arn=dict(type="str", required=True), format=dict(type="str", required=True)),
            ),
            default_route_settings=dict(
                type="dict",
                options=dict(
                    throttling_burst_limit=dict(type="int"),
                    throttling_rate_limit=dict(type="float"),
                    detailed_metrics_enabled=dict(type="bool"),
                ),
            ),
            tags=dict(type="dict", aliases=["resource_tags"]),
            purge_tags=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    problems = rules.validate_stage(params)
    if problems:
        module.fail_json(msg="Invalid stage options: " + "; ".join(problems), problems=problems)
    client = module.client("apigatewayv2")
    result = dict(changed=False)
    stage = None
    try:
        current = api.get_stage(client, params["api_id"], params["stage_name"])
        if params["state"] == "absent":
            if current is not None:
                result["changed"] = True
                result["diff"] = dict(before=dict(rules.stage_view(current), tags=current.get("Tags") or {}), after={})
                if not module.check_mode:
                    api.delete_stage(client, params["api_id"], params["stage_name"])
        else:
            stage = ensure_present(module, client, current, result)
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage stage {params['stage_name']} of API {params['api_id']}")
    if stage is not None:
        result.update(
            stage=api.to_snake(stage), stage_arn=api.stage_arn(module.region, params["api_id"], stage["StageName"])
        )
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
