"""Schemas -> the IR's type tree, and the shapes of object schemas.

`Shapes` answers structural questions about schema nodes (is it an object model, which
properties and base does it have, what are its union variants). `Types` turns a schema
node into an `ir.TypeNode`, given the class name of every schema that became a model:
refs to value-like components (enums, unions, maps, arrays, aliases) are expanded in place,
so fields read `Literal[...]`, `A | B`, `dict[str, str]` rather than naming a wrapper class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import ir
from .context import Context, component_name

TAG_PREFERENCE = ("type", "role", "object", "event", "kind")
_CONSTRAINT_KEYS = frozenset({"required", "not", "description", "title"})
_SCALARS: dict[str, ir.ScalarName] = {
    "integer": "int",
    "number": "float",
    "boolean": "bool",
    "string": "str",
}
_STRING_FORMATS: dict[str, ir.ScalarName] = {
    "binary": "bytes",
    "date-time": "datetime",
    "date": "date",
    "time": "time",
}


@dataclass(frozen=True, slots=True)
class Shape:
    """An object schema's fields: its own, and those it inherits from `base`."""

    properties: dict[str, Any]  # own properties (wire name -> schema)
    required: frozenset[str]  # required names among own and inherited properties
    base: str | None = None  # component it extends (allOf with one ref)
    inherited: frozenset[str] = frozenset()  # property names that come from `base`


class Shapes:
    def __init__(self, context: Context) -> None:
        self.context = context
        self._shapes: dict[int, Shape] = {}

    def variants(self, schema: Mapping[str, Any]) -> list[Any] | None:
        """The oneOf/anyOf members that are types (a oneOf of bare `required` lists
        beside `properties` is a validation rule: "exactly one of these")."""
        for key in ("oneOf", "anyOf"):
            members = schema.get(key)
            if not isinstance(members, list) or not members:
                continue
            rule_only = all(
                isinstance(m, dict) and set(m) <= _CONSTRAINT_KEYS for m in members
            )
            if rule_only and "properties" in schema:
                continue
            return members
        return None

    def is_object(self, schema: Any) -> bool:
        """A schema that becomes a model class of its own (not a `$ref`)."""
        if not isinstance(schema, dict) or isinstance(schema.get("$ref"), str):
            return False
        if "enum" in schema or "const" in schema:
            return False
        properties = schema.get("properties")
        if isinstance(properties, dict) and properties:
            return True
        if self.variants(schema) is not None:
            return False
        parts = schema.get("allOf")
        if isinstance(parts, list):  # two typed parts or more are merged into one model
            return len([p for p in parts if not _is_annotation(p)]) > 1
        return False

    def is_object_component(self, name: str) -> bool:
        return self.is_object(self.context.schemas.get(name))

    def shape(self, schema: Mapping[str, Any]) -> Shape:
        key = id(schema)
        if key not in self._shapes:
            self._shapes[key] = self._shape(schema, set())
        return self._shapes[key]

    def all_properties(self, schema: Any, seen: set[int] | None = None) -> Shape:
        """Own and inherited properties together, with no base."""
        schema = self.context.deref(schema)
        if not isinstance(schema, dict) or id(schema) in (seen or set()):
            return Shape({}, frozenset())
        shape = self._shape(schema, set(seen or ()) | {id(schema)})
        if shape.base is None:
            return shape
        base = self.all_properties(self.context.schemas.get(shape.base), seen)
        return Shape({**base.properties, **shape.properties}, shape.required)

    def _shape(self, schema: Mapping[str, Any], seen: set[int]) -> Shape:
        properties: dict[str, Any] = {}
        required: set[str] = set()
        parts = schema.get("allOf")
        parts = parts if isinstance(parts, list) else []
        refs = [
            p
            for p in parts
            if isinstance(p, dict)
            and isinstance(p.get("$ref"), str)
            and self.is_object_component(component_name(p["$ref"]) or "")
        ]
        inline = [p for p in parts if isinstance(p, dict) and "$ref" not in p]
        base_ref = (
            refs[0]
            if len(refs) == 1 and len(refs) + len(inline) == len(parts)
            else None
        )
        base: str | None = None
        inherited: dict[str, Any] = {}
        for part in parts:
            if base_ref is not None and part is base_ref:
                base = component_name(base_ref["$ref"])
                inherited = self.all_properties(part, seen | {id(schema)}).properties
                continue
            flat = self.all_properties(part, seen | {id(schema)})
            properties.update(flat.properties)
            required |= flat.required
        own = schema.get("properties")
        if isinstance(own, dict):
            properties.update({str(k): v for k, v in own.items()})
        names = schema.get("required")
        if isinstance(names, list):
            required |= {str(n) for n in names}
        if base is not None and set(properties) & set(inherited):
            # a field that changes an inherited one: flattened, so types never conflict
            base_shape = self.all_properties(base_ref, seen | {id(schema)})
            properties = {**base_shape.properties, **properties}
            required |= base_shape.required
            base, inherited = None, {}
        known = set(properties) | set(inherited)
        return Shape(
            properties, frozenset(required & known), base, frozenset(inherited)
        )

    def discriminator(
        self, schema: Mapping[str, Any], members: list[Any]
    ) -> str | None:
        """The tag property that tells the members apart: the spec's `discriminator`,
        or a required one-value enum every member has (`type`, `role`, `object`...).
        None unless every member is an object whose tag is a distinct literal."""
        targets = [self.context.deref(m) for m in members]
        if len(targets) < 2 or not all(self.is_object(t) for t in targets):
            return None
        shapes = [self.all_properties(t) for t in targets]
        explicit = schema.get("discriminator")
        tag_name = explicit.get("propertyName") if isinstance(explicit, dict) else None
        if isinstance(tag_name, str):
            candidates = [tag_name]
        else:
            common = set.intersection(*(set(s.required) for s in shapes))
            candidates = sorted(
                common,
                key=lambda n: (
                    (
                        TAG_PREFERENCE.index(n)
                        if n in TAG_PREFERENCE
                        else len(TAG_PREFERENCE)
                    ),
                    n,
                ),
            )
        for tag in candidates:
            values = [
                self._single_value(s.properties.get(tag)) if tag in s.required else None
                for s in shapes
            ]
            if all(v is not None for v in values) and len(set(values)) == len(values):
                return tag
        return None

    def _single_value(self, schema: Any) -> str | None:
        schema = self.context.deref(schema)
        if not isinstance(schema, dict) or schema.get("nullable") is True:
            return None
        enum = schema.get("enum")
        if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
            return enum[0]
        const = schema.get("const")
        return const if isinstance(const, str) and "enum" not in schema else None


class Types:
    """Schema nodes -> type trees. `model_of(node)` names the class an inline object
    schema became; `component_class(name)` names the class of a component."""

    def __init__(
        self,
        shapes: Shapes,
        model_of: Callable[[Mapping[str, Any]], str | None],
        component_class: Callable[[str], str],
        union_name: Callable[[Mapping[str, Any]], str | None],
        schema_of: Callable[[str], Any],
    ) -> None:
        self.shapes = shapes
        self.context = shapes.context
        self._model_of = model_of
        self.component_class = component_class
        self._union_name = union_name
        self._schema_of = schema_of
        self._components: dict[str, ir.TypeNode] = {}
        self._active: set[str] = set()

    def component(self, name: str) -> ir.TypeNode:
        """The type a `$ref` to component `name` stands for."""
        if name in self._components:
            return self._components[name]
        schema = self.context.schemas.get(name)
        if self.shapes.is_object(schema):
            model = ir.ModelRef(self.component_class(name))
            assert isinstance(schema, dict)
            return optional(model) if schema.get("nullable") is True else model
        if name in self._active or not isinstance(schema, dict):
            return ir.ModelRef(self.component_class(name))  # recursion: its root class
        self._active.add(name)
        node = self.of(schema)
        self._active.discard(name)
        if isinstance(node, ir.UnionOf):
            node = dataclasses.replace(node, alias=self.component_class(name))
        self._components[name] = node
        return node

    def of(self, schema: Any) -> ir.TypeNode:
        if not isinstance(schema, dict):
            return ir.AnyValue()
        node = self._of(schema)
        if schema.get("nullable") is True:
            node = union([node, ir.NoneValue()])
        return node

    def _of(self, schema: Mapping[str, Any]) -> ir.TypeNode:
        ref = schema.get("$ref")
        if isinstance(ref, str):
            name = component_name(ref)
            if name is not None and name in self.context.schemas:
                return self.component(name)
            return self.of(self.context.resolve(ref))
        if self.shapes.is_object(schema):
            model = self._model_of(schema)
            return ir.ModelRef(model) if model else ir.MapOf(ir.AnyValue())
        members = self.shapes.variants(schema)
        if members is not None:
            node = union([self.of(m) for m in members])
            if isinstance(node, ir.UnionOf):
                # told apart by a tag once nested unions are opened: every member a model
                models = [m for m in node.members if isinstance(m, ir.ModelRef)]
                discriminator = None
                if len(models) == len(node.members) - allows_none(node):
                    schemas = [self._schema_of(m.name) for m in models]
                    discriminator = self.shapes.discriminator(schema, schemas)
                node = dataclasses.replace(
                    node, discriminator=discriminator, alias=self._union_name(schema)
                )
            return node
        parts = schema.get("allOf")
        if isinstance(parts, list) and parts:
            typed = [p for p in parts if not _is_annotation(p)]
            return self.of(typed[0]) if typed else ir.AnyValue()
        if "const" in schema:
            return _literal([schema["const"]], schema)
        enum = schema.get("enum")
        if isinstance(enum, list) and enum:
            return _literal(enum, schema)
        kind = schema.get("type")
        if isinstance(kind, list):
            return union([self._of({**schema, "type": k}) for k in kind])
        if kind == "null":
            return ir.NoneValue()
        if kind == "string":
            fmt = schema.get("format")
            return ir.Scalar(
                _STRING_FORMATS.get(fmt, "str") if isinstance(fmt, str) else "str"
            )
        if isinstance(kind, str) and kind in _SCALARS:
            return ir.Scalar(_SCALARS[kind])
        if kind == "array" or "items" in schema:
            return ir.ListOf(self.of(schema.get("items")))
        if (
            kind == "object"
            or "additionalProperties" in schema
            or "properties" in schema
        ):
            extra = schema.get("additionalProperties")
            return ir.MapOf(
                self.of(extra) if isinstance(extra, dict) else ir.AnyValue()
            )
        return ir.AnyValue()


def _is_annotation(part: Any) -> bool:
    """An allOf part that only annotates (`{description: ...}`, `{nullable: true}`)."""
    return isinstance(part, dict) and not (
        set(part) - {"description", "title", "nullable", "deprecated", "default"}
    )


def _literal(values: list[Any], schema: Mapping[str, Any]) -> ir.TypeNode:
    plain = [v for v in values if v is not None]
    if not all(isinstance(v, (str, int, bool)) for v in plain):
        kind = schema.get("type")
        base: ir.TypeNode = (
            ir.Scalar(_SCALARS[kind])
            if isinstance(kind, str) and kind in _SCALARS
            else ir.AnyValue()
        )
        return union([base, ir.NoneValue()]) if None in values else base
    unique = tuple(dict.fromkeys(plain))
    if not unique:
        return ir.NoneValue()
    node: ir.TypeNode = ir.LiteralOf(unique)
    return union([node, ir.NoneValue()]) if None in values else node


def union(members: list[ir.TypeNode]) -> ir.TypeNode:
    """A flat union: nested unions opened, duplicates dropped, None last; one member is
    itself; Any absorbs the rest."""
    flat: list[ir.TypeNode] = []
    for member in members:
        for part in member.members if isinstance(member, ir.UnionOf) else (member,):
            if part not in flat:
                flat.append(part)
    if ir.AnyValue() in flat:
        return ir.AnyValue()
    has_none = ir.NoneValue() in flat
    flat = [m for m in flat if m != ir.NoneValue()] + (
        [ir.NoneValue()] if has_none else []
    )
    if len(flat) == 1:
        return flat[0]
    return ir.UnionOf(tuple(flat))


def optional(node: ir.TypeNode) -> ir.TypeNode:
    return union([node, ir.NoneValue()])


def allows_none(node: ir.TypeNode) -> bool:
    return isinstance(node, ir.NoneValue) or (
        isinstance(node, ir.UnionOf) and ir.NoneValue() in node.members
    )
