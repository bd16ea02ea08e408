"""What Prism cannot serve: `text/event-stream` and binary bodies.

The request still goes through the generated client and is judged by openapi-core; the
response comes from the payload server of the streaming tests (a real HTTP server:
chunked SSE, a streamed binary body). Streams replay the spec's own streaming example
when it has one. Operations with a boolean `stream` flag are all called with
`stream=True` here (their `stream=False` call is in test_prism.py).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from servers.payloads import PayloadServer  # tests/ is on sys.path (conftest.py)

from .cases import payload_cases
from .coverage import Coverage
from .harness import Env, run_binary, run_stream
from .known import bug_for

pytestmark = [pytest.mark.slow, pytest.mark.openai]


@pytest.mark.parametrize(("version", "operation", "kind"), payload_cases())
def test_streamed_operation(
    version: str,
    operation: str,
    kind: str,
    conformance_env: Callable[[str], Env],
    payload_server: PayloadServer,
    coverage: Coverage,
) -> None:
    env = conformance_env(version)
    op = env.spec.operation(operation)
    if kind == "binary":
        run = run_binary(env, op, payload_server.url)
    else:
        run = run_stream(env, op, payload_server.url, tag=f"{version}-{operation}")
    bug = bug_for(version, operation, kind)
    failures = coverage.record(version, operation, kind, run.results, bug)
    assert not failures, f"{op.label} [{kind}]:\n  " + "\n  ".join(failures)
