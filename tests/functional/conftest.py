"""Fixtures for driving the generated Example Notes API package without a network."""

from __future__ import annotations

import importlib
from types import ModuleType

import pytest


@pytest.fixture(autouse=True)
def _no_example_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests decide the key and base URL, not the developer's shell."""
    monkeypatch.delenv("EXAMPLE_API_KEY", raising=False)
    monkeypatch.delenv("EXAMPLE_BASE_URL", raising=False)


@pytest.fixture
def api(example_package: ModuleType) -> ModuleType:
    """`example_notes_api`, generated once per session from specs/example.yaml, with
    its `models` subpackage imported (so `api.models` works in any test order)."""
    importlib.import_module(f"{example_package.__name__}.models")
    return example_package
