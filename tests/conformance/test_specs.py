"""The specs themselves, and the gaps of the independent checkers.

- openapi-spec-validator's verdict on each spec (2.0.0 is invalid: asserted exactly);
- where Prism does not validate a request body at all (it cannot compile some schemas):
  openapi-core must reject the same invalid request, or the gap would be unchecked;
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .cases import version_cases
from .core import spec_validator_errors
from .coverage import Coverage
from .harness import Env, probe_request_validation
from .prism import PrismServer
from .specs import has_typeless_nullable

pytestmark = [pytest.mark.slow, pytest.mark.openai]

# The spec's own mistakes, as openapi-spec-validator 0.8 reports them (CENSUS.md §20).
SPEC_VALIDATOR_ERRORS: dict[str, list[str]] = {
    "1.1.0": [],
    "2.0.0": [
        "components/schemas/CreateChatCompletionRequest/properties/max_tokens: "
        "'inf' is not of type 'integer'",
        "components/schemas/CreateMessageRequest/properties/file_ids: "
        "[] should be non-empty",
    ],
    "2.3.0": [],
}


@pytest.mark.parametrize("version", version_cases())
def test_spec_validator_verdict(
    version: str, conformance_env: Callable[[str], Env], coverage: Coverage
) -> None:
    env = conformance_env(version)
    errors = spec_validator_errors(env.spec)
    coverage.notes[version].validity = (
        "valid per openapi-spec-validator"
        if not errors
        else f"INVALID per openapi-spec-validator (spec error: {'; '.join(errors)}); "
        "openapi-core loads it with spec validation off"
    )
    assert sorted(errors) == sorted(SPEC_VALIDATOR_ERRORS[version])


@pytest.mark.parametrize("version", version_cases())
def test_openapi_core_covers_what_prism_does_not_validate(
    version: str,
    conformance_env: Callable[[str], Env],
    prism: Callable[[str], PrismServer],
    coverage: Coverage,
) -> None:
    env = conformance_env(version)
    probes = probe_request_validation(env, prism(version).url)
    blind = [p.operation for p in probes if p.prism_accepted]
    notes = coverage.notes[version]
    notes.prism_blind = blind
    notes.prism_blind_total = len(probes)
    notes.prism_blind_nullable = sum(
        has_typeless_nullable(env.spec, env.spec.operation(op).body_schema)
        for op in blind
    )
    unchecked = [p.operation for p in probes if not p.core_errors]
    assert unchecked == [], "openapi-core accepted an invalid request body"
