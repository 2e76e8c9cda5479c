# -*- coding: utf-8 -*-
# Copyright: (c) 2026, mlops.mlflow_aws contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules about AWS values, written once: the modules apply them, and the roles through the
``mlops.mlflow_aws.aws_rule`` filter (plugins/filter/aws_rules.py).

Pure data and functions (no AWS calls, no Ansible imports).
"""

from __future__ import annotations

import re

# ---------------------------------------------------------------- App Runner instance sizes
# CPU (vCPU units) -> memory sizes (MB) App Runner accepts together.
APPRUNNER_CPU_MEMORY = {
    256: (512, 1024),
    512: (1024,),
    1024: (2048, 3072, 4096),
    2048: (4096,),
    4096: (8192, 10240, 12288),
}
# The other spellings the App Runner API takes.
APPRUNNER_CPU_ALIASES = {"0.25 vCPU": 256, "0.5 vCPU": 512, "1 vCPU": 1024, "2 vCPU": 2048, "4 vCPU": 4096}
APPRUNNER_MEMORY_ALIASES = {
    "0.5 GB": 512,
    "1 GB": 1024,
    "2 GB": 2048,
    "3 GB": 3072,
    "4 GB": 4096,
    "6 GB": 6144,
    "8 GB": 8192,
    "10 GB": 10240,
    "12 GB": 12288,
}


def apprunner_cpu_memory():
    """APPRUNNER_CPU_MEMORY with strings for keys and values (as role variables and the API carry them)."""
    return {str(cpu): [str(memory) for memory in sizes] for cpu, sizes in APPRUNNER_CPU_MEMORY.items()}


# ---------------------------------------------------------------- container image URIs
# <account>.dkr.ecr.<region>.amazonaws.com/<repository>[:<tag>|@sha256:<digest>]
# public.ecr.aws/<alias>/<repository>[:<tag>|@sha256:<digest>]
_REGISTRIES = {
    "ECR": r"[0-9]{12}\.dkr\.ecr\.[a-z0-9-]+\.amazonaws\.com",
    "ECR_PUBLIC": r"public\.ecr\.aws/[a-z0-9._-]+",
}
_REPOSITORY = r"/[a-z0-9._/-]+"
_REFERENCE = r"(:[A-Za-z0-9_.+=:@/-]+|@sha256:[0-9a-f]{64})"
_IMAGE_HINTS = {
    "ECR": "(<account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag>)",
    "ECR_PUBLIC": "(public.ecr.aws/<alias>/<repo>:<tag>)",
}


def image_uri_pattern(repository_type=None, reference_required=True):
    """The regular expression of an image URI in ECR or ECR Public (REPOSITORY_TYPE None: either).

    With REFERENCE_REQUIRED the URI must end in a tag or a digest (what the roles ask for); App Runner
    itself takes a URI without one (and pulls 'latest').
    """
    registries = [_REGISTRIES[repository_type]] if repository_type else list(_REGISTRIES.values())
    registry = registries[0] if len(registries) == 1 else "(" + "|".join(registries) + ")"
    return "^" + registry + _REPOSITORY + _REFERENCE + ("" if reference_required else "?") + "$"


# Either registry, tag or digest required: the rule the roles apply (``'ecr_image_uri' | aws_rule``).
ECR_IMAGE_URI = image_uri_pattern()


def image_repository_type(image):
    """ECR_PUBLIC for a public.ecr.aws/ URI, ECR for anything else (App Runner's ImageRepositoryType)."""
    return "ECR_PUBLIC" if str(image).startswith("public.ecr.aws/") else "ECR"


def image_uri_problem(image, repository_type=None, reference_required=False):
    """What is wrong with IMAGE as an image URI of REPOSITORY_TYPE (derived when None); '' when nothing."""
    kind = repository_type or image_repository_type(image)
    if not re.match(image_uri_pattern(kind, reference_required=False), str(image)):
        return f"not an {kind} image URI {_IMAGE_HINTS[kind]}"
    if reference_required and not re.match(image_uri_pattern(kind), str(image)):
        return "has no tag (:<tag>) or digest (@sha256:<digest>)"
    return ""


# Fargate task sizes: CPU units -> the memory sizes (MiB) AWS accepts with it.
FARGATE_CPU_MEMORY = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}


def fargate_cpu_memory():
    """FARGATE_CPU_MEMORY with strings for keys and values (as role variables and the API carry them)."""
    return {str(cpu): [str(memory) for memory in sizes] for cpu, sizes in FARGATE_CPU_MEMORY.items()}


ACM_CERTIFICATE_ARN = r"^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]{36}$"
# An IAM server certificate (what listeners took before ACM).
IAM_SERVER_CERTIFICATE_ARN = r"^arn:aws[a-z-]*:iam::[0-9]{12}:server-certificate/[\w+=,.@/-]+$"
# EC2 instance types: <family><generation>[<attributes>].<size> (t3.small, m7g.xlarge, u-6tb1.metal).
EC2_INSTANCE_TYPE = r"^[a-z][a-z0-9-]*\.[a-z0-9]+$"
# Elastic Beanstalk environment names: 4-40 letters, digits or hyphens, no hyphen first or last.
BEANSTALK_ENVIRONMENT_NAME = r"^[A-Za-z0-9][A-Za-z0-9-]{2,38}[A-Za-z0-9]$"
# Elastic Beanstalk CNAME prefixes (<prefix>.<region>.elasticbeanstalk.com): 4-63, the same characters.
BEANSTALK_CNAME_PREFIX = r"^[A-Za-z0-9][A-Za-z0-9-]{2,61}[A-Za-z0-9]$"
# Names of variables that hold a secret: they belong in a secret store, never in plain environment
# properties or variables (Elastic Beanstalk's aws:elasticbeanstalk:application:environment).
SECRET_LIKE_NAME = r"(?i)(password|passwd|secret|token|(^|_)key($|_)|api_?key|private_?key)"  # noqa: S105 (names)
# The days CloudWatch Logs keeps a log group's events (PutRetentionPolicy takes these only).
LOG_RETENTION_DAYS = [
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
]


# ---------------------------------------------------------------- what the aws_rule filter serves
def rules():
    """Rule name -> its value, for the roles (JSON-friendly: strings, lists, dicts)."""
    return {
        "acm_certificate_arn": ACM_CERTIFICATE_ARN,
        "apprunner_cpu_memory": apprunner_cpu_memory(),
        "beanstalk_cname_prefix": BEANSTALK_CNAME_PREFIX,
        "beanstalk_environment_name": BEANSTALK_ENVIRONMENT_NAME,
        "ec2_instance_type": EC2_INSTANCE_TYPE,
        "ecr_image_uri": ECR_IMAGE_URI,
        "fargate_cpu_memory": fargate_cpu_memory(),
        "log_retention_days": LOG_RETENTION_DAYS,
        "secret_like_name": SECRET_LIKE_NAME,
    }
