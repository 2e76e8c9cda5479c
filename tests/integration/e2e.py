"""What the end-to-end tests of the deployed targets share: the local data plane's status and call
counts, plain HTTP probes trusting the local CA, waiting, and the measurements file."""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import threading
import time
import urllib.error
import urllib.request
from base64 import b64encode
from pathlib import Path

from aws_state import client
from conftest import REPO, changed, playbook, run

CA = REPO / "tests/output/local/ca.pem"
STATUS = REPO / "tests/output/local/dataplane/dataplane.json"


def calls() -> dict[str, int]:
    """The API calls the local AWS has answered, as of a status written after this call."""
    asked = time.time()
    while (status := json.loads(STATUS.read_text()))["time"] <= asked + 0.1:
        time.sleep(0.3)
    return status["calls"]


def record(line: str) -> None:
    print(line)
    with (REPO / "tests/output/measurements.txt").open("a") as out:
        out.write(line + "\n")


def http(address: str, auth: dict | None = None, follow: bool = True) -> int:
    """Status of a GET (no retries), trusting the local CA."""
    request = urllib.request.Request(address)
    if auth:
        token = b64encode(f"{auth['username']}:{auth['password']}".encode()).decode()
        request.add_header("Authorization", f"Basic {token}")
    handlers = [urllib.request.HTTPSHandler(context=ssl.create_default_context(cafile=str(CA)))]
    if not follow:

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None

        handlers.append(NoRedirect())
    try:
        with urllib.request.build_opener(*handlers).open(request, timeout=15) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(2)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def local_env(aws_env: dict[str, str], region: str) -> dict[str, str]:
    """The environment of a deployment on local AWS in REGION: the local PostgreSQL's URIs and the
    local load balancers' certificate (LOCAL_ALB_CERTIFICATE_ARN), with the data plane running."""
    subprocess.run([str(REPO / "tests/local/postgresql.sh"), "start"], check=True)
    env = {**aws_env, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    for line in (REPO / "tests/output/local/postgresql.env").read_text().splitlines():
        if line.startswith("export "):
            key, _sep, value = line.removeprefix("export ").partition("=")
            env[key] = value
    assert STATUS.exists() and time.time() - json.loads(STATUS.read_text())["time"] < 30, (
        "the local data plane is not running (tests/local/moto.sh starts it with the moto server)"
    )
    cert = run(["python", "tests/local/acm_cert.py", "--region", region], env)
    assert cert.returncode == 0, cert.stderr
    env["LOCAL_ALB_CERTIFICATE_ARN"] = cert.stdout.strip()
    return env


# The wheels the project's image installs MLflow from (make wheelhouse): every deployment's ecr_image_wheelhouse.
WHEELHOUSE = str(REPO / "tests/output/wheelhouse/cp311")


def first_run(name: str, extra: dict, env: dict[str, str], tmp):
    """Deploy with playbook NAME on local AWS (a module's one deployment); its time and changed count
    go to the measurements. Fails with the end of the output when the playbook fails."""
    started = time.monotonic()
    result = playbook(name, extra, env, tmp, inventory="inventories/local")
    assert result.returncode == 0, (result.stdout + result.stderr)[-5000:]
    record(f"{name} first run {time.monotonic() - started:.0f}s, changed={changed(result.stdout)}")
    return result


def web_login(env: dict[str, str], stack: str) -> dict[str, str]:
    """The stack's web login (username, password), as a user reads it from Secrets Manager."""
    secret = client("secretsmanager", env).get_secret_value(SecretId=f"mlflow/{stack}/web-login")
    return json.loads(secret["SecretString"])


def changed_tasks(stdout: str) -> list[str]:
    """The names of the tasks that reported a change, from a play's output."""
    names, task = [], ""
    for line in stdout.splitlines():
        if line.startswith("TASK ["):
            task = line.split("]", 1)[0][6:]
        elif line.startswith("changed:"):
            names.append(task)
    return names


def second_run(name: str, extra: dict, env: dict[str, str], tmp) -> tuple[object, dict[str, int], float]:
    """Run playbook NAME again on local AWS: (result, API calls it made by service:action, seconds).
    Asserts what a re-run must show: success, nothing changed, no call that writes."""
    before = calls()
    started = time.monotonic()
    result = playbook(name, extra, env, tmp, inventory="inventories/local")
    took = time.monotonic() - started
    assert result.returncode == 0, result.stdout[-3000:]
    after = calls()
    made = {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}
    assert changed(result.stdout) == 0, changed_tasks(result.stdout)
    # Elastic Beanstalk's CheckDNSAvailability and ValidateConfigurationSettings only read too.
    reads = ("Describe", "List", "Get", "GET ", "CheckDNSAvailability", "ValidateConfigurationSettings")
    writes = [k for k in made if not k.split(":", 1)[1].startswith(reads)]
    assert not writes, writes
    return result, made, took


class Clients:
    """A user working through the front door at URL while the test disturbs the service: the real mlflow
    client (with its retries), and a raw probe without retries that measures the gap it would see."""

    def __init__(self, url: str, creds: dict[str, str]) -> None:
        self.url, self.creds, self.stop = url, creds, threading.Event()
        self.mlflow_errors: list[str] = []
        self.raw: list[tuple[float, int]] = []
        self.threads = [threading.Thread(target=self._mlflow), threading.Thread(target=self._raw)]

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=120)

    def _mlflow(self) -> None:
        from mlflow.tracking import MlflowClient  # noqa: PLC0415

        os.environ.update(
            MLFLOW_TRACKING_USERNAME=self.creds["username"],
            MLFLOW_TRACKING_PASSWORD=self.creds["password"],
            MLFLOW_TRACKING_SERVER_CERT_PATH=str(CA),
        )
        tracking = MlflowClient(self.url)
        while not self.stop.is_set():
            try:
                tracking.search_experiments(max_results=5)
            except Exception as exc:
                self.mlflow_errors.append(repr(exc)[:300])
            time.sleep(0.3)

    def _raw(self) -> None:
        address = self.url + "/api/2.0/mlflow/experiments/search?max_results=1"
        while not self.stop.is_set():
            self.raw.append((time.monotonic(), http(address, self.creds)))
            time.sleep(0.2)

    def gap(self) -> str:
        failed = [t for t, status in self.raw if status != 200]
        if not failed:
            return f"0 of {len(self.raw)} raw requests failed"
        return f"{len(failed)} of {len(self.raw)} raw requests failed over {failed[-1] - failed[0]:.1f}s"


def image_context(tmp: Path, variant: str, broken: bool = False) -> Path:
    """A copy of the image's build context with a marker (a new content hash, so a new tag)."""
    context = tmp / f"context-{variant}"
    shutil.copytree(REPO / "images/mlflow", context, dirs_exist_ok=True)
    (context / "VARIANT").write_text(variant + "\n")
    if broken:
        (context / "entrypoint.py").write_text("import sys\nprint('broken build', file=sys.stderr)\nsys.exit(3)\n")
    return context
