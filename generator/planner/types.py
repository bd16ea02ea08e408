"""Python type expressions for request arguments, computed from schemas.

Arguments accept what a user naturally has: a model instance or a plain mapping for an object,
any sequence for an array, the literal values of a closed enum. The request body is validated
against its model at call time, so these hints are for the user's type checker; they only
need to be right, not exhaustive.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

_PRIMITIVES = {"string": "str", "integer": "int", "number": "float", "boolean": "bool"}
ANY_OBJECT = "Mapping[str, object]"


class TypeHints:
    """Turns schema nodes of the bundled document into type expressions.

    `model_of` maps a component pointer (`#/components/schemas/Foo`) to the generated class name
    when the component is an object model; `resolve` follows a local `$ref`.
    """

    def __init__(
        self,
        resolve: Callable[[str], Any],
        model_of: Mapping[str, str],
        models_alias: str = "_models",
        file_type: str = "_rt.FileInput",
    ) -> None:
        self._resolve = resolve
        self._model_of = model_of
        self._models = models_alias
        self._file_type = file_type

    def hint(self, schema: Any, *, files: bool = False) -> str:
        return self._hint(schema, files, frozenset())

    def _hint(self, schema: Any, files: bool, seen: frozenset[str]) -> str:
        if not isinstance(schema, Mapping):
            return "object"
        nullable = bool(schema.get("nullable"))
        ref = schema.get("$ref")
        if isinstance(ref, str):
            text = self._ref_hint(ref, files, seen)
        else:
            text = self._inline_hint(schema, files, seen)
        return _union([text, "None"]) if nullable else text

    def _ref_hint(self, ref: str, files: bool, seen: frozenset[str]) -> str:
        if ref in seen:
            return self._model_or_object(ref)
        target = self._resolve(ref)
        if ref in self._model_of and _is_object_model(target):
            return _union([f"{self._models}.{self._model_of[ref]}", ANY_OBJECT])
        return self._hint(target, files, seen | {ref})

    def _model_or_object(self, ref: str) -> str:
        if ref in self._model_of:
            return _union([f"{self._models}.{self._model_of[ref]}", ANY_OBJECT])
        return "object"

    def _inline_hint(
        self, schema: Mapping[str, Any], files: bool, seen: frozenset[str]
    ) -> str:
        for key in ("oneOf", "anyOf"):
            variants = schema.get(key)
            if isinstance(variants, list) and variants:
                return _union([self._hint(v, files, seen) for v in variants])
        parts = schema.get("allOf")
        if isinstance(parts, list) and parts:
            if len(parts) == 1:
                return self._hint(parts[0], files, seen)
            return ANY_OBJECT
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            values = [v for v in enum if v is not None]
            literal = "Literal[" + ", ".join(repr(v) for v in values) + "]"
            if not values:
                return "None"
            return _union([literal, "None"]) if None in enum else literal
        kind = schema.get("type")
        if kind == "string" and schema.get("format") == "binary":
            return self._file_type if files else "bytes"
        if kind in _PRIMITIVES:
            return "float" if kind == "number" else _PRIMITIVES[kind]
        if kind == "array":
            item = self._hint(schema.get("items", {}), files, seen)
            return f"Sequence[{item}]"
        if (
            kind == "object"
            or "properties" in schema
            or "additionalProperties" in schema
        ):
            extra = schema.get("additionalProperties")
            if isinstance(extra, Mapping) and extra and "properties" not in schema:
                return f"Mapping[str, {self._hint(extra, files, seen)}]"
            return ANY_OBJECT
        return "object"


def _is_object_model(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if any(k in schema for k in ("oneOf", "anyOf", "enum")):
        return False
    if schema.get("type") == "object" or "properties" in schema:
        return True
    return "allOf" in schema


def _union(members: list[str]) -> str:
    flat: list[str] = []
    for member in members:
        for part in _split_union(member):
            if part not in flat:
                flat.append(part)
    if "object" in flat:
        return "object"
    # Models first, plain mappings after them, None last: `Foo | Mapping[str, object] | None`.
    tail = [p for p in (ANY_OBJECT, "None") if p in flat]
    return " | ".join([p for p in flat if p not in tail] + tail)


def _split_union(text: str) -> list[str]:
    """Split a union expression at its top level (not inside brackets)."""
    parts, depth, start, quote = [], 0, 0, ""
    for i, ch in enumerate(text):
        if quote:
            if ch == quote and text[i - 1] != "\\":
                quote = ""
        elif ch in "'\"":
            quote = ch
        elif ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append(text[start:i].strip())
            start = i + 1
    parts.append(text[start:].strip())
    return parts
