"""Fixtures for driving the generated Example Notes API package without a network."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest

# The example spec declares auth, so its clients need a key: tests that do not pass
# one get this (a test about the missing key deletes it).
EXAMPLE_TEST_KEY = "sk-example-test"


@pytest.fixture(autouse=True)
def _no_example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests decide the key and base URL, not the developer's shell."""
    monkeypatch.setenv("EXAMPLE_API_KEY", EXAMPLE_TEST_KEY)
    monkeypatch.delenv("EXAMPLE_BASE_URL", raising=False)


@pytest.fixture
def api(example_package: ModuleType) -> ModuleType:
    """`example_notes_api`, generated once per session from specs/example.yaml, with
    its `models` subpackage imported (so `api.models` works in any test order)."""
    importlib.import_module(f"{example_package.__name__}.models")
    return example_package
