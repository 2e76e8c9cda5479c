"""Every role's meta/argument_specs.yml mirrors its defaults/main.yml.

ansible-doc and the argument validation users see come from the spec; the behaviour comes
from the defaults. When they drift, users read one thing and get another.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = sorted(p.parent.parent for p in Path(__file__).resolve().parents[2].glob("roles/*/defaults/main.yml"))
PY_TYPES = {"str": str, "path": str, "int": int, "bool": bool, "list": list, "dict": dict, "float": (int, float)}


def load(role: Path) -> tuple[dict, dict]:
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    return defaults, specs["main"]["options"]


def test_there_are_roles_to_check():
    assert ROLES, "no roles found under roles/"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_default_is_documented_with_the_same_value(role: Path):
    defaults, options = load(role)
    missing = sorted(set(defaults) - set(options))
    assert not missing, f"{role.name}: defaults without an argument spec entry: {missing}"
    for name, value in defaults.items():
        spec = options[name]
        if value == [] and spec.get("required"):
            continue  # required lists default to [] so the role's own check can name the variable
        assert spec.get("default") == value, f"{role.name}: {name} default {value!r} != spec {spec.get('default')!r}"
        assert isinstance(value, PY_TYPES[spec["type"]]), f"{role.name}: {name} is not a {spec['type']}"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_documented_option_has_a_default_and_a_description(role: Path):
    defaults, options = load(role)
    undocumented = sorted(name for name, spec in options.items() if not spec.get("description"))
    assert not undocumented, f"{role.name}: options without a description: {undocumented}"
    without_default = sorted(set(options) - set(defaults))
    assert not without_default, f"{role.name}: spec options missing from defaults/main.yml: {without_default}"
    foreign = sorted(name for name in options if not name.startswith(f"{role.name}_"))
    assert not foreign, f"{role.name}: public variables must start with {role.name}_: {foreign}"
