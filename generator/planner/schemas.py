"""Prepare the schemas handed to datamodel-code-generator.

The loaded document is never mutated (YAML aliases share objects); `prepare` returns a
copy-on-write version of `components.schemas` in which:
- `default`s are dropped (the client never sends them; see `_check_default`), with a warning
  where the spec's default does not even match its type (`default: inf` on an integer);
- `required` naming a property that does not exist is repaired with a warning;
- `additionalProperties: false` is dropped, so responses stay forward compatible (unknown
  fields are kept) - requests are still exact, as their arguments are spelled out;
- `oneOf`/`anyOf` branches that only list `required` names (an "exactly one of" rule beside
  `properties`) are dropped: they are validation rules, not types;
- union branches and map values that are plain values lose their length/range
  constraints (see `_unconstrained`);
- string formats that would need extra packages or rewrite values become plain strings;
- `pattern`s (JavaScript regex) are translated for the models' regex engines, or dropped
  with a warning (see `patterns.py`);
- `allOf: [{$ref: <value-like>}, {description}]` reads as the described ref;
- object unions whose variants each carry a one-value enum tag (`type`, `role`, `object`...)
  get an explicit `discriminator`, so pydantic picks the variant by tag.
"""

from __future__ import annotations

import keyword
from collections.abc import Callable, Mapping
from typing import Any

from ..diagnostics import Diagnostic, warning
from ..naming import pascal, python_identifier
from .patterns import translate as translate_pattern

TAG_PREFERENCE = ("type", "role", "object", "event", "kind")
# Formats pydantic would map to types that need extra packages (email-validator) or that
# rewrite the value when sent back (AnyUrl adds a trailing slash): kept as plain strings.
PLAIN_STRING_FORMATS = frozenset(
    {
        "email",
        "idn-email",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uri-template",
    }
)
_TYPE_CHECKS: dict[str, Callable[[Any], bool]] = {
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "array": lambda v: isinstance(v, list),
    "object": lambda v: isinstance(v, dict),
}
_CHILD_MAPS = ("properties", "patternProperties")
_CHILD_LISTS = ("allOf", "oneOf", "anyOf")
_CHILD_SCHEMAS = ("items", "additionalProperties", "not")

Locate = Callable[[str], tuple[str, int | None]]


class SchemaPreparer:
    def __init__(self, resolve: Callable[[str], Any], locate: Locate) -> None:
        self._resolve = resolve
        self._locate = locate
        self.diagnostics: list[Diagnostic] = []
        self._components: Mapping[str, Any] = {}
        self._base = COMPONENTS.rstrip("/")
        self._done: dict[str, Any] = {}
        self._active: set[str] = set()
        self.renamed: dict[str, str] = {}  # component name -> the name its class gets

    def prepare(self, schemas: Mapping[str, Any], base: str) -> dict[str, Any]:
        """The prepared components, keyed by the class name each will get."""
        self._components = schemas
        self._base = base
        self.renamed = class_names(schemas)
        return {self.renamed.get(name, name): self._component(name) for name in schemas}

    def schema(self, schema: Any, pointer: str) -> Any:
        return self._schema(schema, pointer)

    def _component(self, name: str) -> Any:
        if name not in self._done:
            self._active.add(name)
            pointer = f"{self._base}/{_escape(name)}"
            self._done[name] = self._schema(self._components[name], pointer)
            self._active.discard(name)
        return self._done[name]

    def _reference(self, schema: Mapping[str, Any]) -> Any:
        """A `$ref` to a component that is not an object model is replaced by the
        component's own schema, so fields read as plain values and unions (`str`,
        `Literal[...]`, `dict[str, str]`, `A | B`), not as RootModel wrappers whose data
        sits in `.root`. Refs to aliases (a component that is only a `$ref`) go to the
        final target. The components themselves still get their classes."""
        ref = schema["$ref"]
        name = _component_name(ref)
        seen: set[str] = set()
        while name is not None and name in self._components and name not in seen:
            seen.add(name)
            target = self._components[name]
            inner = target.get("$ref") if isinstance(target, Mapping) else None
            if isinstance(inner, str) and len(target) == 1:
                name = _component_name(inner)  # an alias: follow it
                continue
            if not _value_like(target) or name in self._active:
                final = COMPONENTS + _escape(self.renamed.get(name, name))
                if final == ref:
                    return schema
                return {**schema, "$ref": final}
            inlined = self._component(name)
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            return {**inlined, **siblings} if siblings else inlined
        return schema

    def _rename(self, ref: str) -> str:
        name = _component_name(ref)
        if name is None or name not in self.renamed:
            return ref
        return COMPONENTS + _escape(self.renamed[name])

    def _warn(self, code: str, pointer: str, message: str, hint: str = "") -> None:
        file, line = self._locate(pointer)
        self.diagnostics.append(warning(code, file, line, pointer, message, hint))

    def _schema(self, schema: Any, pointer: str) -> Any:
        if not isinstance(schema, Mapping):
            return schema
        if isinstance(schema.get("$ref"), str):
            if set(schema) <= _REF_SIBLINGS:
                return self._reference(schema)
            renamed = self._rename(schema["$ref"])
            return schema if renamed == schema["$ref"] else {**schema, "$ref": renamed}
        described = self._described_value_ref(schema)
        if described is not None:
            return self._schema(described, pointer)
        out: dict[str, Any] | None = None

        def put(key: str, value: Any) -> None:
            nonlocal out
            if out is None:
                out = dict(schema)
            out[key] = value

        def drop(key: str) -> None:
            nonlocal out
            if out is None:
                out = dict(schema)
            out.pop(key, None)

        for key in _CHILD_MAPS:
            children = schema.get(key)
            if isinstance(children, Mapping):
                new = {
                    k: self._schema(v, f"{pointer}/{key}/{_escape(k)}")
                    for k, v in children.items()
                }
                if any(new[k] is not children[k] for k in children):
                    put(key, new)
        for key in _CHILD_LISTS:
            children = schema.get(key)
            if isinstance(children, list):
                new_list = [
                    self._schema(v, f"{pointer}/{key}/{i}")
                    for i, v in enumerate(children)
                ]
                if any(a is not b for a, b in zip(new_list, children)):
                    put(key, new_list)
        for key in _CHILD_SCHEMAS:
            child = schema.get(key)
            if isinstance(child, Mapping):
                new_child = self._schema(child, f"{pointer}/{key}")
                if new_child is not child:
                    put(key, new_child)

        if schema.get("additionalProperties") is False:
            drop("additionalProperties")
        if schema.get("nullable") is False:
            # the default; spelled out, datamodel-code-generator (strict_nullable) types an
            # optional field without `| None` yet defaults it to None
            drop("nullable")
        current = schema if out is None else out
        for key in ("oneOf", "anyOf"):
            variants = current.get(key)
            if isinstance(variants, list):
                plain = [_unconstrained(v) for v in variants]
                if any(a is not b for a, b in zip(plain, variants)):
                    put(key, plain)
        values = current.get("additionalProperties")
        if isinstance(values, Mapping) and _unconstrained(values) is not values:
            put("additionalProperties", _unconstrained(values))
        for key in ("oneOf", "anyOf"):
            if "properties" in schema and _constraint_only(schema.get(key)):
                # `oneOf: [{required: [a]}, {required: [b]}]` beside `properties` says "exactly
                # one of a, b": a validation rule, not a type. Kept, it makes one model class
                # per branch (`FileSearch`, `FileSearch1`); the properties stay optional.
                drop(key)
        if schema.get("format") in PLAIN_STRING_FORMATS:
            drop("format")
        # JavaScript's regular expressions -> what the models compile (patterns.py)
        if "pattern" in schema:
            fixed = translate_pattern(str(schema["pattern"]))
            if fixed.code:
                self._warn(fixed.code, f"{pointer}/pattern", fixed.message)
            if fixed.pattern is None:
                drop("pattern")
            elif fixed.pattern != schema["pattern"]:
                put("pattern", fixed.pattern)
        self._check_default(schema, pointer, drop)
        self._check_required(schema, pointer, put)
        discriminator = self._implicit_discriminator(schema)
        if discriminator is not None:
            put("discriminator", discriminator)
        explicit = schema.get("discriminator")
        if discriminator is None and isinstance(explicit, Mapping):
            mapping = explicit.get("mapping")
            if isinstance(mapping, Mapping) and self.renamed:
                new = {k: self._rename(str(v)) for k, v in mapping.items()}
                if new != dict(mapping):
                    put("discriminator", {**explicit, "mapping": new})
        return schema if out is None else out

    def _described_value_ref(self, schema: Mapping[str, Any]) -> dict[str, Any] | None:
        """`allOf: [{$ref: <enum, string...>}, {description: ...}]` (how 3.0 describes a
        ref) as `{$ref, description}`. Kept as an allOf, datamodel-code-generator makes a
        model of it in a module named after the property: `from.py` for `from`, which no
        `import` statement can name."""
        parts = schema.get("allOf")
        if not isinstance(parts, list) or set(schema) - _REF_SIBLINGS - {"allOf"}:
            return None
        refs = [p for p in parts if isinstance(p, Mapping) and "$ref" in p]
        rest = [p for p in parts if not any(p is r for r in refs)]
        if (
            len(refs) != 1
            or set(refs[0]) != {"$ref"}
            or not all(isinstance(p, Mapping) and set(p) <= _REF_SIBLINGS for p in rest)
        ):
            return None
        name, seen = _component_name(str(refs[0]["$ref"])), set()
        target = None
        while name is not None and name in self._components and name not in seen:
            seen.add(name)
            target = self._components[name]
            inner = target.get("$ref") if isinstance(target, Mapping) else None
            name = _component_name(inner) if isinstance(inner, str) else None
        if not _value_like(target):
            return None
        merged: dict[str, Any] = {"$ref": refs[0]["$ref"]}
        for part in rest:
            merged.update(part)
        merged.update((k, v) for k, v in schema.items() if k != "allOf")
        return merged

    def _check_default(
        self, schema: Mapping[str, Any], pointer: str, drop: Callable[[str], None]
    ) -> None:
        if "default" not in schema:
            return
        # Defaults are the server's business: the client never sends them, and a model field
        # defaulting to the spec's value would invent data the server did not send. They are
        # also where real specs go wrong (`default: inf` on an integer), and where
        # datamodel-code-generator does (a union's default copied into every variant, list
        # defaults mypy types as list[str]). So every default goes; a wrong one is reported.
        value, kind = schema["default"], schema.get("type")
        if value is not None and isinstance(kind, str) and kind in _TYPE_CHECKS:
            if not _TYPE_CHECKS[kind](value):
                self._warn(
                    "W201",
                    f"{pointer}/default",
                    f"default {value!r} is not of type {kind}; ignored",
                    "the generated client never sends defaults, so nothing is lost",
                )
        drop("default")

    def _check_required(
        self, schema: Mapping[str, Any], pointer: str, put: Callable[[str, Any], None]
    ) -> None:
        required, properties = schema.get("required"), schema.get("properties")
        if not isinstance(required, list) or not isinstance(properties, Mapping):
            return
        extra = schema.get("additionalProperties", False)
        if extra is not False or any(k in schema for k in ("allOf", "oneOf", "anyOf")):
            return  # the property may come from elsewhere
        missing = [name for name in required if name not in properties]
        if missing:
            for name in missing:
                self._warn(
                    "W202",
                    f"{pointer}/required",
                    f"required property {name!r} is not defined in properties; ignored",
                )
            put("required", [name for name in required if name in properties])

    def _implicit_discriminator(
        self, schema: Mapping[str, Any]
    ) -> dict[str, Any] | None:
        if "discriminator" in schema:
            return None
        variants = schema.get("oneOf") or schema.get("anyOf")
        if not isinstance(variants, list) or len(variants) < 2:
            return None
        refs = [v.get("$ref") if isinstance(v, Mapping) else None for v in variants]
        if not all(isinstance(r, str) for r in refs) or len(set(refs)) != len(refs):
            return None
        targets = [self._resolve(r) for r in refs if isinstance(r, str)]
        for tag in _tag_candidates(targets):
            values = [_single_enum(t, tag) for t in targets]
            if all(v is not None for v in values) and len(set(values)) == len(values):
                return {
                    "propertyName": tag,
                    "mapping": {
                        str(v): self._rename(str(r)) for v, r in zip(values, refs)
                    },
                }
        return None


_CONSTRAINT_KEYS = frozenset({"required", "not", "description", "title"})
_REF_SIBLINGS = frozenset({"$ref", "nullable", "description", "title", "deprecated"})
COMPONENTS = "#/components/schemas/"


# Names model modules import from pydantic/typing: a component spelled the same would
# shadow them (`class Field` next to `Field(alias=...)`), so its class gets a suffix.
MODEL_MODULE_NAMES = frozenset(
    {"Field", "BaseModel", "RootModel", "ConfigDict", "Literal", "Any", "AnyUrl"}
)


def class_names(schemas: Mapping[str, Any]) -> dict[str, str]:
    """Components whose class cannot carry their name as spelled, and the name it gets.

    A name that is not an identifier (`Item-Type`) becomes PascalCase; a name model modules
    import (`Field`) or one already taken gets `Model` appended. Decided in sorted order of
    the spec's names, so the result does not depend on their order in the file.
    """
    taken = {name for name in schemas if _usable(name)}
    renamed: dict[str, str] = {}
    for name in sorted(schemas):
        if _usable(name):
            continue
        new = pascal(name) if name not in MODEL_MODULE_NAMES else name
        if not new.isidentifier() or keyword.iskeyword(new):
            new = f"Schema{python_identifier(new)}"
        if new in taken or new in MODEL_MODULE_NAMES:
            new += "Model"
        while new in taken:
            new += "_"
        taken.add(new)
        renamed[name] = new
    return renamed


def _usable(name: str) -> bool:
    return (
        name.isidentifier()
        and not keyword.iskeyword(name)
        and name not in MODEL_MODULE_NAMES
        and pascal(name) == name
    )


def _component_name(ref: str) -> str | None:
    if not ref.startswith(COMPONENTS):
        return None
    name = ref[len(COMPONENTS) :]
    return None if "/" in name else name.replace("~1", "/").replace("~0", "~")


_CONSTRAINTS = frozenset(
    {
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
    }
)


def _unconstrained(schema: Any) -> Any:
    """A union branch or map value without length/range constraints.

    datamodel-code-generator can only express a constraint there through a RootModel class
    of its own, named by number (`Prompt1`, `Input2Item`) and read through `.root`; the
    server still enforces the constraint, so the client states the plain type."""
    if not isinstance(schema, Mapping) or "$ref" in schema or "properties" in schema:
        return schema
    if schema.get("type") not in ("string", "integer", "number", "array"):
        return schema
    out = {k: v for k, v in schema.items() if k not in _CONSTRAINTS}
    items = schema.get("items")
    if isinstance(items, Mapping) and _unconstrained(items) is not items:
        out["items"] = _unconstrained(items)
    return schema if out == schema else out


def _value_like(schema: Any) -> bool:
    """A schema that is a value, not an object model: enum, primitive, array, map, union."""
    if not isinstance(schema, Mapping) or "properties" in schema or "allOf" in schema:
        return False
    if "oneOf" in schema or "anyOf" in schema or "enum" in schema:
        return True
    kind = schema.get("type")
    if kind in ("string", "integer", "number", "boolean", "array"):
        return True
    return kind == "object" or "additionalProperties" in schema


def _constraint_only(variants: Any) -> bool:
    return (
        isinstance(variants, list)
        and bool(variants)
        and all(isinstance(v, Mapping) and set(v) <= _CONSTRAINT_KEYS for v in variants)
    )


def _tag_candidates(targets: list[Any]) -> list[str]:
    if not targets or not all(isinstance(t, Mapping) for t in targets):
        return []
    common = None
    for target in targets:
        props = target.get("properties")
        required = target.get("required")
        if not isinstance(props, Mapping) or not isinstance(required, list):
            return []
        names = {name for name in props if name in required}
        common = names if common is None else common & names
    found = sorted(common or ())
    return sorted(
        found,
        key=lambda n: (
            TAG_PREFERENCE.index(n) if n in TAG_PREFERENCE else len(TAG_PREFERENCE),
            n,
        ),
    )


def _single_enum(target: Mapping[str, Any], tag: str) -> str | None:
    prop = target["properties"][tag]
    if not isinstance(prop, Mapping):
        return None
    enum = prop.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


def _escape(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")
