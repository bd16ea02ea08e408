"""Fixtures for the command line of generated packages: the payload server, and
runners that call `python -m <package>` in a subprocess or in this process."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.cli.runner import CLIENT_ENV
from tests.servers.payloads import PayloadServer


@pytest.fixture(autouse=True)
def _no_client_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLIENT_ENV:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=400, timeout=30) as running:
        yield running
