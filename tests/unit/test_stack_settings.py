"""Settings of the mlflow_stack role are owned once: its spec and defaults, nowhere else.

A `| default(...)` on a stack setting elsewhere is a second default that drifts; a playbook with
Jinja logic is composition that belongs in the role.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
STACK = REPO / "roles" / "mlflow_stack"
PLAYBOOKS = sorted(p for p in (REPO / "playbooks").glob("*.yml") if p.name.startswith(("apprunner", "ec2")))
YAML_FILES = sorted(
    p for folder in ("roles", "playbooks", "inventories", "molecule") for p in (REPO / folder).rglob("*.y*ml")
)


def test_every_stack_setting_is_in_the_spec_and_the_defaults():
    defaults = yaml.safe_load((STACK / "defaults" / "main.yml").read_text())
    specs = yaml.safe_load((STACK / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    assert set(defaults) == set(specs["main"]["options"])
    for entry in ("validate", "absent", "hosts", "summary"):
        assert specs[entry] == specs["main"], f"entry point {entry} must share main's spec"
    target = specs["main"]["options"]["mlflow_stack_target"]
    table = yaml.safe_load((STACK / "vars" / "main.yml").read_text())["__mlflow_stack_targets"]
    assert target["choices"] == list(table), "the target choices and the target table differ"


@pytest.mark.parametrize("path", YAML_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_second_default_for_a_stack_setting(path: Path):
    settings = yaml.safe_load((STACK / "defaults" / "main.yml").read_text())
    text = path.read_text()
    found = [name for name in settings if re.search(rf"\b{name}\s*\|\s*default\(", text)]
    assert not found, f"{path.relative_to(REPO)}: second default for {found}"


@pytest.mark.parametrize("path", PLAYBOOKS, ids=lambda p: p.name)
def test_target_playbooks_are_thin(path: Path):
    text = path.read_text()
    assert "{%" not in text and "default(" not in text, f"{path.name}: Jinja logic belongs in mlflow_stack"
    assert len(text.splitlines()) <= 60, f"{path.name}: a target playbook is a few plays of a few lines"


def test_the_old_per_playbook_names_are_gone():
    pattern = re.compile(r"\bmlflow_(apprunner|ec2)_[a-z]")
    offenders = [
        str(p.relative_to(REPO))
        for folder in ("roles", "playbooks", "inventories", "molecule", "docs", "tests", "bench")
        for p in (REPO / folder).rglob("*")
        if p.is_file()
        and p.suffix in {".yml", ".yaml", ".md", ".py", ".j2", ".sh"}
        and p != Path(__file__)
        and "output" not in p.parts
        and pattern.search(p.read_text(errors="ignore"))
    ]
    offenders += ["README.md"] if pattern.search((REPO / "README.md").read_text()) else []
    assert not offenders, f"mlflow_apprunner_* / mlflow_ec2_* are now mlflow_stack_*: {offenders}"
