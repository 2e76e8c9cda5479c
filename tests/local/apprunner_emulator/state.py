"""App Runner's resources and their life cycle, as the emulator keeps them."""

from __future__ import annotations

import copy
import ipaddress
import logging
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from .docker_runner import DeploymentError, DockerRunner

LOG = logging.getLogger("apprunner-emulator")

ACCOUNT = "123456789012"
# CPU (vCPU units) -> memory sizes (MB) App Runner accepts with it.
CPU_MEMORY = {256: (512, 1024), 512: (1024,), 1024: (2048, 3072, 4096), 2048: (4096,), 4096: (8192, 10240, 12288)}
_CPU_NAMES = {"0.25 vCPU": 256, "0.5 vCPU": 512, "1 vCPU": 1024, "2 vCPU": 2048, "4 vCPU": 4096}
_MEMORY_NAMES = {f"{size} GB": int(float(size) * 1024) for size in ("0.5", "1", "2", "3", "4", "6", "8", "10", "12")}


class ApiError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def _invalid(message: str) -> ApiError:
    return ApiError("InvalidRequestException", message)


def _not_found(what: str, arn: str) -> ApiError:
    return ApiError("ResourceNotFoundException", f"{what} not found: {arn}")


def normalise_cpu(value: str) -> int:
    return _CPU_NAMES.get(value) or int(value)


def normalise_memory(value: str) -> int:
    return _MEMORY_NAMES.get(value) or int(value)


class Emulator:
    """All App Runner state of one account and region; every public method is one API operation."""

    def __init__(
        self, region: str, runner: DockerRunner | None, operation_seconds: float, addresses: list[str]
    ) -> None:
        self.region = region
        self.runner = runner
        self.operation_seconds = operation_seconds
        self.addresses = addresses
        self.lock = threading.RLock()
        self.reset()

    # ----------------------------------------------------------------- bookkeeping
    def reset(self) -> None:
        with getattr(self, "lock", threading.RLock()):
            if getattr(self, "services", None) and self.runner:
                for service in self.services.values():
                    self.runner.remove(service)
            self.services: dict[str, dict[str, Any]] = {}
            self.service_address: dict[str, str] = {}
            self.operations: dict[str, list[dict[str, Any]]] = {}
            self.auto_scaling: dict[str, dict[str, Any]] = {}
            self.connectors: dict[str, dict[str, Any]] = {}
            self.tags: dict[str, dict[str, str]] = {}
            self.calls: Counter[str] = Counter()
            self.faults: dict[str, Any] = {"fail_next_create": False, "fail_next_update": False, "throttle": {}}
            self.output_errors: list[str] = []
            self._default_auto_scaling()

    def _arn(self, kind: str, *parts: str) -> str:
        return f"arn:aws:apprunner:{self.region}:{ACCOUNT}:{kind}/" + "/".join(parts)

    def _default_auto_scaling(self) -> None:
        arn = self._arn("autoscalingconfiguration", "DefaultConfiguration", "1", "00000000000000000000000000000001")
        self.auto_scaling[arn] = {
            "AutoScalingConfigurationArn": arn,
            "AutoScalingConfigurationName": "DefaultConfiguration",
            "AutoScalingConfigurationRevision": 1,
            "Latest": True,
            "Status": "ACTIVE",
            "MaxConcurrency": 100,
            "MinSize": 1,
            "MaxSize": 25,
            "CreatedAt": time.time(),
            "IsDefault": True,
        }

    def throttled(self, operation: str) -> bool:
        """Count the call; True when an injected throttling error should answer it."""
        with self.lock:
            self.calls[operation] += 1
            remaining = self.faults["throttle"].get(operation, 0)
            if remaining:
                self.faults["throttle"][operation] = remaining - 1
                return True
            return False

    # ----------------------------------------------------------------- tags
    def _set_tags(self, arn: str, tags: list[dict[str, str]] | None) -> None:
        self.tags.setdefault(arn, {}).update({tag["Key"]: tag.get("Value", "") for tag in tags or []})

    def _known(self, arn: str) -> bool:
        return arn in self.services or arn in self.auto_scaling or arn in self.connectors

    def TagResource(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if not self._known(req["ResourceArn"]):
                raise _not_found("Resource", req["ResourceArn"])
            self._set_tags(req["ResourceArn"], req["Tags"])
        return {}

    def UntagResource(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if not self._known(req["ResourceArn"]):
                raise _not_found("Resource", req["ResourceArn"])
            for key in req["TagKeys"]:
                self.tags.get(req["ResourceArn"], {}).pop(key, None)
        return {}

    def ListTagsForResource(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if not self._known(req["ResourceArn"]):
                raise _not_found("Resource", req["ResourceArn"])
            tags = self.tags.get(req["ResourceArn"], {})
            return {"Tags": [{"Key": key, "Value": value} for key, value in sorted(tags.items())]}

    # ----------------------------------------------------------------- auto scaling configurations
    def CreateAutoScalingConfiguration(self, req: dict[str, Any]) -> dict[str, Any]:
        name = req["AutoScalingConfigurationName"]
        min_size, max_size = req.get("MinSize", 1), req.get("MaxSize", 25)
        concurrency = req.get("MaxConcurrency", 100)
        if not 1 <= min_size <= 25 or not 1 <= max_size <= 25:
            raise _invalid("MinSize and MaxSize must be between 1 and 25.")
        if min_size > max_size:
            raise _invalid("MinSize must be less than or equal to MaxSize.")
        if not 1 <= concurrency <= 200:
            raise _invalid("MaxConcurrency must be between 1 and 200.")
        if name == "DefaultConfiguration":
            raise _invalid("DefaultConfiguration is reserved.")
        with self.lock:
            revisions = [c for c in self.auto_scaling.values() if c["AutoScalingConfigurationName"] == name]
            active = [c for c in revisions if c["Status"] == "ACTIVE"]
            if len(active) >= 5:
                raise ApiError("ServiceQuotaExceededException", f"{name} already has 5 active revisions.")
            for config in revisions:
                config["Latest"] = False
            revision = max((c["AutoScalingConfigurationRevision"] for c in revisions), default=0) + 1
            arn = self._arn("autoscalingconfiguration", name, str(revision), uuid.uuid4().hex)
            config = {
                "AutoScalingConfigurationArn": arn,
                "AutoScalingConfigurationName": name,
                "AutoScalingConfigurationRevision": revision,
                "Latest": True,
                "Status": "ACTIVE",
                "MaxConcurrency": concurrency,
                "MinSize": min_size,
                "MaxSize": max_size,
                "CreatedAt": time.time(),
                "IsDefault": False,
            }
            self.auto_scaling[arn] = config
            self._set_tags(arn, req.get("Tags"))
            return {"AutoScalingConfiguration": self._auto_scaling_view(config)}

    def _auto_scaling_view(self, config: dict[str, Any]) -> dict[str, Any]:
        in_use = any(
            s["AutoScalingConfigurationSummary"]["AutoScalingConfigurationArn"] == config["AutoScalingConfigurationArn"]
            for s in self.services.values()
        )
        return {**copy.deepcopy(config), "HasAssociatedService": in_use}

    @staticmethod
    def _find_revisioned(store: dict[str, dict[str, Any]], arn: str, arn_key: str) -> dict[str, Any]:
        """A full ARN, or a partial one ending in the name or name/revision (then the latest active one)."""
        if arn in store:
            return store[arn]
        candidates = [c for c in store.values() if c["Status"] == "ACTIVE" and c[arn_key].startswith(arn + "/")]
        if not candidates:
            raise _not_found("Resource", arn)
        return max(candidates, key=lambda c: c["CreatedAt"])

    def DescribeAutoScalingConfiguration(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            config = self._find_revisioned(
                self.auto_scaling, req["AutoScalingConfigurationArn"], "AutoScalingConfigurationArn"
            )
            return {"AutoScalingConfiguration": self._auto_scaling_view(config)}

    def DeleteAutoScalingConfiguration(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            config = self._find_revisioned(
                self.auto_scaling, req["AutoScalingConfigurationArn"], "AutoScalingConfigurationArn"
            )
            if config.get("IsDefault"):
                raise _invalid("The default auto scaling configuration can't be deleted.")
            targets = [config]
            if req.get("DeleteAllRevisions"):
                targets = [
                    c
                    for c in self.auto_scaling.values()
                    if c["AutoScalingConfigurationName"] == config["AutoScalingConfigurationName"]
                ]
            for target in targets:
                if self._auto_scaling_view(target)["HasAssociatedService"]:
                    raise _invalid(f"{target['AutoScalingConfigurationArn']} is used by a service.")
            for target in targets:
                target.update(Status="INACTIVE", DeletedAt=time.time(), Latest=False)
            return {"AutoScalingConfiguration": self._auto_scaling_view(config)}

    def ListAutoScalingConfigurations(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            configs = [c for c in self.auto_scaling.values() if c["Status"] == "ACTIVE"]
            if req.get("AutoScalingConfigurationName"):
                configs = [
                    c for c in configs if c["AutoScalingConfigurationName"] == req["AutoScalingConfigurationName"]
                ]
            if req.get("LatestOnly"):
                configs = [c for c in configs if c["Latest"]]
            keys = (
                "AutoScalingConfigurationArn",
                "AutoScalingConfigurationName",
                "AutoScalingConfigurationRevision",
                "Status",
                "CreatedAt",
                "IsDefault",
            )
            summaries = [
                {**{k: c[k] for k in keys}, "HasAssociatedService": self._auto_scaling_view(c)["HasAssociatedService"]}
                for c in configs
            ]
            return {"AutoScalingConfigurationSummaryList": summaries}

    # ----------------------------------------------------------------- VPC connectors
    def CreateVpcConnector(self, req: dict[str, Any]) -> dict[str, Any]:
        name = req["VpcConnectorName"]
        if not req["Subnets"]:
            raise _invalid("Subnets must not be empty.")
        with self.lock:
            revisions = [c for c in self.connectors.values() if c["VpcConnectorName"] == name]
            revision = max((c["VpcConnectorRevision"] for c in revisions), default=0) + 1
            arn = self._arn("vpcconnector", name, str(revision), uuid.uuid4().hex)
            connector = {
                "VpcConnectorName": name,
                "VpcConnectorArn": arn,
                "VpcConnectorRevision": revision,
                "Subnets": list(req["Subnets"]),
                "SecurityGroups": list(req.get("SecurityGroups", [])),
                "Status": "ACTIVE",
                "CreatedAt": time.time(),
            }
            self.connectors[arn] = connector
            self._set_tags(arn, req.get("Tags"))
            return {"VpcConnector": copy.deepcopy(connector)}

    def DescribeVpcConnector(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            connector = self.connectors.get(req["VpcConnectorArn"])
            if connector is None:
                raise _not_found("VPC connector", req["VpcConnectorArn"])
            return {"VpcConnector": copy.deepcopy(connector)}

    def DeleteVpcConnector(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            connector = self.connectors.get(req["VpcConnectorArn"])
            if connector is None or connector["Status"] != "ACTIVE":
                raise _not_found("VPC connector", req["VpcConnectorArn"])
            users = [
                s["ServiceName"]
                for s in self.services.values()
                if s["NetworkConfiguration"].get("EgressConfiguration", {}).get("VpcConnectorArn")
                == connector["VpcConnectorArn"]
            ]
            if users:
                raise _invalid(f"The VPC connector is associated with services: {', '.join(users)}.")
            connector.update(Status="INACTIVE", DeletedAt=time.time())
            return {"VpcConnector": copy.deepcopy(connector)}

    def ListVpcConnectors(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {"VpcConnectors": [copy.deepcopy(c) for c in self.connectors.values() if c["Status"] == "ACTIVE"]}

    # ----------------------------------------------------------------- services
    def _service(self, arn: str) -> dict[str, Any]:
        service = self.services.get(arn)
        if service is None:
            raise _not_found("Service", arn)
        return service

    def _check_service_request(self, req: dict[str, Any]) -> None:
        instance = req.get("InstanceConfiguration", {})
        cpu, memory = normalise_cpu(instance.get("Cpu", "1024")), normalise_memory(instance.get("Memory", "2048"))
        if memory not in CPU_MEMORY.get(cpu, ()):
            raise _invalid(
                f"Memory {instance.get('Memory', '2048')} is not supported with CPU {instance.get('Cpu', '1024')}."
            )
        image = req.get("SourceConfiguration", {}).get("ImageRepository")
        if "SourceConfiguration" in req and image is None:
            raise _invalid("This emulator supports image repository sources only.")
        port = (image or {}).get("ImageConfiguration", {}).get("Port")
        if port is not None and not (port.isdigit() and 1 <= int(port) <= 65535):
            raise _invalid(f"Port {port} is not a valid port number.")
        egress = req.get("NetworkConfiguration", {}).get("EgressConfiguration", {})
        if egress.get("EgressType") == "VPC":
            connector = self.connectors.get(egress.get("VpcConnectorArn", ""))
            if connector is None or connector["Status"] != "ACTIVE":
                raise _invalid(f"VPC egress needs an active VPC connector; got {egress.get('VpcConnectorArn')!r}.")
        asc = req.get("AutoScalingConfigurationArn")
        if asc is not None:
            found = self._find_revisioned(self.auto_scaling, asc, "AutoScalingConfigurationArn")
            if found["Status"] != "ACTIVE":
                raise _invalid(f"Auto scaling configuration {asc} is not active.")

    def _asc_summary(self, arn: str | None) -> dict[str, Any]:
        if arn is None:
            config = next(c for c in self.auto_scaling.values() if c.get("IsDefault"))
        else:
            config = self._find_revisioned(self.auto_scaling, arn, "AutoScalingConfigurationArn")
        return {
            k: config[k]
            for k in (
                "AutoScalingConfigurationArn",
                "AutoScalingConfigurationName",
                "AutoScalingConfigurationRevision",
                "Status",
                "CreatedAt",
                "IsDefault",
            )
        }

    def _allocate_address(self) -> str:
        used = {a for e in getattr(self, "siblings", [self]) for a in e.service_address.values()}
        for address in self.addresses:
            if address not in used:
                return address
        raise ApiError("ServiceQuotaExceededException", "The emulator has no free loopback address left.")

    def _start_operation(
        self, service: dict[str, Any], kind: str, work: Callable[[], None], on_success: str, on_failure: tuple[str, str]
    ) -> str:
        """Mark SERVICE busy and finish KIND in the background; returns the operation ID."""
        op_id = str(uuid.uuid4())
        now = time.time()
        op = {
            "Id": op_id,
            "Type": kind,
            "Status": "IN_PROGRESS",
            "TargetArn": service["ServiceArn"],
            "StartedAt": now,
            "UpdatedAt": now,
        }
        self.operations.setdefault(service["ServiceArn"], []).insert(0, op)
        service["Status"] = "OPERATION_IN_PROGRESS"
        service["UpdatedAt"] = now

        def finish() -> None:
            started = time.monotonic()
            failure = None
            try:
                work()
            except DeploymentError as exc:
                failure = str(exc)
            time.sleep(max(0.0, self.operation_seconds - (time.monotonic() - started)))
            with self.lock:
                if failure is None:
                    service["Status"], op["Status"] = on_success, "SUCCEEDED"
                else:
                    service["Status"], op["Status"] = on_failure
                    service["emulator_failure"] = failure
                    LOG.warning("%s %s failed: %s", service["ServiceName"], kind, failure)
                op["EndedAt"] = op["UpdatedAt"] = time.time()
                if kind == "DELETE_SERVICE" and failure is None:
                    self.services.pop(service["ServiceArn"], None)
                    self.service_address.pop(service["ServiceArn"], None)

        threading.Thread(target=finish, daemon=True).start()
        return op_id

    def _deploy(self, service: dict[str, Any], fail: bool) -> Callable[[], None]:
        def work() -> None:
            if fail:
                raise DeploymentError("injected failure")
            if self.runner:
                self.runner.start(copy.deepcopy(service), self.service_address[service["ServiceArn"]])

        return work

    def CreateService(self, req: dict[str, Any]) -> dict[str, Any]:
        self._check_service_request(req)
        with self.lock:
            name = req["ServiceName"]
            if any(s["ServiceName"] == name for s in self.services.values()):
                raise _invalid(f"Service with the provided name already exists: {name}")
            service_id = uuid.uuid4().hex
            arn = self._arn("service", name, service_id)
            address = self._allocate_address()
            self.service_address[arn] = address
            source = copy.deepcopy(req["SourceConfiguration"])
            source.setdefault("AutoDeploymentsEnabled", False)
            image = source["ImageRepository"]
            image.setdefault("ImageConfiguration", {}).setdefault("Port", "8080")
            instance = {"Cpu": "1024", "Memory": "2048", **req.get("InstanceConfiguration", {})}
            instance["Cpu"], instance["Memory"] = (
                str(normalise_cpu(instance["Cpu"])),
                str(normalise_memory(instance["Memory"])),
            )
            network = copy.deepcopy(req.get("NetworkConfiguration", {}))
            network.setdefault("EgressConfiguration", {}).setdefault("EgressType", "DEFAULT")
            network.setdefault("IngressConfiguration", {}).setdefault("IsPubliclyAccessible", True)
            network.setdefault("IpAddressType", "IPV4")
            health = {
                "Protocol": "TCP",
                "Path": "/",
                "Interval": 5,
                "Timeout": 2,
                "HealthyThreshold": 1,
                "UnhealthyThreshold": 5,
                **req.get("HealthCheckConfiguration", {}),
            }
            now = time.time()
            service = {
                "ServiceName": name,
                "ServiceId": service_id,
                "ServiceArn": arn,
                "ServiceUrl": f"{address}:{image['ImageConfiguration']['Port']}",
                "CreatedAt": now,
                "UpdatedAt": now,
                "Status": "OPERATION_IN_PROGRESS",
                "SourceConfiguration": source,
                "InstanceConfiguration": instance,
                "HealthCheckConfiguration": health,
                "AutoScalingConfigurationSummary": self._asc_summary(req.get("AutoScalingConfigurationArn")),
                "NetworkConfiguration": network,
                "ObservabilityConfiguration": req.get("ObservabilityConfiguration", {"ObservabilityEnabled": False}),
            }
            if "EncryptionConfiguration" in req:
                service["EncryptionConfiguration"] = copy.deepcopy(req["EncryptionConfiguration"])
            self.services[arn] = service
            self._set_tags(arn, req.get("Tags"))
            fail, self.faults["fail_next_create"] = self.faults["fail_next_create"], False
            op_id = self._start_operation(
                service, "CREATE_SERVICE", self._deploy(service, fail), "RUNNING", ("CREATE_FAILED", "FAILED")
            )
            return {"Service": self.view(service), "OperationId": op_id}

    def view(self, service: dict[str, Any]) -> dict[str, Any]:
        return {k: copy.deepcopy(v) for k, v in service.items() if not k.startswith("emulator_")}

    def DescribeService(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            return {"Service": self.view(self._service(req["ServiceArn"]))}

    def _require_status(self, service: dict[str, Any], *allowed: str) -> None:
        if service["Status"] not in allowed:
            raise ApiError(
                "InvalidStateException",
                f"Service {service['ServiceName']} is {service['Status']}; this operation needs "
                f"{' or '.join(allowed)}.",
            )

    def UpdateService(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            service = self._service(req["ServiceArn"])
            self._require_status(service, "RUNNING")
            self._check_service_request(req)
            before = copy.deepcopy(service)
            for key in ("SourceConfiguration", "HealthCheckConfiguration", "ObservabilityConfiguration"):
                if key in req:
                    service[key] = copy.deepcopy(req[key])
            if "InstanceConfiguration" in req:
                service["InstanceConfiguration"].update(req["InstanceConfiguration"])
            if "NetworkConfiguration" in req:
                for key, value in req["NetworkConfiguration"].items():
                    service["NetworkConfiguration"][key] = copy.deepcopy(value)
            if "AutoScalingConfigurationArn" in req:
                service["AutoScalingConfigurationSummary"] = self._asc_summary(req["AutoScalingConfigurationArn"])
            image = service["SourceConfiguration"]["ImageRepository"]
            image.setdefault("ImageConfiguration", {}).setdefault("Port", "8080")
            port = image["ImageConfiguration"]["Port"]
            service["ServiceUrl"] = f"{self.service_address[service['ServiceArn']]}:{port}"
            fail, self.faults["fail_next_update"] = self.faults["fail_next_update"], False

            def work() -> None:
                try:
                    self._deploy(service, fail)()
                except DeploymentError:
                    with self.lock:  # roll back to the previous configuration
                        for key, value in before.items():
                            if key not in ("Status", "UpdatedAt"):
                                service[key] = value
                    if self.runner and not fail:
                        self.runner.start(copy.deepcopy(service), self.service_address[service["ServiceArn"]])
                    raise

            op_id = self._start_operation(service, "UPDATE_SERVICE", work, "RUNNING", ("RUNNING", "ROLLBACK_SUCCEEDED"))
            return {"Service": self.view(service), "OperationId": op_id}

    def StartDeployment(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            service = self._service(req["ServiceArn"])
            self._require_status(service, "RUNNING")
            op_id = self._start_operation(
                service, "START_DEPLOYMENT", self._deploy(service, False), "RUNNING", ("RUNNING", "ROLLBACK_SUCCEEDED")
            )
            return {"OperationId": op_id}

    def PauseService(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            service = self._service(req["ServiceArn"])
            self._require_status(service, "RUNNING")
            stop = (lambda: self.runner.stop(service)) if self.runner else (lambda: None)
            op_id = self._start_operation(service, "PAUSE_SERVICE", stop, "PAUSED", ("PAUSED", "FAILED"))
            return {"Service": self.view(service), "OperationId": op_id}

    def ResumeService(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            service = self._service(req["ServiceArn"])
            self._require_status(service, "PAUSED")
            op_id = self._start_operation(
                service, "RESUME_SERVICE", self._deploy(service, False), "RUNNING", ("PAUSED", "FAILED")
            )
            return {"Service": self.view(service), "OperationId": op_id}

    def DeleteService(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            service = self._service(req["ServiceArn"])
            self._require_status(service, "RUNNING", "PAUSED", "CREATE_FAILED")
            remove = (lambda: self.runner.remove(service)) if self.runner else (lambda: None)
            op_id = self._start_operation(service, "DELETE_SERVICE", remove, "DELETED", ("DELETE_FAILED", "FAILED"))
            return {"Service": self.view(service), "OperationId": op_id}

    def ListServices(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            keys = ("ServiceName", "ServiceId", "ServiceArn", "ServiceUrl", "CreatedAt", "UpdatedAt", "Status")
            return {"ServiceSummaryList": [{k: s[k] for k in keys} for s in self.services.values()]}

    def ListOperations(self, req: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            self._service(req["ServiceArn"])
            ops = self.operations.get(req["ServiceArn"], [])[: req.get("MaxResults", 20)]
            return {"OperationSummaryList": copy.deepcopy(ops)}

    def failure_reason(self, arn: str) -> str | None:
        with self.lock:
            service = self.services.get(arn)
            return service.get("emulator_failure") if service else None


def address_pool(spec: str) -> list[str]:
    """``127.0.0.40-127.0.0.59`` -> every address in the range."""
    first, _sep, last = spec.partition("-")
    start, end = ipaddress.IPv4Address(first), ipaddress.IPv4Address(last or first)
    if not (start.is_loopback and end.is_loopback):
        raise ValueError(f"service addresses must be loopback addresses, got {spec}")
    return [str(ipaddress.IPv4Address(n)) for n in range(int(start), int(end) + 1)]
