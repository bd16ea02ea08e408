"""Runs last (file order): every operation of every spec passed at least one independent
check (Prism accepted its request, or openapi-core found its request or its response
valid). Skipped when the session did not run the whole suite for that spec."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .cases import payload_kind, prism_variants, version_cases
from .coverage import Coverage
from .harness import Env

pytestmark = [pytest.mark.slow, pytest.mark.openai]


@pytest.mark.parametrize("version", version_cases())
def test_every_operation_has_a_passing_independent_check(
    version: str, conformance_env: Callable[[str], Env], coverage: Coverage
) -> None:
    env = conformance_env(version)
    spec = env.spec
    planned = {
        (op.operation_id, variant)
        for op in spec.operations
        for variant in prism_variants(spec, op)
    }
    planned |= {
        (op.operation_id, kind)
        for op in spec.operations
        if (kind := payload_kind(spec, op)) is not None
    }
    ran = {(e.operation, e.case) for e in coverage.entries if e.version == version}
    if not planned <= ran:
        pytest.skip(f"{len(planned - ran)} conformance calls of {version} did not run")
    assert coverage.uncovered(version) == []
