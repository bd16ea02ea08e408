"""The async half of a resource module, written from the formatted sync half, is exactly
what black makes of the template's own async rendering."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oapigen import planner
from oapigen.emit import format_generated, format_python
from oapigen.emit.formatter import _format_with_black
from oapigen.emit.selective import format_selectively
from oapigen.loader import load
from oapigen.mirror import _renamed, async_half, joined
from oapigen.render import render_resources

ROOT = Path(__file__).resolve().parents[2]
SPECS = [
    ROOT / "specs" / "example.yaml",
    ROOT / "tests" / "golden" / "name_clash" / "spec.yaml",
    ROOT / "tests" / "golden" / "key_and_forms" / "spec.yaml",
]


@pytest.mark.parametrize("spec", SPECS, ids=lambda p: p.parent.name + "/" + p.name)
def test_derived_async_half_equals_black_on_the_full_template(spec: Path) -> None:
    api, _ = planner.plan(
        load(spec),
        spec_name=spec.name,
    )
    full = render_resources(api)
    sync_only = render_resources(api, include_async=False)
    derived = 0
    for resource in api.resources:
        path = f"{api.package}/resources/{resource.module}.py"
        sync_module = format_python(sync_only[path])
        found = async_half(sync_module, resource)
        if found is not None:
            derived += 1
            assert not found[1], path
            assert joined(sync_module, found[0]) == format_python(full[path]), path
    assert derived == len(api.resources)


def test_a_changed_line_over_the_limit_is_formatted_as_black_would() -> None:
    """`Stream[` -> `AsyncStream[` can push a line past 88 columns: the module keeps
    its async half and the selective formatter splits that statement as black does."""
    api, _ = planner.plan(
        load(SPECS[0]),
        spec_name="example.yaml",
    )
    resource = api.resources[0]
    path = f"{api.package}/resources/{resource.module}.py"
    sync_module = format_python(render_resources(api, include_async=False)[path])
    hint = (
        "    hint: _rt.Stream[int] | _rt.Stream[str] | _rt.Stream[bytes] | None = None"
    )
    assert len(hint) <= 88 < len(hint.replace("Stream[", "AsyncStream["))
    widened = sync_module.replace(
        "    @cached_property\n", f"{hint}\n\n    @cached_property\n", 1
    )
    assert format_python(widened) == widened != sync_module
    found = async_half(widened, resource)
    assert found is not None
    module, too_long = joined(widened, found[0]), found[1]
    assert too_long and "AsyncStream[int] | _rt.AsyncStream[str]" in module
    assert [found[0].splitlines()[i] for i in too_long] == [
        hint.replace("Stream[", "AsyncStream[")
    ]
    formatted = format_generated(module)
    assert formatted == format_python(module) != module
    assert max(len(line) for line in formatted.splitlines()) <= 88
    # the pipeline formats the async classes alone, black only on the changed lines'
    # statements, and joins them to the sync half
    assert joined(widened, format_generated(*found)) == formatted


def test_a_long_line_black_left_costs_no_black_call_in_the_async_half() -> None:
    """A line black leaves over the limit (the head of an import from a long module
    path) is copied into the async half unchanged: only the statements of changed
    lines go to black, and the result is still black's."""
    api, _ = planner.plan(load(SPECS[0]), spec_name="example.yaml")
    resource = api.resources[0]
    path = f"{api.package}/resources/{resource.module}.py"
    sync_module = format_python(render_resources(api, include_async=False)[path])
    module = "a_long_note_" + "black_cannot_split_" * 4
    kept = f"    from .{module} import (\n        Note,\n    )\n"  # a line too long
    hint = (
        "    hint: _rt.Stream[int] | _rt.Stream[str] | _rt.Stream[bytes] | None = None"
    )
    widened = sync_module.replace(
        "    @cached_property\n", f"{kept}\n{hint}\n\n    @cached_property\n", 1
    )
    assert format_python(widened) == widened
    assert max(len(line) for line in kept.splitlines()) > 88
    found = async_half(widened, resource)
    assert found is not None and len(found[1]) == 1
    seen: list[str] = []

    def black(source: str, line_length: int) -> str:
        seen.append(source)
        return _format_with_black(source, line_length)

    text = format_selectively(found[0], black, 88, found[1])
    assert text == format_python(found[0]) != found[0]
    assert seen and not any("a_long_note" in source for source in seen)
    # without the changed lines, the long note is taken for a statement to format
    seen.clear()
    assert format_selectively(found[0], black, 88) == text
    assert any("a_long_note" in source for source in seen)


def test_the_pipeline_fallback_to_black_writes_the_same_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from oapigen import mirror, pipeline

    def tree(root: Path) -> dict[str, bytes]:
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*.py")}

    derived = pipeline.generate(SPECS[0], output=tmp_path / "derived").target
    monkeypatch.setattr(mirror, "async_half", lambda module, resource: None)
    whole = pipeline.generate(SPECS[0], output=tmp_path / "whole").target
    assert tree(derived) == tree(whole)
    assert any("resources" in path for path in tree(whole))


_TOKENS = [
    "Chat",
    "ChatWithRawResponse",
    "Iterator[",
    "x.",
    "_",
    "(",
    " ",
    "\n",
    "é",
    "1",
]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join))
def test_names_are_renamed_where_a_pattern_would_rename_them(text: str) -> None:
    # a class name where it is one of its own, or starts <name>WithRawResponse; a
    # type where it starts a name
    class_name = re.compile(r"(?<![\w.])Chat(?=\b|WithRawResponse)")
    iterator = re.compile(r"(?<![\w.])Iterator\[")
    renamed = _renamed(text, "Chat", "AsyncChat", whole=True)
    assert renamed == class_name.sub("AsyncChat", text)
    assert _renamed(text, "Iterator[", "X[") == iterator.sub("X[", text)
