"""Every operation of every spec against the Prism mock server, judged by Prism and by
openapi-core: the required arguments, then every optional one (`full`), and for a body
that requires properties it does not define, the user's workaround (`extra-body`)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .cases import prism_cases
from .coverage import Coverage
from .harness import Env, run_on_prism
from .known import bug_for
from .prism import PrismServer

pytestmark = [pytest.mark.slow, pytest.mark.openai]


@pytest.mark.parametrize(("version", "operation", "variant"), prism_cases())
def test_operation_on_prism(
    version: str,
    operation: str,
    variant: str,
    conformance_env: Callable[[str], Env],
    prism: Callable[[str], PrismServer],
    coverage: Coverage,
) -> None:
    env = conformance_env(version)
    op = env.spec.operation(operation)
    run = run_on_prism(env, op, variant, prism(version).url)
    bug = bug_for(version, operation, variant)
    failures = coverage.record(version, operation, variant, run.results, bug)
    assert not failures, f"{op.label} [{variant}]:\n  " + "\n  ".join(failures)
