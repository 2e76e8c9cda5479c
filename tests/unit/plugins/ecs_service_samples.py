"""DescribeServices-shaped samples and fakes for the ecs_service unit tests (no AWS).

Deployments, events and stopped tasks look as the local data plane (tests/local/dataplane/ecs.py) and AWS
report them.
"""

from __future__ import annotations

import copy
import datetime

ACCOUNT = "arn:aws:ecs:us-east-1:123456789012"
TD1, TD2 = f"{ACCOUNT}:task-definition/mlflow:1", f"{ACCOUNT}:task-definition/mlflow:2"
TG = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/mlflow/0123456789abcdef"
T0 = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.UTC)


def deployment(ident, *, state="IN_PROGRESS", status="PRIMARY", running=0, desired=2, failed=0, td=TD2, reason=None):  # noqa: PLR0913
    return {
        "id": ident,
        "status": status,
        "taskDefinition": td,
        "desiredCount": desired,
        "runningCount": running,
        "pendingCount": desired - running,
        "failedTasks": failed,
        "rolloutState": state,
        "rolloutStateReason": reason or f"ECS deployment {ident} in progress.",
    }


def event(minute, message):
    return {"id": str(minute), "createdAt": T0 + datetime.timedelta(minutes=minute), "message": message}


def service(*deployments, status="ACTIVE", events=(), **members):
    described = {
        "serviceName": "mlflow",
        "serviceArn": f"{ACCOUNT}:service/c1/mlflow",
        "clusterArn": f"{ACCOUNT}:cluster/c1",
        "status": status,
        "desiredCount": 2,
        "runningCount": sum(d["runningCount"] for d in deployments),
        "pendingCount": 0,
        "launchType": "FARGATE",
        "platformVersion": "LATEST",
        "taskDefinition": deployments[0]["taskDefinition"] if deployments else TD2,
        "deployments": list(deployments),
        "events": list(events),
        "networkConfiguration": {
            "awsvpcConfiguration": {"subnets": ["subnet-b", "subnet-a"], "securityGroups": ["sg-1"]}
        },
        "loadBalancers": [{"targetGroupArn": TG, "containerName": "mlflow", "containerPort": 5000}],
        "healthCheckGracePeriodSeconds": 60,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": True, "rollback": True},
            "maximumPercent": 200,
            "minimumHealthyPercent": 100,
            "alarms": {"alarmNames": [], "enable": False, "rollback": False},
        },
        "enableExecuteCommand": False,
        "propagateTags": "SERVICE",
        "tags": [{"key": "Application", "value": "mlflow"}],
    }
    described.update(members)
    return described


class FakeClock:
    def __init__(self):
        self.now = 0.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


class FakeEcs:
    """Answers DescribeServices with SERVICES in turn (the last one for ever); records every call."""

    def __init__(self, *services, stopped=(), task_definitions=None):
        self.services = list(services)
        self.stopped = list(stopped)
        self.task_definitions = task_definitions or {}
        self.calls = []

    def describe_services(self, **kwargs):
        self.calls.append(("describe_services", kwargs))
        answer = self.services.pop(0) if len(self.services) > 1 else self.services[0]
        return {"services": [copy.deepcopy(answer)] if answer else [], "failures": []}

    def list_tasks(self, **kwargs):
        self.calls.append(("list_tasks", kwargs))
        return {"taskArns": [t["taskArn"] for t in self.stopped]}

    def describe_tasks(self, **kwargs):
        self.calls.append(("describe_tasks", kwargs))
        return {"tasks": self.stopped}

    def describe_task_definition(self, **kwargs):
        self.calls.append(("describe_task_definition", kwargs))
        return {"taskDefinition": self.task_definitions[kwargs["taskDefinition"]], "tags": []}

    def __getattr__(self, name):  # any mutating call: recorded, answers the last service
        def call(**kwargs):
            self.calls.append((name, kwargs))
            return {"service": copy.deepcopy(self.services[-1])}

        return call


def stopped_task(ident, minute, reason):
    return {
        "taskArn": f"{ACCOUNT}:task/c1/{ident}",
        "stoppedAt": T0 + datetime.timedelta(minutes=minute),
        "stoppedReason": reason,
        "containers": [{"name": "mlflow", "exitCode": 3}],
    }
