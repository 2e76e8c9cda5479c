#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
module: elasticbeanstalk_environment
short_description: Manage AWS Elastic Beanstalk environments
version_added: 0.1.0
description:
  - Creates, updates and terminates an AWS Elastic Beanstalk environment of an application.
  - The environment is found by name with C(DescribeEnvironments) (environment names are unique in a region;
    one of another application fails the task). An existing environment is compared with the options, that is
    the version it runs, its solution stack or platform, its description, and only the option settings given in
    O(option_settings) (read with C(DescribeConfigurationSettings), values compared as strings the way AWS
    keeps them). One C(UpdateEnvironment) call then carries only what differs. A run that changes nothing
    makes one call (two with O(option_settings), three with O(tags)).
  - The CNAME prefix and the tier of an environment cannot change in place; a different O(cname_prefix) or
    O(tier) fails the task before any change (create another environment and swap their CNAMEs, or
    terminate this one and create it again).
  - Secrets never go into plain environment properties (namespace
    C(aws:elasticbeanstalk:application:environment)), which the console and the API show to anyone who can
    read the environment. A property whose name looks like a secret (password, secret, token, C(_key) ...) is
    refused, unless its value is itself the ARN of a Secrets Manager secret or SSM parameter; put secrets in
    the C(aws:elasticbeanstalk:application:environmentsecrets) namespace with the ARN of a Secrets Manager secret
    or SSM parameter as the value (platform versions released on or after 2025-03-26; the instance profile must
    be allowed to read them).
  - The options are checked before any AWS call (names, CNAME prefix, version label, platform ARN, option
    namespaces, instance types, Auto Scaling group sizes, certificate ARNs, subnet and VPC IDs, ports, health
    check paths, secrets). Namespaces and option names AWS does not know are left to AWS, which refuses them
    before it changes anything.
  - With O(wait), the module waits until the environment is C(Ready) with a health other than C(Grey), and
    returns the environment's events since its operation started. An update fails the task when the
    environment then runs another version than O(version_label), or when ERROR events were logged since the
    operation started; the message quotes the recent ERROR and WARN events.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  name:
    description: Name of the environment (4-40 letters, digits or hyphens, not starting or ending with a hyphen).
    type: str
    required: true
    aliases: [environment_name]
  application:
    description: Name of the application of the environment (it must exist).
    type: str
    required: true
    aliases: [application_name]
  state:
    description:
      - V(present) creates or updates the environment; one being terminated is created again (with O(wait),
        once it is C(Terminated)).
      - V(absent) terminates it (C(TerminateEnvironment)); with O(wait), until it is C(Terminated).
    type: str
    choices: [present, absent]
    default: present
  description:
    description: Description of the environment (up to 200 characters). Not given, it is not compared.
    type: str
  solution_stack_name:
    description:
      - Solution stack of the environment (V(64bit Amazon Linux 2023 v4.5.0 running Docker)). Mutually exclusive
        with O(platform_arn); one of them is required to create the environment.
      - A different solution stack on an existing environment updates its platform (C(UpdateEnvironment) with
        C(SolutionStackName)).
    type: str
  platform_arn:
    description: ARN of the platform version of the environment, instead of O(solution_stack_name).
    type: str
  version_label:
    description:
      - Application version the environment runs (see M(mlops.mlflow_aws.elasticbeanstalk_application_version)).
        Not given, a new environment runs AWS's sample application and an existing one keeps its version.
    type: str
  cname_prefix:
    description:
      - Prefix of the environment's CNAME (V(<prefix>.<region>.elasticbeanstalk.com), 4-63 letters, digits or
        hyphens). Not given, AWS makes one up. It cannot change on an existing environment. Not for a V(Worker).
    type: str
  tier:
    description: Tier of the environment. It cannot change on an existing environment.
    type: str
    choices: [WebServer, Worker]
    default: WebServer
  option_settings:
    description:
      - Configuration option settings of the environment. Only these are compared on an existing environment;
        the others keep their value.
      - Values are strings, as AWS keeps them; booleans become V(true)/V(false), numbers digits, lists
        comma-separated strings.
    type: list
    elements: dict
    suboptions:
      namespace:
        description: Namespace of the option (V(aws:autoscaling:asg)).
        type: str
        required: true
      option_name:
        description:
          - Name of the option (V(MaxSize)); in C(aws:elasticbeanstalk:application:environment), the name of the
            environment property.
        type: str
        required: true
      value:
        description: Value of the option.
        type: raw
        required: true
      resource_name:
        description: Resource the option is about (a scheduled action's name), for the namespaces that have one.
        type: str
  purge_option_settings:
    description:
      - With V(true), the environment properties and environment secrets the environment has but
        O(option_settings) does not give are removed (C(OptionsToRemove)), in those of the namespaces
        C(aws:elasticbeanstalk:application:environment) and C(aws:elasticbeanstalk:application:environmentsecrets)
        that O(option_settings) names (a namespace O(option_settings) does not name keeps its options).
      - The other namespaces list every option with its default value and are never purged.
    type: bool
    default: false
  wait:
    description:
      - Wait until the environment is C(Ready) with a health other than C(Grey) (with O(state=absent), until
        it is C(Terminated)), then check that the update worked. An operation already under way is waited for
        before anything is compared.
      - Without it, a run that changes both the environment and its tags still waits between the two (an
        environment being updated takes no other change).
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait, for each operation.
    type: int
    default: 1800
notes:
  - Tags of an environment are propagated to its resources by an environment update. The tags Elastic Beanstalk
    keeps itself (C(elasticbeanstalk:*), and C(Name) unless O(tags) sets it) are never purged.
  - AWS's API reference says that C(UpdateEnvironment) refuses a new version together with configuration
    changes when they come from a configuration template; this module sends no template, and sends the version,
    the platform and the option settings that differ in one call.
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.tags
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: MLflow on Elastic Beanstalk (Docker), its database password from Secrets Manager
  mlops.mlflow_aws.elasticbeanstalk_environment:
    name: mlflow-prod
    application: mlflow
    solution_stack_name: "64bit Amazon Linux 2023 v4.5.0 running Docker"
    version_label: mlflow-3.17.2-1
    cname_prefix: mlflow-prod
    option_settings:
      - namespace: aws:autoscaling:launchconfiguration
        option_name: InstanceType
        value: t3.small
      - namespace: aws:autoscaling:launchconfiguration
        option_name: IamInstanceProfile
        value: mlflow-eb-instance
      - namespace: aws:autoscaling:asg
        option_name: MinSize
        value: 1
      - namespace: aws:autoscaling:asg
        option_name: MaxSize
        value: 2
      - namespace: aws:elasticbeanstalk:environment
        option_name: LoadBalancerType
        value: application
      - namespace: aws:elasticbeanstalk:environment:process:default
        option_name: HealthCheckPath
        value: /health
      - namespace: aws:elasticbeanstalk:application:environment
        option_name: MLFLOW_ARTIFACT_URI
        value: s3://ml-artifacts/mlflow
      - namespace: aws:elasticbeanstalk:application:environmentsecrets
        option_name: MLFLOW_DB_PASSWORD
        value: arn:aws:secretsmanager:eu-west-1:123456789012:secret:mlflow/db-AbCdEf
    tags:
      Application: mlflow
  register: mlflow_eb

- name: Its URL
  ansible.builtin.debug:
    msg: "{{ mlflow_eb.url }}"

- name: Terminate it
  mlops.mlflow_aws.elasticbeanstalk_environment:
    name: mlflow-prod
    application: mlflow
    state: absent
"""

RETURN = r"""
environment:
  description:
    - The environment as C(DescribeEnvironments) (or the last call) returns it, in snake_case; with its tags
      as a dict (the ones Elastic Beanstalk keeps left out) when O(tags) was given.
    - Empty when there is no environment (terminated, or to be created in check mode).
  returned: always
  type: dict
  contains:
    environment_name:
      description: Name of the environment.
      type: str
    application_name:
      description: Name of its application.
      type: str
    solution_stack_name:
      description: Its solution stack.
      type: str
    platform_arn:
      description: Its platform version.
      type: str
    tier:
      description: C(name), C(type) and C(version) of its tier.
      type: dict
    date_updated:
      description: When it last changed (ISO 8601).
      type: str
    tags:
      description: Its tags (when O(tags) was given).
      type: dict
environment_name:
  description: Name of the environment.
  returned: always (null when there is no environment)
  type: str
environment_id:
  description: ID of the environment.
  returned: always (null when there is no environment)
  type: str
  sample: e-abcdef1234
environment_arn:
  description: ARN of the environment.
  returned: always (null when there is no environment)
  type: str
status:
  description: Status of the environment (C(Launching), C(Updating), C(Ready), C(Terminating), C(Terminated) ...).
  returned: always (null when there is no environment)
  type: str
  sample: Ready
health:
  description: Health colour of the environment (C(Green), C(Yellow), C(Red), C(Grey)).
  returned: always (null when there is no environment)
  type: str
  sample: Green
version_label:
  description: Application version the environment runs.
  returned: always (null when there is no environment)
  type: str
cname:
  description: CNAME of a web server environment.
  returned: always (null when there is none)
  type: str
  sample: mlflow-prod.eu-west-1.elasticbeanstalk.com
endpoint_url:
  description: URL of the environment's load balancer (or instance).
  returned: always (null when there is none)
  type: str
url:
  description: C(http://<cname>/).
  returned: always (null when there is no live web server environment)
  type: str
  sample: http://mlflow-prod.eu-west-1.elasticbeanstalk.com/
events:
  description:
    - The environment's events since the module's operation started, oldest first (at most 50); empty when
      nothing changed.
  returned: always
  type: list
  elements: dict
  contains:
    event_date:
      description: When (ISO 8601).
      type: str
    severity:
      description: C(TRACE), C(DEBUG), C(INFO), C(WARN), C(ERROR) or C(FATAL).
      type: str
    message:
      description: The event's message.
      type: str
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk as api
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_params as params_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_results as results_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import elasticbeanstalk_settings as settings_lib
from ansible_collections.mlops.mlflow_aws.plugins.module_utils.tags import apply_tags, compare_tags

try:
    import botocore
except ImportError:
    pass  # Handled by AnsibleAWSModule


class EnvironmentManager:
    def __init__(self, module, client):
        self.module = module
        self.client = client
        self.params = module.params
        self.changed = False
        self.diff = {"before": {}, "after": {}}
        self.log = None  # the EventLog of this run's operation
        self.env = None
        self.tags = None
        self.sleep = time.sleep
        self.clock = time.monotonic

    @property
    def where(self):
        return f"Elastic Beanstalk environment {self.params['name']} of application {self.params['application']}"

    @property
    def events(self):
        return self.log.events if self.log else []

    def find(self):
        env = api.find_environment(self.client, self.params["name"])
        if env is not None and env.get("ApplicationName") != self.params["application"]:
            self.module.fail_json(
                msg=f"name: the Elastic Beanstalk environment {self.params['name']} belongs to application "
                f"{env.get('ApplicationName')}, not {self.params['application']} (environment names are unique "
                "in a region); give another name",
                **results_lib.environment_results(env),
            )
        self.env = env
        return env

    def wait_ready(self, env_id, log=None):
        self.env = api.wait_for_ready(
            self.client, env_id, log or self.log, self.params["wait_timeout"], sleep=self.sleep, clock=self.clock
        )
        return self.env

    def wait_terminated(self, env_id):
        return api.wait_for_terminated(
            self.client, env_id, self.log, self.params["wait_timeout"], sleep=self.sleep, clock=self.clock
        )

    def check_outcome(self, env):
        problem = api.outcome_problem(env, self.params["version_label"], self.log)
        if problem:
            raise api.EnvironmentWaitError(problem, environment=env, events=self.log.events, last=env)

    # ------------------------------------------------------------ states
    def absent(self):
        env = self.find()
        if env is None:
            return None
        env_id = env["EnvironmentId"]
        if env.get("Status") == "Terminating":
            if self.params["wait"] and not self.module.check_mode:
                self.log = api.EventLog.start(self.client, env_id)
                return self.wait_terminated(env_id) or env
            return env
        self.changed = True
        self.diff = {"before": self.summary(env), "after": {}}
        if self.module.check_mode:
            return env
        if env.get("Status") in api.BUSY and self.params["wait"]:
            env = self.wait_ready(env_id, api.EventLog.start(self.client, env_id))  # an operation already under way
        self.log = api.EventLog.start(self.client, env_id)
        terminated = api.terminate_environment(self.client, env_id)
        if self.params["wait"]:
            return self.wait_terminated(env_id) or dict(terminated, Status="Terminated")
        self.log.poll(self.client)
        return terminated

    @staticmethod
    def summary(env):
        view = {"version_label": env.get("VersionLabel")}
        for option, member in (("solution_stack_name", "SolutionStackName"), ("platform_arn", "PlatformArn")):
            if env.get(member):
                view[option] = env[member]
        return view

    def present(self):
        env = self.find()
        if env is not None and env.get("Status") == "Terminating":
            if not self.params["wait"]:
                self.module.fail_json(msg=f"{self.where} is Terminating; run again once it is Terminated, or with wait")
            if not self.module.check_mode:
                self.log = api.EventLog.start(self.client, env["EnvironmentId"])
                self.wait_terminated(env["EnvironmentId"])
            env = None
        if env is None:
            return self.create()
        return self.update(env)

    def create(self):
        if not (self.params["solution_stack_name"] or self.params["platform_arn"]):
            self.module.fail_json(
                msg=f"solution_stack_name or platform_arn: one is required to create {self.where} "
                "(aws elasticbeanstalk list-available-solution-stacks lists them)"
            )
        tier = params_lib.tier(self.params)
        self.tags = dict(self.params["tags"] or {})
        self.changed = True
        self.diff = {"before": {}, "after": dict(settings_lib.create_view(self.params, tier), tags=self.tags)}
        if self.module.check_mode:
            return None
        self.log = api.EventLog()
        request = settings_lib.create_request(self.params, tier, api.boto3_tags(self.tags))
        env = api.create_environment(self.client, request)
        self.env = env
        self.log.env_id = env["EnvironmentId"]
        if not self.params["wait"]:
            self.log.poll(self.client)
            return env
        env = self.wait_ready(env["EnvironmentId"])
        self.check_outcome(env)
        return env

    def check_immutable(self, env):
        """Fail before any change when the options ask for what AWS cannot change in place."""
        prefix, cname = self.params["cname_prefix"], env.get("CNAME")
        if prefix and cname and cname.split(".")[0].lower() != prefix.lower():
            self.module.fail_json(
                msg=f"cname_prefix: {self.where} has the CNAME {cname}, not a {prefix} prefix; AWS cannot change "
                "the CNAME prefix of an environment in place (create another environment with the new prefix and "
                "swap their CNAMEs, or terminate this one with state=absent and create it again)",
                **results_lib.environment_results(env),
            )
        current_tier = (env.get("Tier") or {}).get("Name")
        if current_tier and current_tier != self.params["tier"]:
            self.module.fail_json(
                msg=f"tier: {self.where} is a {current_tier} environment, not {self.params['tier']}; AWS cannot "
                "change the tier of an environment (terminate it with state=absent and create it again)",
                **results_lib.environment_results(env),
            )

    def update(self, env):
        self.check_immutable(env)
        env_id = env["EnvironmentId"]
        if env.get("Status") in api.BUSY and self.params["wait"] and not self.module.check_mode:
            env = self.wait_ready(env_id, api.EventLog.start(self.client, env_id))  # an operation already under way
        described = []
        if self.params["option_settings"]:
            described = api.configuration_settings(self.client, self.params["application"], self.params["name"])
        plan = settings_lib.plan_update(env, described, self.params)
        tag_change = compare_tags({}, None)
        if self.params["tags"] is not None:
            current = api.user_tags(api.get_tags(self.client, env["EnvironmentArn"]), self.params["tags"])
            tag_change = compare_tags(current, self.params["tags"], self.params["purge_tags"])
            self.tags = tag_change.after
        if not (plan.changed or tag_change.changed):
            return env
        self.changed = True
        before, after = dict(plan.before), dict(plan.after)
        if self.params["tags"] is not None:
            before["tags"], after["tags"] = tag_change.before, tag_change.after
        self.diff = {"before": before, "after": after}
        if self.module.check_mode:
            return env
        if env.get("Status") in api.BUSY:
            self.module.fail_json(
                msg=f"{self.where} is {env['Status']} (an operation is under way) and takes no other change; "
                "run again once it is Ready, or with wait",
                **results_lib.environment_results(env),
            )
        self.log = api.EventLog.start(self.client, env_id)
        if plan.changed:
            env = api.update_environment(self.client, env_id, plan.request)
            self.env = env
            if self.params["wait"] or tag_change.changed:
                env = self.wait_ready(env_id)
                self.check_outcome(env)
        if tag_change.changed:
            apply_tags(self.client, api.TAGS, env["EnvironmentArn"], tag_change)
            if self.params["wait"]:
                env = self.wait_ready(env_id)
                self.check_outcome(env)
        if not self.params["wait"]:
            self.log.poll(self.client)
        return env


def main():
    module = AnsibleAWSModule(argument_spec=params_lib.environment_spec(), supports_check_mode=True)
    problems = params_lib.validate_environment(module.params)
    if problems:
        module.fail_json(msg="Invalid Elastic Beanstalk environment options: " + "; ".join(problems), problems=problems)

    client = module.client("elasticbeanstalk")
    manager = EnvironmentManager(module, client)
    try:
        env = manager.absent() if module.params["state"] == "absent" else manager.present()
    except api.EnvironmentWaitError as exc:
        module.fail_json(
            msg=str(exc),
            changed=manager.changed,
            **results_lib.environment_results(exc.environment or manager.env, manager.tags, exc.events),
        )
    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as exc:
        module.fail_json_aws(exc, msg=f"Could not manage {manager.where}", changed=manager.changed)

    result = dict(changed=manager.changed)
    if module._diff:
        result["diff"] = manager.diff
    result.update(results_lib.environment_results(env, manager.tags, manager.events))
    module.exit_json(**result)


if __name__ == "__main__":
    main()
