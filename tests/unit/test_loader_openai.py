"""Loader on the three OpenAI specs: loads, every ref resolves, lines are right, fast.

The specs are copied into specs/ by `make specs`. Without them the tests skip locally
(reading /work/shared/specs instead when it is there) and fail under CI.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from oapigen.loader import Document, load, to_pointer

REPO = Path(__file__).resolve().parents[2]
VERSIONS = ["1.1.0", "2.0.0", "2.3.0"]

pytestmark = pytest.mark.openai


def spec_path(version: str) -> Path:
    name = f"openai-{version}.yaml"
    in_repo = REPO / "specs" / name
    if in_repo.is_file():
        return in_repo
    if os.environ.get("CI"):
        pytest.fail(f"{in_repo} is missing (run `make specs`)")
    shared = REPO.parent / "shared" / "specs" / name
    if shared.is_file():
        return shared
    pytest.skip(f"{in_repo} is missing (run `make specs`)")


_LOADED: dict[str, Document] = {}


def loaded(version: str) -> Document:
    """One load per spec for the whole module (the doc is read-only)."""
    if version not in _LOADED:
        _LOADED[version] = load(spec_path(version))
    return _LOADED[version]


def refs_with_pointers(
    node: Any, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield path, node["$ref"]
        for key, value in node.items():
            yield from refs_with_pointers(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from refs_with_pointers(value, (*path, str(index)))


@pytest.mark.parametrize("version", VERSIONS)
def test_openai_spec_loads_and_every_ref_resolves(version: str) -> None:
    doc = loaded(version)
    assert doc.warnings == []
    assert doc.root["info"]["version"] == version
    bundled = doc.bundled()
    assert bundled == doc.root  # single file: nothing to copy
    refs = list(refs_with_pointers(bundled))
    assert refs
    for _, ref in refs:
        assert ref.startswith("#/components/schemas/")
        resolved = doc.resolve(ref)
        assert isinstance(resolved, dict) and "$ref" not in resolved


@pytest.mark.parametrize("version", VERSIONS)
def test_openai_spec_lines(version: str) -> None:
    path = spec_path(version)
    doc = loaded(version)
    lines = path.read_text(encoding="utf-8").splitlines()
    schemas = doc.root["components"]["schemas"]
    for name in schemas:
        file, line = doc.locate(to_pointer(("components", "schemas", name)))
        assert file == str(path) and line is not None
        assert lines[line - 1].strip().split(":")[0].strip("'\"") == name
    for pointer, ref in refs_with_pointers(doc.root):
        _, line = doc.locate(to_pointer((*pointer, "$ref")))
        assert line is not None and "$ref" in lines[line - 1], ref


def test_openai_230_aliases_are_shared() -> None:
    doc = loaded("2.3.0")
    logprob = doc.root["components"]["schemas"]["ChatCompletionTokenLogprob"]
    top = logprob["properties"]["top_logprobs"]["items"]["properties"]
    for key in ("token", "logprob", "bytes"):
        assert top[key] is logprob["properties"][key]
