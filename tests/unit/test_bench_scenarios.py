"""`make bench` scenario building and goal checking (bench/specs.py, bench/goals.py).

The benchmark's numbers are only as good as the specs it feeds the generators and the
verdicts it prints, so these are checked here, quickly and without timing anything.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bench import goals, scale, specs
from tests.conftest import EXAMPLE_SPEC


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key == "mapping" and isinstance(value, dict):
                yield from (v for v in value.values() if isinstance(v, str))
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def _resolves(document: dict[str, Any], ref: str) -> bool:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


def _operation_ids(document: dict[str, Any]) -> list[str]:
    return [
        operation["operationId"]
        for item in document["paths"].values()
        for method, operation in item.items()
        if method in specs.HTTP_METHODS
    ]


def test_scaled_spec_has_n_renamed_copies_with_refs_rewritten() -> None:
    original = specs.load_document(EXAMPLE_SPEC)
    operations, schemas = specs.counts(original)
    tripled = specs.scaled(original, 3)

    assert specs.counts(tripled) == (3 * operations, 3 * schemas)
    ids = _operation_ids(tripled)
    assert len(ids) == len(set(ids)) == 3 * operations
    assert "listNotebooksCopy3" in ids
    # Copy 1 is the spec itself.
    assert {k: v for k, v in tripled["paths"].items() if k in original["paths"]} == (
        original["paths"]
    )
    local = [ref for ref in _refs(tripled) if ref.startswith("#/")]
    assert local and all(_resolves(tripled, ref) for ref in local)
    # A copy points at its own components only ($refs and bare mapping names alike).
    copy3 = tripled["components"]["schemas"]["EventCopy3"]
    targets = list(_refs(copy3))
    assert any(not ref.startswith("#") for ref in targets)  # a bare schema name
    for ref in targets:
        assert ref.endswith("Copy3"), ref
        assert ref.split("/")[-1] in tripled["components"]["schemas"], ref
    copied_paths = [path for path in tripled["paths"] if path.startswith("/copy2/")]
    assert len(copied_paths) == len(original["paths"])
    tags = [tag["name"] for tag in tripled.get("tags", [])]
    assert len(tags) == 3 * len(original.get("tags", []))


def test_scaled_spec_keeps_yaml_12_scalars(tmp_path: Path) -> None:
    # PyYAML alone reads these the YAML 1.1 way (a boolean, a date, an octal).
    source = tmp_path / "api.yaml"
    source.write_text(textwrap.dedent("""
            openapi: 3.0.3
            info: {title: T, version: "1"}
            paths: {}
            components:
              schemas:
                Switch:
                  type: string
                  enum: [on, off, yes, no]
                  example: 2024-01-01
                  x-mode: 0777
            """))
    loaded = specs.load_document(source)
    switch = loaded["components"]["schemas"]["Switch"]
    assert switch["enum"] == ["on", "off", "yes", "no"]
    assert switch["example"] == "2024-01-01"
    assert switch["x-mode"] == 777


def test_edit_changes_one_description_line_only() -> None:
    text = textwrap.dedent("""
        openapi: 3.0.3
        info: {title: T, version: "1"}
        paths: {}
        components:
          schemas:
            CreateChatCompletionResponse:
              description: Same words here.
              type: object
            Other:
              description: Same words here.
              type: object
            Third:
              description: |
                A description long enough to be edited on its own line.
                And a second line.
              type: object
        """)
    import yaml

    document = yaml.safe_load(text)
    edited = specs.edited_text(text, document)

    changed = [
        (old, new)
        for old, new in zip(text.splitlines(), edited.splitlines())
        if old != new
    ]
    assert len(changed) == 1 and len(text.splitlines()) == len(edited.splitlines())
    # The preferred schema's description is not unique in the text: the next one is used.
    assert "long enough to be edited" in changed[0][1]
    assert changed[0][1].endswith(specs.EDIT_MARK)


def test_sizes_option() -> None:
    assert scale.parse_sizes("10,2,x5,github,bump,1") == ([2, 5, 10], True, True)
    assert scale.parse_sizes("") == ([], False, False)
    with pytest.raises(ValueError, match="'huge'"):
        scale.parse_sizes("huge")


def _tool(wall: float | None, **extra: Any) -> dict[str, Any]:
    status = "ok" if wall is not None else "failed"
    entry = {"wall_s": wall, "cpu_s": wall, "status": status, "error": None}
    entry.update(extra)
    return entry


def test_goals_pass_fail_and_unmeasured() -> None:
    spec = {"operations": 1100, "schemas": 2840}
    document = {
        "meta": {},
        "generation": {
            "openai-2.3.0": {
                "oapigen-cold": _tool(4.0, operations=110, spec_operations=110),
                "openapi-python-client": _tool(10.0, operations=104),
            }
        },
        "scale": {
            "skipped": {"bump-version": "specs/openai-2.0.0.yaml not found"},
            "scenarios": {
                "x1": {
                    "spec": {**spec, "operations": 110},
                    "tools": {
                        "oapigen": _tool(5.0),
                        "openapi-python-client": _tool(6.0),
                    },
                },
                "github": {
                    "spec": {"operations": 1223, "schemas": 969},
                    "tools": {
                        "oapigen": _tool(None, error="exit 2: E501 black failed"),
                        "openapi-python-client": _tool(90.0, tree_peak_mb=290.0),
                    },
                },
                "x10": {
                    "spec": spec,
                    "tools": {
                        "oapigen": _tool(70.0, tree_peak_mb=620.0),
                        "openapi-python-client": _tool(
                            None, error="exit 1: KeyError: 'x'", tree_peak_mb=None
                        ),
                    },
                },
            },
        },
    }
    found = {goal.name: goal for goal in goals.evaluate(document)}

    wall = found["cold openai-2.3.0: wall / opc"]
    assert (wall.measured, wall.status) == ("0.40", "pass")
    assert found["cold openai-2.3.0: CPU / opc"].status == "pass"
    ops = found["cold openai-2.3.0: operations generated"]
    assert (ops.measured, ops.status, ops.note) == ("110/110", "pass", "opc: 104/110")
    growth = found["growth: x10 time / x1 time (oapigen)"]
    assert (growth.measured, growth.status) == ("14.0", "FAIL")
    memory = found["peak memory (tree), synthetic 10x"]
    assert (memory.measured, memory.status) == ("620 MB", "FAIL")
    opc_failed = found["synthetic 10x: wall / opc"]
    assert opc_failed.status == "n/a" and "KeyError: 'x'" in opc_failed.note
    # Our failure fails the goal; the anchor's leaves it unmeasured (above).
    github = found["GitHub REST: wall / opc"]
    assert github.status == "FAIL" and "E501 black failed" in github.note
    assert found["peak memory (tree), GitHub REST"].status == "FAIL"
    bump = found["bump 2.0.0 -> 2.3.0: wall / opc cold"]
    assert bump.status == "n/a" and bump.note == "specs/openai-2.0.0.yaml not found"
    assert found["first call / dependency floor"].status == "n/a"
    json.dumps(goals.as_json(list(found.values())))  # goes into latest.json
