"""Tracking throughput of three MLflow stacks on one host and one PostgreSQL (a benchmark, not a test).

  a) raw `mlflow server` with its defaults
  b) this project: nginx_basic_auth + mlflow_host, role defaults
  c) seed-000 style: gunicorn gevent 2 workers x 2 threads behind an nginx with default settings

It starts a Debian 12 systemd container on the controller's network stack (bound to
BENCH_ADDRESS), builds the stacks with bench/stack.yml, then drives runs/log-batch and
runs/search at 1, 8 and 32 concurrent clients and prints requests/s, p50 and p99 with the
ratios b/a and b/c. See bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
CONTAINER = "mlflow-bench"
ADDRESS = os.environ.get("BENCH_ADDRESS", "127.0.0.30")
IMAGE = os.environ.get("MOLECULE_IMAGE_DEBIAN12", "mlops-mlflow-aws/debian-systemd:12")
USER = ("alice", "alice-long-password-1")  # molecule/_mlflow_host/vars.yml
STACKS = {
    "a": ("raw mlflow server", f"http://{ADDRESS}:5001", None),
    "b": ("this project", f"http://{ADDRESS}:80", USER),
    "c": ("seed-000 style", f"http://{ADDRESS}:8082", USER),
}
OPERATIONS = ("log_batch", "search_runs")


def sh(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(args, check=True, cwd=ROOT, **kwargs)


def provision(rebuild: bool) -> None:
    sh("tests/local/docker-engine.sh", "start")
    sh("tests/local/base-images.sh", "build")
    sh("tests/local/wheelhouse.sh", "build")
    running = subprocess.run(["docker", "inspect", CONTAINER], capture_output=True, check=False).returncode == 0
    if running and rebuild:
        sh("docker", "rm", "-f", CONTAINER, stdout=subprocess.DEVNULL)
        running = False
    if not running:
        sh(
            "docker", "run", "-d", "--name", CONTAINER, "--network", "host", "--cap-add", "SYS_ADMIN",
            "--cgroupns", "host", "-v", "/sys/fs/cgroup:/sys/fs/cgroup:rw",
            "-v", f"{ROOT}/tests/output/wheelhouse:/wheelhouse:ro", "--tmpfs", "/run", "--tmpfs", "/run/lock",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined",
            IMAGE, "/lib/systemd/systemd", stdout=subprocess.DEVNULL,
        )  # fmt: skip
    inventory = ROOT / "tests/output/bench-inventory.yml"
    inventory.write_text(
        f"bench:\n  hosts:\n    {CONTAINER}:\n      ansible_connection: community.docker.docker\n"
        f"      host_address: {ADDRESS}\n"
    )
    env = dict(os.environ, ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"))
    print(f"building the three stacks in container {CONTAINER} ({ADDRESS}) ...", flush=True)
    log = ROOT / "tests/output/bench-stack.log"
    with log.open("w") as out:
        done = subprocess.run(
            ["ansible-playbook", "-i", str(inventory), "bench/stack.yml"],
            check=False,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=out,
        )
    if done.returncode:
        sys.exit(f"bench/stack.yml failed, see {log}")


def new_run(base: str, auth, experiment_id: str) -> str:
    answer = requests.post(
        f"{base}/api/2.0/mlflow/runs/create", json={"experiment_id": experiment_id}, auth=auth, timeout=30
    )
    answer.raise_for_status()
    return answer.json()["run"]["info"]["run_id"]


def experiment(base: str, auth) -> str:
    name = f"bench-{time.time_ns()}"
    answer = requests.post(f"{base}/api/2.0/mlflow/experiments/create", json={"name": name}, auth=auth, timeout=30)
    answer.raise_for_status()
    return answer.json()["experiment_id"]


def worker(job: tuple) -> tuple[list[float], dict[int, int]]:
    """One process: THREADS clients, each sending OPERATION requests until DEADLINE."""
    base, auth, operation, experiment_id, threads, deadline = job
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client() -> None:
        session = requests.Session()
        session.auth = auth
        run_id = new_run(base, auth, experiment_id)
        step = 0
        mine, codes = [], {}
        while time.time() < deadline:
            if operation == "log_batch":
                now = int(time.time() * 1000)
                metrics = [{"key": f"m{i}", "value": step * 0.1, "timestamp": now, "step": step} for i in range(10)]
                body = {"run_id": run_id, "metrics": metrics}
                url = f"{base}/api/2.0/mlflow/runs/log-batch"
            else:
                body = {"experiment_ids": [experiment_id], "max_results": 50}
                url = f"{base}/api/2.0/mlflow/runs/search"
            started = time.perf_counter()
            try:
                code = session.post(url, json=body, timeout=60).status_code
            except requests.RequestException:
                code = 0
            mine.append(time.perf_counter() - started)
            codes[code] = codes.get(code, 0) + 1
            step += 1
        with lock:
            latencies.extend(mine)
            for code, count in codes.items():
                statuses[code] = statuses.get(code, 0) + count

    pool = [threading.Thread(target=client) for _thread in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return latencies, statuses


def measure(pool: ProcessPoolExecutor, stack: str, operation: str, clients: int, seconds: float) -> dict:
    base, auth = STACKS[stack][1:]
    experiment_id = experiment(base, auth)
    processes = min(clients, 4)
    deadline = time.time() + 1 + seconds  # every client creates its run first
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    jobs = [(base, auth, operation, experiment_id, n, deadline) for n in shares]
    started = time.time()
    latencies, statuses = [], {}
    for lat, codes in pool.map(worker, jobs):
        latencies.extend(lat)
        for code, count in codes.items():
            statuses[code] = statuses.get(code, 0) + count
    elapsed = time.time() - max(started, deadline - seconds)
    ok = statuses.get(200, 0)
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0.0] * 99
    return {
        "rps": ok / elapsed,
        "p50": cuts[49] * 1000,
        "p99": cuts[98] * 1000,
        "errors": {code: n for code, n in statuses.items() if code != 200},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per measurement instead of 15 s")
    parser.add_argument("--seconds", type=float, help="seconds per measurement")
    parser.add_argument("--clients", default="1,8,32", help="concurrency levels, comma separated")
    parser.add_argument("--skip-provision", action="store_true", help="reuse the running stacks as they are")
    parser.add_argument("--rebuild", action="store_true", help="start from a fresh container")
    args = parser.parse_args()
    seconds = args.seconds or (3.0 if args.quick else 15.0)
    levels = [int(c) for c in args.clients.split(",")]
    begun = time.time()
    if not args.skip_provision:
        provision(args.rebuild)
    results: dict[tuple[str, str, int], dict] = {}
    with ProcessPoolExecutor(max_workers=4) as pool:
        for operation in OPERATIONS:
            for clients in levels:
                for stack in STACKS:
                    measure(pool, stack, operation, clients, 0.5)  # warm the workers' pools
                    results[stack, operation, clients] = measure(pool, stack, operation, clients, seconds)
    print(f"\nMLflow tracking throughput, {seconds:.0f} s per cell, one PostgreSQL, host {ADDRESS}")
    print(f"{'operation':<12}{'clients':>8}  {'stack':<20}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}  errors")
    for operation in OPERATIONS:
        for clients in levels:
            for stack, (label, *_urls) in STACKS.items():
                r = results[stack, operation, clients]
                errors = ", ".join(f"{code or 'conn'}: {n}" for code, n in sorted(r["errors"].items())) or "-"
                name = f"{stack}) {label}"
                figures = f"{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}"
                print(f"{operation:<12}{clients:>8}  {name:<20}{figures}  {errors}")
            a, b, c = (results[s, operation, clients]["rps"] for s in "abc")
            print(f"{'':<22}ratios  b/a {b / a if a else float('nan'):.2f}   b/c {b / c if c else float('nan'):.2f}")
    print(f"\ntotal {time.time() - begun:.0f} s")


if __name__ == "__main__":
    main()
