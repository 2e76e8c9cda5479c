"""DescribeExpressGatewayService-shaped samples and a fake ECS client for the ecs_express unit tests (no AWS).

The fake client checks every call's arguments against botocore's ``ecs`` model (the request shapes the
modules build are the ones AWS takes), records it, and answers from scripts.
"""

from __future__ import annotations

import copy

import botocore.session
from botocore.exceptions import ClientError
from botocore.validate import validate_parameters
from ecs_service_samples import ACCOUNT, T0, TD2

INFRA = "arn:aws:iam::123456789012:role/ecsInfrastructureRoleForExpressServices"
EXECUTION = "arn:aws:iam::123456789012:role/mlflow-execution"
TASK_ROLE = "arn:aws:iam::123456789012:role/mlflow-task"
IMAGE = "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlflow:3.17.2"
SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:mlflow/db-AbCdEf"
SUBNETS = ["subnet-0a1b2c3d", "subnet-0b1b2c3d"]
GROUP = "sg-0123456789abcdef0"
SERVICE_ARN = f"{ACCOUNT}:service/c1/mlflow"
ENDPOINT = "mlflow-0123456789.ecs.us-east-1.on.aws"

_MODEL = botocore.session.get_session().get_service_model("ecs")
_OPERATIONS = {botocore.xform_name(name): name for name in _MODEL.operation_names}


def configuration(**members):
    """activeConfigurations[0] as AWS describes it (sets in another order than the options give them)."""
    config = {
        "serviceRevisionArn": f"{ACCOUNT}:service-revision/c1/mlflow/1",
        "executionRoleArn": EXECUTION,
        "taskDefinitionArn": TD2,
        "cpu": "1024",
        "memory": "2048",
        "cpuArchitecture": "X86_64",
        "networkConfiguration": {"subnets": list(reversed(SUBNETS)), "securityGroups": [GROUP]},
        "healthCheckPath": "/health",
        "primaryContainer": {
            "image": IMAGE,
            "containerPort": 5000,
            "awsLogsConfiguration": {"logGroup": "/mlflow/server", "logStreamPrefix": "mlflow"},
            "environment": [{"name": "MLFLOW_B", "value": "2"}, {"name": "MLFLOW_A", "value": "1"}],
            "secrets": [{"name": "DB", "valueFrom": SECRET}],
        },
        "scalingTarget": {
            "minTaskCount": 1,
            "maxTaskCount": 4,
            "autoScalingMetric": "AVERAGE_CPU",
            "autoScalingTargetValue": 60,
        },
        "ingressPaths": [{"accessType": "PUBLIC", "endpoint": ENDPOINT}],
        "createdAt": T0,
    }
    config.update(members)
    return config


def express(status="ACTIVE", tags=(("Application", "mlflow"),), reason=None, **members):
    """A DescribeExpressGatewayService answer's service (include=["TAGS"])."""
    described = {
        "cluster": f"{ACCOUNT}:cluster/c1",
        "serviceName": "mlflow",
        "serviceArn": SERVICE_ARN,
        "infrastructureRoleArn": INFRA,
        "status": {"statusCode": status},
        "currentDeployment": f"{ACCOUNT}:service-deployment/c1/mlflow/abc",
        "activeConfigurations": [configuration(**members)],
        "tags": [{"key": k, "value": v} for k, v in tags],
        "createdAt": T0,
        "updatedAt": T0,
    }
    if reason:
        described["status"]["statusReason"] = reason
    return described


def options(**overrides):
    """Module options matching express() (so that they are a no-op against it)."""
    params = {
        "name": "mlflow",
        "cluster": "c1",
        "state": "present",
        "image": IMAGE,
        "container_port": 5000,
        "command": None,
        "environment": {"MLFLOW_A": "1", "MLFLOW_B": 2},
        "secrets": {"DB": SECRET},
        "log_group": "/mlflow/server",
        "log_stream_prefix": None,
        "repository_credentials": None,
        "execution_role_arn": EXECUTION,
        "infrastructure_role_arn": INFRA,
        "task_role_arn": None,
        "subnets": list(SUBNETS),
        "security_groups": [GROUP],
        "cpu": "1 vCPU",
        "memory": "2 GB",
        "cpu_architecture": None,
        "health_check_path": "/health",
        "min_tasks": 1,
        "max_tasks": 4,
        "scaling_metric": None,
        "scaling_target_value": None,
        "tags": {"Application": "mlflow"},
        "purge_tags": True,
        "wait": True,
        "wait_timeout": 900,
    }
    params.update(overrides)
    return params


def client_error(code, operation, message="error"):
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


class FakeExpressEcs:
    """An ECS client: DescribeServices answers SERVICES in turn and DescribeExpressGatewayService EXPRESSES
    (the last one for ever; None: not found). ERRORS maps a method to error codes it raises first, one per call.
    """

    MUTATING = frozenset(
        (
            "create_express_gateway_service",
            "update_express_gateway_service",
            "delete_express_gateway_service",
            "tag_resource",
            "untag_resource",
        )
    )

    def __init__(self, services, expresses=(), *, stopped=(), errors=None):
        self.services = list(services)
        self.expresses = list(expresses)
        self.stopped = list(stopped)
        self.errors = {k: list(v) for k, v in (errors or {}).items()}
        self.calls = []

    @property
    def names(self):
        return [name for name, _kwargs in self.calls]

    @property
    def mutations(self):
        return [(name, kwargs) for name, kwargs in self.calls if name in self.MUTATING]

    def _call(self, name, kwargs):
        validate_parameters(kwargs, _MODEL.operation_model(_OPERATIONS[name]).input_shape)
        self.calls.append((name, kwargs))
        if self.errors.get(name):
            raise client_error(self.errors[name].pop(0), _OPERATIONS[name])

    @staticmethod
    def _next(script):
        answer = script.pop(0) if len(script) > 1 else script[0]
        return copy.deepcopy(answer)

    def describe_services(self, **kwargs):
        self._call("describe_services", kwargs)
        answer = self._next(self.services)
        return {"services": [answer] if answer else [], "failures": []}

    def describe_express_gateway_service(self, **kwargs):
        self._call("describe_express_gateway_service", kwargs)
        answer = self._next(self.expresses)
        if answer is None:
            raise client_error("ResourceNotFoundException", "DescribeExpressGatewayService")
        return {"service": answer}

    def create_express_gateway_service(self, **kwargs):
        self._call("create_express_gateway_service", kwargs)
        return {"service": copy.deepcopy(self.expresses[-1])}

    def update_express_gateway_service(self, **kwargs):
        self._call("update_express_gateway_service", kwargs)
        target = copy.deepcopy(self.expresses[-1]["activeConfigurations"][0])
        return {"service": {"serviceArn": kwargs["serviceArn"], "targetConfiguration": target}}

    def delete_express_gateway_service(self, **kwargs):
        self._call("delete_express_gateway_service", kwargs)
        return {"service": dict(copy.deepcopy(self.expresses[0]), status={"statusCode": "DRAINING"})}

    def tag_resource(self, **kwargs):
        self._call("tag_resource", kwargs)
        return {}

    def untag_resource(self, **kwargs):
        self._call("untag_resource", kwargs)
        return {}

    def list_tasks(self, **kwargs):
        self._call("list_tasks", kwargs)
        return {"taskArns": [t["taskArn"] for t in self.stopped]}

    def describe_tasks(self, **kwargs):
        self._call("describe_tasks", kwargs)
        return {"tasks": self.stopped}


class Failed(Exception):
    pass


class FakeModule:
    def __init__(self, params, check_mode=False):
        self.params = params
        self.check_mode = check_mode
        self.warnings = []

    def fail_json(self, **result):
        raise Failed(result)

    def warn(self, message):
        self.warnings.append(message)
