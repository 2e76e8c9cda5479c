"""Every role's meta/argument_specs.yml mirrors its defaults/main.yml.

ansible-doc and the argument validation users see come from the spec; the behaviour comes
from the defaults. When they drift, users read one thing and get another.

The spec is also the first check of the input: ansible-core validates types and choices for the
entry point named by `tasks_from` (the literal value: `validate`, not `validate.yml`), so every
role has a `validate` entry point equal to `main` for the pre-flight, and tasks/validate.yml holds
only what a spec cannot say (patterns, ranges, rules across variables).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ROLES = sorted(p.parent.parent for p in REPO.glob("roles/*/defaults/main.yml"))
PY_TYPES = {"str": str, "path": str, "int": int, "bool": bool, "list": list, "dict": dict, "float": (int, float)}
EMPTY = ("", [], {})


def load_specs(role: Path) -> dict:
    return yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]


def load(role: Path) -> tuple[dict, dict]:
    defaults = yaml.safe_load((role / "defaults" / "main.yml").read_text()) or {}
    return defaults, load_specs(role)["main"]["options"]


def all_options(options: dict, prefix: str = ""):
    """(dotted name, spec) of every option, suboptions included."""
    for name, spec in options.items():
        yield prefix + name, spec
        yield from all_options(spec.get("options") or {}, f"{prefix}{name}.")


def test_there_are_roles_to_check():
    assert ROLES, "no roles found under roles/"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_default_is_documented_with_the_same_value(role: Path):
    defaults, options = load(role)
    missing = sorted(set(defaults) - set(options))
    assert not missing, f"{role.name}: defaults without an argument spec entry: {missing}"
    for name, value in defaults.items():
        spec = options[name]
        assert isinstance(value, PY_TYPES[spec["type"]]), f"{role.name}: {name} is not a {spec['type']}"
        if spec.get("required"):
            # A required option has no default in the spec; defaults/main.yml holds an empty
            # placeholder so the role's own check can name the variable.
            assert "default" not in spec, f"{role.name}: {name} is required and has a spec default"
            assert value in EMPTY, f"{role.name}: {name} is required but defaults to {value!r}"
            continue
        assert "default" in spec, f"{role.name}: {name} has no default in the spec"
        assert spec["default"] == value, f"{role.name}: {name} default {value!r} != spec {spec['default']!r}"
        assert type(spec["default"]) is type(value), (
            f"{role.name}: {name} spec default {spec['default']!r} is not {value!r}"
        )


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_every_documented_option_has_a_default_and_a_description(role: Path):
    defaults, options = load(role)
    undocumented = sorted(name for name, spec in all_options(options) if not spec.get("description"))
    assert not undocumented, f"{role.name}: options without a description: {undocumented}"
    without_default = sorted(set(options) - set(defaults))
    assert not without_default, f"{role.name}: spec options missing from defaults/main.yml: {without_default}"
    foreign = sorted(name for name in options if not name.startswith(f"{role.name}_"))
    assert not foreign, f"{role.name}: public variables must start with {role.name}_: {foreign}"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_validate_entry_point_is_main(role: Path):
    specs = load_specs(role)
    assert (role / "tasks" / "validate.yml").is_file(), f"{role.name}: no tasks/validate.yml"
    assert "validate" in specs, f"{role.name}: meta/argument_specs.yml has no validate entry point"
    assert specs["validate"] == specs["main"], (
        f"{role.name}: the validate entry point differs from main (use validate: *main)"
    )
    stray = sorted(name for name in specs if name.endswith((".yml", ".yaml")))
    assert not stray, f"{role.name}: entry points are named without extension (tasks_from: validate): {stray}"
    for name in specs:
        assert (role / "tasks" / f"{name}.yml").is_file(), f"{role.name}: entry point {name} has no tasks/{name}.yml"


@pytest.mark.parametrize("role", ROLES, ids=lambda p: p.name)
def test_types_choices_and_elements_are_declared(role: Path):
    _defaults, options = load(role)
    for name, spec in all_options(options):
        assert spec.get("type") in PY_TYPES, f"{role.name}: {name} has no known type"
        if spec["type"] == "list":
            assert spec.get("elements") in PY_TYPES, f"{role.name}: list {name} does not declare its elements"
        if name.endswith("_state"):
            assert spec.get("choices"), f"{role.name}: {name} does not declare its choices"
        choices = spec.get("choices")
        if choices is None:
            continue
        assert spec["type"] == "str", f"{role.name}: {name} has choices; keep them strings"
        assert all(isinstance(c, str) for c in choices), (
            f"{role.name}: {name} choices must be quoted strings: {choices}"
        )
        if "default" in spec:
            assert spec["default"] in choices, (
                f"{role.name}: {name} default {spec['default']!r} is not one of {choices}"
            )


def test_apprunner_cpu_choices_are_the_sizes_app_runner_offers():
    """The spec's apprunner_cpu choices copy the keys of the one CPU/memory table (aws_rules.py)."""
    path = REPO / "plugins" / "module_utils" / "aws_rules.py"
    module_spec = importlib.util.spec_from_file_location("aws_rules", path)
    aws_rules = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(aws_rules)
    _defaults, options = load(REPO / "roles" / "apprunner")
    assert options["apprunner_cpu"]["choices"] == list(aws_rules.apprunner_cpu_memory())
