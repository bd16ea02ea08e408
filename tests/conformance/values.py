"""Valid values for a spec's schemas: examples, defaults and enums first, else made up.

Every candidate is checked against its schema with openapi-schema-validator (the validator
openapi-core itself uses), so a wrong `example` or `default` in the spec (2.0.0's
`default: inf` on an integer) is passed over instead of being sent. `full=False` builds
required properties only; `full=True` every property, recursively.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from openapi_schema_validator import OAS30WriteValidator

from .specs import Spec

MAX_DEPTH = 12


@dataclass(frozen=True)
class FileValue:
    """A `format: binary` value: sent as a multipart file part."""

    filename: str
    content: bytes
    content_type: str = "application/octet-stream"

    def as_tuple(self) -> tuple[str, bytes, str]:
        return (self.filename, self.content, self.content_type)


class ValueBuilder:
    def __init__(self, spec: Spec) -> None:
        self._spec = spec
        self._root = OAS30WriteValidator(spec.doc)

    def valid(self, schema: Any, value: Any) -> bool:
        if contains_file(value):
            return True  # binary parts are checked by openapi-core on the wire
        return bool(self._root.evolve(schema=schema).is_valid(value))

    def errors(self, schema: Any, value: Any) -> list[str]:
        validator = self._root.evolve(schema=schema)
        return [e.message for e in validator.iter_errors(value)]

    def build(
        self, schema: Any, *, full: bool, name: str = "value", depth: int = 0
    ) -> Any:
        node = self._spec.deref(schema)
        if not isinstance(node, Mapping):
            return "text"
        for candidate in self._given(node):
            if self.valid(schema, candidate):
                return candidate
        made = self._make(node, full=full, name=name, depth=depth)
        return made

    def _given(self, node: Mapping[str, Any]) -> list[Any]:
        """The spec's own choices, in the order a reader would pick them."""
        found: list[Any] = []
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return found  # objects are built property by property
        if node.get("example") is not None:
            found.append(node["example"])
        if node.get("default") is not None:
            found.append(node["default"])
        found.extend(v for v in node.get("enum") or () if v is not None)
        return found

    def _make(
        self, node: Mapping[str, Any], *, full: bool, name: str, depth: int
    ) -> Any:
        if depth > MAX_DEPTH:
            return None
        if node.get("allOf"):
            return self._object(self._merge(node), full=full, depth=depth)
        for key in ("oneOf", "anyOf"):
            variants = node.get(key)
            if variants:
                return self._union(node, variants, full=full, name=name, depth=depth)
        kind = node.get("type")
        if kind == "object" or "properties" in node:
            return self._object(node, full=full, depth=depth)
        if kind == "array" or (kind is None and "items" in node):
            return self._array(node, full=full, name=name, depth=depth)
        if kind == "string":
            if node.get("format") == "binary":
                return FileValue(
                    f"{name}.bin", b"conformance bytes for " + name.encode()
                )
            low = int(node.get("minLength") or 0)
            text = "text" if low <= 4 else "t" * low
            high = node.get("maxLength")
            return text[: int(high)] if high is not None else text
        if kind in ("integer", "number"):
            return self._number(node, integer=kind == "integer")
        if kind == "boolean":
            return False
        return "text"  # a schema without a type accepts anything

    def _union(
        self,
        node: Mapping[str, Any],
        variants: list[Any],
        *,
        full: bool,
        name: str,
        depth: int,
    ) -> Any:
        first: Any = None
        for index, variant in enumerate(variants):
            if "properties" in node:
                shaped = self._shape_variant(node, variants, index, full=full)
                value = self._object(shaped, full=full, depth=depth)
            else:
                value = self.build(variant, full=full, name=name, depth=depth + 1)
            if index == 0:
                first = value
            if self.valid(node, value):
                return value
        return first

    def _shape_variant(
        self, node: Mapping[str, Any], variants: list[Any], index: int, *, full: bool
    ) -> dict[str, Any]:
        """An object with its own properties and a oneOf/anyOf of constraints (often
        just `required` lists): the properties plus what variant `index` adds, without
        the properties only the other variants require (so exactly one matches)."""
        part = self._spec.deref(variants[index])
        mine = set(part.get("required") or ())
        others: set[str] = set()
        for position, other in enumerate(variants):
            if position != index:
                others.update(self._spec.deref(other).get("required") or ())
        properties = {**node["properties"], **(part.get("properties") or {})}
        if full:
            properties = {
                k: v for k, v in properties.items() if k in mine or k not in others
            }
        required = [*(node.get("required") or ()), *mine]
        return {"type": "object", "properties": properties, "required": required}

    def _merge(self, node: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in [
            *node.get("allOf", ()),
            {k: v for k, v in node.items() if k != "allOf"},
        ]:
            part = self._spec.deref(part)
            if part.get("allOf"):
                part = self._merge(part)
            merged["properties"].update(part.get("properties") or {})
            merged["required"].extend(part.get("required") or ())
        return merged

    def _object(self, node: Mapping[str, Any], *, full: bool, depth: int) -> Any:
        properties: Mapping[str, Any] = node.get("properties") or {}
        required = set(node.get("required") or ())
        value: dict[str, Any] = {}
        for key, prop in properties.items():
            if full or key in required:
                built = self.build(prop, full=full, name=key, depth=depth + 1)
                if built is not None:
                    value[key] = built
        extra = node.get("additionalProperties")
        if not properties and full and isinstance(extra, Mapping):
            value["key"] = self.build(extra, full=full, name="key", depth=depth + 1)
        return value

    def _array(
        self, node: Mapping[str, Any], *, full: bool, name: str, depth: int
    ) -> list[Any]:
        items = node.get("items") or {}
        count = max(int(node.get("minItems") or 0), 1)
        if node.get("maxItems") is not None:
            count = min(count, int(node["maxItems"]))
        target = self._spec.deref(items)
        choices = [v for v in target.get("enum") or () if v is not None]
        if choices and node.get("uniqueItems"):
            return choices[:count]
        item = self.build(items, full=full, name=name, depth=depth + 1)
        return [item] * count

    @staticmethod
    def _number(node: Mapping[str, Any], *, integer: bool) -> int | float:
        low = node.get("minimum")
        high = node.get("maximum")
        step = 1 if integer else 0.5
        if low is not None:
            value = low + step if node.get("exclusiveMinimum") is True else low
        elif high is not None:
            value = min(
                high - step if node.get("exclusiveMaximum") is True else high, 1
            )
        else:
            value = 1
        return int(value) if integer else float(value)


def contains_file(value: Any) -> bool:
    if isinstance(value, FileValue):
        return True
    if isinstance(value, list):
        return any(contains_file(v) for v in value)
    if isinstance(value, Mapping):
        return any(contains_file(v) for v in value.values())
    return False
