"""Request body shapes: the structure of a JSON body's model, printed beside the call.

The runtime checks a body against its model before sending it (`_validation.py`), and
building that check takes the model classes of the whole body (a chat completion has
about thirty) and pydantic's schema generation for them: most of a first call's cost.
A shape says the same structure without the classes (`_shape.py` turns it into a
validator directly), so a body that fits it is sent at once; one that does not fit is
judged by the model's own check, which says what is wrong.

A shape must therefore never accept what the model's check rejects; it may reject more
(then the model decides). So it is as strict as the check or stricter: scalars strict,
objects exact dicts with only their declared members, every required member present,
tagged unions by their tag; multi-value literals widen to their base type as the check
widens them. A body that names anything a shape cannot say as strictly (dates, bytes,
files) gets no shape, and every call is checked by its model.

Encoding (JSON, one text per model, spelled without quotes: `_quote_free`; read by
`_shape.py`): a type is `"str"`, `"int"`,
`"float"`, `"bool"`, `"any"`, `"none"`, `["lit", [values]]`, `["list", T]`,
`["map", T]`, `["union", [T, ...]]`, `["tagged", tag, [[value, T], ...]]` or
`["model", name]`; a model is `[name, "object", [[wire name, required, T], ...]]` (its
bases' fields included) or `[name, "type", T]` (a root model, an alias).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import ir

_SCALARS = frozenset({"str", "int", "float", "bool"})


class _Unsupported(Exception):
    """A type a shape cannot state as strictly as the model's check."""


@dataclass(frozen=True, slots=True)
class ShapeView:
    model: str  # the body's model class
    texts: tuple[str, ...]  # one JSON text per model it reaches, the body's first


def body_shape(model: str, models: Mapping[str, ir.Model]) -> ShapeView | None:
    """The shape of the body model `model` and of every model it reaches, or None
    when one of them holds a type a shape cannot say."""
    writer = _Writer(models)
    try:
        writer.model(model)
    except _Unsupported:
        return None
    texts = tuple(
        _quote_free(json.dumps(entry, ensure_ascii=False, separators=(",", ":")))
        for entry in writer.entries
    )
    return ShapeView(model, texts)


def _quote_free(text: str) -> str:
    """JSON text spelled without quotes or backslashes (JSON's `"` as a backquote;
    `%`, a backquote, `'` and `\\` as %XX), so that its Python string literal is one
    black keeps as printed (no quote to choose, no escape to respell): the pipeline's
    selective formatting then leaves it alone. `_shape.py` reverses it."""
    for char, escaped in _ESCAPES:
        text = text.replace(char, escaped)
    return text.replace('"', "`")


# `%` first: every `%` in the result then starts one of these escapes.
_ESCAPES = (("%", "%25"), ("`", "%60"), ("'", "%27"), ("\\", "%5C"))


class _Writer:
    def __init__(self, models: Mapping[str, ir.Model]) -> None:
        self.models = models
        self.entries: list[list[Any]] = []
        self.seen: set[str] = set()
        self.pending: list[str] = []

    def model(self, top: str) -> None:
        self.pending.append(top)
        self.seen.add(top)
        while self.pending:  # breadth first, in the order the fields name them
            self.entries.append(self._entry(self.pending.pop(0)))

    def _entry(self, name: str) -> list[Any]:
        model = self.models.get(name)
        if model is None:
            raise _Unsupported(name)
        if model.kind == "object":
            fields = [
                [item.wire_name, item.required, self.type(item.type)]
                for item in self._fields(model)
            ]
            return [name, "object", fields]
        if model.root is None:
            raise _Unsupported(name)
        return [name, "type", self.type(model.root)]

    def _fields(self, model: ir.Model) -> list[ir.Field]:
        """Own fields and inherited ones (an own field overrides its base's); a base
        unknown, or not an object, could add fields the shape would not hold."""
        chain = ir.lineage(model, self.models)
        if chain[-1].base is not None or any(m.kind != "object" for m in chain):
            raise _Unsupported(model.name)
        return ir.all_fields(model, self.models)

    def type(self, node: ir.TypeNode) -> Any:
        if isinstance(node, ir.Scalar):
            if node.name not in _SCALARS:
                raise _Unsupported(node.name)
            return node.name
        if isinstance(node, ir.AnyValue):
            return "any"
        if isinstance(node, ir.NoneValue):
            return "none"
        if isinstance(node, ir.LiteralOf):
            return ["lit", list(node.values)]
        if isinstance(node, ir.ListOf):
            return ["list", self.type(node.item)]
        if isinstance(node, ir.MapOf):
            return ["map", self.type(node.value)]
        if isinstance(node, ir.ModelRef):
            return ["model", self._ref(node.name)]
        if isinstance(node, ir.UnionOf):
            return self._union(node)
        raise _Unsupported(repr(node))  # params, files: not in a model

    def _ref(self, name: str) -> str:
        if name not in self.seen:
            self.seen.add(name)
            self.pending.append(name)
        return name

    def _union(self, node: ir.UnionOf) -> Any:
        members = [m for m in node.members if not isinstance(m, ir.NoneValue)]
        nullable = len(members) < len(node.members)
        if node.discriminator is None:
            return ["union", [self.type(m) for m in node.members]]
        choices = []
        for member in members:
            if not isinstance(member, ir.ModelRef):
                raise _Unsupported(repr(member))
            value = self._tag(member.name, node.discriminator)
            choices.append([value, ["model", self._ref(member.name)]])
        if len({repr(value) for value, _ in choices}) < len(choices):
            raise _Unsupported("a tag shared by two members")
        tagged = ["tagged", node.discriminator, choices]
        return ["union", [tagged, "none"]] if nullable else tagged

    def _tag(self, name: str, tag: str) -> str | int:
        """The one value of the tag field of class `name`, own or inherited."""
        value = ir.tag_value(name, tag, self.models)
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise _Unsupported(f"{name}.{tag}")
        return value
