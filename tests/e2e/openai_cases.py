"""The OpenAI specs read on their own, without the generator: operations, and the values a
call sends and a server returns, built from the spec's schemas.

The end-to-end tests compare generated clients against what this module derives from the
spec, so nothing here asks the generator what it planned. Only `oapigen.naming.snake` is
shared: it is the naming rule API.md prescribes for resources and methods.

Sample values follow one rule set everywhere (request arguments, wire values, responses):
required properties only; strings "x" (or the first enum value), integers 1, numbers 1.5,
booleans true, arrays of one element (or `minItems`), objects with their required
properties, oneOf/anyOf the first variant, allOf merged, `format: binary` bytes. Numbers are
clamped into `minimum`/`maximum` so a sample is always valid against its own schema. Two
spec shapes are read the way the generator (and any reader) must: `properties` next to a
oneOf of `required` lists is an object needing the first list, and `items` without
`type: array` is an array. The `full=True` variant fills every property instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import yaml

from oapigen.naming import snake
from tests.conftest import openai_package_name

SPECS = Path(__file__).resolve().parents[2] / "specs"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PATH_PARAM_VALUE = "id with/slash"
UPLOAD_CONTENT = b"\x00uploaded bytes\xff"
BINARY_BODY = b"\x00\x01served audio bytes\xfe\xff"
TEXT_BODY = "plain text body"

Schema = Mapping[str, Any]


def package_argument(version: str) -> str | None:
    """The `package=` to generate with. 2.3.0 keeps the default name (`openai_api`), and the
    shared `openai_package` fixture generates it with `package=None`: passing None too
    shares that generation instead of making a second `openai_api` in another folder."""
    name = openai_package_name(version)
    return None if name == "openai_api" else name


def spec_path(version: str) -> Path:
    return SPECS / f"openai-{version}.yaml"


@cache
def load_spec(version: str) -> dict[str, Any]:
    """The spec as plain data (libyaml when available; these files are large)."""
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with spec_path(version).open("rb") as handle:
        document = yaml.load(handle, Loader=loader)
    assert isinstance(document, dict)
    return document


def python_name(wire: str) -> str:
    """API.md: Python-safe argument names; wire names that are identifiers are kept."""
    if wire.isidentifier():
        return wire
    return "".join(c if c.isalnum() else "_" for c in wire).strip("_")


@dataclass(frozen=True)
class Param:
    name: str  # wire name
    location: str  # "path" | "query" | "header" | "cookie"
    required: bool
    schema: Schema


@dataclass(frozen=True)
class OperationSpec:
    version: str
    operation_id: str
    http_method: str  # lower case, as in the spec
    path: str
    resource: str
    method: str
    parameters: tuple[Param, ...]
    request_media: str | None  # "application/json", "multipart/form-data", ...
    request_schema: Schema | None
    response_status: int | None  # the first 2xx status, None when there is none
    response_media: tuple[str, ...]  # media types of that response, in spec order
    response_schemas: Mapping[str, Schema] = field(default_factory=dict)
    deprecated: bool = False

    @property
    def test_id(self) -> str:
        return f"{self.version}-{self.operation_id}"


def operations(version: str) -> list[OperationSpec]:
    """Every operation under `paths`, in spec order."""
    document = load_spec(version)
    found: list[OperationSpec] = []
    for path, item in document.get("paths", {}).items():
        shared = item.get("parameters", [])
        for http_method in HTTP_METHODS:
            operation = item.get(http_method)
            if isinstance(operation, Mapping):
                found.append(_operation(version, path, http_method, operation, shared))
    return found


def _operation(
    version: str,
    path: str,
    http_method: str,
    operation: Mapping[str, Any],
    shared: list[Mapping[str, Any]],
) -> OperationSpec:
    tags = operation.get("tags") or []
    first_segment = next(s for s in path.split("/") if s)
    resource = snake(tags[0] if tags else first_segment)
    by_key: dict[tuple[str, str], Param] = {}
    for raw in [*shared, *operation.get("parameters", [])]:
        raw = resolve(version, raw)
        param = Param(
            raw["name"],
            raw["in"],
            bool(raw.get("required")) or raw["in"] == "path",
            raw.get("schema", {}),
        )
        by_key[(param.location, param.name)] = param  # operation level wins
    request_media, request_schema = None, None
    body = operation.get("requestBody")
    if body is not None:
        content = resolve(version, body).get("content", {})
        request_media = next(iter(content))
        request_schema = content[request_media].get("schema", {})
    status, media, schemas = None, (), {}
    for code in sorted(operation.get("responses", {}), key=str):
        if str(code).startswith("2"):
            response = resolve(version, operation["responses"][code])
            content = response.get("content") or {}
            status = int(code)
            media = tuple(content)
            schemas = {m: c.get("schema", {}) for m, c in content.items()}
            break
    return OperationSpec(
        version=version,
        operation_id=operation["operationId"],
        http_method=http_method,
        path=path,
        resource=resource,
        method=snake(operation["operationId"]),
        parameters=tuple(by_key.values()),
        request_media=request_media,
        request_schema=request_schema,
        response_status=status,
        response_media=media,
        response_schemas=schemas,
        deprecated=bool(operation.get("deprecated")),
    )


def resolve(version: str, node: Mapping[str, Any]) -> Mapping[str, Any]:
    """Follow local `$ref`s to the node they name."""
    seen: set[str] = set()
    while "$ref" in node:
        ref = node["$ref"]
        assert isinstance(ref, str) and ref.startswith("#/"), ref
        assert ref not in seen, f"$ref cycle at {ref}"
        seen.add(ref)
        target: Any = load_spec(version)
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def component_name(schema: Schema) -> str | None:
    """`#/components/schemas/Foo` -> `Foo`; None for an inline schema."""
    ref = schema.get("$ref")
    prefix = "#/components/schemas/"
    if isinstance(ref, str) and ref.startswith(prefix):
        return ref[len(prefix) :]
    return None


# -- sample values ---------------------------------------------------------------------


def properties_and_required(
    version: str, schema: Schema
) -> tuple[dict[str, Schema], list[str]]:
    """An object schema's properties and required names, allOf parts merged. Required
    names with no property (a spec error the generator repairs) are left out."""
    schema = resolve(version, schema)
    properties: dict[str, Schema] = dict(schema.get("properties") or {})
    required: list[str] = list(schema.get("required") or [])
    for part in schema.get("allOf") or []:
        part_properties, part_required = properties_and_required(version, part)
        properties.update(part_properties)
        required.extend(r for r in part_required if r not in required)
    return properties, [name for name in required if name in properties]


def is_object(version: str, schema: Schema) -> bool:
    schema = resolve(version, schema)
    if schema.get("type") == "object" or "properties" in schema:
        return True
    return bool(schema.get("allOf")) and all(
        is_object(version, part) for part in schema["allOf"]
    )


def sample(version: str, schema: Schema, full: bool = False, depth: int = 0) -> Any:
    """A value valid against `schema` by the rules in the module docstring; `full`: every
    property (not only the required ones) at every level, two array elements where
    allowed, and one entry in typed maps."""
    assert depth < 40, "schema nesting too deep (a cycle?)"
    schema = resolve(version, schema)
    if "enum" in schema and schema["enum"]:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind is None and is_object(version, schema):
        kind = "object"
    if kind is None and "items" in schema:
        kind = "array"  # `items` without `type: array` (2.3.0 realtime `modalities`)
    variants = schema.get("oneOf") or schema.get("anyOf")
    if variants and not (kind == "object" and "properties" in schema):
        return sample(version, variants[0], full, depth + 1)
    if kind == "object":
        properties, required = properties_and_required(version, schema)
        if variants:  # properties plus a oneOf of `required` lists: the first holds
            first = resolve(version, variants[0])
            properties.update(properties_and_required(version, first)[0])
            required += [n for n in first.get("required", []) if n in properties]
        names = list(properties) if full else required
        value = {
            name: sample(version, properties[name], full, depth + 1) for name in names
        }
        extra = schema.get("additionalProperties")
        if full and not properties and isinstance(extra, Mapping) and extra:
            value["key"] = sample(version, extra, full, depth + 1)
        return value
    if kind == "array":
        # `full`: two elements where allowed, so repeated keys differ from one CSV value
        count = max(1, int(schema.get("minItems", 1)))
        if full:
            count = max(count, min(2, int(schema.get("maxItems", 2))))
        items = schema.get("items", {})
        return [sample(version, items, full, depth + 1) for _ in range(count)]
    if kind == "string":
        if schema.get("format") == "binary":
            return UPLOAD_CONTENT
        return "x" * max(1, int(schema.get("minLength", 1)))
    if kind == "integer":
        return int(_clamp(schema, 1))
    if kind == "number":
        return _clamp(schema, 1.5)
    if kind == "boolean":
        return True
    return "x"  # a schema that allows anything


def _clamp(schema: Schema, value: float) -> float:
    if isinstance(schema.get("maximum"), (int, float)):
        value = min(value, schema["maximum"])
    if isinstance(schema.get("minimum"), (int, float)):
        value = max(value, schema["minimum"])
    return value


# -- what one call sends ---------------------------------------------------------------


@dataclass
class Call:
    """Arguments for the generated method and what must arrive on the wire."""

    kwargs: dict[str, Any]
    raw_path: str  # path below the base URL, percent-encoded
    query: list[tuple[str, str]]  # sorted wire pairs
    json_body: Any = None  # expected JSON document (when the body is JSON)
    has_json_body: bool = False
    form_fields: list[tuple[str, str]] = field(default_factory=list)  # sorted
    file_fields: list[tuple[str, bytes]] = field(default_factory=list)  # sorted


def build_call(op: OperationSpec, full: bool = False) -> Call:
    """The call with the required arguments only; `full`: with every parameter and every
    body property too (not `stream`, which changes what the method returns)."""
    kwargs: dict[str, Any] = {}
    raw_path = op.path
    query: list[tuple[str, str]] = []
    for param in op.parameters:
        if not (param.required or full):
            continue
        if param.location == "path":
            kwargs[python_name(param.name)] = PATH_PARAM_VALUE
            raw_path = raw_path.replace(
                "{" + param.name + "}", quote(PATH_PARAM_VALUE, safe="")
            )
        elif param.location == "query":
            value = sample(op.version, param.schema, full)
            kwargs[python_name(param.name)] = value
            query.extend(_query_pairs(param.name, value))
        else:
            raise AssertionError(f"{op.test_id}: no rule for {param.location} params")
    call = Call(kwargs=kwargs, raw_path=raw_path, query=sorted(query))
    if op.request_schema is None:
        return call
    schema = op.request_schema
    if op.request_media == "application/json":
        call.has_json_body = True
        if is_object(op.version, schema):
            properties, required = properties_and_required(op.version, schema)
            names = [n for n in properties if n != "stream"] if full else required
            body = {name: sample(op.version, properties[name], full) for name in names}
            kwargs.update({python_name(name): value for name, value in body.items()})
            call.json_body = body
        else:
            call.json_body = kwargs["body"] = sample(op.version, schema, full)
    elif op.request_media == "multipart/form-data":
        properties, required = properties_and_required(op.version, schema)
        for name in list(properties) if full else required:
            value = sample(op.version, properties[name], full)
            kwargs[python_name(name)] = value
            if isinstance(value, bytes):
                call.file_fields.append((name, value))
            elif isinstance(value, list) and value and isinstance(value[0], bytes):
                call.file_fields.extend((name, item) for item in value)
            else:
                call.form_fields.extend((name, text) for text in _form_texts(value))
        call.form_fields.sort()
        call.file_fields.sort()
    else:
        raise AssertionError(f"{op.test_id}: no rule for {op.request_media} bodies")
    return call


def _scalar_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _query_pairs(name: str, value: Any) -> Iterator[tuple[str, str]]:
    if isinstance(value, list):
        for item in value:
            yield name, _scalar_text(item)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key, _scalar_text(item)
    else:
        yield name, _scalar_text(value)


def _form_texts(value: Any) -> list[str]:
    if isinstance(value, list) and all(not isinstance(v, (dict, list)) for v in value):
        return [_scalar_text(item) for item in value]
    if isinstance(value, (dict, list)):
        return [json.dumps(value, separators=(",", ":"))]
    return [_scalar_text(value)]


# -- streaming -------------------------------------------------------------------------


def has_stream_flag(op: OperationSpec) -> bool:
    """The operation's JSON body has a boolean `stream` property (API.md: `stream=True`)."""
    if op.request_media != "application/json" or op.request_schema is None:
        return False
    properties, _ = properties_and_required(op.version, op.request_schema)
    stream = properties.get("stream")
    return stream is not None and resolve(op.version, stream).get("type") == "boolean"


def response_kind(op: OperationSpec) -> str:
    """What API.md says the method returns for its 2xx response (without stream=True)."""
    media = [m for m in op.response_media if m != "text/event-stream"]
    if not media:
        return "sse" if op.response_media else "empty"
    first = media[0]
    if first == "application/json" or first.endswith("+json"):
        # a "JSON string" is a document (a file's content): bytes (RUNTIME.md)
        schema = resolve(op.version, op.response_schemas.get(first) or {})
        return "binary" if schema.get("type") == "string" else "json"
    if first.startswith("text/plain"):
        return "text"
    return "binary"
