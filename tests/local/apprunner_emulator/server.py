"""HTTP front of the App Runner emulator: AWS JSON 1.0 on POST /, test controls under /_emulator/.

Run it as ``python -m tests.local.apprunner_emulator.server`` (tests/local/apprunner.sh does).
Controls, for tests:
  GET  /_emulator/health             200 when up
  GET  /_emulator/calls              {"calls": {operation: count}, "output_errors": [...]}
  POST /_emulator/calls/reset        zero the counters
  POST /_emulator/faults             {"fail_next_create": true, "fail_next_update": true,
                                      "throttle": {"DescribeService": 3}}
  POST /_emulator/reset              forget every resource (and remove their containers)
Each region (the SigV4 credential scope of a request) has its own services, as in AWS; the
counters, faults and loopback addresses are shared by all regions.

With Docker, each service's ServiceUrl is served by its front door (front_door.py: nginx, which
needs Debian's nginx-light and libnginx-mod-http-lua) with App Runner's limit of one request:
``--request-timeout`` seconds, by default ``APPRUNNER_REQUEST_TIMEOUT`` or 120. The front doors'
configurations and logs are under ``--state-dir`` (``$LOCAL_STATE_DIR/apprunner/front-doors/``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import signal
import sys
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.local.dataplane.containers import docker_available
from tests.local.dataplane.nginx import MODULES

from . import model
from .docker_runner import DockerRunner
from .front_door import request_timeout
from .state import ApiError, Emulator, address_pool

LOG = logging.getLogger("apprunner-emulator")
ROOT = Path(__file__).resolve().parents[3]
_SCOPE = re.compile(r"Credential=[^/]+/[0-9]{8}/([a-z0-9-]+)/")


class Regions:
    """One Emulator per region, sharing call counters, faults, output errors and addresses."""

    def __init__(self, default: str, make: Any) -> None:
        self.make = make
        self.default = default
        self.primary: Emulator = make(default)
        self.by_region: dict[str, Emulator] = {default: self.primary}
        self._share()

    def _share(self) -> None:
        siblings = list(self.by_region.values())
        for emulator in siblings:
            if emulator is not self.primary:
                emulator.lock = self.primary.lock
                emulator.calls = self.primary.calls
                emulator.faults = self.primary.faults
                emulator.output_errors = self.primary.output_errors
            emulator.siblings = siblings

    def get(self, authorization: str) -> Emulator:
        match = _SCOPE.search(authorization)
        region = match.group(1) if match else self.default
        with self.primary.lock:
            if region not in self.by_region:
                self.by_region[region] = self.make(region)
                self._share()
            return self.by_region[region]

    def reset(self) -> None:
        for emulator in list(self.by_region.values()):
            emulator.reset()
        self._share()


def call(emulator: Emulator, target: str, body: bytes) -> tuple[int, dict[str, Any]]:  # noqa: PLR0911
    """Run one API request; returns (HTTP status, JSON body)."""
    prefix = model.service_model().metadata["targetPrefix"] + "."
    operation = target.removeprefix(prefix)
    if not target.startswith(prefix) or operation not in model.service_model().operation_names:
        return 400, {"__type": "UnknownOperationException", "Message": f"Unknown operation {target!r}"}
    if emulator.throttled(operation):
        return 400, {"__type": "ThrottlingException", "Message": "Rate exceeded"}
    try:
        params = json.loads(body or b"{}")
    except ValueError:
        return 400, {"__type": "SerializationException", "Message": "Request body is not valid JSON"}
    errors = model.validate_input(operation, params)
    if errors:
        count = len(errors)
        message = f"{count} validation error{'s' if count > 1 else ''} detected: " + "; ".join(errors)
        return 400, {"__type": "InvalidRequestException", "Message": message}
    handler = getattr(emulator, operation, None)
    if handler is None:
        return 400, {"__type": "InvalidRequestException", "Message": f"{operation} is not emulated"}
    try:
        result = handler(params)
    except ApiError as exc:
        return exc.status, {"__type": exc.code, "Message": exc.message}
    problems = model.validate_output(operation, result)
    if problems:
        LOG.error("%s response does not match the model: %s", operation, problems)
        with emulator.lock:
            emulator.output_errors.extend(f"{operation}: {p}" for p in problems)
        return 500, {"__type": "InternalServiceErrorException", "Message": "emulator response failed validation"}
    return 200, result


class Handler(BaseHTTPRequestHandler):
    emulator: Emulator
    regions: Regions
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        LOG.info("%s %s", self.address_string(), format % args)

    def _reply(self, status: int, body: dict[str, Any], error_type: str | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.0")
        self.send_header("Content-Length", str(len(data)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path == "/_emulator/health":
            self._reply(200, {"status": "ok", "docker": self.emulator.runner is not None})
        elif self.path == "/_emulator/calls":
            with self.emulator.lock:
                self._reply(200, {"calls": dict(self.emulator.calls), "output_errors": self.emulator.output_errors})
        else:
            self._reply(404, {"__type": "NotFound", "Message": self.path})

    def do_POST(self) -> None:
        body = self._body()
        if self.path == "/_emulator/calls/reset":
            with self.emulator.lock:
                self.emulator.calls.clear()
            self._reply(200, {})
        elif self.path == "/_emulator/faults":
            with self.emulator.lock:
                self.emulator.faults.update(json.loads(body or b"{}"))
                self._reply(200, self.emulator.faults)
        elif self.path == "/_emulator/reset":
            self.regions.reset()
            self._reply(200, {})
        elif self.path == "/":
            if "Authorization" not in self.headers:
                self._reply(
                    403,
                    {"__type": "MissingAuthenticationTokenException", "Message": "Missing token"},
                    "MissingAuthenticationTokenException",
                )
                return
            emulator = self.regions.get(self.headers["Authorization"])
            status, result = call(emulator, self.headers.get("X-Amz-Target", ""), body)
            self._reply(status, result, result.get("__type") if status != 200 else None)
        else:
            self._reply(404, {"__type": "NotFound", "Message": self.path})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4567)
    parser.add_argument("--region", default="us-east-1")
    parser.add_argument(
        "--docker",
        choices=("auto", "on", "off"),
        default="auto",
        help="run service images in the local Docker engine (auto: when one answers)",
    )
    parser.add_argument(
        "--operation-seconds", type=float, default=2.0, help="shortest time an operation stays IN_PROGRESS"
    )
    parser.add_argument("--health-timeout", type=float, default=300.0)
    parser.add_argument(
        "--request-timeout",
        type=float,
        default=None,
        help="seconds one request to a service may take (default: APPRUNNER_REQUEST_TIMEOUT, else 120)",
    )
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=Path(os.environ.get("LOCAL_STATE_DIR", ROOT / "tests/output/local")) / "apprunner",
        help="where the services' front doors (nginx) keep their configuration and logs",
    )
    parser.add_argument(
        "--addresses", default="127.0.0.40-127.0.0.59", help="loopback addresses the services' containers listen on"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    use_docker = args.docker == "on" or (args.docker == "auto" and docker_available())
    if args.docker == "on" and not docker_available():
        LOG.error("--docker on, but no Docker engine answers")
        return 1
    try:
        timeout = args.request_timeout if args.request_timeout is not None else request_timeout()
    except ValueError as exc:
        LOG.error("%s", exc)
        return 1
    if use_docker and not (shutil.which("nginx") and (MODULES / "ngx_http_lua_module.so").exists()):
        LOG.error("the services' front doors need nginx with its Lua module (nginx-light, libnginx-mod-http-lua)")
        return 1
    runner = DockerRunner(args.region, args.health_timeout, args.state_dir, timeout) if use_docker else None
    if runner:
        runner.remove_all(forget=True)
    addresses = address_pool(args.addresses)
    regions = Regions(args.region, lambda region: Emulator(region, runner, args.operation_seconds, addresses))
    Handler.regions = regions
    Handler.emulator = regions.primary
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    LOG.info(
        "App Runner emulator on http://%s:%d (docker: %s, request timeout: %gs)",
        args.host,
        args.port,
        bool(runner),
        timeout,
    )

    def _terminate(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt  # remove the services' containers on the way out

    signal.signal(signal.SIGTERM, _terminate)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if runner:
            runner.remove_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
