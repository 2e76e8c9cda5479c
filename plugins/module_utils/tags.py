# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Resource tags for every module of the collection: read, compare with ``purge_tags``, apply.

Each AWS service has its own tag calls (App Runner ``tag_resource``/``untag_resource``, RDS
``add_tags_to_resource``/``remove_tags_from_resource``, Elastic Beanstalk one
``update_tags_for_resource``, ECS lower-case ``key``/``value`` lists ...). A service's module_utils
describes them once as a ``TagAdapter`` of small functions (each already wrapped in
``AWSRetry.jittered_backoff``) that speak Ansible tag dicts; everything else is here::

    TAGS = TagAdapter(list_tags=get_tags, tag_resource=_tag, untag_resource=_untag)

    change = ensure_tags(client, TAGS, arn, params["tags"], params["purge_tags"], check_mode=module.check_mode)
    result["changed"] |= change.changed
    result["diff"] = change.diff

A module that must apply the tags later than it compares them (after an operation it starts) calls
``plan_tags`` first and ``apply_tags`` when the time comes.
"""

from __future__ import annotations

from ansible_collections.amazon.aws.plugins.module_utils.tagging import (
    ansible_dict_to_boto3_tag_list,
    compare_aws_tags,
)


class TagAdapter:
    """The tag calls of one AWS API, each taking the boto3 client first and speaking Ansible tag dicts.

    list_tags(client, arn) -> {key: value}
    tag_resource(client, arn, {key: value})   sets (adds or overwrites) tags
    untag_resource(client, arn, [key, ...])   removes tags
    update_tags(client, arn, {key: value}, [key, ...])   for APIs that do both in one call
    (give it instead of tag_resource and untag_resource).
    """

    def __init__(self, list_tags, tag_resource=None, untag_resource=None, update_tags=None):
        if update_tags is None and (tag_resource is None or untag_resource is None):
            raise ValueError("TagAdapter needs tag_resource and untag_resource, or update_tags")
        self.list_tags = list_tags
        self.tag_resource = tag_resource
        self.untag_resource = untag_resource
        self.update_tags = update_tags

    def get(self, client, arn):
        return dict(self.list_tags(client, arn) or {})

    def apply(self, client, arn, to_set, to_remove):
        """Remove TO_REMOVE, then set TO_SET (no call for an empty side)."""
        if not (to_set or to_remove):
            return
        if self.update_tags is not None:
            self.update_tags(client, arn, dict(to_set), list(to_remove))
            return
        if to_remove:
            self.untag_resource(client, arn, list(to_remove))
        if to_set:
            self.tag_resource(client, arn, dict(to_set))


class TagChange:
    """What tagging a resource changes: the tags BEFORE and AFTER, and the calls between them."""

    __slots__ = ("after", "before", "to_remove", "to_set")

    def __init__(self, before, after, to_set, to_remove):
        self.before = before
        self.after = after
        self.to_set = to_set
        self.to_remove = to_remove

    @property
    def changed(self):
        return bool(self.to_set or self.to_remove)

    @property
    def diff(self):
        return {"before": {"tags": self.before}, "after": {"tags": self.after}}

    def __repr__(self):
        return (
            f"TagChange(before={self.before!r}, after={self.after!r}, "
            f"to_set={self.to_set!r}, to_remove={self.to_remove!r})"
        )


def compare_tags(current, desired, purge_tags=True):
    """The TagChange that turns CURRENT into DESIRED; DESIRED None means 'leave the tags alone'."""
    current = dict(current or {})
    if desired is None:
        return TagChange(current, dict(current), {}, [])
    to_set, to_remove = compare_aws_tags(current, desired, purge_tags=purge_tags)
    after = {k: v for k, v in {**current, **to_set}.items() if k not in to_remove}
    return TagChange(current, after, to_set, list(to_remove))


def plan_tags(client, adapter, arn, desired, purge_tags=True, *, current=None):  # noqa: PLR0913 (as ensure_tags)
    """Compare the tags of ARN with DESIRED, without changing them.

    The current tags are CURRENT when given; otherwise they are read with ADAPTER, and only when
    there is something to compare (DESIRED given) and a resource (ARN) to read them from.
    """
    if current is None:
        current = adapter.get(client, arn) if desired is not None and arn else {}
    return compare_tags(current, desired, purge_tags)


def apply_tags(client, adapter, arn, change):
    """Make the calls CHANGE (from plan_tags) stands for; returns whether there were any."""
    adapter.apply(client, arn, change.to_set, change.to_remove)
    return change.changed


def ensure_tags(client, adapter, arn, desired, purge_tags=True, *, check_mode=False, current=None):  # noqa: PLR0913
    """Give ARN the tags DESIRED (None: leave them alone); in check mode only say what would change.

    Returns the TagChange: ``changed``, ``before``/``after`` (and ``diff``) for the module's result.
    """
    change = plan_tags(client, adapter, arn, desired, purge_tags, current=current)
    if change.changed and not check_mode:
        apply_tags(client, adapter, arn, change)
    return change


def boto3_tags(tags):
    """An Ansible tag dict as the [{'Key': ..., 'Value': ...}] list create calls take."""
    return ansible_dict_to_boto3_tag_list(tags or {})
