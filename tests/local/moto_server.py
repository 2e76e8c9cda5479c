"""moto's server, plus what the collection needs that moto 5.2 lacks, plus the local data plane.

- RDS ModifyDBProxy (moto parses the request and serialises the response from botocore's RDS model,
  as for its own calls; this adds only the backend behaviour);
- Application Auto Scaling tags (tests/local/moto_calls.py);
- SageMaker real-time inference (tests/local/moto_sagemaker.py): UpdateEndpoint (Updating, then InService on the
  new configuration), endpoints Creating for a while on request, AWS's answers to creating a model, endpoint
  configuration or endpoint that exists, network isolation kept, AddTags replacing a key's value; with the data
  plane, Creating/Updating last until the endpoint's containers pass their ping (tests/local/dataplane/sagemaker.py);
- SageMaker Runtime InvokeEndpoint (tests/local/moto_sagemaker_runtime.py): checked against botocore's
  sagemaker-runtime model, AWS's 6 MB limits and errors, sent to one of the endpoint's serving containers (without
  the data plane: moto's canned answer);
- ECS Express Mode (tests/local/dataplane/express.py): Create/Describe/Update/DeleteExpressGatewayService
  as moto resources (task definition, ECS service, shared ALB with a host-header rule per service,
  security groups, scaling, an ACM certificate for *.ecs.<region>.on.aws from the local CA), checked
  against botocore's ecs model; Delete drains for MOTO_ECS_EXPRESS_DRAINING_SECONDS (default 2);
- Elastic Beanstalk (tests/local/dataplane/beanstalk*.py): applications, versions (source bundle in
  the local S3), environments with their option settings, CNAME, statuses (Launching/Updating/
  Terminating -> Ready/Terminated), events, health, configuration options and validation, tags;
  query protocol, checked against botocore's elasticbeanstalk model. With the data plane the
  environments run (beanstalk_plane.py: instances as containers behind their load balancer);
  without it an operation ends after MOTO_EB_LAUNCH_SECONDS (default 2);
- the tests' hooks, answered before moto's dispatch: GET /_mlops/calls, POST /_mlops/calls/reset,
  POST /_mlops/express/faults, GET /_mlops/express, POST /_mlops/beanstalk/faults,
  GET /_mlops/beanstalk (tests/local/dataplane/README.md), GET /_mlops/sagemaker;
- the local data plane (tests/local/dataplane): ECS services run as containers, load balancers
  answer on loopback addresses through HAProxy (listener rules included), Express endpoints
  resolve to their load balancer through /etc/hosts. It starts when a Docker engine answers (the harness
  starts one first), and refuses to start without HAProxy; LOCAL_DATAPLANE=off leaves it out.
Started by tests/local/moto.sh with moto_server's arguments.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from moto.core.responses import ActionResult  # noqa: E402
from moto.core.utils import utcnow  # noqa: E402
from moto.rds.exceptions import DBProxyNotFoundFault  # noqa: E402
from moto.rds.models import RDSBackend  # noqa: E402
from moto.rds.responses import RDSResponse  # noqa: E402
from moto.server import main  # noqa: E402

from tests.local import moto_calls, moto_sagemaker, moto_sagemaker_runtime  # noqa: E402
from tests.local.dataplane import beanstalk, containers, express, moto_patches  # noqa: E402
from tests.local.dataplane.plane import DataPlane, MachineTaken, claim_machine  # noqa: E402


def backend_modify_db_proxy(self: RDSBackend, name: str, changes: dict):
    if name not in self.db_proxies:
        raise DBProxyNotFoundFault(name)
    proxy = self.db_proxies[name]
    if changes.get("NewDBProxyName"):
        proxy = self.db_proxies.pop(name)
        proxy.db_proxy_name = changes["NewDBProxyName"]
        self.db_proxies[proxy.db_proxy_name] = proxy
    for member, attribute in (
        ("Auth", "auth"),
        ("RequireTLS", "require_tls"),
        ("IdleClientTimeout", "idle_client_timeout"),
        ("DebugLogging", "debug_logging"),
        ("RoleArn", "role_arn"),
        ("SecurityGroups", "vpc_security_group_ids"),
    ):
        if changes.get(member) is not None:
            setattr(proxy, attribute, changes[member])
    proxy.updated_date = utcnow()
    return proxy


def modify_db_proxy(self: RDSResponse) -> ActionResult:
    # moto's parsed parameters answer to the model's member names (their keys are transformed).
    proxy = self.backend.modify_db_proxy(self.params["DBProxyName"], self.params)
    return ActionResult({"DBProxy": proxy})


RDSBackend.modify_db_proxy = backend_modify_db_proxy
RDSResponse.modify_db_proxy = modify_db_proxy
moto_calls.install()
moto_sagemaker.install()
moto_sagemaker_runtime.install()
moto_patches.install()
express.install()
beanstalk.install()


def _address(argv: list[str]) -> str:
    host, port = "127.0.0.1", "5000"
    for flags, index in ((("-H", "--host"), 0), (("-p", "--port"), 1)):
        for flag in flags:
            if flag in argv[:-1]:
                value = argv[argv.index(flag) + 1]
                host, port = (value, port) if index == 0 else (host, value)
    return f"http://{host}:{port}"


def start_data_plane(argv: list[str]) -> None:
    mode = os.environ.get("LOCAL_DATAPLANE", "auto")
    if mode == "off" or (mode == "auto" and not containers.docker_available()):
        logging.getLogger("dataplane").warning("local data plane: off (LOCAL_DATAPLANE=%s)", mode)
        return
    missing = DataPlane.missing_tools()
    if missing:
        sys.exit(
            f"local data plane: missing {', '.join(missing)}"
            " (make setup installs docker.io, haproxy, nginx-light and libnginx-mod-http-lua)"
        )
    state_dir = Path(os.environ.get("LOCAL_STATE_DIR", ROOT / "tests/output/local")) / "dataplane"
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        machine = claim_machine(state_dir)
    except MachineTaken as exc:
        sys.exit(f"local data plane: {exc}")
    atexit.register(machine.close)  # atexit runs last in, first out: released after the plane's close
    plane = DataPlane(_address(argv), state_dir)
    atexit.register(plane.close)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    threading.Thread(target=plane.run, name="dataplane", daemon=True).start()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    start_data_plane(sys.argv[1:])
    sys.exit(main())
