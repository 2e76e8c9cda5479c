"""Sustained write load on an MLflow server, then a read-back of every acknowledged write.

N clients (default 64) log metrics to their own runs through nginx + basic auth for T minutes
(default 5). The load comes from wrk with bench/load.lua (one connection and one run per wrk
thread, so each answer belongs to a known step): a C load generator leaves the cores to the
server. Afterwards every run is read back through the MLflow REST API and each acknowledged step
(HTTP 200) must be stored. Prints requests/s, p50/p99, errors by status, lost writes, and the
most database connections seen (with --pg-uri).

  python bench/load.py --url http://127.0.0.11 --user mlflow --password-file F [--clients 64 --minutes 5]
  python bench/load.py ... --seconds 30 --disrupt-at 10 --disrupt-cmd "tests/local/postgresql.sh restart"

Exit status: 0 when no acknowledged write is lost, 1 otherwise. --json writes the figures.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

LUA = Path(__file__).with_name("load.lua")


class Api:
    def __init__(self, url: str, user: str, password: str, insecure: bool = False) -> None:
        self.url = url.rstrip("/")
        # A test stack's self-signed certificate (wrk does not verify certificates either).
        self.context = ssl._create_unverified_context() if insecure else None  # noqa: S323
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        self.authorization = f"Basic {token}"

    def call(self, method: str, path: str, body: dict | None = None, query: dict | None = None) -> dict:
        url = f"{self.url}/api/2.0/mlflow/{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            url,
            data=data,
            method=method,
            headers={"Authorization": self.authorization, "Content-Type": "application/json"},
        )
        for attempt in range(10):
            try:
                with urllib.request.urlopen(request, timeout=30, context=self.context) as response:
                    return json.loads(response.read() or b"{}")
            except (urllib.error.URLError, ConnectionError) as exc:
                if isinstance(exc, urllib.error.HTTPError) and exc.code < 500:
                    raise RuntimeError(f"{method} {path}: HTTP {exc.code} {exc.read()[:500]!r}") from exc
                time.sleep(1 + attempt)
        raise RuntimeError(f"{method} {path} kept failing")

    def history(self, run_id: str) -> set[int]:
        steps: set[int] = set()
        token = None
        while True:
            query = {"run_id": run_id, "metric_key": "load", "max_results": 25000}
            if token:
                query["page_token"] = token
            page = self.call("GET", "metrics/get-history", query=query)
            steps.update(int(m["step"]) for m in page.get("metrics", []))
            token = page.get("next_page_token")
            if not token:
                return steps


class ConnectionSampler(threading.Thread):
    """Largest number of connections to the database seen, polled every second with psql."""

    def __init__(self, uri: str) -> None:
        super().__init__(daemon=True)
        parts = urllib.parse.urlsplit(uri.replace("+psycopg", ""))
        self.env = dict(os.environ, PGPASSWORD=urllib.parse.unquote(parts.password or ""))
        self.args = [
            "psql",
            "-X",
            "-At",
            "-h",
            parts.hostname or "127.0.0.1",
            "-p",
            str(parts.port or 5432),
            "-U",
            urllib.parse.unquote(parts.username or ""),
            "-d",
            parts.path.lstrip("/"),
            "-c",
            "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'",
        ]
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(1):
            result = subprocess.run(self.args, env=self.env, capture_output=True, text=True, check=False)
            if result.returncode == 0 and result.stdout.strip().isdigit():
                self.peak = max(self.peak, int(result.stdout.strip()))


def disrupt(at: float, command: str, log: list[str], spans: list[tuple[float, float]]) -> threading.Timer:
    def fire() -> None:
        started = time.time()
        result = subprocess.run(command, shell=True, capture_output=True, text=True, check=False)  # noqa: S602
        ended = time.time()
        spans.append((started, ended))
        log.append(f"disruption at {at:.0f}s: {command!r} -> rc {result.returncode} in {ended - started:.1f}s")

    timer = threading.Timer(at, fire)
    timer.start()
    return timer


def around_disruptions(by_second: Counter[int], spans: list[tuple[float, float]]) -> dict:
    """Writes acknowledged before the first disruption began and after the last one ended (wrk's
    clock has whole seconds, so a write in the second a disruption began or ended counts in
    neither), and the longest time the clients saw no write acknowledged: the outage."""
    if not spans:
        return {}
    began, ended = min(start for start, _end in spans), max(end for _start, end in spans)
    seconds = sorted(by_second)
    return {
        "acknowledged_before_disruption": sum(n for second, n in by_second.items() if second < int(began)),
        "acknowledged_after_disruption": sum(n for second, n in by_second.items() if second > int(ended)),
        "longest_pause_s": max((b - a - 1 for a, b in itertools.pairwise(seconds)), default=0),
    }


def main() -> int:  # noqa: PLR0915 - one linear procedure
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True)
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-file", required=True, help="file holding the password (kept off argv)")
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--seconds", type=float, help="duration in seconds (overrides --minutes)")
    parser.add_argument("--timeout", type=int, default=15, help="wrk's per-request timeout, seconds")
    parser.add_argument("--disrupt-at", type=float, action="append", default=[])
    parser.add_argument("--disrupt-cmd", action="append", default=[])
    parser.add_argument("--pg-uri-file", help="file holding the database URI, to sample its connections")
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install wrk; make setup installs it)", file=sys.stderr)
        return 2
    if len(args.disrupt_at) != len(args.disrupt_cmd):
        parser.error("give one --disrupt-cmd per --disrupt-at")
    duration = args.seconds if args.seconds else args.minutes * 60
    api = Api(args.url, args.user, Path(args.password_file).read_text().strip(), args.insecure)

    experiment = api.call("POST", "experiments/create", {"name": f"load-{int(time.time() * 1000)}"})["experiment_id"]
    runs = [
        api.call("POST", "runs/create", {"experiment_id": experiment, "start_time": int(time.time() * 1000)})["run"][
            "info"
        ]["run_id"]
        for _client in range(args.clients)
    ]
    sampler = None
    if args.pg_uri_file:
        sampler = ConnectionSampler(Path(args.pg_uri_file).read_text().strip())
        sampler.start()
    events: list[str] = []
    spans: list[tuple[float, float]] = []
    with tempfile.TemporaryDirectory(prefix="mlflow-load-") as tmp:
        output = Path(tmp, "result.json")
        config = Path(tmp, "config.lua")
        config.write_text(
            "return {runs = {" + ",".join(f'"{r}"' for r in runs) + "}, "
            f'authorization = "{api.authorization}", epoch_ms = {int(time.time() * 1000)}, output = "{output}"}}\n'
        )
        config.chmod(0o600)
        timers = [disrupt(at, cmd, events, spans) for at, cmd in zip(args.disrupt_at, args.disrupt_cmd, strict=True)]
        wrk = subprocess.run(
            [
                "wrk",
                "-t",
                str(args.clients),
                "-c",
                str(args.clients),
                "-d",
                f"{int(duration)}s",
                "--timeout",
                f"{args.timeout}s",
                "-s",
                str(LUA),
                args.url,
            ],
            env=dict(os.environ, LOAD_CONFIG=str(config)),
            capture_output=True,
            text=True,
            check=False,
        )
        for timer in timers:
            timer.join()
        if wrk.returncode != 0 or not output.exists():
            print(wrk.stdout + wrk.stderr, file=sys.stderr)
            return 2
        result = json.loads(output.read_text())
    if sampler:
        sampler.stop.set()

    acked = lost = 0
    statuses: dict[str, int] = {}
    by_second: Counter[int] = Counter()  # acknowledged writes per second (wrk's clock)
    for thread in result["threads"]:
        stored = api.history(thread["run_id"])
        acked += len(thread["acked"])
        by_second.update(thread["acked_at"])
        lost += len(set(thread["acked"]) - stored)
        for code, count in thread["statuses"].items():
            statuses[code] = statuses.get(code, 0) + count
    seconds = result["duration_us"] / 1e6
    figures = {
        "clients": args.clients,
        "seconds": round(seconds, 1),
        "requests": result["requests"],
        "requests_per_second": round(result["requests"] / seconds, 1),
        "p50_ms": result["p50_us"] / 1000,
        "p99_ms": result["p99_us"] / 1000,
        "max_ms": result["max_us"] / 1000,
        "errors_by_status": statuses,
        "socket_errors": {k: result[k] for k in ("connect", "read", "write", "timeout")},
        "acknowledged": acked,
        "lost_acknowledged_writes": lost,
        "peak_db_connections": sampler.peak if sampler else None,
        "events": events,
        "acknowledged_by_second": {str(second): by_second[second] for second in sorted(by_second)},
        **around_disruptions(by_second, spans),
    }
    print(
        f"{args.clients} clients, {seconds:.0f} s: {result['requests']} requests, "
        f"{figures['requests_per_second']} req/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
    )
    print(f"errors by status: {statuses or 'none'}; socket errors: {figures['socket_errors']}")
    print(f"acknowledged writes: {acked}; lost: {lost}; peak DB connections: {figures['peak_db_connections']}")
    for event in events:
        print(event)
    if spans:
        print(
            f"acknowledged before the first disruption: {figures['acknowledged_before_disruption']}; "
            f"after the last one ended: {figures['acknowledged_after_disruption']}; "
            f"longest pause without one: {figures['longest_pause_s']} s"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2))
    return 0 if lost == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
