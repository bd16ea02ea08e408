"""Test parameters, computed at collection from the specs themselves.

A spec that is missing (no `make specs`) yields one placeholder case per version whose
test then skips locally and fails in CI (the shared `openai_spec` rule).
"""

from __future__ import annotations

from typing import Any

import pytest

from .calls import has_optional_inputs, has_stream_flag, undefined_required
from .known import bug_for
from .specs import VERSIONS, Operation, Spec, available, load_spec

MISSING = "missing-spec"


def _param(version: str, operation: str, case: str) -> Any:
    bug = bug_for(version, operation, case)
    marks = [pytest.mark.xfail(strict=True, reason=bug.reason)] if bug else []
    return pytest.param(
        version, operation, case, id=f"{version}-{operation}-{case}", marks=marks
    )


def _missing(version: str) -> Any:
    return pytest.param(version, MISSING, MISSING, id=f"{version}-{MISSING}")


def prism_variants(spec: Spec, op: Operation) -> list[str]:
    variants = ["required"]
    if has_optional_inputs(spec, op):
        variants.append("full")
    if undefined_required(spec, op):
        variants.append("extra-body")
    return variants


def prism_cases() -> list[Any]:
    cases = []
    for version in VERSIONS:
        if not available(version):
            cases.append(_missing(version))
            continue
        spec = load_spec(version)
        for op in spec.operations:
            for variant in prism_variants(spec, op):
                cases.append(_param(version, op.operation_id, variant))
    return cases


def payload_kind(spec: Spec, op: Operation) -> str | None:
    """ "binary" or "stream" when the payload server must serve the response."""
    if op.binary_media is not None:
        return "binary"
    if op.sse_schema is not None or has_stream_flag(spec, op):
        return "stream"
    return None


def payload_cases() -> list[Any]:
    cases = []
    for version in VERSIONS:
        if not available(version):
            cases.append(_missing(version))
            continue
        spec = load_spec(version)
        for op in spec.operations:
            kind = payload_kind(spec, op)
            if kind is not None:
                cases.append(_param(version, op.operation_id, kind))
    return cases


def example_cases() -> list[Any]:
    cases = []
    for version in VERSIONS:
        if not available(version):
            cases.append(_missing(version))
            continue
        for op in load_spec(version).operations:
            for example in op.examples():
                if example.is_json:
                    cases.append(_param(version, op.operation_id, example.where))
    return cases


def version_cases() -> list[Any]:
    return [pytest.param(v, id=v) for v in VERSIONS]
