"""Document validation between load and plan (the errors have cases in tests/corpus)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from oapigen.diagnostics import GeneratorError, Severity
from oapigen.loader import load
from oapigen.validate import validate
from tests.conftest import EXAMPLE_SPEC, OPENAI_VERSIONS, openai_spec


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "api.yaml"
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return path


def test_a_declared_path_parameter_missing_from_the_template_warns(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: T, version: '1'}
        paths:
          /pets:
            get:
              operationId: listPets
              parameters:
                - {name: petId, in: path, required: true, schema: {type: string}}
              responses: {'200': {description: ok}}
        """,
    )
    (warning,) = validate(load(path))
    assert warning.severity is Severity.WARNING
    assert (warning.code, warning.line) == ("W601", 8)
    assert warning.pointer == "#/paths/~1pets/get/parameters/0"


def test_a_31_document_may_have_webhooks_instead_of_paths(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        openapi: 3.1.0
        info: {title: T, version: '1'}
        webhooks:
          ping:
            post:
              operationId: ping
              responses: {'200': {description: ok}}
        """,
    )
    assert validate(load(path)) == []


def test_every_error_is_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        openapi: 3.0.3
        info: {title: T, version: '1'}
        paths:
          /a/{id}:
            get:
              operationId: getA
              responses: {'200': {description: ok}}
          /b:
            get:
              operationId: get_a
              parameters: [{name: q}]
              responses: {'200': {description: ok}}
        """,
    )
    with pytest.raises(GeneratorError) as info:
        validate(load(path))
    assert [(d.code, d.line) for d in info.value.diagnostics] == [
        ("E605", 5),
        ("E604", 11),
        ("E607", 10),
    ]


@pytest.mark.parametrize("version", OPENAI_VERSIONS)
def test_the_openai_specs_are_valid(version: str) -> None:
    assert validate(load(openai_spec(version))) == []


def test_the_example_is_valid() -> None:
    assert validate(load(EXAMPLE_SPEC)) == []
