"""The planner's models -> the documents handed to datamodel-code-generator.

Every class the planner decided is a component keyed `<module>.<Class>` (with
`treat_dot_as_module`, dmcg puts it in that module under that name: it never invents a
name or a module), and every type is written from the class's type tree, so dmcg prints
exactly what the planner decided:

- a class is a `$ref`; everything value-like (enums, unions, maps, aliases) was already
  expanded in place by the planner, so a field reads `Literal[...]`, `A | B`,
  `dict[str, str]`;
- nothing the client must not enforce reaches the document: no defaults, no
  `additionalProperties: false`, no format that would need another package, no pattern
  Python cannot compile (W204), no constraint on a union branch (the IR keeps
  constraints only on plain fields);
- descriptions are pre-wrapped at the line length (the templates only add the quotes and
  the indentation);
- a field's Python name comes from the planner, through dmcg's scoped `aliases` (keyed
  by the component's key and the wire name).

Which classes go into one document is `groups`' business.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from typing_extensions import assert_never

from .. import ir
from ..ir import LiteralValue
from ..render.text import LINE_LENGTH, docstring, wrap

REF = "#/components/schemas/"
BASE_MODULE = "_base"
# dmcg needs an absolute import path for the base class; it is made relative afterwards.
BASE_CLASS = f"{BASE_MODULE}.BaseModel"
# Class and field docstrings sit inside a class body.
DOC_INDENT = 4
ALIAS_KEY = "oapigen_alias"  # template data: the class is another name for a class

_SCALARS: dict[ir.ScalarName, dict[str, str]] = {
    "str": {"type": "string"},
    "int": {"type": "integer"},
    "float": {"type": "number"},
    "bool": {"type": "boolean"},
    "bytes": {"type": "string", "format": "binary"},
    "datetime": {"type": "string", "format": "date-time"},
    "date": {"type": "string", "format": "date"},
    "time": {"type": "string", "format": "time"},
}
_CONSTRAINTS: dict[ir.ConstraintName, str] = {
    "min_length": "minLength",
    "max_length": "maxLength",
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
    "multiple_of": "multipleOf",
    "pattern": "pattern",
}
_ITEM_CONSTRAINTS: dict[ir.ConstraintName, str] = {
    "min_length": "minItems",
    "max_length": "maxItems",
}


@dataclass(frozen=True)
class Names:
    """What a schema needs to know about the other classes."""

    keys: Mapping[str, str]  # class -> its component key, `<module>.<Class>`
    models: Mapping[str, ir.Model]
    inherited_tags: dict[str, set[str]] = field(default_factory=dict)

    def find_inherited_tags(self) -> None:
        """Classes in a tagged union whose tag field comes from their base."""
        for model in self.models.values():
            nodes = [f.type for f in model.fields]
            nodes += [model.root] if model.root is not None else []
            for node in nodes:
                for union in _tagged_unions(node):
                    assert union.discriminator is not None
                    for member in union.members:
                        if not isinstance(member, ir.ModelRef):
                            continue
                        own = self.models[member.name].fields
                        if all(f.wire_name != union.discriminator for f in own):
                            tags = self.inherited_tags.setdefault(member.name, set())
                            tags.add(union.discriminator)

    def ref(self, name: str) -> dict[str, Any]:
        return {"$ref": REF + self.keys[name]}

    def tag(self, name: str, tag: str) -> LiteralValue | None:
        """The one value of the tag field `tag` (a wire name) of class `name`, own or
        inherited."""
        return ir.tag_value(name, tag, self.models)


def model_schema(
    model: ir.Model, names: Names, describe: Callable[[str], str] | None = None
) -> dict[str, Any]:
    """The schema dmcg gets for `model`: descriptions `prewrapped`, or as `describe`
    spells them (a cache key needs only what they depend on: the text)."""
    describe = describe or prewrapped
    schema: dict[str, Any]
    kind = model.kind
    if kind == "object":
        own: dict[str, Any] = {
            "type": "object",
            "properties": {
                f.wire_name: _field(f, names, describe) for f in model.fields
            },
        }
        required = [f.wire_name for f in model.fields if f.required]
        if required:
            own["required"] = required
        if model.base is not None:
            schema = {"allOf": [names.ref(model.base), own]}
        else:
            schema = own
    elif kind == "root" or kind == "alias":
        assert model.root is not None
        schema = type_schema(model.root, names)
    else:
        assert_never(kind)
    if model.description:
        schema["description"] = describe(model.description)
    return schema


def _field(
    item: ir.Field, names: Names, describe: Callable[[str], str]
) -> dict[str, Any]:
    schema = type_schema(item.type, names)
    if item.constraints:
        schema = _constrainable(schema)
        spelled = _ITEM_CONSTRAINTS if "array" in _types(schema) else _CONSTRAINTS
        for constraint in item.constraints:
            key = spelled.get(constraint.name, _CONSTRAINTS[constraint.name])
            schema[key] = constraint.value
    if item.description:
        schema = _annotatable(schema)
        schema["description"] = describe(item.description)
    if item.deprecated:
        schema = _annotatable(schema)
        schema["deprecated"] = True
    return schema


def _constrainable(schema: dict[str, Any]) -> dict[str, Any]:
    """`T | None` as one schema of two types (constraints then apply to the value, and
    dmcg keeps the field a plain `T | None`: as a union member, a constrained value
    would become a class of its own)."""
    members = schema.get("anyOf")
    if isinstance(members, list) and len(members) == 2 and {"type": "null"} in members:
        inner = members[0] if members[1] == {"type": "null"} else members[1]
        if isinstance(inner, dict) and isinstance(inner.get("type"), str):
            return {**inner, "type": [inner["type"], "null"]}
    return schema


def _types(schema: Mapping[str, Any]) -> list[Any]:
    kind = schema.get("type")
    return kind if isinstance(kind, list) else [kind]


def _annotatable(schema: dict[str, Any]) -> dict[str, Any]:
    """A bare `$ref` gets its annotations beside an `allOf` (siblings of a `$ref`)."""
    if set(schema) == {"$ref"}:
        return {"allOf": [schema]}
    return schema


def type_schema(node: ir.TypeNode, names: Names) -> dict[str, Any]:
    if isinstance(node, ir.Scalar):
        return dict(_SCALARS[node.name])
    if isinstance(node, ir.AnyValue):
        return {}
    if isinstance(node, ir.NoneValue):
        return {"type": "null"}
    if isinstance(node, ir.LiteralOf):
        return {"enum": list(node.values)}
    if isinstance(node, ir.ListOf):
        return {"type": "array", "items": type_schema(node.item, names)}
    if isinstance(node, ir.MapOf):
        return {
            "type": "object",
            "additionalProperties": type_schema(node.value, names),
        }
    if isinstance(node, ir.UnionOf):
        return _union(node, names)
    if isinstance(node, ir.ModelRef):
        return names.ref(node.name)
    if isinstance(node, (ir.ParamsRef, ir.FileInput)):
        raise ValueError(f"a model cannot hold {node!r}")
    assert_never(node)


def _union(node: ir.UnionOf, names: Names) -> dict[str, Any]:
    members = [m for m in node.members if not isinstance(m, ir.NoneValue)]
    nullable = len(members) < len(node.members)
    schemas = [type_schema(m, names) for m in members]
    tag = node.discriminator
    if tag is not None:
        # The mapping spelled out: without it dmcg would derive each member's tag value
        # from its schema (and rewrite a tag that a member inherits).
        mapping = {}
        for member in members:
            assert isinstance(member, ir.ModelRef)
            value = names.tag(member.name, tag)
            assert value is not None, (member.name, tag)
            mapping[str(value)] = names.ref(member.name)["$ref"]
        tagged: dict[str, Any] = {
            "oneOf": schemas,
            "discriminator": {"propertyName": tag, "mapping": mapping},
        }
        return {"anyOf": [tagged, {"type": "null"}]} if nullable else tagged
    if nullable:
        schemas.append({"type": "null"})
    return {"anyOf": schemas}


def _tagged_unions(node: ir.TypeNode) -> list[ir.UnionOf]:
    if isinstance(node, ir.ListOf):
        return _tagged_unions(node.item)
    if isinstance(node, ir.MapOf):
        return _tagged_unions(node.value)
    if isinstance(node, ir.UnionOf):
        found = [node] if node.discriminator is not None else []
        for member in node.members:
            found += _tagged_unions(member)
        return found
    return []


def prewrapped(text: str) -> str:
    """A description laid out as its docstring will be: escaped as the docstring filter
    escapes it, then un-escaped where dmcg escapes again (backslashes, triple quotes),
    and wrapped so that each line, once escaped, fits the line length. One line if it
    fits beside the quotes; never a single line that would not (the template puts the
    closing quotes of a docstring of several lines on their own line)."""
    body = docstring(text)
    if "\n" not in body and DOC_INDENT + len(body) + 6 <= LINE_LENGTH:
        return _unescape(body)
    width = LINE_LENGTH - DOC_INDENT - 3
    lines = wrap(body, width).split("\n")
    if len(lines) == 1:  # too long for one line with both quotes: two lines then
        lines = wrap(body, min(width, len(body) - 1)).split("\n")
    return "\n".join(_unescape(line) for line in lines)


def _unescape(escaped: str) -> str:
    """The inverse of dmcg's docstring escape on text our escape produced."""
    if "\\" not in escaped:
        return escaped
    return _ESCAPED.sub(_unescaped, escaped)


# Left to right, an escaped triple quote before a lone escaped backslash.
_ESCAPED = re.compile(r'\\"\\"\\"|\\\\')


def _unescaped(match: re.Match[str]) -> str:
    return '"""' if match.group() != "\\\\" else "\\"


def warm_up_models() -> list[ir.Model]:
    """A small group using what real ones use (a base, a tagged union, an alias, a
    constraint, a docstring): running it once loads most of dmcg."""
    tagged = ir.UnionOf(
        (ir.ModelRef("WarmA"), ir.ModelRef("WarmB")), discriminator="type"
    )
    base = ir.Model(
        "WarmA",
        "warm",
        "object",
        "",
        "A class.",
        fields=(
            ir.Field("type", "type", ir.LiteralOf(("a",)), True),
            ir.Field(
                "n",
                "n-n",
                ir.Scalar("int"),
                False,
                "A field.",
                False,
                (ir.Constraint("ge", 1),),
            ),
        ),
    )
    models = [
        base,
        ir.Model(
            "WarmB",
            "warm",
            "object",
            "",
            fields=(
                ir.Field("type", "type", ir.LiteralOf(("b",)), True),
                ir.Field("items", "items", ir.ListOf(tagged), False),
            ),
        ),
        ir.Model(
            "WarmC",
            "warm",
            "object",
            "",
            base="WarmA",
            fields=(ir.Field("at", "at", ir.Scalar("datetime"), False),),
        ),
        ir.Model("WarmD", "warm", "root", "", root=tagged),
        ir.Model("WarmE", "warm", "alias", "", root=ir.ModelRef("WarmA")),
    ]
    return models
