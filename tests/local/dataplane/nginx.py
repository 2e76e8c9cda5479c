"""One nginx process run from its own prefix directory (Debian's nginx), shared by the local services.

Used by the data plane's API Gateway (``gateway.py``) and the App Runner emulator's front doors
(``tests/local/apprunner_emulator/front_door.py``). A configuration is written as a candidate
(``nginx.conf.new``), checked with ``nginx -t -p DIR -c FILE``, and only then made the live one: nginx is
started on it (``-g 'daemon off;'``, output in ``logs/nginx.out``) or reloaded with ``SIGHUP`` (running
requests finish in the old workers). A refused configuration is logged and the last good one stays.

nginx gets ``SIGTERM`` when the thread that started it ends (Linux's parent-death signal is tied to
the thread, not the process). Every nginx is therefore started from one long-lived launcher thread,
so it goes when the Python process that started it goes, even when killed, whichever thread asked.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

MODULES = Path("/usr/lib/nginx/modules")
# One worker, never idle-stopped: the parent (for the parent-death signal) of every nginx started here.
_LAUNCHER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="nginx-launcher")
_LIBC = ctypes.CDLL("libc.so.6", use_errno=True)  # loaded before any fork: no dlopen in the child
_PR_SET_PDEATHSIG = 1


def _pdeathsig() -> None:
    """nginx goes when the process that started it goes."""
    _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _popen(args: list[str], out: Path) -> subprocess.Popen:
    with open(out, "ab") as handle:  # the child keeps its own descriptor
        return subprocess.Popen(
            args,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=_pdeathsig,  # noqa: PLW1509 - only prctl between fork and exec
        )


class Nginx:
    """The nginx of DIR: its configuration is DIR/nginx.conf, its prefix (``-p``) DIR."""

    def __init__(self, directory: Path, label: str, log: logging.Logger) -> None:
        self.dir = directory
        self.label = label  # "API Gateway nginx": how the log names it
        self.log = log
        self.config = directory / "nginx.conf"
        self.candidate = directory / "nginx.conf.new"
        self.pid_file = directory / "nginx.pid"  # configurations name it in their `pid` directive
        self.process: subprocess.Popen | None = None
        self.refused: str | None = None  # why nginx refused the last configuration, None when it took it

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def check(self, text: str) -> str | None:
        """Write TEXT as the candidate and check it; None when nginx accepts it, else nginx's complaint."""
        (self.dir / "logs").mkdir(parents=True, exist_ok=True)
        self.candidate.write_text(text)
        result = subprocess.run(
            ["nginx", "-t", "-q", "-p", str(self.dir), "-c", str(self.candidate)],
            capture_output=True,
            text=True,
            check=False,
        )
        return None if result.returncode == 0 else (result.stderr.strip() or f"nginx -t exited {result.returncode}")

    def apply(self, text: str) -> bool:
        """Make TEXT the configuration: nginx is started on it or reloaded. False when nginx refuses it."""
        self.refused = self.check(text)
        if self.refused is not None:
            self.log.error("generated nginx configuration refused, keeping the last one: %s", self.refused)
            return False
        self.candidate.replace(self.config)
        if not self.running():
            self.pid_file.unlink(missing_ok=True)
            args = ["nginx", "-p", str(self.dir), "-c", str(self.config), "-g", "daemon off;"]
            self.process = _LAUNCHER.submit(_popen, args, self.dir / "logs" / "nginx.out").result()
            self.log.info("%s started (pid %s)", self.label, self.process.pid)
        else:
            assert self.process is not None
            os.kill(self.process.pid, signal.SIGHUP)
            self.log.info("%s reloaded", self.label)
        return True

    def wait_started(self, timeout: float = 10) -> bool:
        """True once nginx runs with its sockets open: it writes its pid file only after binding them.

        False when it exited (an address in use, say) or TIMEOUT passed.
        """
        deadline = time.monotonic() + timeout
        while self.running():
            assert self.process is not None
            try:
                if self.pid_file.read_text().strip() == str(self.process.pid):
                    return True
            except OSError:
                pass
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 10) -> None:
        """Stop nginx (SIGTERM: fast shutdown; SIGKILL after TIMEOUT) and wait for it."""
        if self.running():
            assert self.process is not None
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def output(self, limit: int = 2000) -> str:
        """The end of nginx's error log and output, to explain a failure."""
        text = ""
        for name in ("error.log", "nginx.out"):
            path = self.dir / "logs" / name
            if path.exists():
                text += path.read_text(errors="replace")
        return text.strip()[-limit:]
