# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network checks the roles need (Python's ipaddress, so no netaddr on the controller)."""

from __future__ import annotations

import ipaddress

DOCUMENTATION = r"""
name: invalid_cidrs
short_description: The entries of a list that are not CIDR blocks
version_added: 0.2.0
description:
  - Returns the entries of the input list that are not IPv4 or IPv6 CIDR blocks (V(203.0.113.0/24),
    V(2001:db8::/32)); host bits may be set, as AWS accepts them. An empty result means all are valid.
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  _input:
    description: CIDR blocks to check.
    type: list
    elements: str
    required: true
"""

EXAMPLES = r"""
- name: Refuse what is not a CIDR block
  ansible.builtin.assert:
    that: alb_client_cidrs | mlops.mlflow_aws.invalid_cidrs | length == 0
"""

RETURN = r"""
_value:
  description: The entries that are not CIDR blocks, in input order.
  type: list
  elements: str
"""


def invalid_cidrs(values):
    bad = []
    for value in values or []:
        text = str(value)
        try:
            if "/" not in text:
                raise ValueError(text)
            ipaddress.ip_network(text, strict=False)
        except ValueError:
            bad.append(text)
    return bad


class FilterModule:
    def filters(self):
        return {"invalid_cidrs": invalid_cidrs}
