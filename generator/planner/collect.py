"""Paths -> raw operations: the parameters, and which request and response content the
client speaks (JSON first, then multipart, form, raw bytes; JSON or SSE or binary or text
back), before any name or type is decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..naming import snake
from .context import Context, escape, mapping

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BINARY_TYPES = ("application/octet-stream", "application/pdf", "application/zip")
BINARY_PREFIXES = ("audio/", "image/", "video/")
_BODY_RANK: tuple[ir.BodyKind, ...] = ("json", "multipart", "form", "raw")


@dataclass(frozen=True, slots=True)
class SchemaAt:
    """A schema and where it sits (for names, diagnostics and models)."""

    schema: Any
    pointer: str


@dataclass
class RawOperation:
    operation_id: str
    method: str
    path: str
    pointer: str
    node: Mapping[str, Any]
    parameters: list[Mapping[str, Any]]
    resource: str  # tag or first path segment, before naming
    body_kind: ir.BodyKind | None = None
    body: SchemaAt | None = None
    body_required: bool = False
    response_kind: ir.ResponseKind = "empty"
    response: SchemaAt | None = None  # JSON response schema
    events: SchemaAt | None = None  # SSE event schema
    parameter_schemas: dict[tuple[str, str], SchemaAt] = field(default_factory=dict)


def body_kind(media: str) -> ir.BodyKind:
    base = media.split(";")[0].strip().lower()
    if _is_json(base):
        return "json"
    if base == "multipart/form-data":
        return "multipart"
    if base == "application/x-www-form-urlencoded":
        return "form"
    return "raw"


def _is_json(base: str) -> bool:
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _is_binary(base: str) -> bool:
    return base in BINARY_TYPES or base.startswith(BINARY_PREFIXES)


def collect(context: Context) -> list[RawOperation]:
    paths = mapping(context.root.get("paths"))
    found: list[RawOperation] = []
    for path, item in paths.items():
        item = context.deref(item)
        if not isinstance(item, dict):
            continue
        shared = [context.deref(p) for p in item.get("parameters") or ()]
        for method in HTTP_METHODS:
            node = item.get(method)
            if isinstance(node, dict):
                pointer = f"#/paths/{escape(str(path))}/{method}"
                found.append(_raw(context, str(path), method, node, shared, pointer))
    return found


def _raw(
    context: Context,
    path: str,
    method: str,
    node: Mapping[str, Any],
    shared: list[Any],
    pointer: str,
) -> RawOperation:
    operation_id = node.get("operationId")
    if not isinstance(operation_id, str) or not operation_id.strip():
        operation_id = snake(f"{method} {path}")
        context.warn("W301", pointer, f"no operationId; named {operation_id!r}")
    own = [context.deref(p) for p in node.get("parameters") or ()]
    merged: dict[tuple[str, str], Mapping[str, Any]] = {}
    for param in [*shared, *own]:
        if isinstance(param, dict) and "name" in param and "in" in param:
            merged[(str(param["in"]), str(param["name"]))] = param
    tags = node.get("tags")
    if isinstance(tags, list) and tags and isinstance(tags[0], str):
        resource = tags[0]
    else:
        resource = next(
            (seg for seg in path.split("/") if seg and "{" not in seg), "default"
        )
    raw = RawOperation(
        operation_id, method, path, pointer, node, list(merged.values()), resource
    )
    for index, param in enumerate(node.get("parameters") or ()):
        _parameter_schema(context, raw, param, f"{pointer}/parameters/{index}")
    _request_body(context, raw)
    _response(context, raw)
    return raw


def _parameter_schema(
    context: Context, raw: RawOperation, param: Any, pointer: str
) -> None:
    if isinstance(param, dict) and "$ref" not in param:
        schema = param.get("schema")
        key = (str(param.get("in")), str(param.get("name")))
        if isinstance(schema, dict):
            raw.parameter_schemas[key] = SchemaAt(schema, f"{pointer}/schema")


def _request_body(context: Context, raw: RawOperation) -> None:
    body = context.deref(raw.node.get("requestBody"))
    if not isinstance(body, dict):
        return
    choice: tuple[int, ir.BodyKind, str, Any] | None = None
    for media, entry in mapping(body.get("content")).items():
        kind = body_kind(str(media))
        rank = _BODY_RANK.index(kind)
        if choice is None or rank < choice[0]:
            choice = (rank, kind, str(media), entry)
    if choice is None:
        return
    _, kind, media, entry = choice
    raw.body_kind = kind
    raw.body_required = bool(body.get("required"))
    schema = entry.get("schema") if isinstance(entry, dict) else None
    if schema is not None:
        at = f"{raw.pointer}/requestBody/content/{escape(media)}/schema"
        raw.body = SchemaAt(schema, at)


def _response(context: Context, raw: RawOperation) -> None:
    responses = mapping(raw.node.get("responses"))
    codes = sorted(str(c) for c in responses if str(c).startswith("2"))
    code = codes[0] if codes else ("default" if "default" in responses else None)
    if code is None:
        return
    by_text = {str(key): value for key, value in responses.items()}
    response = context.deref(by_text.get(code))
    content = response.get("content") if isinstance(response, dict) else None
    if not isinstance(content, dict) or not content:
        return
    kind: ir.ResponseKind | None = None
    for media, entry in content.items():
        schema = entry.get("schema") if isinstance(entry, dict) else None
        at = f"{raw.pointer}/responses/{code}/content/{escape(str(media))}/schema"
        base = str(media).split(";")[0].strip().lower()
        if base == "text/event-stream":
            raw.events = SchemaAt(schema, at) if schema else None
            kind = kind or "sse"
        elif _is_json(base) and kind in (None, "sse", "text", "binary"):
            kind = "json"
            raw.response = SchemaAt(schema, at) if schema else None
        elif _is_binary(base) and kind is None:
            kind = "binary"
        elif base.startswith("text/") and kind is None:
            kind = "text"
        elif kind is None:
            kind = "binary"
    if kind == "json" and raw.response is not None:
        if _is_string(context.deref(raw.response.schema)):
            # a "JSON string" result is a document (a file's content): bytes, as
            # the runtime returns whatever the actual content type
            kind, raw.response = "binary", None
    raw.response_kind = kind or "empty"


def _is_string(schema: Any) -> bool:
    if not isinstance(schema, dict) or "properties" in schema:
        return False
    kind = schema.get("type")
    if isinstance(kind, list):
        kinds = {k for k in kind if k != "null"}
        return kinds == {"string"}
    return kind == "string" and not any(
        k in schema for k in ("oneOf", "anyOf", "allOf")
    )
