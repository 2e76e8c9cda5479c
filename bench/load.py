"""Sustained write load on an MLflow server, then a read-back of every acknowledged write.

N clients (default 64) log metrics to their own runs through nginx + basic auth for T minutes
(default 5). Each client is a thread with one keep-alive connection and one run, logging one metric
per request with an increasing step, so each answer belongs to a known step. A client whose request
fails (refused, reset, timed out, a 5xx, 408 or 429) tries again after a pause that doubles from
0.1 s to 1 s (MLflow's own client backs off too, from 4 s up): clients retrying in a busy loop
through an outage take the cores from the server that is coming back (wrk did: hundreds of
thousands of refused writes while a killed container restarted). Afterwards every run is read back
through the MLflow REST API and each acknowledged step (HTTP 200) must be stored. Prints
requests/s, p50/p99, errors by status, lost writes, and the most database connections seen (with
--pg-uri-file).

  python bench/load.py --url http://127.0.0.11 --user mlflow --password-file F [--clients 64 --minutes 5]
  python bench/load.py ... --seconds 30 --disrupt-at 10 --disrupt-cmd "tests/local/postgresql.sh restart"

Exit status: 0 when no acknowledged write is lost, 1 otherwise. --json writes the figures.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import itertools
import json
import os
import ssl
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

FIRST_PAUSE, LONGEST_PAUSE = 0.1, 1.0  # seconds between a failed request and the next one
RETRIED = {408, 429}  # besides 5xx, the answers after which a client waits (as MLflow's client does)


class Api:
    def __init__(self, url: str, user: str, password: str, insecure: bool = False) -> None:
        self.url = url.rstrip("/")
        # A test stack's self-signed certificate.
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


class Client(threading.Thread):
    """One connection and one run until `stop` is set: logs steps 1, 2, 3, ... and records each
    acknowledged step, the second it was acknowledged in, answers by status, socket errors by
    phase (connect, write, read, timeout, as wrk counted them) and every answer's latency. A request
    in flight when `stop` is set is finished (each socket operation has `timeout` seconds)."""

    def __init__(self, api: Api, run_id: str, stop: threading.Event, timeout: float) -> None:
        super().__init__(daemon=True)
        self.api, self.run_id, self.stop, self.timeout = api, run_id, stop, timeout
        parts = urllib.parse.urlsplit(api.url)
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or (443 if self.https else 80)
        self.epoch_ms = int(time.time() * 1000)
        self.acked: list[int] = []
        self.acked_at: list[int] = []
        self.latencies: list[float] = []
        self.statuses: Counter[str] = Counter()
        self.errors: Counter[str] = Counter({"connect": 0, "read": 0, "write": 0, "timeout": 0})
        self.connection: http.client.HTTPConnection | None = None

    def connect(self) -> http.client.HTTPConnection:
        if self.https:
            context = self.api.context or ssl.create_default_context()
            return http.client.HTTPSConnection(self.host, self.port, timeout=self.timeout, context=context)
        return http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)

    def send(self, step: int) -> int | None:
        """The answer's status, or None when the connection failed (it is dropped)."""
        body = json.dumps(
            {
                "run_id": self.run_id,
                "metrics": [{"key": "load", "value": step, "timestamp": self.epoch_ms + step, "step": step}],
            }
        )
        phase = "connect"
        try:
            if self.connection is None:
                self.connection = self.connect()
                self.connection.connect()
            phase = "write"
            started = time.monotonic()
            self.connection.request(
                "POST",
                "/api/2.0/mlflow/runs/log-batch",
                body,
                {"Content-Type": "application/json", "Authorization": self.api.authorization},
            )
            phase = "read"
            response = self.connection.getresponse()
            response.read()
            self.latencies.append(time.monotonic() - started)
            if response.will_close:
                self.close()
            return response.status
        except TimeoutError:  # no answer in time; a connection that timed out counts as a connect error
            self.errors["timeout" if phase != "connect" else "connect"] += 1
        except (OSError, http.client.HTTPException):
            self.errors[phase] += 1
        self.close()
        return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def run(self) -> None:
        step, pause = 0, 0.0
        while not self.stop.is_set():
            step += 1
            status = self.send(step)
            if status == 200:
                self.acked.append(step)
                self.acked_at.append(int(time.time()))
                pause = 0.0
                continue
            if status is not None:
                self.statuses[str(status)] += 1
            if status is None or status in RETRIED or status >= 500:
                pause = min(max(pause * 2, FIRST_PAUSE), LONGEST_PAUSE)
                self.stop.wait(pause)
        self.close()


def percentile(values: list[float], percent: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1]


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
    """Writes acknowledged before the first disruption began and after the last one ended (the
    clients record whole seconds, so a write in the second a disruption began or ended counts in
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
    parser.add_argument("--timeout", type=int, default=15, help="per-request timeout, seconds")
    parser.add_argument("--disrupt-at", type=float, action="append", default=[])
    parser.add_argument("--disrupt-cmd", action="append", default=[])
    parser.add_argument("--pg-uri-file", help="file holding the database URI, to sample its connections")
    parser.add_argument(
        "--stop-file", help="end the load early once this file exists (a test ends it when the server is back)"
    )
    parser.add_argument("--json", help="write the figures here")
    parser.add_argument("--insecure", action="store_true", help="do not verify the server's certificate")
    args = parser.parse_args()
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
    timers = [disrupt(at, cmd, events, spans) for at, cmd in zip(args.disrupt_at, args.disrupt_cmd, strict=True)]
    began = time.monotonic()
    stop = threading.Event()
    clients = [Client(api, run_id, stop, args.timeout) for run_id in runs]
    for client in clients:
        client.start()
    while not stop.wait(0.5):
        if time.monotonic() - began >= duration or (args.stop_file and Path(args.stop_file).exists()):
            stop.set()
    for client in clients:
        client.join()
    seconds = time.monotonic() - began
    for timer in timers:
        timer.join()
    if sampler:
        sampler.stop.set()

    acked = lost = 0
    statuses: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    latencies: list[float] = []
    by_second: Counter[int] = Counter()  # acknowledged writes per second (the clients' clock)
    for client in clients:
        stored = api.history(client.run_id)
        acked += len(client.acked)
        by_second.update(client.acked_at)
        lost += len(set(client.acked) - stored)
        statuses.update(client.statuses)
        errors.update(client.errors)
        latencies.extend(client.latencies)
    requests = len(latencies)
    figures = {
        "clients": args.clients,
        "seconds": round(seconds, 1),
        "requests": requests,
        "requests_per_second": round(requests / seconds, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0.0) * 1000, 1),
        "errors_by_status": dict(statuses),
        "socket_errors": {k: errors[k] for k in ("connect", "read", "write", "timeout")},
        "acknowledged": acked,
        "lost_acknowledged_writes": lost,
        "peak_db_connections": sampler.peak if sampler else None,
        "events": events,
        "acknowledged_by_second": {str(second): by_second[second] for second in sorted(by_second)},
        **around_disruptions(by_second, spans),
    }
    print(
        f"{args.clients} clients, {seconds:.0f} s: {requests} requests, "
        f"{figures['requests_per_second']} req/s, p50 {figures['p50_ms']:.1f} ms, p99 {figures['p99_ms']:.1f} ms"
    )
    print(f"errors by status: {dict(statuses) or 'none'}; socket errors: {figures['socket_errors']}")
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
