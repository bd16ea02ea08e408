"""A drawn document (`strategies.documents`) as the unit tests of a stage take it:
planned, or refused with a located error."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, Phase, settings

from oapigen import ir
from oapigen.diagnostics import GeneratorError
from oapigen.loader import load
from oapigen.planner import plan
from oapigen.validate import validate
from tests.conftest import in_ci

# A few drawn specs for a stage's property (the whole pipeline draws more, in
# test_fuzz_specs.py): no shrinking, the same draws in CI.
FEW_DRAWN_SPECS = settings(
    max_examples=25,
    deadline=None,
    derandomize=in_ci(),
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


def plan_drawn(document: Any, folder: Path) -> ir.Api | None:
    """The plan of `document`, written as `fuzz.json` into `folder`; None when it is
    refused (a random spec may well be: that is the fuzz tests' to check)."""
    spec = folder / "fuzz.json"
    spec.write_text(json.dumps(document, indent=1), encoding="utf-8")
    try:
        loaded = load(spec)
        validate(loaded)
        api, _ = plan(loaded, spec_name=spec.name, package="fuzz_pkg")
    except GeneratorError:
        return None
    return api
