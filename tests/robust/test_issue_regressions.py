"""The cases issue 10 found in real specs, each a small spec in specs/.

Planner failures that belong to the planner rewrite are xfail(strict): when the rewrite
fixes one, its test passes, pytest reports it, and the marker comes off."""

from __future__ import annotations

import json
from pathlib import Path

import pydantic
import pytest

from tests.conftest import GeneratedPackages
from tests.fuzz.quick import generate_quick
from tests.modelcheck import check_package

SPECS = Path(__file__).resolve().parent / "specs"


def test_a_keyword_property_whose_allof_describes_a_value_ref(
    generated: GeneratedPackages,
) -> None:
    # `from: {allOf: [{$ref: Sender}, {description}]}` made datamodel-code-generator
    # write a module `from.py` (E301: the whole spec was lost)
    spec = SPECS / "keyword-allof.yaml"
    package = generated.module(spec)
    assert check_package(generated.project(spec)) == []
    request = package.models.SendMessageRequest
    body = {"from": "me", "import": "x", "global": {"from": "a"}}
    parsed = request.model_validate(body)
    assert parsed.model_dump(by_alias=True, exclude_unset=True) == body
    module = (
        generated.project(spec) / "keyword_allof" / "models" / "send_message_request.py"
    )
    assert "The sender." in module.read_text(
        encoding="utf-8"
    )  # the description is kept
    with pytest.raises(pydantic.ValidationError):
        request.model_validate({"from": "nobody"})
    # an object ref keeps its model
    message = package.models.Message.model_validate({"from": {"from": "x"}})
    assert type(message.from_).__name__ == "Address"


def test_components_named_with_keywords(generated: GeneratedPackages) -> None:
    spec = SPECS / "keyword-components.yaml"
    package = generated.module(spec)
    assert check_package(generated.project(spec)) == []
    assert hasattr(package.Client, "things")


def test_a_31_type_list_in_an_inline_body(generated: GeneratedPackages) -> None:
    spec = SPECS / "type-list-31.yaml"
    generated.module(spec)
    assert check_package(generated.project(spec)) == []


def _deep_objects_spec(tmp: Path, depth: int) -> Path:
    schema: dict[str, object] = {"type": "string"}
    for level in range(depth):
        schema = {"type": "object", "properties": {f"p{level}": schema}}
    response = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Deep"}}}}  # fmt: skip
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Deep", "version": "1"},
        "paths": {"/x": {"get": {"operationId": "getX", "responses": {"200": {"description": "ok", **response}}}}},  # fmt: skip
        "components": {"schemas": {"Deep": schema}},
    }
    path = tmp / "deep.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_inline_objects_nested_deep_within_the_limit(tmp_path: Path) -> None:
    outcome = generate_quick(_deep_objects_spec(tmp_path, 80), tmp_path / "out")
    assert outcome.kind == "ok" and outcome.problems == []
