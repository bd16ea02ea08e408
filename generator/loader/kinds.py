"""Which OpenAPI object every node is, so `$ref` is recognised only where it is a reference.

A `$ref` inside an `example`, `default` or `enum` is literal data, and a property named
`$ref` is a schema, not a reference; the kind of each node tells them apart. The kind of
a ref's target is the kind of the place that refers to it, which also says which
`components` section a schema copied in from another file belongs to.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

# Object kinds (a `$ref` in them is a reference).
DOCUMENT = "document"
SCHEMA = "schema"
UNKNOWN = "unknown"  # not modelled (extensions, unknown keywords): refs still followed
# Kinds whose node is not an object: literal data, maps and lists of one kind.
DATA = "data"
DISCRIMINATOR = "discriminator"
_MAP = "map:"
_LIST = "list:"
_SCHEMA_OR_LIST = "schemaOrList"  # `items`: a schema, or a list of them (old drafts)

SECTION_OF_KIND = {
    "schema": "schemas",
    "response": "responses",
    "parameter": "parameters",
    "example": "examples",
    "requestBody": "requestBodies",
    "header": "headers",
    "securityScheme": "securitySchemes",
    "link": "links",
    "callback": "callbacks",
}
KIND_OF_SECTION = {section: kind for kind, section in SECTION_OF_KIND.items()}

_OPERATION = {
    "parameters": _LIST + "parameter",
    "requestBody": "requestBody",
    "responses": "responses",
    "callbacks": _MAP + "callback",
}
_CONTENT = _MAP + "mediaType"
_PARAMETER = {
    "schema": SCHEMA,
    "content": _CONTENT,
    "example": DATA,
    "examples": _MAP + "example",
}

_CHILDREN: dict[str, dict[str, str]] = {
    DOCUMENT: {
        "paths": "paths",
        "webhooks": _MAP + "pathItem",
        "components": "components",
    },
    "components": {
        **{section: _MAP + kind for section, kind in KIND_OF_SECTION.items()},
        "pathItems": _MAP + "pathItem",
    },
    "pathItem": {
        **dict.fromkeys(
            ("get", "put", "post", "delete", "options", "head", "patch", "trace"),
            "operation",
        ),
        "parameters": _LIST + "parameter",
    },
    "operation": _OPERATION,
    "response": {
        "headers": _MAP + "header",
        "content": _CONTENT,
        "links": _MAP + "link",
    },
    "mediaType": {
        "schema": SCHEMA,
        "example": DATA,
        "examples": _MAP + "example",
        "encoding": _MAP + "encoding",
    },
    "encoding": {"headers": _MAP + "header"},
    "parameter": _PARAMETER,
    "header": _PARAMETER,
    "requestBody": {"content": _CONTENT},
    "example": {"value": DATA},
    "link": {"parameters": DATA, "requestBody": DATA},
    "securityScheme": {},
    SCHEMA: {
        **dict.fromkeys(
            ("properties", "patternProperties", "$defs", "definitions"),
            _MAP + SCHEMA,
        ),
        "dependentSchemas": _MAP + SCHEMA,
        **dict.fromkeys(("allOf", "anyOf", "oneOf", "prefixItems"), _LIST + SCHEMA),
        **dict.fromkeys(
            (
                "additionalProperties",
                "additionalItems",
                "not",
                "if",
                "then",
                "else",
                "contains",
                "propertyNames",
                "unevaluatedItems",
                "unevaluatedProperties",
                "contentSchema",
            ),
            SCHEMA,
        ),
        "items": _SCHEMA_OR_LIST,
        "discriminator": DISCRIMINATOR,
        **dict.fromkeys(("example", "examples", "default", "enum", "const"), DATA),
    },
}
# Maps that are OpenAPI objects themselves: their `x-` keys are extensions.
_EXTENSIBLE_MAPS = {
    "paths": "pathItem",
    "responses": "response",
    "callback": "pathItem",
}


def child_kind(kind: str, key: str, value: Any) -> str:
    """Kind of `node[key]` for a node of `kind`."""
    if kind.startswith(_MAP):
        return kind[len(_MAP) :]
    if kind in _EXTENSIBLE_MAPS:
        return UNKNOWN if key.startswith("x-") else _EXTENSIBLE_MAPS[kind]
    if kind == DATA:
        return DATA
    if kind == _SCHEMA_OR_LIST:
        return SCHEMA
    children = _CHILDREN.get(kind)
    if children is None:
        return UNKNOWN
    found = children.get(key)
    if found == _SCHEMA_OR_LIST:
        return _LIST + SCHEMA if isinstance(value, list) else SCHEMA
    return UNKNOWN if found is None else found


def item_kind(kind: str) -> str:
    """Kind of the items of a list node of `kind`."""
    if kind.startswith(_LIST):
        return kind[len(_LIST) :]
    return DATA if kind == DATA else UNKNOWN


def is_object(kind: str) -> bool:
    """Whether a mapping of this kind is an object that may be a `{"$ref": ...}`."""
    return not (
        kind.startswith(_MAP)
        or kind in (DATA, DISCRIMINATOR, "components", "paths", "responses")
    )


def section_for(kind: str, target: tuple[str, ...]) -> str | None:
    """`components` section a copied ref target goes to; None: inline it (path items,
    operations and other objects that have no section in OpenAPI 3.0)."""
    if kind in SECTION_OF_KIND:
        return SECTION_OF_KIND[kind]
    if kind != UNKNOWN:
        return None
    if len(target) >= 3 and target[0] == "components" and target[1] in KIND_OF_SECTION:
        return target[1]
    return "schemas"


def is_mapping_ref(value: str) -> bool:
    """A discriminator mapping value is a reference (else a bare schema name)."""
    return "#" in value or "/" in value or value.endswith((".yaml", ".yml", ".json"))


@dataclass(frozen=True)
class RefSite:
    """A place that refers: a `{"$ref": ...}` object, or a discriminator mapping value."""

    path: tuple[str, ...]  # pointer segments of the referring object (or mapping value)
    ref: Any  # the `$ref` value (not necessarily a string: that is an error)
    kind: str  # kind of the referring object = kind of its target
    node: dict[str, Any] | None  # the `{"$ref": ...}` object; None for a mapping value

    @property
    def ref_path(self) -> tuple[str, ...]:
        """Where the reference string itself is (the line diagnostics point at)."""
        return self.path if self.node is None else (*self.path, "$ref")


class RecursiveData(Exception):
    """The data contains itself (a YAML alias inside its own anchor)."""

    def __init__(self, path: tuple[str, ...]) -> None:
        self.path = path


def ref_sites(data: Any, kind: str, base: tuple[str, ...] = ()) -> Iterator[RefSite]:
    """Every reference in `data` (a node of `kind` at `base` in its file), in document
    order. Literal data is walked too, only to reject data that contains itself."""
    path: list[str] = list(base)
    active: set[int] = set()

    def visit(node: Any, node_kind: str) -> Iterator[RefSite]:
        if id(node) in active:
            raise RecursiveData(tuple(path))
        active.add(id(node))
        if isinstance(node, dict):
            if node_kind == DATA:
                pass
            elif "$ref" in node and is_object(node_kind):
                yield RefSite(tuple(path), node["$ref"], node_kind, node)
            elif node_kind == DISCRIMINATOR:
                mapping = node.get("mapping")
                if isinstance(mapping, dict):
                    for key, value in mapping.items():
                        if isinstance(value, str) and is_mapping_ref(value):
                            site = (*path, "mapping", key)
                            yield RefSite(site, value, SCHEMA, None)
            for key, value in node.items():
                if isinstance(value, (dict, list)):
                    path.append(key)
                    yield from visit(value, child_kind(node_kind, key, value))
                    path.pop()
        else:
            sub = item_kind(node_kind)
            for index, value in enumerate(node):
                if isinstance(value, (dict, list)):
                    path.append(str(index))
                    yield from visit(value, sub)
                    path.pop()
        active.discard(id(node))

    if isinstance(data, (dict, list)):
        yield from visit(data, kind)
