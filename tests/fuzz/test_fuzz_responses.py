"""Instances of the OpenAI 2.3.0 response schemas (drawn by hypothesis-jsonschema) read back
losslessly: `model_validate` accepts every instance the schema allows, and
`model_dump(mode="json", by_alias=True, exclude_unset=True)` gives the instance back.

The schemas are OpenAPI 3.0; `to_json_schema` turns one into draft-07 JSON Schema
(`nullable` -> a union with null, refs into `definitions`, annotations dropped, and a schema
with `properties` but no `type` is an object, as every OpenAPI tool reads it: in JSON
Schema it would also allow null, lists and numbers; the same for `items` and arrays). To keep instances small enough to draw
quickly, objects without `additionalProperties` get none (unknown keys are kept by every
model, `extra="allow"`, which tests/functional covers) and lists hold at most 3 items.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from oapigen.loader import load
from tests.conftest import in_ci, openai_spec

pytestmark = [pytest.mark.slow, pytest.mark.openai]

COMPONENT = "#/components/schemas/"
DROPPED = {"discriminator", "example", "examples", "deprecated", "readOnly", "writeOnly",
           "externalDocs", "xml", "default", "description", "title"}  # fmt: skip
INSTANCES_PER_SCHEMA = 3


def response_components() -> tuple[dict[str, Any], list[str]]:
    """(all component schemas, names of those a 2xx JSON response refers to)."""
    try:
        path = openai_spec("2.3.0")
    except pytest.skip.Exception:
        return {}, []
    document = load(path).bundled()
    names: set[str] = set()
    for item in document["paths"].values():
        for operation in item.values():
            if not isinstance(operation, Mapping):
                continue
            for status, response in (operation.get("responses") or {}).items():
                media = (response.get("content") or {}).get("application/json")
                ref = (media or {}).get("schema", {}).get("$ref", "")
                if status.startswith("2") and ref.startswith(COMPONENT):
                    names.add(ref[len(COMPONENT) :])
    return document["components"]["schemas"], sorted(names)


COMPONENTS, RESPONSES = response_components()


def convert(schema: Any, closed: bool = True) -> Any:
    """Draft-07 of an OpenAPI 3.0 schema; `closed`: objects get no unknown keys (not allOf
    parts, nor objects combined with a union: closed, they would refuse the properties the
    other parts bring)."""
    if isinstance(schema, list):
        return [convert(item, closed) for item in schema]
    if not isinstance(schema, Mapping):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in DROPPED or key.startswith("x-") or key == "nullable":
            continue
        if key == "$ref":
            out[key] = "#/definitions/" + value[len(COMPONENT) :]
        elif key in ("properties", "patternProperties"):
            out[key] = {name: convert(sub) for name, sub in value.items()}
        elif key == "enum":
            out[key] = value
        else:
            out[key] = convert(value, closed=closed and key != "allOf")
    if "type" not in out and ("properties" in out or "additionalProperties" in out):
        out["type"] = "object"
    if "type" not in out and "items" in out:
        out["type"] = "array"
    combined = any(key in out for key in ("allOf", "oneOf", "anyOf"))
    if closed and out.get("type") == "object" and not combined:
        out.setdefault("additionalProperties", False)
    if out.get("type") == "array" and "maxItems" not in out:
        out["maxItems"] = max(3, int(out.get("minItems", 0)))
    if schema.get("nullable") is True:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def _allof_targets() -> set[str]:
    """Components some allOf lists as a part (they stay open, see `convert`)."""
    found: set[str] = set()
    stack: list[Any] = list(COMPONENTS.values())
    while stack:
        node = stack.pop()
        if isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, Mapping):
            for part in node.get("allOf") or ():
                if isinstance(part, Mapping) and "$ref" in part:
                    found.add(part["$ref"][len(COMPONENT) :])
            stack.extend(node.values())
    return found


ALLOF_TARGETS = _allof_targets()


def to_json_schema(name: str) -> dict[str, Any]:
    """The response schema with the components it reaches as definitions."""
    reached: dict[str, Any] = {}
    pending = [name]
    while pending:
        current = pending.pop()
        if current in reached:
            continue
        reached[current] = convert(COMPONENTS[current], current not in ALLOF_TARGETS)
        pending.extend(_refs(COMPONENTS[current]))
    return {"$ref": f"#/definitions/{name}", "definitions": reached}


def _refs(schema: Any) -> list[str]:
    if isinstance(schema, list):
        return [ref for item in schema for ref in _refs(item)]
    if not isinstance(schema, Mapping):
        return []
    found = [schema["$ref"][len(COMPONENT) :]] if "$ref" in schema else []
    return found + [ref for value in schema.values() for ref in _refs(value)]


@pytest.mark.parametrize("name", RESPONSES or ["(no spec)"])
def test_a_response_model_reads_what_its_schema_allows_losslessly(
    name: str, openai_package: ModuleType
) -> None:
    from hypothesis_jsonschema import from_schema

    model = getattr(openai_package.models, name)
    strategy = from_schema(to_json_schema(name))

    @settings(
        max_examples=INSTANCES_PER_SCHEMA,
        deadline=None,
        derandomize=in_ci(),
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(st.data())
    def check(data: st.DataObject) -> None:
        instance = data.draw(strategy)
        parsed = model.model_validate(instance)
        dumped = parsed.model_dump(mode="json", by_alias=True, exclude_unset=True)
        assert dumped == instance

    check()
