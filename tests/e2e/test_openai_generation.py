"""The OpenAI specs generate complete, importable, type-checked, black-clean and
deterministic packages with every operation present.

The slow tests here (mypy, black, regeneration) run external processes on the whole
package; `make test-fast` skips them, `make test` and CI run them.
"""

from __future__ import annotations

import functools
import inspect
import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import (
    EXPECTED_OPERATIONS,
    OPENAI_VERSIONS,
    ROOT,
    openai_package_name,
    openai_spec,
)
from tests.e2e.openai_cases import (
    component_name,
    load_spec,
    operations,
    package_argument,
)

SUBPROCESS_TIMEOUT = 300  # seconds; a hung child fails the test instead of the run


def _run(
    command: list[str], *, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        check=False,
    )


# -- every operation is there ----------------------------------------------------------


@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_spec_has_the_expected_operations(version: str) -> None:
    """Counted from the YAML: every method under `paths`, with distinct operationIds."""
    openai_spec(version)
    ops = operations(version)
    assert len(ops) == EXPECTED_OPERATIONS[version]
    assert len({op.operation_id for op in ops}) == len(ops)
    assert len({(op.resource, op.method) for op in ops}) == len(ops)


@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_every_operation_is_a_method(
    version: str, openai_module: Callable[[str], ModuleType]
) -> None:
    """`client.<snake(first tag) or first path segment>.<snake(operationId)>` for every
    operation, on Client (plain methods) and AsyncClient (coroutines), and nothing else:
    no resource and no operation method the spec does not have."""
    openai_spec(version)
    package = openai_module(version)
    ops = operations(version)
    expected: dict[str, set[str]] = {}
    for op in ops:
        expected.setdefault(op.resource, set()).add(op.method)
    client = package.Client(api_key="sk-test", base_url="https://api.test/v1")
    async_client = package.AsyncClient(
        api_key="sk-test", base_url="https://api.test/v1"
    )
    try:
        assert _resource_names(package.Client) == set(expected)
        assert _resource_names(package.AsyncClient) == set(expected)
        present = 0
        for resource, methods in sorted(expected.items()):
            sync_resource = getattr(client, resource)
            async_resource = getattr(async_client, resource)
            assert _operation_methods(sync_resource) == methods, resource
            assert _operation_methods(async_resource) == methods, resource
            for name in methods:
                sync_method = getattr(sync_resource, name)
                async_method = getattr(async_resource, name)
                assert callable(sync_method)
                assert not inspect.iscoroutinefunction(sync_method), name
                assert inspect.iscoroutinefunction(async_method), name
                assert callable(getattr(sync_resource.with_raw_response, name))
                assert callable(getattr(async_resource.with_raw_response, name))
                present += 1
        assert present == EXPECTED_OPERATIONS[version]
    finally:
        client.close()


def _resource_names(client_class: type) -> set[str]:
    """The client's resource attributes: public cached properties."""
    return {
        name
        for name, value in vars(client_class).items()
        if isinstance(value, functools.cached_property) and not name.startswith("_")
    }


def _operation_methods(resource: object) -> set[str]:
    """Public methods of a resource, less the `_iter` page walkers API.md adds to list
    operations and `with_raw_response`."""
    names = set()
    for name, value in inspect.getmembers(type(resource)):
        if name.startswith("_") or name == "with_raw_response":
            continue
        if not inspect.isfunction(value):
            continue
        if name.endswith("_iter") and name[: -len("_iter")] in dir(resource):
            continue
        names.add(name)
    return names


# -- importing ------------------------------------------------------------------------


@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_package_imports_cheaply_in_a_fresh_process(
    version: str, openai_project: Callable[[str], Path]
) -> None:
    """`PYTHONPATH=<project> python -c "import <pkg>"` works and loads no model, no
    resource module and none of the runtime's stream and binary modules (re-exported
    lazily: `<pkg>.Stream` still works); a model loads on first use."""
    openai_spec(version)
    project = openai_project(version)
    package = openai_package_name(version)
    model = next(
        name
        for op in operations(version)
        for schema in op.response_schemas.values()
        if (name := component_name(schema)) is not None
    )
    script = (
        "import json, sys\n"
        f"import {package}\n"
        "before = sorted(m for m in sys.modules if m.startswith(sys.argv[1] + '.'))\n"
        f"from {package}.models import {model}\n"
        "after = sorted(m for m in sys.modules if m.startswith(sys.argv[1] + '.'))\n"
        f"from {package} import BinaryResponse, Stream\n"
        f"lazy = [Stream.__module__, BinaryResponse.__module__, {package}.__all__]\n"
        "print(json.dumps([before, after, lazy]))\n"
    )
    result = _run(
        [sys.executable, "-c", script, package],
        cwd=project.parent,
        env={"PYTHONPATH": str(project)},
    )
    assert result.returncode == 0, result.stderr
    before, after, (stream_module, binary_module, exported) = json.loads(result.stdout)
    assert f"{package}._client" in before
    loaded_lazily = [
        m
        for m in before
        if m.startswith((f"{package}.models", f"{package}.resources"))
        or m.endswith(("._streaming", "._sse", "._binary"))
    ]
    assert loaded_lazily == []
    assert any(m.startswith(f"{package}.models.") for m in after)
    assert stream_module == f"{package}._runtime._streaming"
    assert binary_module == f"{package}._runtime._binary"
    assert {"Stream", "AsyncStream", "BinaryResponse", "ServerSentEvent"} <= set(
        exported
    )


# -- tools on the whole package ---------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_mypy_strict_reports_no_errors(
    version: str,
    openai_project: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    openai_spec(version)
    project = openai_project(version)
    package = openai_package_name(version)
    result = _run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--cache-dir",
            str(tmp_path / "mypy-cache"),
            "-p",
            package,
        ],
        cwd=project,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout


@pytest.mark.slow
@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_black_leaves_the_project_unchanged(
    version: str,
    openai_project: Callable[[str], Path],
    tmp_path: Path,
) -> None:
    openai_spec(version)
    project = openai_project(version)
    result = _run(
        [sys.executable, "-m", "black", "--check", "--diff", str(project)],
        cwd=project,
        env={"BLACK_CACHE_DIR": str(tmp_path / "black-cache")},  # no cache hits
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "would be left unchanged" in result.stderr


# -- determinism and diagnostics --------------------------------------------------------


class CliRun:
    """`python -m oapigen SPEC --output DIR` run as a child process."""

    def __init__(self, output: Path, process: subprocess.Popen[str]) -> None:
        self.output = output
        self.process = process
        self.stdout = ""
        self.stderr = ""

    def wait(self) -> CliRun:
        self.stdout, self.stderr = self.process.communicate(timeout=SUBPROCESS_TIMEOUT)
        return self


class CliGenerations:
    """Two CLI generations per spec, run side by side: PYTHONHASHSEED=0 with the user's
    formatter cache, and PYTHONHASHSEED=12345 with an empty one (so a cache hit cannot
    hide output that depends on hashing or ordering)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict[str, tuple[CliRun, CliRun]] = {}

    def runs(self, version: str) -> tuple[CliRun, CliRun]:
        if version not in self._done:
            spec = openai_spec(version)
            base = self.root / version
            first = self._start(spec, base / "seed-0", {"PYTHONHASHSEED": "0"})
            second = self._start(
                spec,
                base / "seed-12345",
                {
                    "PYTHONHASHSEED": "12345",
                    "OAPIGEN_CACHE_DIR": str(base / "empty-cache"),
                },
            )
            self._done[version] = (first.wait(), second.wait())
        return self._done[version]

    def _start(self, spec: Path, output: Path, env: dict[str, str]) -> CliRun:
        command = [
            sys.executable,
            "-m",
            "oapigen",
            str(spec),
            "--output",
            str(output),
        ]
        package = package_argument(spec.stem.removeprefix("openai-"))
        if package is not None:
            command += ["--package", package]
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        return CliRun(output, process)


@pytest.fixture(scope="session")
def cli_generations(tmp_path_factory: pytest.TempPathFactory) -> CliGenerations:
    return CliGenerations(tmp_path_factory.mktemp("cli-generations"))


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file() and "__pycache__" not in path.parts
    }


@pytest.mark.slow
@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_generation_is_byte_identical_across_runs_and_hash_seeds(
    version: str,
    cli_generations: CliGenerations,
    openai_project: Callable[[str], Path],
) -> None:
    first, second = cli_generations.runs(version)
    for run in (first, second):
        assert run.process.returncode == 0, run.stderr
        assert [line for line in run.stderr.splitlines() if ": error " in line] == []
        # no operation skipped: the CLI's own count is the spec's
        assert f": {EXPECTED_OPERATIONS[version]} operations, " in run.stdout
    package = openai_package_name(version)
    trees = {
        "PYTHONHASHSEED=0": _tree(first.output / package),
        "PYTHONHASHSEED=12345, empty cache": _tree(second.output / package),
        "in-process (session fixture)": _tree(openai_project(version)),
    }
    (reference_name, reference), *others = trees.items()
    assert len(reference) > EXPECTED_OPERATIONS[version] // 10  # a real package
    for name, tree in others:
        assert sorted(tree) == sorted(reference), f"{name} vs {reference_name}"
        differing = [path for path in reference if tree[path] != reference[path]]
        assert differing == [], f"{name} vs {reference_name}"
    # The empty cache was really used (and filled): the second run formatted everything.
    assert any(
        path.is_file() for path in (second.output.parent / "empty-cache").rglob("*")
    )
    # Diagnostics are part of the output too: same lines, same order.
    assert first.stderr.splitlines() == second.stderr.splitlines()


def _required_without_property(version: str) -> list[tuple[str, str]]:
    """(JSON pointer of the schema, name) for every `required` entry naming a property
    the schema does not define: a spec error the generator must report (W202)."""
    found: list[tuple[str, str]] = []

    def walk(node: object, pointer: str) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            required = node.get("required")
            if isinstance(properties, dict) and isinstance(required, list):
                found.extend((pointer, n) for n in required if n not in properties)
            for key, child in node.items():
                escaped = str(key).replace("~", "~0").replace("/", "~1")
                walk(child, f"{pointer}/{escaped}")
        elif isinstance(node, list):
            for index, child in enumerate(node):
                walk(child, f"{pointer}/{index}")

    walk(load_spec(version)["components"], "#/components")
    return found


@pytest.mark.slow
def test_default_inf_in_2_0_0_is_reported_and_ignored(
    cli_generations: CliGenerations, openai_module: Callable[[str], ModuleType]
) -> None:
    """2.0.0 declares `max_tokens: {type: integer, default: inf}`: a warning that names it,
    and the client still builds and never sends a default."""
    first, _ = cli_generations.runs("2.0.0")
    assert first.process.returncode == 0, first.stderr
    lines = [line for line in first.stderr.splitlines() if "default 'inf'" in line]
    assert len(lines) == 1, first.stderr
    assert "warning W201" in lines[0]
    assert "CreateChatCompletionRequest/properties/max_tokens" in lines[0]
    package = openai_module("2.0.0")
    field = package.models.CreateChatCompletionRequest.model_fields["max_tokens"]
    assert field.default is None


@pytest.mark.slow
@pytest.mark.parametrize("version", ["2.0.0", "2.3.0"])  # 1.1.0 has no such error
def test_required_names_without_a_property_are_reported(
    version: str, cli_generations: CliGenerations
) -> None:
    """W202 for each one, `additionalProperties: false` schemas included (2.0.0
    CreateRunRequest `required: [thread_id]`), and no other W202."""
    openai_spec(version)
    missing = _required_without_property(version)
    assert missing  # these specs have such errors (CENSUS.md section 17)
    first, _ = cli_generations.runs(version)
    assert first.process.returncode == 0, first.stderr
    warned = [line for line in first.stderr.splitlines() if "warning W202" in line]
    for pointer, name in missing:
        assert any(
            f"{pointer}/required:" in line and repr(name) in line for line in warned
        ), f"no W202 for {name!r} at {pointer}"
    assert len(warned) == len(missing)
