"""A request body's shape: its model's structure without the model classes.

Checking a body against its model (`_validation.py`) needs the model classes of the
whole body and pydantic's schema generation for them, tens of milliseconds on a first
call. The generator prints each JSON body's shape beside its operation (encoding in
`oapigen`'s `render/shapes.py`), and a body that fits it is sent without building
that check. A shape is as strict as the check or stricter (strict scalars, exact dicts
with only their declared members, tagged unions by tag), so it never lets through what
the check would stop: a body that does not fit it goes to the model's check, which
accepts it or says what is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pydantic_core

__all__ = ["BodyShape"]

_SCALARS = frozenset({"str", "int", "float", "bool"})


class BodyShape:
    """`BodyShape("Thing", "[`Thing`,`object`,[...]]", ...)`: the texts of the body's
    model and of every model it reaches, compiled on first use."""

    __slots__ = ("model", "texts", "_validator")

    def __init__(self, model: str, *texts: str) -> None:
        self.model = model
        self.texts = texts
        # None: not compiled yet; False: this pydantic-core cannot run it
        self._validator: pydantic_core.SchemaValidator | bool | None = None

    def fits(self, members: Mapping[str, object]) -> bool:
        """True when `members` (wire names -> values) surely pass the model's check;
        False when only that check can tell."""
        validator = self._validator
        if validator is None:
            validator = self._validator = _compile(self.model, self.texts)
        if isinstance(validator, bool):
            return False
        try:
            validator.validate_python(members)
        except pydantic_core.ValidationError:
            return False
        return True

    def __repr__(self) -> str:
        return f"BodyShape({self.model!r}, {len(self.texts)} models)"


def _compile(
    model: str, texts: tuple[str, ...]
) -> pydantic_core.SchemaValidator | bool:
    try:
        definitions = [_definition(json.loads(_json(text))) for text in texts]
        schema: Any = {
            "type": "definitions",
            "schema": {"type": "definition-ref", "schema_ref": model},
            "definitions": definitions,
        }
        return pydantic_core.SchemaValidator(schema)
    except Exception:  # noqa: BLE001 - a schema this pydantic-core does not take
        return False


def _json(text: str) -> str:
    """The JSON text of a model's shape, printed without quotes: a backquote stands
    for `"`, and %60, %27, %5C, %25 for a backquote, `'`, a backslash and `%`."""
    text = text.replace("`", '"')
    if "%" in text:
        for escaped, char in _ESCAPES:
            text = text.replace(escaped, char)
    return text


# %25 last: a `%` it restores cannot start another escape.
_ESCAPES = (("%60", "`"), ("%27", "'"), ("%5C", "\\"), ("%25", "%"))


def _definition(entry: list[Any]) -> dict[str, Any]:
    name, kind, body = entry
    if kind == "object":
        fields = {
            wire: {"type": "typed-dict-field", "schema": _type(node), "required": req}
            for wire, req, node in body
        }
        return {
            "type": "typed-dict",
            "fields": fields,
            "extra_behavior": "forbid",
            "strict": True,  # a dict, not any mapping
            "ref": name,
        }
    if kind != "type":
        raise ValueError(f"unknown model kind {kind!r}")
    return {**_type(body), "ref": name}


def _type(node: Any) -> dict[str, Any]:
    if isinstance(node, str):
        if node in _SCALARS:
            return {"type": node, "strict": True}
        if node in ("any", "none"):
            return {"type": node}
        raise ValueError(f"unknown type {node!r}")
    kind = node[0]
    if kind == "lit":
        values = node[1]
        if len(values) == 1:  # a tag: exact
            return {"type": "literal", "expected": values}
        # the model's check widens a literal of several values to its base type
        if all(isinstance(value, str) for value in values):
            return {"type": "str", "strict": True}
        if all(type(value) is int for value in values):
            return {"type": "int", "strict": True}
        return {"type": "any"}
    if kind == "list":
        return {"type": "list", "items_schema": _type(node[1])}
    if kind == "map":
        return {
            "type": "dict",
            "keys_schema": {"type": "str", "strict": True},
            "values_schema": _type(node[1]),
        }
    if kind == "model":
        return {"type": "definition-ref", "schema_ref": node[1]}
    if kind == "union":
        return {"type": "union", "choices": [_type(member) for member in node[1]]}
    if kind == "tagged":
        return {
            "type": "tagged-union",
            "discriminator": node[1],
            "choices": {value: _type(member) for value, member in node[2]},
        }
    raise ValueError(f"unknown type {kind!r}")
