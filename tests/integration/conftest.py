"""Shared fixtures: run ansible from the checkout, and the local AWS (moto) environment."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def repo() -> Path:
    return REPO


@pytest.fixture(scope="session")
def ansible_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(ANSIBLE_CONFIG=str(REPO / "ansible.cfg"), ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1")
    return env


@pytest.fixture(scope="session")
def aws_env(ansible_env) -> dict[str, str]:
    """Start (or reuse) the local moto server and return an environment pointing at it."""
    subprocess.run([str(REPO / "tests/local/moto.sh"), "start"], check=True)
    env_file = subprocess.run(
        [str(REPO / "tests/local/moto.sh"), "env"], check=True, capture_output=True, text=True
    ).stdout.strip()
    env = dict(ansible_env)
    for line in Path(env_file).read_text().splitlines():
        if line.startswith("export "):
            key, _sep, value = line.removeprefix("export ").partition("=")
            env[key] = value
    return env


def run(args: list[str], env: dict[str, str], cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, check=False, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)


def playbook(name: str, extra: dict, env: dict[str, str], tmp_path: Path, *flags: str, inventory: str = "localhost,"):
    """Run playbooks/NAME with EXTRA as extra variables (a JSON file, so any value survives)."""
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra))
    return run(["ansible-playbook", "-i", inventory, *flags, "-e", f"@{vars_file}", f"playbooks/{name}"], env)


def changed(stdout: str) -> int:
    """The changed count of the play recap."""
    recap = next(line for line in stdout.splitlines() if line.startswith("localhost"))
    return int(recap.split("changed=")[1].split()[0])


def check_role_input(role: str, extra_vars: dict, env: dict[str, str], tmp_path: Path) -> tuple[int, str]:
    """Run ROLE against localhost in check mode at -vvv with EXTRA_VARS; return (rc, output)."""
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n"
        "  vars: {ansible_python_interpreter: '{{ ansible_playbook_python }}'}\n"
        f"  roles:\n    - role: {role}\n"
    )
    vars_file = tmp_path / "vars.json"
    vars_file.write_text(json.dumps(extra_vars))
    args = ["ansible-playbook", "-i", "localhost,", "-c", "local", "--check", "-vvv", "-e", f"@{vars_file}", str(play)]
    result = run(args, env)
    return result.returncode, result.stdout + result.stderr


# The port tests/local/apprunner.sh starts it on (APPRUNNER_PORT, default 4567).
EMULATOR = f"http://127.0.0.1:{os.environ.get('APPRUNNER_PORT', '4567')}"


@pytest.fixture(scope="session")
def apprunner_env(aws_env) -> dict[str, str]:
    """aws_env plus the local App Runner emulator (started or reused)."""
    subprocess.run([str(REPO / "tests/local/apprunner.sh"), "start"], check=True)
    env = dict(aws_env)
    env["AWS_ENDPOINT_URL_APPRUNNER"] = EMULATOR
    env["ANSIBLE_PYTHON_INTERPRETER"] = sys.executable
    return env


def emulator(path: str, body: dict | None = None) -> dict:
    """GET (or POST BODY to) one of the emulator's /_emulator/ controls."""
    import urllib.request  # noqa: PLC0415

    data = None if body is None else json.dumps(body).encode()
    with urllib.request.urlopen(urllib.request.Request(f"{EMULATOR}/_emulator/{path}", data=data), timeout=10) as r:
        return json.loads(r.read() or b"{}")


def module(name: str, args: dict, env: dict, tmp_path: Path, *flags: str) -> tuple[int, dict, str]:
    """Run one module task; returns (rc, its result, the whole output)."""
    play = tmp_path / "play.yml"
    play.write_text(
        json.dumps(
            [
                {
                    "hosts": "localhost",
                    "gather_facts": False,
                    "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
                    "tasks": [{"name": "under test", f"mlops.mlflow_aws.{name}": args}],
                }
            ]
        )
    )
    env = dict(env, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    result = run(["ansible-playbook", "-i", "localhost,", "-c", "local", *flags, str(play)], env)
    try:
        task = json.loads(result.stdout)["plays"][0]["tasks"][0]["hosts"]["localhost"]
    except (ValueError, KeyError, IndexError):
        task = {}
    return result.returncode, task, result.stdout + result.stderr
