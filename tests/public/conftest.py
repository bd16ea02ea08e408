"""Parametrizes the public corpus tests with the documents of the installed package."""

from __future__ import annotations

import pytest

from tests.conftest import in_ci
from tests.public.oas_examples import INSTALLED, Unavailable, documents, install


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "document" not in metafunc.fixturenames:
        return
    try:
        root = install()
    except Unavailable as exc:
        marks = [] if in_ci() else [pytest.mark.skip(reason=str(exc))]
        metafunc.parametrize("document", [pytest.param(None, marks=marks)])
        return
    found = documents(root)
    metafunc.parametrize(
        "document", found, ids=[str(p.relative_to(INSTALLED)) for p in found]
    )
