"""What the reference docs show beyond a signature: example calls and documented errors.

An example call comes from the spec when it has one: the request body's `example` /
`examples` (or its schema's `example`), else the JSON `curl` requests of OpenAI's
`x-oaiMeta` examples (URL -> path and query arguments, `-d` JSON -> body arguments, `-F`
fields -> form arguments, `-H` -> header arguments). Keys the spec does not declare go to
`extra_query` / `extra_body`, as a user would send them. Required arguments an example
leaves out are filled in, and an operation without any example gets one call of its
required arguments, made from their schemas (`example`, `default`, first enum value, or
a placeholder). So every example binds to the method's signature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from .. import ir
from .collect import body_kind
from .context import Context, mapping

MAX_DEPTH = 4  # of a synthesized nested value
_NO_BODY = object()
_INTEGER = re.compile(r"-?\d+")
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def with_examples(context: Context, api: ir.Api) -> ir.Api:
    by_pointer = {model.pointer: model.name for model in api.models}
    resources = tuple(
        replace(
            resource,
            operations=tuple(
                _documented(context, op, by_pointer) for op in resource.operations
            ),
        )
        for resource in api.resources
    )
    return replace(api, resources=resources)


def _documented(
    context: Context, op: ir.Operation, models: Mapping[str, str]
) -> ir.Operation:
    # the path item first: it may itself be a `$ref` to another path item
    item_pointer, method = op.pointer.rsplit("/", 1)
    item = mapping(context.deref({"$ref": item_pointer}))
    node = mapping(context.deref(item.get(method)))
    schemas = _Schemas(context, op, node, item)
    calls = [_call(op, request, schemas) for request in _requests(context, op, node)]
    examples = tuple(call for call in calls if call is not None)
    if not examples:
        minimal = _call(op, _Request("Minimal call"), schemas)
        examples = (replace(minimal, synthesized=True),) if minimal else ()
    return replace(op, examples=examples, errors=_errors(context, node, models))


# -- example requests, as the spec gives them ------------------------------------------


@dataclass
class _Request:
    title: str
    path: dict[str, str] = field(default_factory=dict)  # placeholder -> value
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: Any = _NO_BODY  # a JSON value
    form: list[tuple[str, str]] = field(default_factory=list)  # `-F name=value`


def _requests(
    context: Context, op: ir.Operation, node: Mapping[str, Any]
) -> list[_Request]:
    found = _body_examples(context, op, node)
    meta = mapping(node.get("x-oaiMeta"))
    listed = meta.get("examples")
    entries = listed if isinstance(listed, list) else [listed]
    for index, entry in enumerate(entries):
        entry = mapping(entry)
        request = entry.get("request", entry)  # 1.x: {curl, python, node.js}
        curl = mapping(request).get("curl") if isinstance(request, dict) else None
        if isinstance(curl, str):
            title = entry.get("title") or meta.get("name") or "Example"
            if len(entries) > 1 and not entry.get("title"):
                title = f"{title} ({index + 1})"
            parsed = _parse_curl(str(title), curl, op.path)
            if parsed is not None:
                found.append(parsed)
    return found


def _body_examples(
    context: Context, op: ir.Operation, node: Mapping[str, Any]
) -> list[_Request]:
    if op.body is None:
        return []
    body = mapping(context.deref(node.get("requestBody")))
    media = _media(op.body, body)
    found = []
    if "example" in media:
        found.append(_Request("Example", body=media["example"]))
    for name, example in mapping(media.get("examples")).items():
        example = mapping(context.deref(example))
        if "value" in example:
            title = str(example.get("summary") or name)
            found.append(_Request(title, body=example["value"]))
    schema = mapping(context.deref(media.get("schema")))
    if not found and isinstance(schema.get("example"), dict):
        found.append(_Request("Example", body=schema["example"]))
    return found


def _media(body: ir.RequestBody, node: Mapping[str, Any]) -> Mapping[str, Any]:
    """The content entry the planner chose (the first of the body's kind)."""
    for media, entry in mapping(node.get("content")).items():
        if body_kind(str(media)) == body.kind:
            return mapping(entry)
    return {}


def _parse_curl(title: str, text: str, template: str) -> _Request | None:
    try:
        tokens = shell_words(text.replace("\\\n", " "))
    except ValueError:
        return None
    request = _Request(title)
    url = None
    values = iter(tokens)
    for token in values:
        if token in ("-d", "--data", "--data-raw", "--data-binary"):
            try:
                request.body = json.loads(next(values, ""))
            except ValueError:
                return None  # not JSON (trailing commas, `...`): not usable
        elif token in ("-F", "--form"):
            name, _, value = next(values, "").partition("=")
            request.form.append((name, value))
        elif token in ("-H", "--header"):
            name, _, value = next(values, "").partition(":")
            request.headers[name.strip().lower()] = value.strip()
        elif token in ("-X", "--request", "-o", "--output", "-u", "--user"):
            next(values, None)
        elif token.startswith(("http://", "https://")):
            url = urlsplit(token)
    if url is None:
        return None
    request.query = parse_qsl(url.query, keep_blank_values=True)
    names = _PLACEHOLDER.findall(template)
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else "([^/]+)"
        for i, part in enumerate(_split(template))
    )
    match = re.search(pattern + "/?$", url.path)
    if match:
        for name, value in zip(names, match.groups()):
            value = unquote(value)
            if not value.startswith(("{", "$", "<")):
                request.path[name[1:-1]] = value
    return request


def shell_words(text: str) -> list[str]:
    """`shlex.split(text)`, word for word and error for error (ValueError), by regular
    expression rather than shlex's character-by-character reader (~5x faster; the
    OpenAI specs hold ~130 curl examples)."""
    words: list[str] = []
    word: str | None = None
    at, end = 0, len(text)
    while at < end:
        match = _SHELL_PART.match(text, at)
        if match is None:
            raise ValueError("no closing quotation or no escaped character")
        at = match.end()
        plain, escaped, single, double, _ = match.groups()
        if plain is not None:
            piece = plain
        elif escaped is not None:
            piece = escaped
        elif single is not None:
            piece = single
        elif double is not None:
            piece = _DOUBLE_ESCAPE.sub(r"\1", double)
        else:  # blanks end a word
            if word is not None:
                words.append(word)
                word = None
            continue
        word = piece if word is None else word + piece
    if word is not None:
        words.append(word)
    return words


# shlex's POSIX mode: blanks are " \t\r\n"; a backslash escapes any character outside
# quotes, none in single quotes, and in double quotes only `"` and itself (otherwise it
# stays); quotes are removed, and a quoted empty string is a word.
_SHELL_PART = re.compile(
    r"""([^ \t\r\n'"\\]+)|\\(.)|'([^']*)'|"((?:[^"\\]|\\.)*)"|([ \t\r\n]+)""",
    re.DOTALL,
)
_DOUBLE_ESCAPE = re.compile(r'\\(["\\])')


def _split(template: str) -> list[str]:
    """`/a/{x}/b` -> ["/a/", "{x}", "/b"]: literal and placeholder parts alternating."""
    parts: list[str] = []
    at = 0
    for match in _PLACEHOLDER.finditer(template):
        parts += [template[at : match.start()], match.group()]
        at = match.end()
    return [*parts, template[at:]]


# -- requests -> calls -----------------------------------------------------------------


class _Schemas:
    """Raw schemas of an operation's arguments, for values an example leaves out."""

    def __init__(
        self,
        context: Context,
        op: ir.Operation,
        node: Mapping[str, Any],
        item: Mapping[str, Any],
    ) -> None:
        self.context = context
        self.params: dict[tuple[str, str], Any] = {}
        for param in [*(item.get("parameters") or ()), *(node.get("parameters") or ())]:
            param = mapping(context.deref(param))
            key = (str(param.get("in")), str(param.get("name")))
            self.params[key] = param.get("schema")
        self.body: Any = None
        self.properties: Mapping[str, Any] = {}
        if op.body is not None:
            body = mapping(context.deref(node.get("requestBody")))
            self.body = _media(op.body, body).get("schema")
            self.properties, _ = _object_parts(context, self.body)

    def value(self, param: ir.Parameter) -> tuple[Any, ir.ExampleValueKind]:
        if param.location == "body":
            schema = self.properties.get(param.wire_name)
        else:
            schema = self.params.get((param.location, param.wire_name))
        if param.type == ir.FileInput() or _is_binary(self.context, schema):
            return f"<{param.name}>", "path"
        if schema is None:
            return _from_type(param.type, param.name), "json"
        return _synthesize(self.context, schema, param.name, 0), "json"

    def payload(self, body: ir.RequestBody) -> Any:
        """A value of a body passed whole (`body=`)."""
        if self.body is None:
            return _from_type(body.type, "body")
        return _synthesize(self.context, self.body, "body", 0)


def _call(op: ir.Operation, request: _Request, schemas: _Schemas) -> ir.Example | None:
    given: dict[str, ir.ExampleArgument] = {}
    extra_query: dict[str, Any] = {}
    extra_body: dict[str, Any] = {}
    _given_parameters(op, request, given, extra_query)
    body = op.body
    if body is not None and request.body is not _NO_BODY:
        if not body.flattened:
            given["body"] = _argument("body", request.body)
        elif isinstance(request.body, dict):
            _fields(body, request.body.items(), given, extra_body)
        else:
            return None  # an object body's example that is not an object
    if body is not None and body.flattened and request.form:
        _form(body, request.form, given, extra_body)
    arguments: list[ir.ExampleArgument] = []
    for param in [*op.path_params, *op.keyword_params]:
        if param.name in given:
            arguments.append(given[param.name])
        elif param.required:
            value, kind = schemas.value(param)
            arguments.append(_argument(param.name, value, kind))
    if body is not None and not body.flattened:
        if "body" in given:
            arguments.append(given["body"])
        elif body.required:
            arguments.append(_argument("body", schemas.payload(body)))
    if extra_query:
        arguments.append(_argument("extra_query", extra_query))
    if extra_body:
        arguments.append(_argument("extra_body", extra_body))
    if any(a.value == "" and a.kind == "json" for a in arguments):
        return None  # a value that is not JSON (NaN, a YAML date...)
    return ir.Example(request.title, tuple(arguments))


def _given_parameters(
    op: ir.Operation,
    request: _Request,
    given: dict[str, ir.ExampleArgument],
    extra_query: dict[str, Any],
) -> None:
    for param in op.path_params:
        if param.wire_name in request.path:
            text = request.path[param.wire_name]
            given[param.name] = _argument(param.name, _coerce(text, param.type))
    grouped: dict[str, list[str]] = {}
    for name, value in request.query:
        grouped.setdefault(name, []).append(value)
    by_wire = {p.wire_name: p for p in op.query_params}
    for name, texts in grouped.items():
        found = by_wire.get(name) or by_wire.get(name.removesuffix("[]"))
        if found is None:
            extra_query[name] = texts[0] if len(texts) == 1 else texts
        else:
            given[found.name] = _argument(found.name, _coerce_all(texts, found.type))
    for param in op.header_params:
        if param.wire_name.lower() in request.headers:
            text = request.headers[param.wire_name.lower()]
            given[param.name] = _argument(param.name, _coerce(text, param.type))


def _fields(
    body: ir.RequestBody,
    items: Iterable[tuple[Any, Any]],
    given: dict[str, ir.ExampleArgument],
    extra_body: dict[str, Any],
) -> None:
    by_wire = {p.wire_name: p for p in body.params}
    for key, value in items:
        found = by_wire.get(str(key))
        if found is None:
            extra_body[str(key)] = value
        else:
            given[found.name] = _argument(found.name, value)


def _form(
    body: ir.RequestBody,
    form: list[tuple[str, str]],
    given: dict[str, ir.ExampleArgument],
    extra_body: dict[str, Any],
) -> None:
    """`-F` fields: files (`@path`), and text as the argument's type takes it."""
    fields = {p.wire_name: p for p in body.params}
    grouped: dict[str, list[str]] = {}
    for name, value in form:
        grouped.setdefault(name, []).append(value)
    for name, texts in grouped.items():
        param = fields.get(name) or fields.get(name.removesuffix("[]"))
        if param is None:
            extra_body[name] = texts[0] if len(texts) == 1 else texts
        elif param.type == ir.FileInput() or param.wire_name in body.file_fields:
            text = texts[0]
            kind: ir.ExampleValueKind = "path" if text.startswith("@") else "bytes"
            given[param.name] = ir.ExampleArgument(
                param.name, text.removeprefix("@"), kind
            )
        else:
            given[param.name] = _argument(param.name, _coerce_all(texts, param.type))


def _argument(
    name: str, value: Any, kind: ir.ExampleValueKind = "json"
) -> ir.ExampleArgument:
    if kind != "json":
        return ir.ExampleArgument(name, str(value), kind)
    try:
        text = json.dumps(
            value, ensure_ascii=False, allow_nan=False, separators=(",", ":")
        )
    except (TypeError, ValueError):
        text = ""
    return ir.ExampleArgument(name, text)


# -- values ----------------------------------------------------------------------------


def _coerce_all(texts: Sequence[str], node: ir.TypeNode) -> Any:
    items = [m.item for m in _members(node) if isinstance(m, ir.ListOf)]
    if items:
        return [_coerce(text, items[0]) for text in texts]
    return _coerce(texts[-1], node)


def _coerce(text: str, node: ir.TypeNode) -> Any:
    """A value written as text (URL, form field) as the argument's type takes it."""
    members = _members(node)
    if any(isinstance(m, ir.LiteralOf) and text in m.values for m in members):
        return text
    scalars = {m.name for m in members if isinstance(m, ir.Scalar)}
    if "bool" in scalars and text in ("true", "false"):
        return text == "true"
    if scalars & {"int", "float"} and _INTEGER.fullmatch(text):
        return int(text)
    if "float" in scalars:
        try:
            return float(text)
        except ValueError:
            pass
    return text


def _members(node: ir.TypeNode) -> tuple[ir.TypeNode, ...]:
    return node.members if isinstance(node, ir.UnionOf) else (node,)


def _from_type(node: ir.TypeNode, name: str) -> Any:
    """A placeholder value of an IR type (when the schema is not at hand)."""
    for member in _members(node):
        if isinstance(member, ir.LiteralOf) and member.values:
            return member.values[0]
        if isinstance(member, ir.Scalar):
            return _SCALAR_PLACEHOLDERS.get(member.name, f"<{name}>")
        if isinstance(member, ir.ListOf):
            return [_from_type(member.item, name)]
        if isinstance(member, (ir.MapOf, ir.ModelRef, ir.ParamsRef)):
            return {}
    return f"<{name}>"


_SCALAR_PLACEHOLDERS: dict[str, Any] = {
    "int": 0,
    "float": 0.0,
    "bool": False,
    "datetime": "2024-01-01T00:00:00Z",
    "date": "2024-01-01",
    "time": "00:00:00",
}


def _synthesize(context: Context, schema: Any, name: str, depth: int) -> Any:
    """The smallest valid-looking value of a schema: its example, default or first enum
    value, else its required properties (objects) or one item (arrays)."""
    schema = mapping(context.deref(schema))
    for key in ("example", "default", "const"):
        if key in schema and _is_json(schema[key]):
            return schema[key]
    enum = [v for v in schema.get("enum") or () if v is not None]
    if enum:
        return enum[0]
    for key in ("oneOf", "anyOf"):
        options = [
            s
            for s in schema.get(key) or ()
            if mapping(context.deref(s)).get("type") != "null"
        ]
        if options:
            return _synthesize(context, options[0], name, depth)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), None)
    if kind == "object" or "properties" in schema or "allOf" in schema:
        if depth >= MAX_DEPTH:
            return {}
        properties, required = _object_parts(context, schema)
        return {
            key: _synthesize(context, properties.get(key), key, depth + 1)
            for key in required
        }
    if kind == "array":
        if depth >= MAX_DEPTH:
            return []
        return [_synthesize(context, schema.get("items"), name, depth + 1)]
    if kind == "integer":
        return schema.get("minimum", 0)
    if kind == "number":
        return float(schema.get("minimum", 0))
    if kind == "boolean":
        return False
    if kind == "string" and schema.get("format") == "date-time":
        return _SCALAR_PLACEHOLDERS["datetime"]
    return f"<{name}>"


def _object_parts(context: Context, schema: Any) -> tuple[dict[str, Any], list[str]]:
    """Properties and required names of an object schema, its `allOf` parts merged."""
    schema = mapping(context.deref(schema))
    properties = dict(mapping(schema.get("properties")))
    required = [str(r) for r in schema.get("required") or ()]
    for part in schema.get("allOf") or ():
        more, needed = _object_parts(context, part)
        properties.update({k: v for k, v in more.items() if k not in properties})
        required += [r for r in needed if r not in required]
    return properties, [r for r in required if r in properties]


def _is_binary(context: Context, schema: Any) -> bool:
    schema = mapping(context.deref(schema))
    return bool(schema.get("type") == "string" and schema.get("format") == "binary")


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError):
        return False
    return True


# -- errors ----------------------------------------------------------------------------


def _errors(
    context: Context, node: Mapping[str, Any], models: Mapping[str, str]
) -> tuple[ir.ErrorResponse, ...]:
    responses = {
        str(code): value for code, value in mapping(node.get("responses")).items()
    }
    codes = [c for c in responses if c[:1] in ("4", "5") or c == "default"]
    found = []
    for code in sorted(codes, key=lambda c: (c == "default", c)):
        response = mapping(context.deref(responses[code]))
        found.append(
            ir.ErrorResponse(
                status=code,
                description=str(response.get("description") or "").strip(),
                model=_json_model(context, response, models),
            )
        )
    return tuple(found)


def _json_model(
    context: Context, response: Mapping[str, Any], models: Mapping[str, str]
) -> str | None:
    for media, entry in mapping(response.get("content")).items():
        if body_kind(str(media)) != "json":
            continue
        schema = mapping(entry).get("schema")
        for _ in range(16):  # a chain of refs: the first that names a model
            ref = mapping(schema).get("$ref")
            if not isinstance(ref, str):
                break
            if ref in models:
                return models[ref]
            schema = context.resolve(ref)
    return None


__all__ = ["with_examples"]
