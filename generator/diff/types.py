"""Type trees compared structurally: which values a type admits, and enum deltas.

`accepts(wide, narrow)`: every value of `narrow` is a value of `wide`. An argument's type
may grow (callers' values stay valid) and a result's may shrink (what callers handle
stays handled); the opposite breaks someone. Classes compare by name: a class whose
fields changed is reported on the class itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from typing_extensions import assert_never

from .. import ir
from ..render.typetext import Side as TypeSide
from ..render.typetext import type_text

# which way a value travels: to the API (arguments), from it (results), or both
Side = Literal["request", "response", "both"]


def plain(node: ir.TypeNode) -> ir.TypeNode:
    """`node` without what does not change a type a user writes: union names (aliases)
    and discriminators; a one-member union is that member."""
    if isinstance(node, ir.ListOf):
        return ir.ListOf(plain(node.item))
    if isinstance(node, ir.MapOf):
        return ir.MapOf(plain(node.value))
    if isinstance(node, ir.UnionOf):
        members = tuple(plain(m) for m in node.members)
        return members[0] if len(members) == 1 else ir.UnionOf(members)
    return node


def accepts(wide: ir.TypeNode, narrow: ir.TypeNode) -> bool:
    if wide == narrow or isinstance(wide, ir.AnyValue):
        return True
    if isinstance(narrow, ir.UnionOf):
        return all(accepts(wide, m) for m in narrow.members)
    if isinstance(wide, ir.UnionOf):
        if isinstance(narrow, ir.LiteralOf):  # values may spread over members
            return all(
                any(accepts(m, ir.LiteralOf((v,))) for m in wide.members)
                for v in narrow.values
            )
        return any(accepts(m, narrow) for m in wide.members)
    if isinstance(wide, ir.Scalar):
        if isinstance(narrow, ir.Scalar):
            return wide.name == narrow.name or (
                wide.name == "float" and narrow.name == "int"
            )
        if isinstance(narrow, ir.LiteralOf):
            return all(_scalar_of(v) in _widenings(wide.name) for v in narrow.values)
        return False
    if isinstance(wide, ir.LiteralOf):
        return isinstance(narrow, ir.LiteralOf) and all(
            _has(wide.values, v) for v in narrow.values
        )
    if isinstance(wide, ir.ListOf):
        return isinstance(narrow, ir.ListOf) and accepts(wide.item, narrow.item)
    if isinstance(wide, ir.MapOf):
        return isinstance(narrow, ir.MapOf) and accepts(wide.value, narrow.value)
    if isinstance(wide, (ir.NoneValue, ir.ModelRef, ir.ParamsRef, ir.FileInput)):
        return False  # equal ones returned above
    assert_never(wide)


def _scalar_of(value: ir.LiteralValue) -> str:
    if isinstance(value, bool):
        return "bool"
    return "int" if isinstance(value, int) else "str"


def _widenings(name: str) -> tuple[str, ...]:
    return ("int",) if name == "float" else (name,)


def _has(values: tuple[ir.LiteralValue, ...], value: ir.LiteralValue) -> bool:
    # `True == 1` in Python: compare kinds too
    return any(v == value and type(v) is type(value) for v in values)


@dataclass(frozen=True, slots=True)
class EnumDelta:
    added: tuple[ir.LiteralValue, ...]
    removed: tuple[ir.LiteralValue, ...]


def enum_delta(old: ir.TypeNode, new: ir.TypeNode) -> EnumDelta | None:
    """When `old` and `new` differ only in literal values (same shape otherwise): the
    values added and removed, in the spec's order. None for any other change."""
    if _shape(old) != _shape(new):
        return None
    before, after = _literals(old), _literals(new)
    return EnumDelta(
        added=tuple(v for v in after if not _has(before, v)),
        removed=tuple(v for v in before if not _has(after, v)),
    )


def _shape(node: ir.TypeNode) -> ir.TypeNode:
    if isinstance(node, ir.LiteralOf):
        return ir.LiteralOf(())
    if isinstance(node, ir.ListOf):
        return ir.ListOf(_shape(node.item))
    if isinstance(node, ir.MapOf):
        return ir.MapOf(_shape(node.value))
    if isinstance(node, ir.UnionOf):
        return ir.UnionOf(tuple(_shape(m) for m in node.members))
    return node


def _literals(node: ir.TypeNode) -> tuple[ir.LiteralValue, ...]:
    found: list[ir.LiteralValue] = []

    def walk(n: ir.TypeNode) -> None:
        if isinstance(n, ir.LiteralOf):
            found.extend(v for v in n.values if not _has(tuple(found), v))
        elif isinstance(n, ir.ListOf):
            walk(n.item)
        elif isinstance(n, ir.MapOf):
            walk(n.value)
        elif isinstance(n, ir.UnionOf):
            for member in n.members:
                walk(member)

    walk(node)
    return tuple(found)


def names_in(node: ir.TypeNode) -> list[tuple[str, str]]:
    """The classes a type names: ("model" | "params", name), in order."""
    if isinstance(node, ir.ModelRef):
        return [("model", node.name)]
    if isinstance(node, ir.ParamsRef):
        return [("params", node.name)]
    if isinstance(node, ir.ListOf):
        return names_in(node.item)
    if isinstance(node, ir.MapOf):
        return names_in(node.value)
    if isinstance(node, ir.UnionOf):
        return [name for member in node.members for name in names_in(member)]
    return []


@dataclass(frozen=True, slots=True)
class TypeChange:
    kind: str
    message: str
    breaking: bool
    old: str
    new: str


def type_change(
    old: ir.TypeNode,
    new: ir.TypeNode,
    side: Side,
    what: Literal["argument", "field", "model"],
) -> TypeChange | None:
    old, new = plain(old), plain(new)
    if old == new:
        return None
    printed: TypeSide = "argument" if what == "argument" else "model"
    before, after = type_text(old, printed), type_text(new, printed)
    narrowed = not accepts(new, old)  # a value valid before is not now
    widened = not accepts(old, new)  # a value possible now was not before
    enums = enum_delta(old, new)
    noun = "argument" if what == "argument" else "field"
    if enums is not None and (enums.added or enums.removed):
        # results: values come and go without breaking readers (see the module doc)
        breaking = side != "response" and narrowed
        return TypeChange(f"{noun}-enum", _enum_message(enums), breaking, before, after)
    breaking = (side != "response" and narrowed) or (side != "request" and widened)
    return TypeChange(
        f"{noun}-type", f"`{before}` -> `{after}`", breaking, before, after
    )


def _enum_message(delta: EnumDelta) -> str:
    parts = []
    if delta.added:
        parts.append("enum values added: " + ", ".join(f"`{v!r}`" for v in delta.added))
    if delta.removed:
        parts.append(
            "enum values removed: " + ", ".join(f"`{v!r}`" for v in delta.removed)
        )
    return "; ".join(parts)


__all__ = [
    "EnumDelta",
    "TypeChange",
    "accepts",
    "enum_delta",
    "names_in",
    "plain",
    "type_change",
]
