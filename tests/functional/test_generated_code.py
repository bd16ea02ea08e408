"""The generated code reads as if written by hand, for every spec the tests generate:
no two classes alike but for their name, no class name repeating its parent, relative
imports only (a renamed copy of the package loads every model), `typing.get_type_hints`
on every model, dict form and public method, `__all__` and sorted imports in every
module, no trailing whitespace, docstrings wrapped at the line length."""

from __future__ import annotations

from pathlib import Path

import pytest

from oapigen.loader import load
from oapigen.planner import plan
from oapigen.planner.context import COMPONENTS
from tests import generated_rules as rules
from tests.conftest import (
    CONFIGURED_PACKAGE,
    EXAMPLE_SPEC,
    OPENAI_CONFIG,
    ROOT,
    GeneratedPackages,
    openai_spec,
)
from tests.e2e.openai_cases import package_argument
from tests.functional.test_name_collisions import (
    FIELD_SCHEMA,
    KEYWORD_OPERATION_IDS,
    SAME_CLASS_NAME,
)
from tests.unit.test_planner import EVENTS, SPEC
from tests.unit.test_render import HOSTILE

GOLDEN = ROOT / "tests" / "golden"
INLINE = {
    "keywords": KEYWORD_OPERATION_IDS,
    "field_clash": FIELD_SCHEMA,
    "same_class": SAME_CLASS_NAME,
    "planner_cases": SPEC,
    "events": EVENTS,
    "hostile": HOSTILE,
}
CASES = [
    "example",
    "golden/name_clash",
    "golden/key_and_forms",
    "golden/bare_json",
    *(f"inline/{name}" for name in INLINE),
    "openai/1.1.0",
    "openai/2.0.0",
    "openai/2.3.0",
    "openai/configured",  # 2.3.0 with specs/openai.oapigen.toml
]


def _spec(case: str, scratch: Path) -> tuple[Path, str | None]:
    kind, _, name = case.partition("/")
    if case == "example":
        return EXAMPLE_SPEC, None
    if kind == "golden":
        folder = GOLDEN / name
        spec = next(p for p in folder.iterdir() if p.name.startswith("spec."))
        return spec, None
    if kind == "inline":
        import textwrap

        path = scratch / f"{name}.yaml"
        path.write_text(textwrap.dedent(INLINE[name]).lstrip("\n"), encoding="utf-8")
        return path, f"inline_{name}"
    if name == "configured":
        return openai_spec("2.3.0"), CONFIGURED_PACKAGE
    return openai_spec(name), package_argument(name)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("rules")


@pytest.fixture(scope="module", params=CASES)
def case(
    request: pytest.FixtureRequest, generated: GeneratedPackages, scratch: Path
) -> tuple[str, Path, Path]:
    """(case, spec, generated package folder)."""
    name = str(request.param)
    spec, package = _spec(name, scratch)
    config = OPENAI_CONFIG if name == "openai/configured" else None
    project = generated.project(spec, package, config)
    return name, spec, project / project.name


def _component_classes(spec: Path) -> frozenset[str]:
    api, _ = plan(load(spec), spec_name=spec.name)
    return frozenset(
        m.name
        for m in api.models
        if m.pointer.startswith(COMPONENTS) and m.pointer.count("/") == 3
    )


def test_no_two_classes_differ_only_in_name(case: tuple[str, Path, Path]) -> None:
    """Classes the generator named are never a copy of another class (two components
    the spec wrote alike keep the names the spec gave them)."""
    _, spec, package = case
    assert rules.duplicate_classes(package, _component_classes(spec)) == []


def test_class_names_do_not_repeat_their_parent(case: tuple[str, Path, Path]) -> None:
    """Names the generator made (inline schemas, dict forms); the spec's own component
    names are kept as written."""
    _, spec, _ = case
    api, _ = plan(load(spec), spec_name=spec.name)
    components = _component_classes(spec)
    made = [m.name for m in api.models if m.name not in components]
    # dict forms are `<Model>Param`: their own part is the suffix
    made += [
        d.name for d in api.params if d.name.removesuffix("Param") not in components
    ]
    assert rules.repeated_words(made) == []


def test_every_module_has_all(case: tuple[str, Path, Path]) -> None:
    assert rules.missing_all(case[2]) == []


def test_imports_are_sorted(case: tuple[str, Path, Path]) -> None:
    assert rules.unsorted_imports(case[2]) == []


def test_the_package_never_imports_itself_by_name(case: tuple[str, Path, Path]) -> None:
    assert rules.absolute_self_imports(case[2]) == []


def test_no_trailing_whitespace(case: tuple[str, Path, Path]) -> None:
    assert rules.whitespace(case[2]) == []


def test_docstrings_are_wrapped(case: tuple[str, Path, Path]) -> None:
    assert rules.docstring_layout(case[2]) == []


@pytest.mark.slow
def test_a_renamed_copy_loads_every_model_and_resolves_every_hint(
    case: tuple[str, Path, Path], tmp_path: Path
) -> None:
    problems, checked = rules.load_renamed_copy(case[2], tmp_path)
    assert problems == []
    assert checked > 0
