"""Random specs (strategies.py): each gives a package that imports and whose every model
builds, or an error located in the spec. Never an exception from the generator.

At least 300 specs a run. In CI the draws are derandomized (a fixed set: no flaky runs);
locally they are new each run, and a failing one is printed as a JSON document to keep
in tests/corpus or tests/robust/specs once the fix is in.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings

from tests.conftest import in_ci
from tests.fuzz.quick import generate_quick, unlocated
from tests.fuzz.strategies import documents

SPECS_PER_RUN = int(os.environ.get("OAPIGEN_FUZZ_SPECS", "300"))
TALLY: Counter[str] = Counter()

pytestmark = pytest.mark.slow


@settings(
    max_examples=SPECS_PER_RUN,
    deadline=None,
    derandomize=in_ci(),
    database=None,
    # no shrinking: it can take minutes on a failing spec; the spec is printed as drawn
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@given(documents())
def test_a_random_spec_gives_a_package_or_a_located_error(document: Any) -> None:
    with tempfile.TemporaryDirectory(prefix="oapigen-fuzz-") as tmp:
        spec = Path(tmp) / "fuzz.json"
        spec.write_text(json.dumps(document, indent=1), encoding="utf-8")
        outcome = generate_quick(spec, Path(tmp) / "out")
    TALLY[outcome.kind] += 1
    TALLY["specs"] += 1
    if outcome.kind == "diagnosed":
        TALLY.update(d.code for d in outcome.diagnostics)
        assert unlocated(outcome.diagnostics) == []
        return
    TALLY["operations"] += outcome.operations
    assert outcome.problems == []
    assert outcome.operations == sum(
        len([m for m in item if m in ("get", "put", "post", "patch", "delete")])
        for item in document["paths"].values()
    )


def test_most_random_specs_give_a_package() -> None:
    """The run above was not all refusals (counts in the message when it fails)."""
    if TALLY["specs"] < SPECS_PER_RUN:
        pytest.skip("run together with the fuzz test above")
    assert TALLY["ok"] >= TALLY["specs"] * 0.6, dict(TALLY)
