"""Fixtures of the conformance suite: one generated package, one openapi-core judge and
one Prism process per spec for the whole session, the payload server for SSE and
binary bodies, and the coverage table printed at the end."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import in_ci

from .core import CoreJudge
from .coverage import Coverage
from .harness import Env
from .prism import PrismServer, PrismUnavailable, install_prism
from .specs import ROOT, VERSIONS, load_spec
from .values import ValueBuilder

# The payload server is shared with tests/runtime, which imports it as `servers.payloads`.
if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from servers.payloads import PayloadServer  # noqa: E402

COVERAGE = pytest.StashKey[Coverage]()


def pytest_configure(config: pytest.Config) -> None:
    config.stash[COVERAGE] = Coverage()


def pytest_terminal_summary(
    terminalreporter: Any, exitstatus: int, config: pytest.Config
) -> None:
    coverage = config.stash.get(COVERAGE, None)
    if coverage is None or not coverage.entries:
        return
    for line in coverage.table(VERSIONS).splitlines():
        terminalreporter.write_line(line)


def shared_conftest(config: pytest.Config) -> ModuleType:
    """tests/conftest.py (its helpers `openai_spec`, `openai_package_name`)."""
    plugin = config.pluginmanager.get_plugin(str(ROOT / "tests" / "conftest.py"))
    assert isinstance(plugin, ModuleType), "tests/conftest.py is not loaded"
    return plugin


@pytest.fixture(scope="session")
def coverage(pytestconfig: pytest.Config) -> Coverage:
    return pytestconfig.stash[COVERAGE]


@pytest.fixture(scope="session")
def conformance_env(
    pytestconfig: pytest.Config, generated: Any, coverage: Coverage
) -> Callable[[str], Env]:
    """version -> Env: the spec (skips locally / fails in CI when missing), its
    generated package (once per session, shared with the other suites), openapi-core."""
    shared = shared_conftest(pytestconfig)
    envs: dict[str, Env] = {}

    def get(version: str) -> Env:
        if version not in envs:
            path: Path = shared.openai_spec(version)
            spec = load_spec(version)
            assert spec.path.resolve() == path.resolve()
            package = (
                None if version == "2.3.0" else shared.openai_package_name(version)
            )
            module = generated.module(path, package)
            envs[version] = Env(spec, module, ValueBuilder(spec), CoreJudge(spec))
            coverage.notes[version].operations = [
                op.operation_id for op in spec.operations
            ]
        return envs[version]

    return get


@pytest.fixture(scope="session")
def prism_executable() -> Path:
    try:
        return install_prism()
    except PrismUnavailable as exc:
        # Like a missing OpenAI spec: a reason to skip here, an error in CI.
        if in_ci():
            pytest.fail(f"Prism is not available: {exc}", pytrace=False)
        pytest.skip(f"Prism is not available: {exc}")


@pytest.fixture(scope="session")
def prism(
    prism_executable: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[[str], PrismServer]]:
    """version -> the running Prism for that spec, started on first use, all stopped
    at the end of the session."""
    servers: dict[str, PrismServer] = {}
    logs = tmp_path_factory.mktemp("prism")

    def get(version: str) -> PrismServer:
        if version not in servers:
            server = PrismServer(
                prism_executable, load_spec(version).path, logs / f"{version}.log"
            )
            try:
                servers[version] = server.start()
            except PrismUnavailable as exc:
                pytest.fail(str(exc), pytrace=False)
        return servers[version]

    yield get
    for server in servers.values():
        server.stop()


@pytest.fixture(scope="session")
def payload_server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=100, timeout=10.0) as server:
        yield server
