"""The generated Python surface of an API, as the changelog compares it.

`surface(api)` keeps of the IR what a user's code touches: `client.<resource>.<method>`
with its arguments (names, types, required-ness, positional or keyword), its result and
page walker; model classes with their fields. Descriptions, wire details the runtime
hides and module layout are left out, so only changes a user can notice show up.

A surface is also written into every generated project (`.oapigen/api.json`, see
`history`), so a regeneration can tell what changed without the previous spec:
`dumps` and `loads` round-trip exactly, and `dumps` is deterministic (one operation or
model per line, in sorted order, so its own git diff reads well too).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal, cast

from typing_extensions import assert_never

from .. import ir

FORMAT = 1  # of the snapshot; a snapshot in another format is not compared
ArgumentPlace = Literal["path", "query", "header", "body", "payload"]
PLACES: tuple[ArgumentPlace, ...] = ("path", "query", "header", "body", "payload")


@dataclass(frozen=True, slots=True)
class Argument:
    """One argument of a method: `place` "path" ones are positional, the rest keywords;
    "body" is a property of a flattened body, "payload" the `body=` argument."""

    name: str
    wire_name: str
    place: ArgumentPlace
    type: ir.TypeNode
    required: bool
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class Method:
    operation_id: str
    resource: str  # attribute on the client
    name: str
    http_method: str  # lower case
    path: str
    arguments: tuple[Argument, ...]
    result: ir.Response  # kind, model, stream_chunk (no description)
    stream: ir.StreamMode = "never"
    walker: str | None = None  # the page walker `<name>_iter`
    deprecated: bool = False
    body_model: str | None = None  # the model a flattened body's arguments fill

    @property
    def call(self) -> str:
        return f"client.{self.resource}.{self.name}"

    @property
    def route(self) -> str:
        return f"{self.http_method.upper()} {self.path}"


@dataclass(frozen=True, slots=True)
class FieldShape:
    name: str
    wire_name: str
    type: ir.TypeNode
    required: bool
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class ModelShape:
    name: str
    kind: ir.ModelKind
    fields: tuple[FieldShape, ...] = ()
    root: ir.TypeNode | None = None
    base: str | None = None
    deprecated: bool = False


@dataclass(frozen=True, slots=True)
class Surface:
    title: str
    version: str  # info.version
    package: str
    package_version: str
    methods: tuple[Method, ...]  # sorted by operationId
    models: tuple[ModelShape, ...]  # sorted by name
    # dict forms (`XParam`) and argument aliases -> the type they stand for
    params: tuple[tuple[str, ir.TypeNode], ...] = ()
    spec_name: str = ""  # not compared: named in the snapshot's header


def surface(api: ir.Api) -> Surface:
    methods = [
        _method(resource.attr, op)
        for resource in api.resources
        for op in resource.operations
    ]
    params: list[tuple[str, ir.TypeNode]] = []
    for definition in api.params:
        if isinstance(definition, ir.TypedDictDef):
            params.append((definition.name, ir.ModelRef(definition.model)))
        else:
            params.append((definition.name, definition.type))
    return Surface(
        title=api.title,
        version=api.version,
        package=api.package,
        package_version=api.package_version,
        methods=tuple(sorted(methods, key=lambda m: m.operation_id)),
        models=tuple(sorted((_model(m) for m in api.models), key=lambda m: m.name)),
        params=tuple(sorted(params, key=lambda item: item[0])),
        spec_name=api.spec_name,
    )


def _method(resource: str, op: ir.Operation) -> Method:
    arguments = [_argument(p, "path") for p in op.path_params]
    arguments += [_argument(p, "query") for p in op.query_params]
    arguments += [_argument(p, "header") for p in op.header_params]
    if op.body is not None:
        if op.body.flattened:
            arguments += [_argument(p, "body") for p in op.body.params]
        else:
            arguments.append(
                Argument("body", "body", "payload", op.body.type, op.body.required)
            )
    response = op.response
    return Method(
        operation_id=op.operation_id,
        resource=resource,
        name=op.method_name,
        http_method=op.http_method,
        path=op.path,
        arguments=tuple(arguments),
        result=ir.Response(
            response.kind, response.model, response.stream_chunk, type=response.type
        ),
        stream=op.stream,
        walker=op.pagination.method_name if op.pagination else None,
        deprecated=op.deprecated,
        body_model=op.body.model if op.body and op.body.flattened else None,
    )


def _argument(param: ir.Parameter, place: ArgumentPlace) -> Argument:
    return Argument(
        param.name, param.wire_name, place, param.type, param.required, param.deprecated
    )


def _model(model: ir.Model) -> ModelShape:
    return ModelShape(
        name=model.name,
        kind=model.kind,
        fields=tuple(
            FieldShape(f.name, f.wire_name, f.type, f.required, f.deprecated)
            for f in model.fields
        ),
        root=model.root,
        base=model.base,
        deprecated=model.deprecated,
    )


# -- the snapshot ----------------------------------------------------------------------


class SnapshotError(ValueError):
    """A snapshot that is not one `dumps` wrote (hand-edited, another format)."""


def dumps(api: Surface, header: str) -> str:
    """The snapshot text: `header` (the generated-file header line) as its first key."""
    head = {
        "generated": header.lstrip("# "),
        "format": FORMAT,
        "title": api.title,
        "version": api.version,
        "package": api.package,
        "package_version": api.package_version,
    }
    lines = ["{" + _dump(head)[1:-1] + ","]
    sections: list[tuple[str, list[Any]]] = [
        ("methods", [_encode_method(m) for m in api.methods]),
        ("models", [_encode_model(m) for m in api.models]),
        ("params", [[name, _encode_type(node)] for name, node in api.params]),
    ]
    for index, (key, entries) in enumerate(sections):
        lines.append(f'"{key}": [')
        lines += [
            _dump(e) + ("," if i < len(entries) - 1 else "")
            for i, e in enumerate(entries)
        ]
        lines.append("]" + ("," if index < len(sections) - 1 else ""))
    lines.append("}")
    return "\n".join(lines) + "\n"


def loads(text: str) -> Surface:
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SnapshotError(f"not an oapigen snapshot of format {FORMAT}")
        return Surface(
            title=str(data["title"]),
            version=str(data["version"]),
            package=str(data["package"]),
            package_version=str(data["package_version"]),
            methods=tuple(_decode_method(m) for m in data["methods"]),
            models=tuple(_decode_model(m) for m in data["models"]),
            params=tuple((str(n), _decode_type(t)) for n, t in data["params"]),
        )
    except SnapshotError:
        raise
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise SnapshotError(f"unreadable snapshot: {exc}") from exc


def _dump(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _encode_method(method: Method) -> dict[str, Any]:
    result = method.result
    entry: dict[str, Any] = {
        "id": method.operation_id,
        "resource": method.resource,
        "name": method.name,
        "route": [method.http_method, method.path],
        "args": [
            [
                a.name,
                a.wire_name,
                a.place,
                _encode_type(a.type),
                a.required,
                a.deprecated,
            ]
            for a in method.arguments
        ],
        "result": [result.kind, result.model, result.stream_chunk],
        "stream": method.stream,
    }
    if result.type is not None:  # a value-like result (a union of models): its type
        entry["result"].append(_encode_type(result.type))
    if method.walker is not None:
        entry["walker"] = method.walker
    if method.deprecated:
        entry["deprecated"] = True
    if method.body_model is not None:
        entry["body_model"] = method.body_model
    return entry


def _decode_method(data: dict[str, Any]) -> Method:
    kind, model, chunk, *value = data["result"]
    value_type = _decode_type(value[0]) if value else None
    arguments = []
    for name, wire, place, node, required, deprecated in data["args"]:
        if place not in PLACES:
            raise SnapshotError(f"unknown argument place {place!r}")
        arguments.append(
            Argument(
                str(name),
                str(wire),
                place,
                _decode_type(node),
                bool(required),
                bool(deprecated),
            )
        )
    if kind not in ("json", "sse", "binary", "text", "empty"):
        raise SnapshotError(f"unknown result kind {kind!r}")
    if data["stream"] not in ("never", "flag", "always"):
        raise SnapshotError(f"unknown stream mode {data['stream']!r}")
    http_method, path = data["route"]
    return Method(
        operation_id=str(data["id"]),
        resource=str(data["resource"]),
        name=str(data["name"]),
        http_method=str(http_method),
        path=str(path),
        arguments=tuple(arguments),
        result=ir.Response(kind, model, chunk, type=value_type),
        stream=data["stream"],
        walker=data.get("walker"),
        deprecated=bool(data.get("deprecated", False)),
        body_model=data.get("body_model"),
    )


def _encode_model(model: ModelShape) -> dict[str, Any]:
    entry: dict[str, Any] = {"name": model.name, "kind": model.kind}
    if model.fields:
        entry["fields"] = [
            [f.name, f.wire_name, _encode_type(f.type), f.required, f.deprecated]
            for f in model.fields
        ]
    if model.root is not None:
        entry["root"] = _encode_type(model.root)
    if model.base is not None:
        entry["base"] = model.base
    if model.deprecated:
        entry["deprecated"] = True
    return entry


def _decode_model(data: dict[str, Any]) -> ModelShape:
    if data["kind"] not in ("object", "root", "alias"):
        raise SnapshotError(f"unknown model kind {data['kind']!r}")
    root = data.get("root")
    return ModelShape(
        name=str(data["name"]),
        kind=data["kind"],
        fields=tuple(
            FieldShape(str(n), str(w), _decode_type(t), bool(r), bool(d))
            for n, w, t, r, d in data.get("fields", ())
        ),
        root=None if root is None else _decode_type(root),
        base=data.get("base"),
        deprecated=bool(data.get("deprecated", False)),
    )


_ATOMS: dict[str, ir.TypeNode] = {
    "any": ir.AnyValue(),
    "none": ir.NoneValue(),
    "file": ir.FileInput(),
}
_SCALARS = ("str", "int", "float", "bool", "bytes", "datetime", "date", "time")


def _encode_type(node: ir.TypeNode) -> Any:
    """Scalars and atoms as strings, the rest as one-key objects (`{"list": ...}`)."""
    if isinstance(node, ir.Scalar):
        return node.name
    if isinstance(node, ir.AnyValue):
        return "any"
    if isinstance(node, ir.NoneValue):
        return "none"
    if isinstance(node, ir.FileInput):
        return "file"
    if isinstance(node, ir.LiteralOf):
        return {"literal": list(node.values)}
    if isinstance(node, ir.ListOf):
        return {"list": _encode_type(node.item)}
    if isinstance(node, ir.MapOf):
        return {"map": _encode_type(node.value)}
    if isinstance(node, ir.UnionOf):
        entry: dict[str, Any] = {"union": [_encode_type(m) for m in node.members]}
        if node.discriminator is not None:
            entry["tag"] = node.discriminator
        if node.alias is not None:
            entry["alias"] = node.alias
        return entry
    if isinstance(node, ir.ModelRef):
        return {"model": node.name}
    if isinstance(node, ir.ParamsRef):
        return {"params": node.name}
    assert_never(node)


def _decode_type(data: Any) -> ir.TypeNode:
    if isinstance(data, str):
        if data in _ATOMS:
            return _ATOMS[data]
        if data in _SCALARS:
            return ir.Scalar(cast(ir.ScalarName, data))
        raise SnapshotError(f"unknown type {data!r}")
    if not isinstance(data, dict):
        raise SnapshotError(f"unknown type {data!r}")
    if "literal" in data:
        values = data["literal"]
        if not all(isinstance(v, (str, int, bool)) for v in values):
            raise SnapshotError(f"unknown literal values {values!r}")
        return ir.LiteralOf(tuple(values))
    if "list" in data:
        return ir.ListOf(_decode_type(data["list"]))
    if "map" in data:
        return ir.MapOf(_decode_type(data["map"]))
    if "union" in data:
        members = tuple(_decode_type(m) for m in data["union"])
        return ir.UnionOf(members, data.get("tag"), data.get("alias"))
    if "model" in data:
        return ir.ModelRef(str(data["model"]))
    if "params" in data:
        return ir.ParamsRef(str(data["params"]))
    raise SnapshotError(f"unknown type {data!r}")


__all__ = [
    "Argument",
    "FieldShape",
    "Method",
    "ModelShape",
    "SnapshotError",
    "Surface",
    "dumps",
    "loads",
    "surface",
]
