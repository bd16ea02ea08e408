"""Hypothesis strategies for whole OpenAPI documents: component schemas (unions, nullable,
enums, patterns, maps, recursion through refs), tricky names, operations with every
parameter location and style, JSON/multipart/form bodies and several response kinds.

Documents are mostly valid, with the invalid things real specs contain (patterns written for
JavaScript, defaults of the wrong type, required names that do not exist, colliding
names), so most draws produce a package and the rest must end in a located diagnostic.
"""

from __future__ import annotations

import keyword
from typing import Any

from hypothesis import strategies as st

# Switches for constructs the planner once crashed on (each has a regression test in
# tests/robust/test_issue_regressions.py): component names that are Python keywords (or
# `__class__`, whose module is `class`), and OpenAPI 3.1 `type: [..]` lists. Both are
# drawn now that the planner handles them.
ALLOW_KEYWORD_COMPONENTS = True
ALLOW_TYPE_LISTS = True

TRICKY_NAMES = [
    "from", "class", "import", "def", "None", "True", "self", "cls", "type", "id", "list",
    "dict", "str", "int", "match", "case", "_", "__init__", "__class__", "model_config",
    "model_fields", "Field", "BaseModel", "Client", "json", "copy", "schema", "1st",
    "2fa-code", "naïve", "日本", "x-y", "x.y", "a b", "A", "a", "ABC", "abc", "Foo", "foo",
    "fooBar", "foo_bar", "FOO_BAR", "$ref", "@type", "body", "timeout", "extra_headers",
    "data", "items", "values", "keys", "validate", "Literal", "Any", "Optional",
]  # fmt: skip
TRICKY_STRINGS = [
    '"""', "'''", "\\", "{{ x }}", "{% if %}", "\x00", "\n", "line\nbreak", "__import__('os')",
    "", " ", "é", "😀", "null", "true", "0", "-1", "a'b", 'a"b', "${x}", "%s", "\t",
]  # fmt: skip
JS_PATTERNS = [
    r"^[a-z]+$", r"^[a-zA-Z\d-_/]+$", r"^\p{L}+$", r"^.{0,20000}$", r"^(?=.*\d).+$",
    r"^(a)\1$", r"^[\w-.]+$", r"\cJ", r"^\d{4}-\d{2}$", r"[", r"^\p{Lu}", r"a{,3}",
]  # fmt: skip
FORMATS = ["date-time", "date", "time", "uuid", "email", "uri", "byte", "binary",
           "password", "int64", "hostname", "ipv4", "duration", "custom-thing"]  # fmt: skip


def _keyword_like(name: str) -> bool:
    """`class`, `__class__`, `Import`: names whose module or class would be a keyword."""
    bare = name.strip("_").lower()
    return keyword.iskeyword(bare) or keyword.iskeyword(name.strip("_"))


component_names = st.sampled_from(TRICKY_NAMES).filter(
    lambda n: ALLOW_KEYWORD_COMPONENTS or not _keyword_like(n)
) | st.from_regex(r"[A-Za-z][A-Za-z0-9._-]{0,12}", fullmatch=True)
property_names = st.sampled_from(TRICKY_NAMES) | st.text(min_size=1, max_size=10)
strings = st.sampled_from(TRICKY_STRINGS) | st.text(max_size=8)


def _with(draw: st.DrawFn, schema: dict[str, Any], key: str, value: Any) -> None:
    if draw(st.booleans()):
        schema[key] = value


@st.composite
def string_schema(draw: st.DrawFn) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    _with(draw, schema, "format", draw(st.sampled_from(FORMATS)))
    if draw(st.integers(0, 3)) == 0:
        schema["pattern"] = draw(st.sampled_from(JS_PATTERNS))
    if draw(st.integers(0, 2)) == 0:
        schema["enum"] = draw(st.lists(strings, min_size=1, max_size=4, unique=True))
    _with(draw, schema, "minLength", draw(st.integers(0, 5)))
    _with(draw, schema, "maxLength", draw(st.integers(5, 50)))
    _with(draw, schema, "default", draw(strings | st.integers()))
    return schema


@st.composite
def number_schema(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["integer", "number"]))
    schema: dict[str, Any] = {"type": kind}
    _with(draw, schema, "minimum", draw(st.integers(-10, 0)))
    _with(draw, schema, "maximum", draw(st.integers(1, 10**12)))
    _with(draw, schema, "format", draw(st.sampled_from(["int32", "int64", "float"])))
    if draw(st.integers(0, 3)) == 0:
        schema["enum"] = draw(st.lists(st.integers(-3, 3), min_size=1, unique=True))
    _with(draw, schema, "default", draw(st.integers() | st.just("inf")))
    return schema


def leaf_schemas(refs: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    choices = [
        string_schema(),
        number_schema(),
        st.just({"type": "boolean"}),
        st.just({}),
        st.builds(lambda v: {"enum": v}, st.lists(strings | st.integers() | st.none(), min_size=1, max_size=3, unique=True)),  # fmt: skip
    ]
    if refs:
        choices.append(st.sampled_from(refs).map(lambda r: {"$ref": r}))
    return st.one_of(*choices)


def _nullable(draw: st.DrawFn, schema: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in schema and draw(st.integers(0, 4)) == 0:
        return {**schema, "nullable": True}
    return schema


def schemas(refs: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    def extend(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
        @st.composite
        def composite(draw: st.DrawFn) -> dict[str, Any]:
            shape = draw(
                st.sampled_from(["object", "array", "oneOf", "anyOf", "allOf", "map"])
            )
            if shape == "object":
                props = draw(st.dictionaries(property_names, children, max_size=5))
                schema: dict[str, Any] = {"type": "object", "properties": props}
                names = sorted(props)
                required = (
                    draw(st.lists(st.sampled_from(names), unique=True)) if names else []
                )
                if draw(st.integers(0, 5)) == 0:
                    required.append("not-a-property")
                if required:
                    schema["required"] = required
                _with(draw, schema, "additionalProperties", draw(st.booleans()))
                _with(draw, schema, "description", draw(strings))
            elif shape == "array":
                schema = {"type": "array", "items": draw(children)}
                _with(draw, schema, "minItems", draw(st.integers(0, 3)))
            elif shape == "map":
                schema = {"type": "object", "additionalProperties": draw(children)}
            elif shape == "allOf":
                schema = {"allOf": [draw(children), {"description": draw(strings)}]}
            else:
                schema = {shape: draw(st.lists(children, min_size=1, max_size=3))}
            return _nullable(draw, schema)

        return composite()

    return st.recursive(leaf_schemas(refs), extend, max_leaves=6)


METHODS = ["get", "post", "put", "patch", "delete"]
QUERY_STYLES: list[dict[str, Any]] = [
    {},
    {"style": "form", "explode": False},
    {"style": "spaceDelimited", "explode": False},
    {"style": "pipeDelimited", "explode": False},
    {"style": "deepObject", "explode": True},
]


@st.composite
def parameter(draw: st.DrawFn, refs: list[str]) -> dict[str, Any]:
    where = draw(st.sampled_from(["query", "header", "cookie"]))
    name = draw(property_names)
    if where == "header":
        name = draw(
            st.sampled_from(["X-Request-Id", "X-Weird'''", "Accept-Language", "x"])
        )
    param: dict[str, Any] = {"name": name, "in": where}
    style = draw(st.sampled_from(QUERY_STYLES)) if where == "query" else {}
    if style.get("style") == "deepObject":
        param["schema"] = {"type": "object", "properties": {"a": {"type": "string"}}}
    elif style.get("style") in ("spaceDelimited", "pipeDelimited") or draw(
        st.booleans()
    ):
        param["schema"] = {"type": "array", "items": draw(leaf_schemas([]))}
    else:
        param["schema"] = draw(leaf_schemas(refs))
    param.update(style)
    _with(draw, param, "required", True)
    _with(draw, param, "description", draw(strings))
    return param


@st.composite
def body(draw: st.DrawFn, refs: list[str]) -> dict[str, Any]:
    media = draw(st.sampled_from(["application/json", "multipart/form-data", "application/x-www-form-urlencoded", "application/octet-stream"]))  # fmt: skip
    if media == "application/json":
        schema = draw(schemas(refs))
    elif media == "application/octet-stream":
        schema = {"type": "string", "format": "binary"}
    else:
        props = draw(
            st.dictionaries(property_names, leaf_schemas([]), min_size=1, max_size=4)
        )
        if media == "multipart/form-data" and draw(st.booleans()):
            props["file"] = {"type": "string", "format": "binary"}
        schema = {"type": "object", "properties": props}
    found: dict[str, Any] = {"content": {media: {"schema": schema}}}
    _with(draw, found, "required", True)
    return found


@st.composite
def responses(draw: st.DrawFn, refs: list[str]) -> dict[str, Any]:
    kind = draw(st.sampled_from(["json", "json", "empty", "text", "binary", "sse"]))
    found: dict[str, Any] = {}
    if kind == "json":
        found["200"] = {"description": "ok", "content": {"application/json": {"schema": draw(schemas(refs))}}}  # fmt: skip
    elif kind == "empty":
        found["204"] = {"description": "nothing"}
    elif kind == "text":
        found["200"] = {"description": "text", "content": {"text/plain": {"schema": {"type": "string"}}}}  # fmt: skip
    elif kind == "binary":
        found["200"] = {"description": "bytes", "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}  # fmt: skip
    else:
        found["200"] = {"description": "events", "content": {"text/event-stream": {"schema": draw(schemas(refs))}}}  # fmt: skip
    if draw(st.booleans()):
        found["default"] = {"description": "error", "content": {"application/json": {"schema": draw(leaf_schemas(refs))}}}  # fmt: skip
    return found


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A whole document (a dict ready for json.dumps)."""
    names = draw(st.lists(component_names, min_size=1, max_size=5, unique=True))
    refs = [
        "#/components/schemas/" + n.replace("~", "~0").replace("/", "~1") for n in names
    ]
    components = {name: draw(schemas(refs)) for name in names}
    paths: dict[str, Any] = {}
    for index in range(draw(st.integers(1, 3))):
        segment = draw(st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True))
        path = f"/{segment}{index}"
        parameters = []
        if draw(st.booleans()):
            pname = draw(st.sampled_from(["id", "from", "item-id", "ID", "self", "x"]))
            path += "/{" + pname + "}"
            parameters.append({"name": pname, "in": "path", "required": True, "schema": draw(leaf_schemas([]))})  # fmt: skip
        item: dict[str, Any] = {}
        for method in draw(st.lists(st.sampled_from(METHODS), min_size=1, max_size=3, unique=True)):  # fmt: skip
            op_name = draw(property_names | st.just(""))
            operation: dict[str, Any] = {
                "parameters": parameters + draw(st.lists(parameter(refs), max_size=3, unique_by=lambda p: (p["in"], p["name"]))),  # fmt: skip
                "responses": draw(responses(refs)),
            }
            if op_name:
                operation["operationId"] = f"{op_name}{index}{method}"
            if draw(st.booleans()):
                operation["tags"] = [draw(property_names)]
            if method in ("post", "put", "patch") and draw(st.booleans()):
                operation["requestBody"] = draw(body(refs))
            _with(draw, operation, "description", draw(strings))
            item[method] = operation
        paths[path] = item
    return {
        "openapi": "3.0.3",
        "info": {"title": "Fuzz", "version": draw(st.sampled_from(["1.0", "v2", "2024-01-01"]))},  # fmt: skip
        "paths": paths,
        "components": {"schemas": components},
    }
