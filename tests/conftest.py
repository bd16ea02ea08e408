"""Shared fixtures: the specs, and generated packages importable in the test process.

Generation is the slow part of the suite, so each (spec, package name) is generated once per
test session into a session temp dir and imported from there. Packages generated from
different OpenAI versions get distinct names (`openai_api_1_1_0`) so they can coexist in one
process; 2.3.0 keeps the default `openai_api`.
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
EXAMPLE_SPEC = SPECS / "example.yaml"
OPENAI_VERSIONS = ("1.1.0", "2.0.0", "2.3.0")
EXPECTED_OPERATIONS = {"1.1.0": 25, "2.0.0": 57, "2.3.0": 110}

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def openai_spec(version: str) -> Path:
    """The OpenAI spec, copied into specs/ by `make specs`: skip locally, fail in CI."""
    path = SPECS / f"openai-{version}.yaml"
    if not path.is_file():
        message = (
            f"{path} is missing: run `make specs` (copies ../shared/specs/openai-*.yaml "
            "into specs/)"
        )
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def openai_package_name(version: str) -> str:
    return (
        "openai_api"
        if version == "2.3.0"
        else "openai_api_" + version.replace(".", "_")
    )


class GeneratedPackages:
    """Generates each (spec, package) once per session and imports it on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._done: dict[tuple[Path, str | None, Path | None], Path] = {}

    def project(
        self, spec: Path, package: str | None = None, config: Path | None = None
    ) -> Path:
        """Generate (once) and return the generated project folder; `config`: a
        generator config file (its overlays applied)."""
        from oapigen.config import load_config
        from oapigen.pipeline import generate

        key = (spec.resolve(), package, config)
        if key not in self._done:
            out = self.root / f"{spec.stem}-{package or 'default'}"
            settings = load_config(config) if config is not None else None
            result = generate(spec, output=out, package=package, config=settings)
            self._done[key] = result.target
        return self._done[key]

    def projects(self) -> list[Path]:
        """Every project generated so far in this session."""
        return sorted(set(self._done.values()))

    def module(
        self, spec: Path, package: str | None = None, config: Path | None = None
    ) -> ModuleType:
        project = self.project(spec, package, config)
        if str(project) not in sys.path:
            sys.path.insert(0, str(project))
        return importlib.import_module(project.name)


LAST_TEST = "test_zz_every_model.py"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The test that builds every model of every generated package runs last, when the
    session has generated all of them."""
    items.sort(key=lambda item: item.path.name == LAST_TEST)


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> GeneratedPackages:
    return GeneratedPackages(tmp_path_factory.mktemp("generated"))


@pytest.fixture(scope="session")
def example_package(generated: GeneratedPackages) -> ModuleType:
    """`example_notes_api`, generated from specs/example.yaml."""
    return generated.module(EXAMPLE_SPEC)


@pytest.fixture(scope="session")
def openai_package(generated: GeneratedPackages) -> ModuleType:
    """`openai_api` generated from the OpenAI 2.3.0 spec."""
    return generated.module(openai_spec("2.3.0"))


OPENAI_CONFIG = SPECS / "openai.oapigen.toml"
CONFIGURED_PACKAGE = "openai_configured"


@pytest.fixture(scope="session")
def openai_configured(generated: GeneratedPackages) -> ModuleType:
    """`openai_configured`: the 2.3.0 spec generated as `make generate` does it, with
    specs/openai.oapigen.toml (its overlay, client options, env prefix)."""
    return generated.module(openai_spec("2.3.0"), CONFIGURED_PACKAGE, OPENAI_CONFIG)
