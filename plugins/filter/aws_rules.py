# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The rules about AWS values the modules apply (module_utils/aws_rules.py), for the roles."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.mlops.mlflow_aws.plugins.module_utils import aws_rules

DOCUMENTATION = r"""
name: aws_rule
short_description: A rule about AWS values, as this collection's modules apply it
version_added: 0.1.0
description:
  - Returns the value of a named rule that lives once in the collection's Python code, so that a role
    checks its input the way the modules and AWS do, without a copy of the rule.
  - V(acm_certificate_arn) is the regular expression of an ACM certificate ARN.
  - V(apprunner_cpu_memory) is the App Runner CPU sizes (vCPU units) and, for each, the memory sizes (MB)
    App Runner offers with it, all as strings, smallest first.
  - V(beanstalk_cname_prefix) and V(beanstalk_environment_name) are the regular expressions of an Elastic
    Beanstalk CNAME prefix (4-63) and environment name (4-40 letters, digits or hyphens, no hyphen first or last).
  - V(ec2_instance_type) is the regular expression of an EC2 instance type (V(t3.small)).
  - V(ecr_image_uri) is the regular expression of an image URI in Amazon ECR
    (V(<account>.dkr.ecr.<region>.amazonaws.com/<repository>)) or ECR Public
    (V(public.ecr.aws/<alias>/<repository>)) with a tag (V(:<tag>)) or a digest (V(@sha256:<digest>)),
    for the P(ansible.builtin.match#test) test.
  - V(fargate_cpu_memory) is the Fargate task CPU sizes (CPU units) and, for each, the memory sizes (MiB)
    Fargate accepts with it, all as strings, smallest first.
  - V(log_retention_days) is the list of retention periods (days) CloudWatch Logs accepts.
  - V(secret_like_name) is the regular expression (for the P(ansible.builtin.search#test) test) of a variable
    name that looks like it holds a secret (password, secret, token, key ...).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  _input:
    description: Name of the rule.
    type: str
    required: true
    choices:
      - acm_certificate_arn
      - apprunner_cpu_memory
      - beanstalk_cname_prefix
      - beanstalk_environment_name
      - ec2_instance_type
      - ecr_image_uri
      - fargate_cpu_memory
      - log_retention_days
      - secret_like_name
"""

EXAMPLES = r"""
- name: CPU and memory App Runner offers together
  ansible.builtin.assert:
    that: apprunner_memory | string in cpu_memory[apprunner_cpu | string] | default([])
    fail_msg: "use one of {{ cpu_memory[apprunner_cpu | string] | default([]) | join(', ') }} (MB)"
  vars:
    cpu_memory: "{{ 'apprunner_cpu_memory' | mlops.mlflow_aws.aws_rule }}"

- name: An ECR image with a tag
  ansible.builtin.assert:
    that: image is match('ecr_image_uri' | mlops.mlflow_aws.aws_rule)
"""

RETURN = r"""
_value:
  description:
    - For V(apprunner_cpu_memory), a dictionary of CPU size to the list of memory sizes; the key V(1024)
      holds V(2048), V(3072) and V(4096).
    - For V(ecr_image_uri), a regular expression (Python syntax, anchored at both ends).
  type: raw
"""


def aws_rule(name):
    known = aws_rules.rules()
    if name not in known:
        raise AnsibleFilterError(f"aws_rule: no rule named {name!r}; known rules: {', '.join(sorted(known))}")
    return known[name]


class FilterModule:
    def filters(self):
        return {"aws_rule": aws_rule}
