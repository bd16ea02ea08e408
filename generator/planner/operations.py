"""Raw operations + models -> IR operations: arguments, body, result, streaming, pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from typing_extensions import assert_never

from .. import ir
from ..naming import Scope
from .collect import RawOperation, SchemaAt
from .context import Context, component_name
from .events import event_models, stream_end
from .models import ModelPlan
from .params import ParamsPlanner
from .types import allows_none

_RANK: dict[ir.ParamLocation, int] = {"path": 0, "query": 1, "header": 2, "body": 3}
_STYLES: dict[str, ir.QueryStyle] = {
    "form": "form",
    "spaceDelimited": "spaceDelimited",
    "pipeDelimited": "pipeDelimited",
    "deepObject": "deepObject",
}


def location(value: object) -> ir.ParamLocation | None:
    if value == "path":
        return "path"
    if value == "query":
        return "query"
    if value == "header":
        return "header"
    return None


class OperationBuilder:
    def __init__(
        self,
        context: Context,
        models: ModelPlan,
        params: ParamsPlanner,
        *,
        stream_end_marker: str | None = None,
    ) -> None:
        self.context = context
        self.stream_end_marker = stream_end_marker  # the config's, for every stream
        self.models = models
        self.types = models.types
        self.shapes = models.types.shapes
        self.params = params
        self._by_name = {m.name: m for m in models.models}

    # -- pass 1: every argument type, so dict forms are named before use --------------

    def arguments_of(self, raw: RawOperation) -> list[ir.TypeNode]:
        found = [self.types.of(p.get("schema")) for p in self._parameters(raw)]
        properties = self._body_properties(raw)
        if properties is not None:
            found += [self.types.of(prop) for prop in properties.values()]
        elif raw.body is not None and raw.body_kind != "raw":
            found.append(self.types.of(raw.body.schema))
        return found

    # -- pass 2 ----------------------------------------------------------------------

    def build(
        self, raw: RawOperation, method_name: str, const_name: str
    ) -> ir.Operation:
        names = self._argument_names(raw)
        by_location: dict[ir.ParamLocation, list[ir.Parameter]] = {
            "path": [],
            "query": [],
            "header": [],
        }
        constants: list[tuple[str, str]] = []
        for param in self._parameters(raw):
            where = location(param.get("in"))
            assert where is not None
            value = self._constant_header(param) if where == "header" else None
            if value is not None:
                constants.append((str(param["name"]), value))
            else:
                by_location[where].append(self._parameter(param, where, names))
        order = {seg: i for i, seg in enumerate(_placeholders(raw.path))}
        by_location["path"].sort(key=lambda p: order.get(p.wire_name, len(order)))
        body = self._body(raw, names)
        response = self._response(raw)
        stream: ir.StreamMode = "never"
        stream_param = None
        if body is not None and body.flattened and body.kind == "json":
            flag = next((p for p in body.params if p.wire_name == "stream"), None)
            if flag is not None and _is_bool(flag.type):
                stream, stream_param = "flag", flag.name
        if response.kind == "sse" and stream == "never":
            stream = "always"
        node = raw.node
        return ir.Operation(
            operation_id=raw.operation_id,
            method_name=method_name,
            const_name=const_name,
            http_method=raw.method,
            path=raw.path,
            summary=str(node.get("summary") or "").strip(),
            description=str(node.get("description") or "").strip(),
            deprecated=node.get("deprecated") is True,
            path_params=tuple(by_location["path"]),
            query_params=tuple(by_location["query"]),
            header_params=tuple(by_location["header"]),
            body=body,
            response=response,
            stream=stream,
            stream_param=stream_param,
            stream_end=(
                None
                if stream == "never"
                else stream_end(self.context, raw, self.stream_end_marker)
            ),
            source=f"{raw.method.upper()} {raw.path}",
            pointer=raw.pointer,
            constant_headers=tuple(sorted(constants)),
        )

    def _constant_header(self, param: Mapping[str, Any]) -> str | None:
        """The value of a required header whose schema allows exactly one (a one-value
        `enum` or a `const`): sent on every call rather than asked for."""
        if param.get("required") is not True:
            return None
        schema = self.context.deref(param.get("schema"))
        if not isinstance(schema, dict):
            return None
        if "const" in schema:
            values = [schema["const"]]
        elif isinstance(schema.get("enum"), list):
            values = list(schema["enum"])
        else:
            return None
        if len(values) != 1 or not isinstance(values[0], (str, int, float, bool)):
            return None
        value = values[0]
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    def _parameters(self, raw: RawOperation) -> list[Mapping[str, Any]]:
        return [p for p in raw.parameters if location(p.get("in")) is not None]

    def _body_properties(self, raw: RawOperation) -> dict[str, Any] | None:
        if raw.body is None or raw.body_kind in (None, "raw"):
            return None
        target = self.context.deref(raw.body.schema)
        if not self.shapes.is_object(target):
            return None
        return self.shapes.all_properties(target).properties

    def _argument_names(
        self, raw: RawOperation
    ) -> dict[tuple[ir.ParamLocation, str], str]:
        """Python names for every argument, settled in sorted order of (location, wire
        name), so they do not depend on the order the spec lists them in."""
        wishes: dict[tuple[int, str], tuple[str, ...]] = {}
        keys: dict[tuple[int, str], tuple[ir.ParamLocation, str]] = {}
        for param in self._parameters(raw):
            where = location(param.get("in"))
            assert where is not None
            key = (_RANK[where], str(param["name"]))
            wishes[key], keys[key] = (str(param["name"]),), (where, str(param["name"]))
        for wire in self._body_properties(raw) or {}:
            key = (_RANK["body"], wire)
            wishes[key], keys[key] = (wire,), ("body", wire)
        names = Scope("parameter").assign(wishes)
        return {keys[key]: name for key, name in names.items()}

    def _parameter(
        self,
        param: Mapping[str, Any],
        where: ir.ParamLocation,
        names: dict[tuple[ir.ParamLocation, str], str],
    ) -> ir.Parameter:
        wire = str(param["name"])
        schema = param.get("schema")
        style = _STYLES.get(str(param.get("style") or "form"), "form")
        explode = param.get("explode")
        described = param.get("description")
        if not described:
            target = self.context.deref(schema)
            described = target.get("description") if isinstance(target, dict) else ""
        return ir.Parameter(
            name=names[(where, wire)],
            wire_name=wire,
            location=where,
            type=self.params.argument(self.types.of(schema)),
            required=param.get("required") is True or where == "path",
            description=str(described or "").strip(),
            deprecated=param.get("deprecated") is True,
            style=style,
            explode=explode is not False if style == "form" else explode is True,
        )

    def _body(
        self, raw: RawOperation, names: dict[tuple[ir.ParamLocation, str], str]
    ) -> ir.RequestBody | None:
        kind = raw.body_kind
        if kind is None:
            return None
        files = kind == "multipart"
        properties = self._body_properties(raw)
        if properties is not None and raw.body is not None:
            target = self.context.deref(raw.body.schema)
            required = self.shapes.all_properties(target).required
            params = []
            file_fields = []
            for wire, prop in properties.items():
                node = self.types.of(prop)
                if files and _holds_files(node):
                    file_fields.append(wire)
                own = self.context.deref(prop)
                own = own if isinstance(own, dict) else {}
                described = prop.get("description") if isinstance(prop, dict) else None
                params.append(
                    ir.Parameter(
                        name=names[("body", wire)],
                        wire_name=wire,
                        location="body",
                        type=self.params.argument(node, files=files),
                        required=wire in required,
                        description=str(
                            described or own.get("description") or ""
                        ).strip(),
                        deprecated=own.get("deprecated") is True,
                    )
                )
            return ir.RequestBody(
                kind=kind,
                flattened=True,
                required=raw.body_required,
                model=self.class_of(
                    raw.body
                ),  # checks JSON, multipart and form bodies alike
                params=tuple(params),
                file_fields=tuple(file_fields),
            )
        argument: ir.TypeNode = ir.AnyValue()
        if kind == "raw":
            argument = ir.UnionOf((ir.Scalar("bytes"), ir.Scalar("str")))
        elif raw.body is not None:
            argument = self.params.argument(self.types.of(raw.body.schema), files=files)
        return ir.RequestBody(
            kind=kind,
            flattened=False,
            required=raw.body_required,
            model=None,
            type=argument,
        )

    def class_of(self, where: SchemaAt | None) -> str | None:
        """The model class a body, response or event schema became."""
        if where is None or not isinstance(where.schema, dict):
            return None
        ref = where.schema.get("$ref")
        if isinstance(ref, str):
            name = component_name(ref)
            if name is not None and name in self.context.schemas:
                cls = self.models.types.component(name)
                if isinstance(cls, ir.ModelRef):
                    return cls.name
                return self._component_class(name)
            return None
        return self.models.by_pointer.get(where.pointer)

    def _component_class(self, name: str) -> str:
        cls = self.types.component_class(name)
        model = self._by_name.get(cls)
        if (
            model is not None
            and model.kind == "alias"
            and isinstance(model.root, ir.ModelRef)
        ):
            return model.root.name
        return cls

    def _response(self, raw: RawOperation) -> ir.Response:
        kind = raw.response_kind
        chunk = self.class_of(raw.events)  # a JSON operation may also stream events
        events = event_models(self.context, raw.events, self.class_of)
        if kind == "json":
            model = self.class_of(raw.response)
            root = self._by_name.get(model or "")
            if root is not None and root.kind == "root" and root.root is not None:
                # a value-like result (a union of models, a list...) is returned as
                # its value: no RootModel reaches the caller
                return ir.Response(
                    kind, stream_chunk=chunk, events=events, type=root.root
                )
            return ir.Response(kind, model=model, stream_chunk=chunk, events=events)
        if kind == "sse":
            return ir.Response(kind, stream_chunk=chunk, events=events)
        if kind == "binary" or kind == "text" or kind == "empty":
            return ir.Response(kind)
        assert_never(kind)

    def pagination(
        self, op: ir.Operation, method_name: str | None
    ) -> ir.Pagination | None:
        """Cursor pages: a GET with an `after` argument whose JSON result has `data`
        (a list of models) and `has_more`."""
        model = self._by_name.get(op.response.model or "")
        if op.http_method != "get" or model is None or method_name is None:
            return None
        if not any(p.wire_name == "after" for p in op.query_params):
            return None
        fields = {f.wire_name: f for f in ir.all_fields(model, self._by_name)}
        if "has_more" not in fields or "data" not in fields:
            return None
        data = fields["data"].type
        if (
            isinstance(data, ir.UnionOf)
            and allows_none(data)
            and len(data.members) == 2
        ):
            data = data.members[0]
        if not (isinstance(data, ir.ListOf) and isinstance(data.item, ir.ModelRef)):
            return None
        return ir.Pagination("data", data.item.name, "after", method_name)


def _is_bool(node: ir.TypeNode) -> bool:
    if isinstance(node, ir.UnionOf) and allows_none(node) and len(node.members) == 2:
        node = node.members[0]
    return isinstance(node, ir.Scalar) and node.name == "bool"


def _holds_files(node: ir.TypeNode) -> bool:
    if isinstance(node, ir.Scalar):
        return node.name == "bytes"
    if isinstance(node, ir.ListOf):
        return _holds_files(node.item)
    if isinstance(node, ir.UnionOf):
        return any(_holds_files(m) for m in node.members)
    return False


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
