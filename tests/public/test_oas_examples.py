"""Every document of `@readme/oas-examples` either generates a package that imports
completely (every module, every model built) with every operation present, or is refused
with a located diagnostic for something the README lists as unsupported (OpenAPI 2.0).

Generation runs the pipeline's stages in this process without black (tests/fuzz/quick.py):
~0.5 s a document instead of ~5 s; black and mypy are covered by the specs we ship."""

from __future__ import annotations

import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from oapigen.loader import load
from tests.fuzz.quick import generate_quick, unlocated
from tests.public.oas_examples import INSTALLED

pytestmark = pytest.mark.slow

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Documents the planner cannot generate yet, and why (the planner rewrite takes them).
PLANNER_FAILURES: dict[str, str] = {}  # document -> why the planner fails on it


def operations_in(document: Mapping[str, Any], resolve: Any) -> int:
    count = 0
    for key, item in (document.get("paths") or {}).items():
        if key.startswith("x-"):
            continue
        if isinstance(item, Mapping) and "$ref" in item:
            item = resolve(item["$ref"])
        count += sum(1 for m in HTTP_METHODS if isinstance(item.get(m), Mapping))
    return count


def test_a_public_document_generates_or_is_refused_as_unsupported(
    document: Path | None, request: pytest.FixtureRequest
) -> None:
    assert (
        document is not None
    ), "the corpus could not be installed (see the skip reason)"
    name = str(document.relative_to(INSTALLED))
    if name in PLANNER_FAILURES:
        request.applymarker(
            pytest.mark.xfail(strict=True, reason=PLANNER_FAILURES[name])
        )
    with tempfile.TemporaryDirectory(prefix="oapigen-oas-") as tmp:
        outcome = generate_quick(document, Path(tmp))
    if name.startswith("2.0/"):
        assert outcome.kind == "diagnosed"
        (diagnostic,) = outcome.diagnostics
        assert diagnostic.code == "E602" and diagnostic.pointer == "#/swagger"
        assert "OpenAPI 2.0 (Swagger) is not supported" in diagnostic.message
        assert unlocated(outcome.diagnostics) == []
        return
    assert outcome.kind == "ok", [d.format() for d in outcome.diagnostics]
    assert outcome.problems == []
    loaded = load(document)
    assert outcome.operations == operations_in(loaded.bundled(), loaded.resolve)
