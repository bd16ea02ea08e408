"""Schemas -> model classes: which schemas become classes, their names, fields, modules.

Every component gets a class named as in the spec (or an alias of an identical one);
every inline object schema gets a class named from its place, found breadth-first from the
roots (components first, then operation bodies and responses): a level's names are all
settled (in sorted order of their JSON pointers) before the next level's are wished for,
because a child's name is built from its parent's (`NoteModeration` + `categories` ->
`NoteModerationCategories`; a union variant tagged `thread.created` under
`ThreadStreamEvent` -> `ThreadCreatedEvent`). Inline schemas with the same content are one
class, so no two classes differ only in name.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .. import ir
from ..naming import Scope, join_words, pascal, repeats_words, singular, words
from .checks import python_pattern
from .context import Context, component_pointer, escape
from .types import Shapes, Types, allows_none

MODELS_RESERVED_MODULES = ("_base", "__init__")


@dataclass(frozen=True, slots=True)
class Root:
    """A schema planning starts from: a component, or an operation's body or response."""

    pointer: str
    schema: Any
    wishes: tuple[str, ...]  # class names, best first
    priority: int  # 0 components, 1 operation roots
    always: bool  # a class even if the schema is not an object (responses: a RootModel)


@dataclass
class _Site:
    pointer: str
    schema: Mapping[str, Any]
    wishes: tuple[str, ...]
    depth: int
    priority: int
    component: str | None = None


@dataclass
class ModelPlan:
    models: list[ir.Model]
    types: Types
    by_pointer: dict[str, str] = field(default_factory=dict)  # root pointer -> class


class ModelPlanner:
    def __init__(self, context: Context, classes: Scope) -> None:
        self.context = context
        self.shapes = Shapes(context)
        self.classes = classes
        self._keys: dict[int, str] = {}
        self._owner: dict[str, str] = {}  # content key -> class name
        self._component_class: dict[str, str] = {}
        self._merged: dict[str, str] = {}  # class -> the identical class it became
        self._sites: dict[str, _Site] = {}  # class name -> where its schema sits
        self._models: dict[str, ir.Model] = {}
        self._union_names: dict[str, str] = {}  # content key -> name of its place

    # -- content keys ----------------------------------------------------------------

    def _key(self, schema: Mapping[str, Any]) -> str:
        key = self._keys.get(id(schema))
        if key is None:
            key = json.dumps(schema, sort_keys=True, default=repr)
            self._keys[id(schema)] = key
        return key

    def model_of(self, schema: Mapping[str, Any]) -> str | None:
        owner = self._owner.get(self._key(schema))
        return None if owner is None else self._final(owner)

    def component_class(self, name: str) -> str:
        """The class a component's refs name (a merged component: the class it is)."""
        return self._final(self._component_class[name])

    def union_name(self, schema: Mapping[str, Any]) -> str | None:
        """The name of the place an inline union sits (`CreateAssistantRequestTool`)."""
        return self._union_names.get(self._key(schema))

    # -- discovery and naming --------------------------------------------------------

    def plan(self, roots: Sequence[Root]) -> ModelPlan:
        by_pointer: dict[str, str] = {}
        components = {r.pointer for r in roots if r.priority == 0}
        level: list[tuple[_Site, bool]] = [
            (_Site(r.pointer, r.schema, r.wishes, 0, r.priority), r.always)
            for r in roots
            if isinstance(r.schema, dict)
            and ("$ref" not in r.schema or r.pointer in components)
        ]
        while level:
            level.sort(key=lambda item: (item[0].priority, item[0].pointer))
            wishes: dict[tuple[int, str], tuple[str, ...]] = {}
            fresh: list[_Site] = []
            first: dict[str, _Site] = {}  # content key -> the site named for it
            copies: list[tuple[_Site, str]] = []
            next_level: list[tuple[_Site, bool]] = []
            for site, always in level:
                key = self._key(site.schema)
                is_component = site.pointer in components
                if not (always or self.shapes.is_object(site.schema)):
                    # no class of its own (an array body): its parts are named after it
                    children = self._children(site, site.wishes[0])
                    next_level.extend((child, False) for child in children)
                    continue
                if key in self._owner and not is_component:
                    by_pointer[site.pointer] = self._owner[key]
                    continue
                if key in first and not is_component:
                    copies.append((site, key))
                    continue
                first.setdefault(key, site)
                wishes[(site.priority, site.pointer)] = site.wishes
                fresh.append(site)
            names = self.classes.assign(wishes)
            for site in fresh:
                name = names[(site.priority, site.pointer)]
                key = self._key(site.schema)
                by_pointer[site.pointer] = name
                self._sites[name] = site
                if site.pointer in components:
                    component = site.pointer.rsplit("/", 1)[1].replace("~1", "/")
                    component = component.replace("~0", "~")
                    site.component = component
                    self._component_class[component] = name
                    if key in self._owner:  # the spec's own name: a class of its own
                        continue
                self._owner[key] = name
                next_level.extend(
                    (child, False) for child in self._children(site, name)
                )
            for site, key in copies:
                by_pointer[site.pointer] = self._owner[key]
            level = next_level
        types, models = self._build_all()
        while merged := self._identical(models):
            self._merged.update(merged)
            for name in _stale(models, set(merged)):
                self._models.pop(name, None)
            types, models = self._build_all()
        by_pointer = {
            pointer: self._final(name) for pointer, name in by_pointer.items()
        }
        return ModelPlan(sorted(models, key=lambda m: m.name), types, by_pointer)

    def _build_all(self) -> tuple[Types, list[ir.Model]]:
        """Every class, built (those built before are kept)."""
        types = Types(
            self.shapes,
            self.model_of,
            self.component_class,
            self.union_name,
            lambda name: self._sites[name].schema,
        )
        for component in sorted(self._component_class):  # settle recursion guards
            types.component(component)
        models = [
            self._model(name, site, types)
            for name, site in self._sites.items()
            if site.component is not None or name not in self._merged
        ]
        return types, models

    def _identical(self, models: list[ir.Model]) -> dict[str, str]:
        """Classes the generator named (inline schemas) that would print the same as an
        earlier one but for their name: each is merged into the first of them (in the
        order they were named). Components keep a class of their own: the spec names
        them, and results are instances of the class the spec names."""
        seen: dict[tuple[object, ...], str] = {}
        merged: dict[str, str] = {}
        order = {name: index for index, name in enumerate(self._sites)}
        for model in sorted(models, key=lambda m: order[m.name]):
            if model.kind == "alias":
                continue
            key = (model.kind, model.description, model.base, model.root, model.fields)
            if key not in seen:
                seen[key] = model.name
            elif self._sites[model.name].component is None:
                merged[model.name] = seen[key]
        return merged

    def _final(self, name: str) -> str:
        seen = {name}
        while name in self._merged and self._merged[name] not in seen:
            name = self._merged[name]
            seen.add(name)
        return name

    def _children(self, site: _Site, name: str) -> Iterator[_Site]:
        schema = site.schema
        depth = site.depth + 1
        if self.shapes.is_object(schema):
            parts = schema.get("allOf")
            places: list[tuple[str, Any]] = [(site.pointer, schema)]
            if isinstance(parts, list):
                places += [
                    (f"{site.pointer}/allOf/{i}", p) for i, p in enumerate(parts)
                ]
            for pointer, place in places:
                properties = (
                    place.get("properties") if isinstance(place, dict) else None
                )
                if not isinstance(properties, dict):
                    continue
                for prop, child in properties.items():
                    at = f"{pointer}/properties/{escape(str(prop))}"
                    yield from self._descend(
                        child, at, _property_wishes(name, str(prop)), depth
                    )
                extra = place.get("additionalProperties")
                if isinstance(extra, dict):
                    at = f"{pointer}/additionalProperties"
                    yield from self._descend(extra, at, (name + "Value",), depth)
        else:
            yield from self._descend(schema, site.pointer, (name,), depth, top=True)

    def _descend(
        self,
        schema: Any,
        pointer: str,
        wishes: tuple[str, ...],
        depth: int,
        *,
        top: bool = False,
    ) -> Iterator[_Site]:
        """The nearest schemas below `schema` that are models, through arrays, maps,
        unions and allOf wrappers (refs are roots of their own)."""
        if not isinstance(schema, dict) or isinstance(schema.get("$ref"), str):
            return
        if not top and self.shapes.is_object(schema):
            yield _Site(pointer, schema, wishes, depth, 2)
            return
        base = wishes[0]
        members = self.shapes.variants(schema)
        if members is not None:
            self._union_names.setdefault(self._key(schema), base)
            key = "oneOf" if schema.get("oneOf") is members else "anyOf"
            for index, member in enumerate(members):
                at = f"{pointer}/{key}/{index}"
                yield from self._descend(
                    member, at, self._variant_wishes(member, base), depth
                )
            return
        parts = schema.get("allOf")
        if isinstance(parts, list):
            for index, part in enumerate(parts):
                yield from self._descend(
                    part, f"{pointer}/allOf/{index}", wishes, depth
                )
        items = schema.get("items")
        if isinstance(items, dict):
            yield from self._descend(items, f"{pointer}/items", _items(wishes), depth)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            at = f"{pointer}/additionalProperties"
            yield from self._descend(extra, at, (base + "Value",), depth)

    def _variant_wishes(self, member: Any, base: str) -> tuple[str, ...]:
        """Names for an inline union member: from its title, from its tag value with the
        union's last word (`thread.created` in `...Event` -> `ThreadCreatedEvent`), or
        the union's name joined with the tag or the member's first property."""
        if not isinstance(member, dict):
            return (base,)
        found: list[str] = []
        title = member.get("title")
        if isinstance(title, str) and pascal(title):
            found.append(pascal(title))
        tag = self._tag_value(member)
        last = words(base)[-1:] or [""]
        if tag:
            found += [
                join_words(pascal(tag), pascal(last[0])),
                join_words(base, pascal(tag)),
            ]
        shape = self.shapes.all_properties(member)
        for prop in sorted(shape.required) or sorted(shape.properties)[:1]:
            found.append(join_words(base, pascal(prop)))
        found.append(base + "Variant")
        return tuple(dict.fromkeys(f for f in found if f))

    def _tag_value(self, member: Mapping[str, Any]) -> str | None:
        shape = self.shapes.all_properties(member)
        for tag in ("type", "event", "role", "object", "kind"):
            if tag in shape.required:
                value = self.shapes._single_value(shape.properties.get(tag))
                if value:
                    return value
        return None

    # -- models ----------------------------------------------------------------------

    def _model(self, name: str, site: _Site, types: Types) -> ir.Model:
        model = self._models.get(name)
        if model is None:
            model = self._models[name] = self._build(name, site, types)
        return model

    def _build(self, name: str, site: _Site, types: Types) -> ir.Model:
        schema = site.schema
        description = str(schema.get("description") or "").strip()
        deprecated = schema.get("deprecated") is True
        module = ""  # decided by `modules`
        if name in self._merged:
            return ir.Model(
                name,
                module,
                "alias",
                site.pointer,
                description,
                root=ir.ModelRef(self._final(name)),
            )
        if not self.shapes.is_object(schema):
            root = (
                types.component(site.component) if site.component else types.of(schema)
            )
            if isinstance(root, ir.ModelRef) and root.name != name:
                return ir.Model(
                    name, module, "alias", site.pointer, description, root=root
                )
            if isinstance(root, ir.ModelRef):  # a component that only refers to itself
                root = ir.AnyValue()
            return ir.Model(
                name,
                module,
                "root",
                site.pointer,
                description,
                root=root,
                deprecated=deprecated,
            )
        shape = self.shapes.shape(schema)
        base = self._component_class.get(shape.base) if shape.base else None
        nodes = [types.of(prop) for prop in shape.properties.values()]
        scope = Scope("field", set().union(*map(annotation_names, nodes)))
        if base is not None:
            scope.reserve(*self._inherited_names(base, types))
        names = scope.assign({wire: (wire,) for wire in shape.properties})
        fields = tuple(
            self._field(names[wire], wire, prop, wire in shape.required, types)
            for wire, prop in shape.properties.items()
        )
        return ir.Model(
            name,
            module,
            "object",
            site.pointer,
            description,
            base=base,
            fields=fields,
            deprecated=deprecated,
        )

    def _inherited_names(self, base: str, types: Types) -> list[str]:
        site = self._sites.get(base)
        if site is None:
            return []
        model = self._model(base, site, types)
        own = [f.name for f in model.fields]
        return own + (self._inherited_names(model.base, types) if model.base else [])

    def _field(
        self, name: str, wire: str, prop: Any, required: bool, types: Types
    ) -> ir.Field:
        node = types.of(prop)
        target = self.context.deref(prop)
        own = prop if isinstance(prop, dict) else {}
        text = own.get("description")
        if text is None and isinstance(own.get("allOf"), list):
            # `allOf: [{$ref: X}, {description: ...}]`: how OpenAPI 3.0 describes a ref
            text = next(
                (
                    part["description"]
                    for part in own["allOf"]
                    if isinstance(part, dict)
                    and "$ref" not in part
                    and isinstance(part.get("description"), str)
                ),
                None,
            )
        deprecated = own.get("deprecated") is True or (
            isinstance(target, dict) and target.get("deprecated") is True
        )
        return ir.Field(
            name=name,
            wire_name=wire,
            type=node,
            required=required,
            description=str(text or "").strip(),
            deprecated=deprecated,
            constraints=constraints(own, node),
        )


def _property_wishes(parent: str, prop: str) -> tuple[str, ...]:
    """A property's class: `<Parent><Property>`, or `<Parent>Details` when the property
    repeats the parent's last words (`AssistantToolsFileSearch.file_search`)."""
    joined = join_words(parent, pascal(prop) or "Field")
    return (joined,) if not repeats_words(joined) else (parent + "Details",)


def _items(wishes: tuple[str, ...]) -> tuple[str, ...]:
    """The items of an array are named in the singular (`...Choices` -> `...Choice`),
    or with `Item` appended."""
    found: list[str] = []
    for wish in wishes:
        parts = words(wish)
        one = singular(parts[-1]) if parts else ""
        if parts and one != parts[-1]:
            found.append(wish[: len(wish) - len(parts[-1])] + one)
    found += [w + "Item" for w in wishes]
    return tuple(dict.fromkeys(found))


_LENGTHS: tuple[tuple[str, ir.ConstraintName], ...] = (
    ("minLength", "min_length"),
    ("maxLength", "max_length"),
)
_ITEMS: tuple[tuple[str, ir.ConstraintName], ...] = (
    ("minItems", "min_length"),
    ("maxItems", "max_length"),
)
_BOUNDS: tuple[tuple[str, ir.ConstraintName, ir.ConstraintName], ...] = (
    ("minimum", "ge", "gt"),
    ("maximum", "le", "lt"),
)


def constraints(
    schema: Mapping[str, Any], node: ir.TypeNode
) -> tuple[ir.Constraint, ...]:
    """Length, range and pattern constraints of a field whose type is a plain value."""
    inner = node
    if isinstance(node, ir.UnionOf) and allows_none(node) and len(node.members) == 2:
        inner = node.members[0]
    found: list[ir.Constraint] = []

    def number(value: object) -> int | float | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        return None

    if isinstance(inner, ir.Scalar) and inner.name == "str":
        for key, name in _LENGTHS:
            if isinstance(value := number(schema.get(key)), int):
                found.append(ir.Constraint(name, value))
        pattern = python_pattern(schema.get("pattern"))
        if pattern is not None:
            found.append(ir.Constraint("pattern", pattern))
    elif isinstance(inner, ir.Scalar) and inner.name in ("int", "float"):
        for key, inclusive, exclusive in _BOUNDS:
            flag = schema.get("exclusive" + key.capitalize())
            if (value := number(schema.get(key))) is not None:
                found.append(
                    ir.Constraint(exclusive if flag is True else inclusive, value)
                )
            elif (bound := number(flag)) is not None:  # OpenAPI 3.1: the bound itself
                found.append(ir.Constraint(exclusive, bound))
        step = number(schema.get("multipleOf"))
        if step is not None and step > 0:
            found.append(ir.Constraint("multiple_of", step))
    elif isinstance(inner, ir.ListOf):
        for key, name in _ITEMS:
            if isinstance(value := number(schema.get(key)), int):
                found.append(ir.Constraint(name, value))
    return tuple(found)


def component_roots(context: Context) -> list[Root]:
    return [
        Root(component_pointer(name), schema, (name,), 0, True)
        for name, schema in context.schemas.items()
    ]


def assign_modules(models: list[ir.Model], modules: Scope) -> list[ir.Model]:
    """Each model's module under models/: snake_case of its name; models that refer to
    each other in a cycle share the module of the first of them (sorted by name)."""
    from dataclasses import replace

    from .graph import strongly_connected

    names = {m.name for m in models}
    edges = {m.name: sorted(_references(m) & names) for m in models}
    module_of: dict[str, str] = {}
    for group in sorted(strongly_connected(edges), key=lambda g: min(g)):
        module = modules.claim(min(group))
        for name in group:
            module_of[name] = module
    return [replace(m, module=module_of[m.name]) for m in models]


def _references(model: ir.Model) -> set[str]:
    found: set[str] = set()
    if model.base:
        found.add(model.base)
    nodes: list[ir.TypeNode] = [f.type for f in model.fields]
    if model.root is not None:
        nodes.append(model.root)
    for node in nodes:
        found |= model_names(node)
    return found


def annotation_names(node: ir.TypeNode) -> set[str]:
    """Every name an annotation of `node` may print: a field spelled like one would
    shadow it in the class body (`date: date | None = None`)."""
    if isinstance(node, ir.Scalar):
        return {node.name}
    if isinstance(node, ir.AnyValue):
        return {"Any"}
    if isinstance(node, ir.LiteralOf):
        return {"Literal"}
    if isinstance(node, ir.ListOf):
        return {"list"} | annotation_names(node.item)
    if isinstance(node, ir.MapOf):
        return {"dict", "str"} | annotation_names(node.value)
    if isinstance(node, ir.UnionOf):
        found = {"Annotated"} if node.discriminator else set()
        return found.union(*(annotation_names(m) for m in node.members))
    if isinstance(node, (ir.ModelRef, ir.ParamsRef)):
        return {node.name}
    return set()


def _stale(models: list[ir.Model], merged: set[str]) -> set[str]:
    """Classes to build again once `merged` are merged away: those, what names them
    (its types would name the class it became), and what inherits from either (its
    field names avoid the base's)."""
    stale = set(merged)
    for model in models:
        nodes = [f.type for f in model.fields]
        if model.root is not None:
            nodes.append(model.root)
        if any(model_names(node) & merged for node in nodes) or model.base in merged:
            stale.add(model.name)
    bases = {m.name: m.base for m in models if m.base}
    grown = True
    while grown:
        derived = {name for name, base in bases.items() if base in stale} - stale
        stale |= derived
        grown = bool(derived)
    return stale


def model_names(node: ir.TypeNode) -> set[str]:
    if isinstance(node, ir.ModelRef):
        return {node.name}
    if isinstance(node, ir.ListOf):
        return model_names(node.item)
    if isinstance(node, ir.MapOf):
        return model_names(node.value)
    if isinstance(node, ir.UnionOf):
        return set().union(*(model_names(m) for m in node.members))
    return set()
