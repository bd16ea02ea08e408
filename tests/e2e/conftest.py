"""Fixtures of the OpenAI end-to-end tests: the three generated packages, generated once per
session through the shared `generated` fixture."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import GeneratedPackages, openai_package_name, openai_spec
from tests.e2e.openai_cases import package_argument


@pytest.fixture(scope="session")
def openai_project(generated: GeneratedPackages) -> Callable[[str], Path]:
    """`openai_project("2.0.0")`: the generated project folder (holding the package)."""

    def project(version: str) -> Path:
        return generated.project(openai_spec(version), package_argument(version))

    return project


@pytest.fixture(scope="session")
def openai_module(generated: GeneratedPackages) -> Callable[[str], ModuleType]:
    """`openai_module("2.0.0")`: the generated package, imported in this process."""

    def module(version: str) -> ModuleType:
        package = generated.module(openai_spec(version), package_argument(version))
        assert package.__name__ == openai_package_name(version)
        return package

    return module
