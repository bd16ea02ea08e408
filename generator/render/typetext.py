"""Type trees as readers see them: plain Python type expressions for prose (reference
docs, the API changelog), not for code.

`types.TypePrinter` prints what a generated module compiles (module prefixes, imports,
`Annotated` discriminators); here a type reads as a user writes it: `list[Message]`,
`Sequence[str] | None`, model names bare or turned into links by the caller.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from typing_extensions import assert_never

from .. import ir

Side = Literal["argument", "model"]
NameKind = Literal["model", "params"]
Namer = Callable[[NameKind, str], str]


def _bare(kind: NameKind, name: str) -> str:
    return name


def type_text(node: ir.TypeNode, side: Side = "model", name: Namer = _bare) -> str:
    """`side` "argument" spells what a caller passes (`Sequence`, `Mapping`, `object`),
    "model" what a model holds (`list`, `dict`, `Any`); `name` prints class names."""
    if isinstance(node, ir.Scalar):
        return node.name
    if isinstance(node, ir.AnyValue):
        return "object" if side == "argument" else "Any"
    if isinstance(node, ir.NoneValue):
        return "None"
    if isinstance(node, ir.LiteralOf):
        return "Literal[" + ", ".join(repr(v) for v in node.values) + "]"
    if isinstance(node, ir.ListOf):
        outer = "Sequence" if side == "argument" else "list"
        return f"{outer}[{type_text(node.item, side, name)}]"
    if isinstance(node, ir.MapOf):
        outer = "Mapping" if side == "argument" else "dict"
        return f"{outer}[str, {type_text(node.value, side, name)}]"
    if isinstance(node, ir.UnionOf):
        return " | ".join(type_text(m, side, name) for m in node.members)
    if isinstance(node, ir.ModelRef):
        return name("model", node.name)
    if isinstance(node, ir.ParamsRef):
        return name("params", node.name)
    if isinstance(node, ir.FileInput):
        return "FileInput"
    assert_never(node)


def result_text(
    response: ir.Response, stream: ir.StreamMode, name: Namer = _bare
) -> str:
    """What a method returns, as its annotation reads (sync flavour)."""
    kind = response.kind
    if kind == "json" or kind == "sse":
        if response.model:
            result = name("model", response.model)
        elif response.type is not None:
            result = type_text(response.type, "model", name)
        else:
            result = "object"
    elif kind == "text":
        result = "str"
    elif kind == "binary":
        result = "BinaryResponse"
    elif kind == "empty":
        result = "None"
    else:
        assert_never(kind)
    chunk = name("model", response.stream_chunk) if response.stream_chunk else None
    if response.events:  # typed events: the envelope models, unknown events untyped
        models = sorted({name("model", model) for _, model in response.events})
        chunk = " | ".join([*models, "ServerSentEvent"])
    streamed = f"Stream[{chunk or 'ServerSentEvent'}]"
    if stream == "always":
        return streamed
    if stream == "flag":
        return f"{result} | {streamed}"
    return result


__all__ = ["NameKind", "Namer", "Side", "result_text", "type_text"]
