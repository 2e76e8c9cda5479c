# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Tag helpers shared by the collection's modules (each service has its own tag calls)."""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    compare_aws_tags,
)


def tag_changes(current, desired, purge):
    """(tags to set, keys to remove) that turn CURRENT into DESIRED; DESIRED None means 'leave tags alone'."""
    if desired is None:
        return {}, []
    return compare_aws_tags(current, desired, purge_tags=purge)


def boto3_tags(tags):
    return ansible_dict_to_boto3_tag_list(tags or {})
