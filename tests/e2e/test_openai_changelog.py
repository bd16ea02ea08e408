"""The API changelog between the shipped OpenAI specs agrees with the raw documents.

The changelog is computed from the planned IRs; the expected figures here are counted
independently, from the YAML: paths x HTTP methods x operationIds, added and removed by
operationId (no operation of these specs changes its operationId or its route, so the
changelog's matching by route has nothing to pair and the figures must be equal).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from oapigen.diff import Changelog, Surface, compare, markdown, spec_surface
from tests.conftest import openai_spec

pytestmark = pytest.mark.openai
HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
_SURFACES: dict[str, Surface] = {}


def surface(version: str) -> Surface:
    if version not in _SURFACES:
        _SURFACES[version] = spec_surface(openai_spec(version))
    return _SURFACES[version]


def raw_operations(spec: Path) -> dict[str, tuple[str, str]]:
    """operationId -> (method, path template), read from the YAML itself."""
    document = yaml.load(spec.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader)
    found = {}
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                found[operation["operationId"]] = (method, path)
    return found


@pytest.mark.parametrize(
    ("old", "new", "added", "removed"),
    [("1.1.0", "2.0.0", 37, 5), ("2.0.0", "2.3.0", 65, 12)],
)
def test_operations_added_and_removed_agree_with_the_documents(
    old: str, new: str, added: int, removed: int
) -> None:
    before = raw_operations(openai_spec(old))
    after = raw_operations(openai_spec(new))
    expected_added = sorted(after.keys() - before.keys())
    expected_removed = sorted(before.keys() - after.keys())
    assert (len(expected_added), len(expected_removed)) == (added, removed)

    log = compare(surface(old), surface(new))
    assert (log.operations.added, log.operations.removed) == (added, removed)
    by_kind = {
        kind: sorted(c.operation_id or "" for c in log.changes if c.kind == kind)
        for kind in ("operation-added", "operation-removed")
    }
    assert by_kind["operation-added"] == expected_added
    assert by_kind["operation-removed"] == expected_removed
    # every removal is breaking, no addition is
    assert all(c.breaking for c in log.changes if c.kind == "operation-removed")
    assert not any(c.breaking for c in log.changes if c.kind == "operation-added")
    # the routes printed are the documents' own
    for change in log.changes:
        if change.kind == "operation-added":
            method, path = after[change.operation_id or ""]
            assert change.new == f"{method.upper()} {path}"
    text = markdown(log)
    assert f"| operations | {added} | {removed} |" in text
    assert f"### Added ({added})" in text and f"### Removed ({removed})" in text
    breaking = re.search(r"\*\*Breaking changes: (\d+)\*\*", text)
    assert breaking is not None and int(breaking.group(1)) == log.breaking >= removed


def test_the_changelog_reports_what_changed_in_chat_completions() -> None:
    """A few facts of 2.0.0 -> 2.3.0 checked against the documents by hand."""
    log: Changelog = compare(surface("2.0.0"), surface("2.3.0"))
    create = "client.chat.create_chat_completion"
    mine = {(c.kind, c.name): c for c in log.changes if c.subject == create}
    # `store` and `reasoning_effort` are new optional body properties
    assert not mine[("argument-added", "store")].breaking
    assert not mine[("argument-added", "reasoning_effort")].breaking
    # `max_tokens` got `deprecated: true`
    assert ("argument-deprecated", "max_tokens") in mine
    # new model names are enum values added to a `str | Literal[...]`: nothing breaks
    enum = mine[("argument-enum", "model")]
    assert not enum.breaking and "'o1'" in enum.message
    # `modify_assistant` moved from the `Assistant` tag to `Assistants`
    (moved,) = [c for c in log.changes if c.kind == "operation-renamed"]
    assert (moved.old, moved.new) == (
        "client.assistant.modify_assistant",
        "client.assistants.modify_assistant",
    )
    assert moved.breaking and moved.operation_id == "modifyAssistant"


def test_a_spec_compared_with_itself_has_no_changes() -> None:
    log = compare(surface("2.3.0"), surface("2.3.0"))
    assert log.changes == []
