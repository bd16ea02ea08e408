"""Resource methods: signatures, docstrings and the one runtime call of each method.

A method is a signature, a docstring and one call (`request`, `request_stream`,
`request_or_stream` or `paginate`) that passes the arguments once. Operations with a
`stream` flag get overloads (`Literal[False]` -> the result, `Literal[True]` -> a stream,
`bool` -> either), so mypy types the result of each call.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from typing_extensions import assert_never

from .. import ir
from ..emit.selective import line_width
from ..naming import Scope, pascal
from ..planner.params import params_names
from .imports import Imports
from .shapes import ShapeView, body_shape
from .text import LINE_LENGTH, block_docstring, docstring, py_literal, wrap_words
from .types import TypePrinter, mentions_package_types

METHOD_INDENT = 8
ALIAS_MIN_LENGTH = 48
TIMEOUT_HINT = "float | httpx.Timeout | None | _rt.NotGiven"
NOT_GIVEN = "_rt.NOT_GIVEN"
_FALSE = ir.LiteralOf((False,))
_TRUE = ir.LiteralOf((True,))


@dataclass(frozen=True, slots=True)
class Signature:
    params: tuple[str, ...]  # "name: hint = default", "*"
    returns: str


@dataclass(frozen=True, slots=True)
class Call:
    method: str  # "request" | "request_stream" | "request_or_stream" | "paginate"
    arguments: tuple[str, ...]  # positional
    keywords: tuple[tuple[str, str], ...]  # keyword -> expression


@dataclass(frozen=True, slots=True)
class EventStreamView:
    """A typed event stream of a resource module: the type of its items (`alias`, a
    string, so no model is imported before use while `typing.get_type_hints` still
    resolves it) and the runtime `EventModels` constant (`constant`) naming each
    event's model lazily."""

    alias: str
    members: tuple[str, ...]  # the events' models, and ServerSentEvent for unknown ones
    constant: str
    events: tuple[tuple[str, str], ...]  # (event name, model class)


@dataclass(frozen=True, slots=True)
class MethodView:
    name: str
    overloads: tuple[Signature, ...]
    signature: Signature
    call: Call
    doc: str
    awaits: bool  # an `async def` returning `await ...` (not the async `_iter` methods)
    warns_deprecated: bool


class ResourceSurface:
    """The methods of one resource module, for one flavour (sync or async), and the
    imports and type aliases they share."""

    def __init__(
        self,
        resource: ir.Resource,
        imports: Imports,
        models: Mapping[str, ir.Model] | None = None,
    ) -> None:
        self.resource = resource
        self.imports = imports
        self._models = models or {}
        self.printer = TypePrinter("resource", imports, model_modules={})
        self.results = TypePrinter("result", imports, model_modules={})
        self.aliases: dict[str, str] = {}  # type expression -> alias name
        self._alias_names = Scope("class")
        arguments = [(op, p) for op in resource.operations for p in _arguments(op)]
        self.uses_params = any(params_names(p.type) for _, p in arguments)
        for op, param in arguments:
            self._alias(op, param)
        # model class -> module constant `ModelRef(_models, "X")`: the runtime calls
        # name models by these, so the async client imports them off the event loop
        self.refs: dict[str, str] = {}
        # body model class -> (constant, shape): its ref carries the shape
        self.shapes: dict[str, tuple[str, ShapeView]] = {}
        self.event_streams: dict[tuple[tuple[str, str], ...], EventStreamView] = {}
        for op in resource.operations:
            if op.stream != "never" and op.response.events:
                self._event_stream(op)

    def _event_stream(self, op: ir.Operation) -> None:
        """One alias and one constant per distinct event map (operations that stream
        the same events share them)."""
        events = op.response.events
        if events in self.event_streams:
            return
        self.imports.name("typing", "TypeAlias")
        members = sorted({f"_models.{model}" for _, model in events})
        # Named after the union's own model (`AssistantStreamEvent`) when it has one.
        wish = op.response.stream_chunk or pascal(op.method_name) + "Event"
        self.event_streams[events] = EventStreamView(
            alias="_" + self._alias_names.claim(wish),
            members=(*members, "_rt.ServerSentEvent"),
            constant="_" + self._alias_names.claim(wish + "Models"),
            events=events,
        )

    def _alias(self, op: ir.Operation, param: ir.Parameter) -> None:
        """Long argument types that name no model are named once per module (they are
        repeated in every overload and in both flavours)."""
        if mentions_package_types(param.type):
            return
        text = self.printer.expr(param.type)
        if len(text) >= ALIAS_MIN_LENGTH and text not in self.aliases:
            wish = pascal(op.method_name) + pascal(param.name)
            self.aliases[text] = "_" + self._alias_names.claim(wish)

    def ref(self, model: str) -> str:
        """The constant naming `model` lazily (declared once per module)."""
        name = self.refs.get(model)
        if name is None:
            name = self.refs[model] = "_" + self._alias_names.claim(model + "Ref")
        return name

    def body_ref(self, op: ir.Operation, model: str) -> str:
        """The ref of a body model; a JSON body's carries its shape (`shapes.py`)."""
        assert op.body is not None
        if op.body.kind == "json" and model not in self.shapes:
            shape = body_shape(model, self._models)
            if shape is not None:
                constant = "_" + self._alias_names.claim(model + "Shape")
                self.shapes[model] = (constant, shape)
        return self.ref(model)

    def hint(self, node: ir.TypeNode) -> str:
        text = self.printer.expr(node)
        return self.aliases.get(text, text)

    def methods(self, is_async: bool) -> list[MethodView]:
        views = []
        for op in self.resource.operations:
            views.append(self.method(op, is_async))
            if op.pagination is not None:
                views.append(self.iter_method(op, op.pagination, is_async))
        return views

    # -- one method ------------------------------------------------------------------

    def params(
        self, op: ir.Operation, stream: ir.TypeNode | None = None
    ) -> tuple[str, ...]:
        """The parameter list; `stream` replaces the type of the stream flag."""
        out = [f"{p.name}: {self.hint(p.type)}" for p in op.path_params]
        out.append("*")
        keyword = list(op.keyword_params)
        body = op.body if op.body is not None and not op.body.flattened else None

        def entry(p: ir.Parameter, required: bool) -> str:
            node = (
                stream if stream is not None and p.name == op.stream_param else p.type
            )
            hint = self.hint(node)
            if required or (node == _TRUE and p.name == op.stream_param):
                return f"{p.name}: {hint}"
            return f"{p.name}: {hint} | _rt.NotGiven = {NOT_GIVEN}"

        out += [entry(p, True) for p in keyword if p.required]
        if body is not None and body.required:
            out.append(f"body: {self.hint(body.type)}")
        out += [entry(p, False) for p in keyword if not p.required]
        if body is not None and not body.required:
            out.append(f"body: {self.hint(body.type)} | _rt.NotGiven = {NOT_GIVEN}")
        self.imports.name("collections.abc", "Mapping")
        out += [
            "extra_headers: Mapping[str, str] | None = None",
            "extra_query: Mapping[str, object] | None = None",
            "extra_body: Mapping[str, object] | None = None",
            f"timeout: {TIMEOUT_HINT} = {NOT_GIVEN}",
        ]
        return tuple(out)

    def result(self, op: ir.Operation, is_async: bool) -> tuple[str, str]:
        """(runtime class, annotation) of the result when it is not streamed."""
        kind = op.response.kind
        if kind == "json" or kind == "sse":
            model = op.response.model
            if model is not None:
                return self.ref(model), f"_models.{model}"
            if op.response.type is not None:
                # the value type itself; mypy infers a union (`_models.A | _models.B`)
                # or a Literal as the result only through a ModelRef cast
                text = self.results.expr(op.response.type)
                if not isinstance(op.response.type, (ir.UnionOf, ir.LiteralOf)):
                    return text, text
                self.imports.name("typing", "cast")
                return f"cast(_rt.ModelRef[{text}], {text})", text
            return "object", "object"
        if kind == "text":
            return "str", "str"
        if kind == "binary":
            name = "_rt.AsyncBinaryResponse" if is_async else "_rt.BinaryResponse"
            return name, name
        if kind == "empty":
            return "_rt.NoneType", "None"
        assert_never(kind)

    def chunk(self, op: ir.Operation) -> str:
        """The chunk type argument of the runtime call."""
        typed = self.event_streams.get(op.response.events)
        if typed is not None:
            return typed.constant
        chunk = op.response.stream_chunk
        return self.ref(chunk) if chunk else "_rt.ServerSentEvent"

    def chunk_annotation(self, op: ir.Operation) -> str:
        typed = self.event_streams.get(op.response.events)
        if typed is not None:
            return typed.alias
        chunk = op.response.stream_chunk
        return f"_models.{chunk}" if chunk else "_rt.ServerSentEvent"

    def method(self, op: ir.Operation, is_async: bool) -> MethodView:
        runtime_cls, annotation = self.result(op, is_async)
        stream_type = (
            f"{'_rt.AsyncStream' if is_async else '_rt.Stream'}"
            f"[{self.chunk_annotation(op)}]"
        )
        overloads: tuple[Signature, ...] = ()
        keywords = self.call_keywords(op)
        mode = op.stream
        if mode == "always":
            signature = Signature(self.params(op), stream_type)
            call = Call("request_stream", (op.const_name, self.chunk(op)), keywords)
        elif mode == "flag":
            flag = next(p for p in op.keyword_params if p.name == op.stream_param)
            # None only where the flag's own type takes it (the implementation's type)
            nullable = _allows_none(flag.type)
            none: tuple[ir.TypeNode, ...] = (ir.NoneValue(),) if nullable else ()
            overloads = (
                Signature(self.params(op, _union(_FALSE, *none)), annotation),
                Signature(self.params(op, _TRUE), stream_type),
                Signature(
                    self.params(op, _union(ir.Scalar("bool"), *none)),
                    f"{annotation} | {stream_type}",
                ),
            )
            self.imports.name("typing", "overload")
            signature = Signature(self.params(op), f"{annotation} | {stream_type}")
            call = Call(
                "request_or_stream",
                (op.const_name, runtime_cls, self.chunk(op), f"{flag.name} is True"),
                keywords,
            )
        elif mode == "never":
            signature = Signature(self.params(op), annotation)
            call = Call("request", (op.const_name, runtime_cls), keywords)
        else:
            assert_never(mode)
        if op.deprecated:
            self.imports.module("warnings")
        return MethodView(
            name=op.method_name,
            overloads=overloads,
            signature=signature,
            call=call,
            doc=block_docstring(method_doc(op), METHOD_INDENT),
            awaits=is_async,
            warns_deprecated=op.deprecated,
        )

    def iter_method(
        self, op: ir.Operation, page: ir.Pagination, is_async: bool
    ) -> MethodView:
        item = f"_models.{page.item_type}"
        keywords = self.call_keywords(op)
        if page.items_field != "data":
            keywords += (("items_field", py_literal(page.items_field)),)
        if page.cursor_param != "after":
            keywords += (("cursor_param", py_literal(page.cursor_param)),)
        iterator = "AsyncIterator" if is_async else "Iterator"
        self.imports.name("collections.abc", "Iterator")
        self.imports.name("collections.abc", "AsyncIterator")
        text = f"Iterate over every item of {op.method_name}, fetching pages as needed."
        return MethodView(
            name=page.method_name,
            overloads=(),
            signature=Signature(self.params(op), f"{iterator}[{item}]"),
            call=Call(
                "paginate",
                (
                    op.const_name,
                    self.ref(op.response.model or ""),
                    self.ref(page.item_type),
                ),
                keywords,
            ),
            doc=block_docstring(text, METHOD_INDENT),
            awaits=False,
            warns_deprecated=False,
        )

    def call_keywords(self, op: ir.Operation) -> tuple[tuple[str, str], ...]:
        def pairs(params: tuple[ir.Parameter, ...]) -> list[str]:
            return [f"{py_literal(p.wire_name)}: {p.name}" for p in params]

        found: list[tuple[str, str]] = []
        if op.path_params:
            found.append(_keyword("path_params", pairs(op.path_params)))
        if op.query_params:
            found.append(_keyword("query", pairs(op.query_params)))
        if op.header_params or op.constant_headers:
            headers = [
                f"{py_literal(wire)}: {py_literal(value)}"
                for wire, value in op.constant_headers
            ]
            found.append(_keyword("headers", headers + pairs(op.header_params)))
        if op.body is not None:
            if op.body.flattened:
                found.append(_keyword("body", pairs(op.body.params)))
            else:
                found.append(("body", "body"))
            if op.body.model:
                found.append(("body_model", self.body_ref(op, op.body.model)))
        found += [
            ("extra_headers", "extra_headers"),
            ("extra_query", "extra_query"),
            ("extra_body", "extra_body"),
            ("timeout", "timeout"),
        ]
        return tuple(found)


# The keywords of the client call in a method body: `            key=value,`.
CALL_KEYWORD_INDENT = METHOD_INDENT + 4


def _keyword(key: str, pairs: list[str]) -> tuple[str, str]:
    """`key` and a dict of `pairs`, on one line where it fits, else one pair per line
    with a trailing comma: black's layout, so black has nothing to change."""
    flat = "{" + ", ".join(pairs) + "}"
    if CALL_KEYWORD_INDENT + len(key) + len(flat) + 2 <= LINE_LENGTH:
        return key, flat
    inner = " " * (CALL_KEYWORD_INDENT + 4)
    lines = "".join(f"{inner}{pair},\n" for pair in pairs)
    return key, "{\n" + lines + " " * CALL_KEYWORD_INDENT + "}"


def _arguments(op: ir.Operation) -> list[ir.Parameter]:
    found = [*op.path_params, *op.keyword_params]
    if op.body is not None and not op.body.flattened:
        found.append(
            ir.Parameter("body", "body", "body", op.body.type, op.body.required)
        )
    return found


def _union(*members: ir.TypeNode) -> ir.TypeNode:
    return members[0] if len(members) == 1 else ir.UnionOf(tuple(members))


def _allows_none(node: ir.TypeNode) -> bool:
    return isinstance(node, ir.NoneValue) or (
        isinstance(node, ir.UnionOf) and ir.NoneValue() in node.members
    )


def method_doc(op: ir.Operation) -> str:
    """Summary, description, deprecation, documented arguments and where it goes."""
    parts = []
    if op.summary:
        parts.append(op.summary)
    if op.description and op.description != op.summary:
        parts.append(op.description)
    if op.deprecated:
        parts.append(
            "Deprecated: this operation is marked deprecated in the API description."
        )
    documented = [p for p in (*op.path_params, *op.keyword_params) if p.description]
    if documented:
        lines = ["Args:"]
        width = LINE_LENGTH - METHOD_INDENT - 3  # as block_docstring wraps
        for p in documented:
            note = " (deprecated)" if p.deprecated else ""
            first, *rest = p.description.split("\n")
            lines += wrap_words(f"{p.name}{note}: {first}", width, "  ", "      ") or [
                f"  {p.name}{note}:"
            ]
            lines += [f"      {line}" if line.strip() else "" for line in rest]
        parts.append("\n".join(lines))
    for wire, value in op.constant_headers:
        parts.append(f"Sends the header `{wire}: {value}`.")
    parts.append(f"`{op.source}` (operationId `{op.operation_id}`).")
    return "\n\n".join(parts)


def query_style(param: ir.Parameter) -> str:
    """How the runtime spells a query parameter's style (`form:noexplode`...)."""
    style = param.style
    if style == "form":
        return "form" if param.explode else "form:noexplode"
    if style == "spaceDelimited" or style == "pipeDelimited":
        return style
    if style == "deepObject":
        return style
    assert_never(style)


def operation_statement(op: ir.Operation) -> str:
    """`<its constant> = _rt.Operation(...)`: the runtime's record of one operation."""
    args = [
        f"name={py_literal(op.operation_id)}",
        f"method={py_literal(op.http_method)}",
        f"path={py_literal(op.path)}",
    ]
    if op.body is not None:
        args.append(f"body={py_literal(op.body.kind)}")
    if op.response.kind != "json":
        args.append(f"response={py_literal(op.response.kind)}")
    if op.deprecated:
        args.append("deprecated=True")
    if op.body is not None and op.body.file_fields:
        fields = py_literal(tuple(sorted(op.body.file_fields)))
        args.append(f"file_fields=frozenset({fields})")
    styles = {p.wire_name: query_style(p) for p in op.query_params}
    styles = {name: style for name, style in styles.items() if style != "form"}
    if styles:
        args.append(f"query_styles={py_literal(styles)}")
    if op.stream != "never" and op.stream_end is not None:
        args.append(f"stream_end={py_literal(op.stream_end)}")
    return _assigned_call(op.const_name, "_rt.Operation", args)


def _assigned_call(target: str, function: str, args: list[str]) -> str:
    """`target = function(args)` laid out as black lays it out: on one line where it
    fits, else the arguments on one line of their own, else one per line with a
    trailing comma (a right-hand split), so that black has nothing to change. A
    layout this does not know (a head too long) stays one line, for black."""
    head = f"{target} = {function}("
    flat = ", ".join(args)
    if line_width(head + flat + ")") <= LINE_LENGTH or line_width(head) > LINE_LENGTH:
        return head + flat + ")"
    if 4 + line_width(flat) <= LINE_LENGTH:
        return f"{head}\n    {flat}\n)"
    return head + "\n" + "".join(f"    {arg},\n" for arg in args) + ")"


__all__ = [
    "EventStreamView",
    "MethodView",
    "ResourceSurface",
    "docstring",
    "operation_statement",
]
