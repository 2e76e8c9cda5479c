"""tests/local/get_pip.py: the offline pip bootstrap ansible-test runs as get-pip.py."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "tests" / "local" / "get_pip.py"


@pytest.fixture
def get_pip(monkeypatch):
    spec = importlib.util.spec_from_file_location("get_pip_under_test", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calls = {}
    monkeypatch.setattr(module.ensurepip, "bootstrap", lambda **kw: calls.setdefault("ensurepip", kw))
    monkeypatch.setattr(module.subprocess, "call", lambda cmd: calls.setdefault("pip", cmd) and 0)
    return module, calls


def test_drops_get_pip_only_options_and_adds_the_ca_bundle(get_pip, monkeypatch):
    module, calls = get_pip
    monkeypatch.setenv("PIP_CERT", "/corp/ca.pem")
    monkeypatch.setattr(
        sys, "argv", ["get-pip.py", "--disable-pip-version-check", "pip==24.2", "--no-setuptools", "--no-wheel"]
    )
    assert module.main() == 0
    assert calls["ensurepip"] == {"upgrade": True}
    assert calls["pip"] == [
        sys.executable, "-m", "pip", "install", "--upgrade",
        "--disable-pip-version-check", "pip==24.2", "--cert", "/corp/ca.pem",
    ]  # fmt: skip


def test_without_a_ca_bundle_passes_no_cert(get_pip, monkeypatch):
    module, calls = get_pip
    monkeypatch.delenv("PIP_CERT", raising=False)
    monkeypatch.setattr(module, "DEFAULT_CA_BUNDLE", "/nonexistent/ca.pem")
    monkeypatch.setattr(sys, "argv", ["get-pip.py", "pip==24.2"])
    module.main()
    assert "--cert" not in calls["pip"]
