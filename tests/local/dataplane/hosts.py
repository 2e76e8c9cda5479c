"""The data plane's names in /etc/hosts: one managed block, rewritten in place when names change."""

from __future__ import annotations

import logging
from pathlib import Path

LOG = logging.getLogger("dataplane.hosts")
BEGIN = "# BEGIN mlops.mlflow_aws local data plane (load balancers, APIs)"
END = "# END mlops.mlflow_aws local data plane"
# The block's first line before API Gateway joined (a server of an older checkout may have left it).
_OLD_BEGIN = "# BEGIN mlops.mlflow_aws local data plane (load balancers)"


class HostsBlock:
    """Maps DNS names (load balancers, APIs, custom domains) to the loopback addresses serving them."""

    def __init__(self, path: Path = Path("/etc/hosts")) -> None:
        self.path = path
        self.last: dict[str, str] | None = None

    def write(self, names: dict[str, str]) -> None:
        if names == self.last:
            return
        try:
            text = self.path.read_text()
        except OSError:
            return
        for begin in (BEGIN, _OLD_BEGIN):
            head, found, rest = text.partition(begin)
            if found:
                text = head.rstrip("\n") + "\n" + rest.partition(END + "\n")[2]
        block = "".join(f"{addr} {name}\n" for name, addr in sorted(names.items()))
        new = text.rstrip("\n") + "\n" + (f"{BEGIN}\n{block}{END}\n" if names else "")
        try:
            with open(self.path, "r+") as handle:  # in place: /etc/hosts may be a bind mount
                handle.write(new)
                handle.truncate()
            self.last = dict(names)
        except OSError as exc:
            LOG.error("cannot write %s: %s", self.path, exc)
