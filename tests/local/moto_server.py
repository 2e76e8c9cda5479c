"""moto's server, plus the RDS call moto 5.2 lacks that the collection uses: ModifyDBProxy.

moto parses the request and serialises the response from botocore's RDS model, as for its own
calls; this adds only the backend behaviour (the settings change, the proxy stays available).
Started by tests/local/moto.sh with moto_server's arguments.
"""

from __future__ import annotations

import sys

from moto.core.responses import ActionResult
from moto.core.utils import utcnow
from moto.rds.exceptions import DBProxyNotFoundFault
from moto.rds.models import RDSBackend
from moto.rds.responses import RDSResponse
from moto.server import main


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

if __name__ == "__main__":
    sys.exit(main())
