# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An Elastic Beanstalk source bundle (a ZIP file) built on the controller, byte for byte the same
for the same files, so that its SHA-256 names it (content addressing)."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import zipfile
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

DOCUMENTATION = r"""
name: beanstalk_source_bundle
short_description: A deterministic Elastic Beanstalk source bundle (ZIP) and its SHA-256
version_added: 0.1.0
description:
  - Builds a ZIP file from a dictionary of path to content, in memory, and returns it in base64 with its
    SHA-256. The same files always give the same bytes (entries sorted by path, stored uncompressed, the
    timestamp fixed at 1980-01-01 00:00, mode 0644), so the hash names the bundle and an unchanged bundle
    keeps its key, its version label and needs no upload.
  - A string is stored as UTF-8; a dictionary or list as JSON (sorted keys, two-space indent, final
    newline), such as a C(Dockerrun.aws.json) or an C(.ebextensions/*.config) file (JSON is YAML).
author:
  - mlops.mlflow_aws maintainers (@mlops-mlflow-aws)
options:
  _input:
    description: Path in the bundle (relative, C(/) separated) to its content.
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: A Docker bundle that runs an image from ECR
  ansible.builtin.set_fact:
    bundle: >-
      {{ {'Dockerrun.aws.json': {'AWSEBDockerrunVersion': '1',
                                 'Image': {'Name': image_uri, 'Update': 'false'},
                                 'Ports': [{'ContainerPort': 8080}]}}
         | mlops.mlflow_aws.beanstalk_source_bundle }}

- name: Upload it once, under its hash
  amazon.aws.s3_object:
    bucket: my-bucket
    object: "beanstalk/{{ bundle.sha256 }}.zip"
    content_base64: "{{ bundle.content_base64 }}"
    mode: put
    overwrite: never
"""

RETURN = r"""
_value:
  description: The bundle.
  type: dict
  contains:
    content_base64:
      description: The ZIP file, base64-encoded.
      type: str
    sha256:
      description: SHA-256 of the ZIP file (64 hexadecimal digits).
      type: str
    size:
      description: Size of the ZIP file in bytes.
      type: int
    files:
      description: The paths in the bundle, sorted.
      type: list
      elements: str
"""

# ZIP's earliest date: any fixed one keeps the bytes stable.
EPOCH = (1980, 1, 1, 0, 0, 0)


def _content(path, value):
    if isinstance(value, (Mapping, list)):
        return (json.dumps(value, indent=2, sort_keys=True) + "\n").encode()
    if isinstance(value, str):
        return value.encode()
    raise AnsibleFilterError(f"beanstalk_source_bundle: {path}: content must be a string, a dictionary or a list")


def beanstalk_source_bundle(files):
    if not isinstance(files, Mapping) or not files:
        raise AnsibleFilterError("beanstalk_source_bundle: expects a non-empty dictionary of path to content")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for path in sorted(files):
            name = str(path)
            if not name or name.startswith("/") or ".." in name.split("/") or "\\" in name:
                raise AnsibleFilterError(f"beanstalk_source_bundle: {name!r} is not a relative path in the bundle")
            info = zipfile.ZipInfo(name, date_time=EPOCH)
            info.compress_type = zipfile.ZIP_STORED
            info.create_system = 3  # Unix, whatever the controller
            info.external_attr = 0o100644 << 16
            archive.writestr(info, _content(name, files[path]))
    data = buffer.getvalue()
    return {
        "content_base64": base64.b64encode(data).decode(),
        "sha256": hashlib.sha256(data).hexdigest(),
        "size": len(data),
        "files": sorted(str(p) for p in files),
    }


class FilterModule:
    def filters(self):
        return {"beanstalk_source_bundle": beanstalk_source_bundle}
