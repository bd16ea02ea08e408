"""Mistakes in schemas that the client works around, each reported once where it sits.

- W201: a `default` that does not match its type (`default: inf` on an integer). Defaults
  are the server's business: the client never sends them and models never fill them in,
  so every default is ignored; only a wrong one is worth a warning.
- W202: `required` names a property that is not defined (the model does not require it).
- W602/W603: a `pattern` (JavaScript regex) the models cannot check as written: dropped,
  or checked without a repetition bound too large for pydantic-core (see `patterns`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .context import Context, escape
from .patterns import translate as translate_pattern

_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
_CHILD_MAPS = ("properties", "patternProperties")
_CHILD_LISTS = ("allOf", "oneOf", "anyOf")
_CHILD_SCHEMAS = ("items", "additionalProperties", "not")


def python_pattern(pattern: object) -> str | None:
    """The pattern as the models check it (JavaScript syntax translated, see
    `patterns`), or None when they cannot check it."""
    if not isinstance(pattern, str):
        return None
    return translate_pattern(pattern).pattern


def check_schemas(context: Context, roots: Iterable[tuple[str, Any]]) -> None:
    """Walk every schema below `roots` ((pointer, schema) pairs), refs not followed."""
    for pointer, schema in roots:
        _walk(context, schema, pointer)


def _walk(context: Context, schema: Any, pointer: str) -> None:
    if not isinstance(schema, dict) or isinstance(schema.get("$ref"), str):
        return
    for key in _CHILD_MAPS:
        children = schema.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                _walk(context, child, f"{pointer}/{key}/{escape(str(name))}")
    for key in _CHILD_LISTS:
        children = schema.get(key)
        if isinstance(children, list):
            for index, child in enumerate(children):
                _walk(context, child, f"{pointer}/{key}/{index}")
    for key in _CHILD_SCHEMAS:
        _walk(context, schema.get(key), f"{pointer}/{key}")
    _check_default(context, schema, pointer)
    _check_required(context, schema, pointer)
    if isinstance(schema.get("pattern"), str):
        translated = translate_pattern(schema["pattern"])
        if translated.code:
            context.warn(translated.code, f"{pointer}/pattern", translated.message)


def _check_default(context: Context, schema: Mapping[str, Any], pointer: str) -> None:
    if "default" not in schema:
        return
    value, kind = schema["default"], schema.get("type")
    if value is not None and isinstance(kind, str) and kind in _TYPE_CHECKS:
        if not _TYPE_CHECKS[kind](value):
            context.warn(
                "W201",
                f"{pointer}/default",
                f"default {value!r} is not of type {kind}; ignored",
                "the generated client never sends defaults, so nothing is lost",
            )


def _check_required(context: Context, schema: Mapping[str, Any], pointer: str) -> None:
    required, properties = schema.get("required"), schema.get("properties")
    if not isinstance(required, list) or not isinstance(properties, dict):
        return
    extra = schema.get("additionalProperties", False)
    if extra is not False or any(k in schema for k in ("allOf", "oneOf", "anyOf")):
        return  # the property may come from elsewhere
    for name in required:
        if name not in properties:
            context.warn(
                "W202",
                f"{pointer}/required",
                f"required property {name!r} is not defined in properties; ignored",
            )
