"""Operations: paths of the bundled document -> raw operations, then IR operations.

Two passes, because model class names exist only after datamodel-code-generator ran:
`collect` walks the paths, picks request/response content and hoists inline body and response
schemas into named components (so every body and response is a named model); `build` then
turns each raw operation into an `ir.Operation` once the class names are known.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..diagnostics import Diagnostic, warning
from ..naming import METHOD_RESERVED, argument_name, pascal, snake, upper_snake
from .types import TypeHints

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BINARY_TYPES = ("application/octet-stream", "application/pdf", "application/zip")
BINARY_PREFIXES = ("audio/", "image/", "video/")
COMPONENT = "#/components/schemas/"


@dataclass
class RawOperation:
    operation_id: str
    method: str
    path: str
    pointer: str
    node: Mapping[str, Any]
    parameters: list[Mapping[str, Any]]
    resource: str  # tag or first path segment, before naming
    body_kind: str | None = None  # json | multipart | form | raw
    body_schema: Any = None
    body_required: bool = False
    response_kind: str = "empty"
    response_schema: Any = None
    sse_schema: Any = None
    # inline schemas given a component name, and where each sits in the spec
    hoisted: dict[str, Any] = field(default_factory=dict)
    hoisted_at: dict[str, str] = field(default_factory=dict)


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def _is_json(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


def _is_binary(media: str) -> bool:
    base = media.split(";")[0].strip().lower()
    return base in BINARY_TYPES or base.startswith(BINARY_PREFIXES)


class OperationCollector:
    def __init__(
        self,
        root: Mapping[str, Any],
        resolve: Callable[[str], Any],
        locate: Callable[[str], tuple[str, int | None]],
        taken_names: set[str],
    ) -> None:
        self._root = root
        self._resolve = resolve
        self._locate = locate
        self._taken = taken_names  # component schema names, grows as we hoist
        self.diagnostics: list[Diagnostic] = []

    def _warn(self, code: str, pointer: str, message: str) -> None:
        file, line = self._locate(pointer)
        self.diagnostics.append(warning(code, file, line, pointer, message))

    def _deref(self, node: Any) -> Any:
        while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
            node = self._resolve(node["$ref"])
        return node

    def collect(self) -> list[RawOperation]:
        paths = self._root.get("paths") or {}
        found: list[RawOperation] = []
        for path, item in paths.items():
            item = self._deref(item)
            if not isinstance(item, Mapping):
                continue
            shared = [self._deref(p) for p in item.get("parameters") or ()]
            for method in HTTP_METHODS:
                node = item.get(method)
                if not isinstance(node, Mapping):
                    continue
                pointer = f"#/paths/{_escape(path)}/{method}"
                found.append(self._raw(path, method, node, shared, pointer))
        return found

    def _raw(
        self,
        path: str,
        method: str,
        node: Mapping[str, Any],
        shared: list[Any],
        pointer: str,
    ) -> RawOperation:
        operation_id = node.get("operationId")
        if not isinstance(operation_id, str) or not operation_id.strip():
            operation_id = snake(f"{method} {path}")
            self._warn("W301", pointer, f"no operationId; named {operation_id!r}")
        own = [self._deref(p) for p in node.get("parameters") or ()]
        merged: dict[tuple[str, str], Mapping[str, Any]] = {}
        for param in [*shared, *own]:
            if isinstance(param, Mapping) and "name" in param and "in" in param:
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
        self._request_body(raw)
        self._response(raw)
        return raw

    def _hoist(
        self, raw: RawOperation, suffixes: tuple[str, ...], schema: Any, pointer: str
    ) -> Any:
        """Give an inline schema a component name so it becomes a named model."""
        if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
            return schema
        base = pascal(raw.operation_id)
        for suffix in suffixes:
            name = base + suffix
            if name not in self._taken:
                break
        else:
            n = 2
            while f"{base}{suffixes[0]}{n}" in self._taken:
                n += 1
            name = f"{base}{suffixes[0]}{n}"
        self._taken.add(name)
        raw.hoisted[name] = schema
        raw.hoisted_at[name] = pointer
        return {"$ref": COMPONENT + _escape(name)}

    def _request_body(self, raw: RawOperation) -> None:
        body = self._deref(raw.node.get("requestBody"))
        if not isinstance(body, Mapping):
            return
        content = body.get("content") or {}
        choice = None
        media_of: dict[int, str] = {}
        for media, entry in content.items():
            base = media.split(";")[0].strip().lower()
            kind = (
                "json"
                if _is_json(base)
                else (
                    "multipart"
                    if base == "multipart/form-data"
                    else (
                        "form" if base == "application/x-www-form-urlencoded" else "raw"
                    )
                )
            )
            rank = ("json", "multipart", "form", "raw").index(kind)
            media_of[id(entry)] = media
            if choice is None or rank < choice[0]:
                choice = (rank, kind, entry)
        if choice is None:
            return
        _, kind, entry = choice
        schema = entry.get("schema") if isinstance(entry, Mapping) else None
        raw.body_kind = kind
        raw.body_required = bool(body.get("required"))
        if kind in ("json", "multipart", "form") and isinstance(schema, Mapping):
            at = f"{raw.pointer}/requestBody/content/{_escape(media_of[id(entry)])}/schema"
            schema = self._hoist(raw, ("Request", "RequestBody", "Body"), schema, at)
        raw.body_schema = schema

    def _response(self, raw: RawOperation) -> None:
        responses = raw.node.get("responses") or {}
        codes = sorted(str(c) for c in responses if str(c).startswith("2"))
        code = codes[0] if codes else ("default" if "default" in responses else None)
        if code is None:
            return
        response = self._deref(
            responses.get(code, responses.get(int(code)) if code.isdigit() else None)
        )
        content = response.get("content") if isinstance(response, Mapping) else None
        if not isinstance(content, Mapping) or not content:
            return
        kind = None
        for media, entry in content.items():
            schema = entry.get("schema") if isinstance(entry, Mapping) else None
            at = f"{raw.pointer}/responses/{code}/content/{_escape(media)}/schema"
            base = media.split(";")[0].strip().lower()
            if base == "text/event-stream":
                raw.sse_schema = (
                    self._hoist(raw, ("Event", "StreamEvent"), schema, at)
                    if schema
                    else None
                )
                kind = kind or "sse"
            elif _is_json(base) and kind in (None, "sse", "text", "binary"):
                kind = "json"
                raw.response_schema = (
                    self._hoist(raw, ("Response", "Result"), schema, at)
                    if schema
                    else None
                )
            elif _is_binary(base) and kind is None:
                kind = "binary"
            elif base.startswith("text/") and kind is None:
                kind = "text"
            elif kind is None:
                kind = "binary"
        raw.response_kind = kind or "empty"


class OperationBuilder:
    """Raw operations + model class names -> IR operations."""

    def __init__(
        self,
        resolve: Callable[[str], Any],
        class_of: Mapping[
            str, str
        ],  # pointer of any schema that became a class -> class
        hints: TypeHints,
        locate: Callable[[str], tuple[str, int | None]],
    ) -> None:
        self._resolve = resolve
        self._class_of = class_of
        self._hints = hints
        self._locate = locate
        self.diagnostics: list[Diagnostic] = []

    def _deref(self, node: Any) -> Any:
        seen = 0
        while (
            isinstance(node, Mapping)
            and isinstance(node.get("$ref"), str)
            and seen < 64
        ):
            node = self._resolve(node["$ref"])
            seen += 1
        return node

    def _class(self, schema: Any) -> str | None:
        """The model class a schema node became, following ref chains."""
        seen = 0
        while (
            isinstance(schema, Mapping)
            and isinstance(schema.get("$ref"), str)
            and seen < 64
        ):
            ref = schema["$ref"]
            if ref in self._class_of:
                return self._class_of[ref]
            schema = self._resolve(ref)
            seen += 1
        return None

    def build(self, raw: RawOperation, method_name: str) -> ir.Operation:
        names = self._argument_names(raw)
        path_params = self._params(raw, "path", names)
        query_params = self._params(raw, "query", names)
        header_params = self._params(raw, "header", names)
        body = self._body(raw, names)
        response = self._response_ir(raw)
        stream, stream_param = "never", None
        if body is not None and body.flattened and body.kind == "json":
            flag = next((p for p in body.params if p.wire_name == "stream"), None)
            if flag is not None and flag.type_hint.replace(" | None", "") == "bool":
                stream, stream_param = "flag", flag.name
        if response.kind == "sse" and stream == "never":
            stream = "always"
        node = raw.node
        return ir.Operation(
            operation_id=raw.operation_id,
            method_name=method_name,
            const_name=f"_{upper_snake(method_name)}",
            http_method=raw.method,
            path=raw.path,
            summary=str(node.get("summary") or "").strip(),
            description=str(node.get("description") or "").strip(),
            deprecated=bool(node.get("deprecated")),
            path_params=path_params,
            query_params=query_params,
            header_params=header_params,
            body=body,
            response=response,
            stream=stream,  # type: ignore[arg-type]
            stream_param=stream_param,
            pagination=self._pagination(raw, query_params, response),
            source=f"{raw.method.upper()} {raw.path}",
        )

    def _argument_names(self, raw: RawOperation) -> dict[tuple[str, str], str]:
        """Python names for every argument, decided in sorted order of (location, wire
        name) so that they do not depend on the order the spec lists them in."""
        entries = [
            (str(p.get("in")), str(p["name"]))
            for p in raw.parameters
            if p.get("in") in ("path", "query", "header")
        ]
        if raw.body_kind in ("json", "multipart", "form"):
            properties, _ = _object_shape(self._deref(raw.body_schema), self._deref)
            entries += [("body", wire) for wire in properties or ()]
        rank = {"path": 0, "query": 1, "header": 2, "body": 3}
        taken = set(METHOD_RESERVED)
        return {
            (location, wire): _free(argument_name(wire), location, taken)
            for location, wire in sorted(entries, key=lambda e: (rank[e[0]], e[1]))
        }

    def _params(
        self, raw: RawOperation, location: str, names: dict[tuple[str, str], str]
    ) -> tuple[ir.Parameter, ...]:
        result = []
        for param in raw.parameters:
            if param.get("in") != location:
                continue
            wire = str(param["name"])
            name = names[(location, wire)]
            schema = param.get("schema") or {}
            required = bool(param.get("required")) or location == "path"
            style = str(param.get("style") or "form")
            if (
                location == "query"
                and param.get("explode") is False
                and style == "form"
            ):
                style = "form:noexplode"
            result.append(
                ir.Parameter(
                    name=name,
                    wire_name=wire,
                    location=location,  # type: ignore[arg-type]
                    type_hint=self._hints.hint(schema),
                    required=required,
                    description=_describe(param, self._deref(schema)),
                    deprecated=bool(param.get("deprecated")),
                    style=style,
                )
            )
        if location == "path":
            order = {seg: i for i, seg in enumerate(_placeholders(raw.path))}
            result.sort(key=lambda p: order.get(p.wire_name, len(order)))
        return tuple(result)

    def _body(
        self, raw: RawOperation, names: dict[tuple[str, str], str]
    ) -> ir.RequestBody | None:
        if raw.body_kind is None:
            return None
        kind = raw.body_kind
        schema = raw.body_schema
        target = self._deref(schema)
        properties, required = _object_shape(target, self._deref)
        files = kind == "multipart"
        if kind in ("json", "multipart", "form") and properties is not None:
            params = []
            file_fields = []
            for wire, prop in properties.items():
                name = names[("body", wire)]
                prop_target = self._deref(prop)
                hint = self._hints.hint(prop, files=files)
                if files and _is_file_schema(prop_target, self._deref):
                    file_fields.append(wire)
                description = (
                    prop_target.get("description", "")
                    if isinstance(prop_target, Mapping)
                    else ""
                )
                params.append(
                    ir.Parameter(
                        name=name,
                        wire_name=wire,
                        location="body",
                        type_hint=hint,
                        required=wire in required,
                        description=str(description or "").strip(),
                        deprecated=bool(
                            isinstance(prop_target, Mapping)
                            and prop_target.get("deprecated")
                        ),
                    )
                )
            return ir.RequestBody(
                kind=kind,  # type: ignore[arg-type]
                flattened=True,
                required=raw.body_required,
                model=self._class(schema),  # checks JSON and form bodies alike
                params=tuple(params),
                file_fields=tuple(file_fields),
            )
        if kind == "raw":
            hint = "bytes | str"
        else:
            hint = (
                self._hints.hint(schema, files=files)
                if schema is not None
                else "object"
            )
        return ir.RequestBody(kind=kind, flattened=False, required=raw.body_required, model=None, type_hint=hint)  # type: ignore[arg-type]

    def _response_ir(self, raw: RawOperation) -> ir.Response:
        kind = raw.response_kind
        model = self._class(raw.response_schema) if kind == "json" else None
        chunk = self._class(raw.sse_schema) if raw.sse_schema is not None else None
        return ir.Response(kind=kind, model=model, stream_chunk=chunk)  # type: ignore[arg-type]

    def _pagination(
        self, raw: RawOperation, query: tuple[ir.Parameter, ...], response: ir.Response
    ) -> ir.Pagination | None:
        if raw.method != "get" or response.kind != "json" or response.model is None:
            return None
        if not any(p.wire_name == "after" for p in query):
            return None
        page = self._deref(raw.response_schema)
        properties, _ = _object_shape(page, self._deref)
        if not properties or "has_more" not in properties or "data" not in properties:
            return None
        data = self._deref(properties["data"])
        if not isinstance(data, Mapping) or data.get("type") != "array":
            return None
        items = data.get("items")
        item_class = self._class(items) if isinstance(items, Mapping) else None
        if item_class is None:
            item_class = self._class_of.get(
                _items_pointer(raw, self._class_of, response.model)
            )
        if item_class is None:
            return None
        return ir.Pagination(
            items_field="data", item_type=item_class, cursor_param="after"
        )


def _items_pointer(
    raw: RawOperation, class_of: Mapping[str, str], page_class: str
) -> str:
    for pointer, name in class_of.items():
        if name == page_class:
            return f"{pointer}/properties/data/items"
    return ""


def _describe(param: Mapping[str, Any], schema: Any) -> str:
    text = param.get("description")
    if not text and isinstance(schema, Mapping):
        text = schema.get("description")
    return str(text or "").strip()


def _free(name: str, location: str, taken: set[str]) -> str:
    if name in taken:
        name = f"{name}_{location}"
    n = 2
    base = name
    while name in taken:
        name, n = f"{base}{n}", n + 1
    taken.add(name)
    return name


def _placeholders(path: str) -> list[str]:
    out, rest = [], path
    while "{" in rest:
        start = rest.index("{")
        end = rest.find("}", start)
        if end < 0:
            break
        out.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    return out


def _object_shape(
    schema: Any, deref: Callable[[Any], Any]
) -> tuple[dict[str, Any] | None, set[str]]:
    """Properties and required names of an object schema, merging allOf parts."""
    if not isinstance(schema, Mapping):
        return None, set()
    properties: dict[str, Any] = {}
    required: set[str] = set()
    found = False
    for part in schema.get("allOf") or ():
        props, req = _object_shape(deref(part), deref)
        if props is not None:
            found = True
            properties.update(props)
            required |= req
    own = schema.get("properties")
    if isinstance(own, Mapping):
        found = True
        properties.update(own)
    if isinstance(schema.get("required"), list):
        required |= {str(r) for r in schema["required"]}
    if not found:
        if (
            schema.get("type") == "object"
            and not schema.get("oneOf")
            and not schema.get("anyOf")
        ):
            return ({} if "additionalProperties" not in schema else None), required
        return None, required
    return properties, required


def _is_file_schema(schema: Any, deref: Callable[[Any], Any]) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if schema.get("type") == "string" and schema.get("format") == "binary":
        return True
    if schema.get("type") == "array":
        return _is_file_schema(deref(schema.get("items")), deref)
    return False
