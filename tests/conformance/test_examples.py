"""The spec's example responses (`x-oaiMeta`) as fixtures: each one that is JSON is
served as the operation's response and must parse into the response model with every
field reading back equal, including the examples that do not match their own schema
(responses are forward compatible). openapi-core's verdict on each example is counted
in the coverage table."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from .cases import example_cases
from .coverage import Coverage
from .harness import Env, run_example
from .known import bug_for

pytestmark = [pytest.mark.slow, pytest.mark.openai]


@pytest.mark.parametrize(("version", "operation", "where"), example_cases())
def test_example_response_parses(
    version: str,
    operation: str,
    where: str,
    conformance_env: Callable[[str], Env],
    coverage: Coverage,
) -> None:
    env = conformance_env(version)
    op = env.spec.operation(operation)
    example = next(e for e in op.examples() if e.where == where)
    run = run_example(env, op, example)
    for result in run.results:
        if result.check == "example-schema":
            coverage.example_schema_errors[(version, operation, where)] = len(
                result.info
            )
    bug = bug_for(version, operation, where)
    failures = coverage.record(version, operation, where, run.results, bug)
    assert not failures, f"{op.label} {where}:\n  " + "\n  ".join(failures)
