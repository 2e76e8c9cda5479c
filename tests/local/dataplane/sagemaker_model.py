"""What SageMaker does with a model before its serving container runs: the execution role, the model data, the image.

- **The execution role** must exist and trust ``sagemaker.amazonaws.com`` (an Allow statement of its trust policy
  with ``sts:AssumeRole`` for that service principal), and its policies (``ecs.role_allows``: inline and attached,
  Allow statements, wildcards; no Deny, no conditions) must allow ``s3:GetObject`` on every model data object
  (``s3:ListBucket`` on the bucket too for an ``S3Prefix``), and, for an image in ECR, ``ecr:BatchGetImage`` and
  ``ecr:GetDownloadUrlForLayer`` on its repository and ``ecr:GetAuthorizationToken`` on ``*``.
- **The model data**, read from the local S3 in the endpoint's account: ``ModelDataUrl`` or a ``ModelDataSource``
  ``S3Object`` with ``CompressionType`` ``Gzip`` (a gzip tar archive, extracted) or ``None`` (the object, named by
  the last part of its key), or an ``S3Prefix`` with ``CompressionType`` ``None`` (every object under the prefix,
  at its key relative to the prefix). The bucket must
  be in the endpoint's region. It is unpacked in a directory of the state dir, which the containers mount read-only
  at ``/opt/ml/model``.
- **The image** is the Docker engine's image of that name (the local ECR's images are held under their URIs).

Each refusal is a FailureReason worded as SageMaker's (``Could not access model data at s3://... Please ensure that
the role "..." exists and that its trust relationship policy allows the action "sts:AssumeRole" for the service
principal "sagemaker.amazonaws.com". Also ensure that the role has "s3:GetObject" permissions and that the object
is located in <region>.``; ``Failed to extract model data archive from URL "s3://...". Please ensure that the object
located at the URL is a valid tar.gz archive.``).
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moto.iam.models import iam_backends
from moto.s3.models import s3_backends

from .ecs import role_allows

PRINCIPAL = "sagemaker.amazonaws.com"
ECR_IMAGE = re.compile(r"^(?P<account>\d{12})\.dkr\.ecr\.(?P<region>[a-z0-9-]+)\.amazonaws\.com/(?P<repo>[^:@]+)")
ECR_PULL = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer")


class ModelDataError(Exception):
    """The model data cannot be read or unpacked: the FailureReason."""


@dataclass(frozen=True)
class ModelData:
    uri: str  # s3://bucket/key, or s3://bucket/prefix/ for an S3Prefix
    prefix: bool  # S3Prefix: every object under it, uncompressed
    gzip: bool  # a gzip tar archive, extracted

    @property
    def bucket(self) -> str:
        return self.uri.removeprefix("s3://").partition("/")[0]

    @property
    def key(self) -> str:
        return self.uri.removeprefix("s3://").partition("/")[2]


def primary_container(model: Any) -> dict[str, Any]:
    """The model's PrimaryContainer (or its one container of ``Containers``)."""
    if model.primary_container:
        return model.primary_container
    return model.containers[0] if len(model.containers) == 1 else {}


def model_data(container: dict[str, Any]) -> ModelData | None:
    source = (container.get("ModelDataSource") or {}).get("S3DataSource")
    if source:
        prefix = source.get("S3DataType") == "S3Prefix"
        return ModelData(source["S3Uri"], prefix, source.get("CompressionType") == "Gzip")
    return ModelData(container["ModelDataUrl"], False, True) if container.get("ModelDataUrl") else None


# ------------------------------------------------------------------ the execution role (under the lock)
def trusts(role_arn: str, principal: str = PRINCIPAL) -> bool:
    """Whether the role exists and its trust policy lets PRINCIPAL (a service) assume it."""
    account = role_arn.split(":")[4] if role_arn.count(":") >= 5 else ""
    try:
        role = iam_backends[account]["global"].get_role_by_arn(role_arn)
    except Exception:
        return False
    document = role.assume_role_policy_document
    document = json.loads(document) if isinstance(document, str) else document
    statements = document.get("Statement", [])
    for statement in statements if isinstance(statements, list) else [statements]:
        actions = statement.get("Action", [])
        services = (statement.get("Principal") or {}).get("Service", []) if statement.get("Principal") != "*" else "*"
        if (
            statement.get("Effect") == "Allow"
            and any(a in ("sts:AssumeRole", "sts:*", "*") for a in _listed(actions))
            and (services == "*" or principal in _listed(services))
        ):
            return True
    return False


def _listed(value: Any) -> list[str]:
    return value if isinstance(value, list) else [value]


def _role_account(role: str) -> str:
    return role.split(":")[4] if role.count(":") >= 5 else ""


def data_denied(account: str, region: str, role: str, data: ModelData) -> str:
    """SageMaker's refusal of the model data (role, trust, s3:GetObject, bucket region, the objects), or "".

    ACCOUNT and REGION are the endpoint's: its local S3 holds the bucket."""
    denied = (
        f'Could not access model data at {data.uri}. Please ensure that the role "{role}" exists and that its trust '
        f'relationship policy allows the action "sts:AssumeRole" for the service principal "{PRINCIPAL}". Also '
        f'ensure that the role has "s3:GetObject" permissions and that the object is located in {region}.'
    )
    if data.prefix:
        denied += ' If your Model uses multiple models or uncompressed models, please ensure that the role has "s3:ListBucket" permission.'  # noqa: E501 - AWS's sentence
    bucket = s3_backends[account]["aws"].buckets.get(data.bucket)
    keys = _keys(account, data) if bucket is not None else []
    if not trusts(role) or bucket is None or bucket.region_name != region or not keys:
        return denied
    owner = _role_account(role)
    if data.prefix and not role_allows(owner, role, "s3:ListBucket", f"arn:aws:s3:::{data.bucket}"):
        return denied
    if not all(role_allows(owner, role, "s3:GetObject", f"arn:aws:s3:::{data.bucket}/{key}") for key in keys):
        return denied
    return ""


def image_denied(role: str, image: str) -> str:
    """SageMaker's refusal to pull an ECR image with the role (trust, repository and token permissions), or ""."""
    if not trusts(role):
        return (
            f'Could not assume role "{role}". Please ensure that the role exists and that its trust relationship '
            f'policy allows the action "sts:AssumeRole" for the service principal "{PRINCIPAL}".'
        )
    match = ECR_IMAGE.match(image)
    if match is None:
        return ""
    account = _role_account(role)
    repository = f"arn:aws:ecr:{match['region']}:{match['account']}:repository/{match['repo']}"
    wanted = [(action, repository) for action in ECR_PULL] + [("ecr:GetAuthorizationToken", "*")]
    for action, resource in wanted:
        if not role_allows(account, role, action, resource):
            return (
                f'The role "{role}" does not grant {action} on "{resource}": SageMaker cannot pull the image '
                f'"{image}". Please ensure that the role has "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer" and '
                '"ecr:GetAuthorizationToken" permissions.'
            )
    return ""


# ------------------------------------------------------------------ the model data
def _keys(account: str, data: ModelData) -> list[str]:
    """The object keys the model data is made of (none when its object is missing)."""
    s3 = s3_backends[account]["aws"]
    if not data.prefix:
        return [data.key] if s3.get_object(data.bucket, data.key) is not None else []
    bucket = s3.buckets[data.bucket]
    return sorted(k for k in list(bucket.keys.keys()) if k.startswith(data.key) and not k.endswith("/"))


def read(account: str, data: ModelData) -> dict[str, bytes]:
    """The model data's objects by the path SageMaker gives them under /opt/ml/model: the key relative to the
    prefix, or one object's last part of its key. Under the lock."""
    s3 = s3_backends[account]["aws"]
    objects = {}
    for key in _keys(account, data):
        found = s3.get_object(data.bucket, key)
        if found is not None:
            objects[key[len(data.key) :] if data.prefix else key.rsplit("/", 1)[-1]] = found.value
    return objects


def unpack(data: ModelData, objects: dict[str, bytes], target: Path) -> None:
    """OBJECTS (read()) as the container sees them in /opt/ml/model: extracted, or files at their paths."""
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    if data.gzip:
        try:
            with tarfile.open(fileobj=io.BytesIO(next(iter(objects.values()))), mode="r:gz") as archive:
                archive.extractall(target, filter="data")  # no absolute paths, links out or devices
        except (tarfile.TarError, OSError, EOFError, StopIteration) as exc:
            raise ModelDataError(
                f'Failed to extract model data archive from URL "{data.uri}". Please ensure that the object located '
                "at the URL is a valid tar.gz archive."
            ) from exc
    for relative, value in objects.items() if not data.gzip else ():
        path = (target / relative).resolve()
        if not path.is_relative_to(target.resolve()):
            raise ModelDataError(f"Model data at {data.uri}: the key {relative!r} leaves the model directory.")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value)
    for path in [target, *target.rglob("*")]:  # readable by the image's user, whoever it is (read-only mount)
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | (0o555 if path.is_dir() else 0o444))
