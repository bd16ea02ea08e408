"""Which classes go into one dmcg run, and the cache key of every model module.

A module's output depends on its own classes and on the classes they refer to, directly
or not (its closure): dmcg needs those to resolve refs, tags and bases. Of a closure
class it reads less than the whole (`Prepared.read_schema`): no prose (descriptions,
deprecation), and of an object class that is nobody's base only the fields that refer
to a class or hold a literal (what imports, cycles and tags are made of); the others
are left out. A closure class is read that way and printed that way (its printing is
not kept), so its reading costs dmcg little: GitHub's spec cut into parts read 4,043
fields again, ~5 s of CPU, before. So a module's key hashes its own classes' schemas,
aliases and template data, and the closure as read; a description changed in one
class changes the key of its module only, and so does a field that refers to nothing.

A run prints some modules (its own) and their closure (read, not kept). When nothing is
cached every module is its own, and a run is a connected component of the reference
graph (nothing is printed twice), unless the component is so large that one run would
keep one worker busy while the others idle: then it is cut into parts, each reading its
closure (printed again). After a spec bump, only the modules whose key changed are
printed, each group of them with what it refers to.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .. import ir
from ..planner.models import model_names
from .prepare import ALIAS_KEY, Names, model_schema, warm_up_models

_PROSE = frozenset({"description", "deprecated"})
# A large group is cut into parts only while they print at most this many times its
# classes in all (GitHub's largest group: 1.36x); a chain of refs is left whole.
MAX_REPRINT = 1.5
# Where a schema's keys are names or values from the spec, not keywords: kept as they are
# (a property or a tag value may well be called "description").
DATA_KEYS = frozenset({"discriminator", "enum", "required"})


@dataclass(frozen=True, slots=True)
class Expected:
    """Where a class must land, and its fields (name, wire name), for the check."""

    module: str
    fields: tuple[tuple[str, str], ...]
    # Tags this class inherits and a tagged union names it by: dmcg declares them again
    # in the class (`role: Literal["assistant"]`, the value the base already fixes).
    redeclared: frozenset[str] = frozenset()
    pointer: str = "#/components/schemas"  # where its schema sits, for diagnostics


@dataclass(frozen=True)
class Group:
    """One dmcg run: the document, and what to check and keep of what it prints."""

    own: tuple[str, ...]  # modules kept, sorted
    modules: tuple[str, ...]  # every module printed (own and closure), sorted
    schemas: dict[str, Any]  # components.schemas of the document
    aliases: dict[str, str]  # "<module>.<Class>.<wire name>" -> field name
    template_data: dict[str, dict[str, Any]]  # component key -> extra template data
    expected: dict[str, Expected]  # class -> where it lands

    @property
    def size(self) -> int:
        return len(self.schemas)

    def document(self) -> dict[str, Any]:
        return {
            "openapi": "3.1.0",
            "info": {"title": "models", "version": "0"},
            "paths": {},
            "components": {"schemas": self.schemas},
        }


class Prepared:
    """The models of one plan, ready to be cut into runs."""

    def __init__(self, models: Sequence[ir.Model], salt: str = "") -> None:
        self.models = {m.name: m for m in models}
        self.names = Names(
            {m.name: f"{m.module}.{m.name}" for m in models}, self.models
        )
        self.names.find_inherited_tags()
        self.salt = salt
        self.classes: dict[str, list[str]] = {}  # module -> its classes, sorted
        for name in sorted(self.models):
            self.classes.setdefault(self.models[name].module, []).append(name)
        # keyed by the descriptions as written: laid out (`prepare.prewrapped`, half of
        # the keys' cost) only for the classes a run prints
        self._key_schemas = {
            name: model_schema(m, self.names, str) for name, m in self.models.items()
        }
        self._printed_schemas: dict[str, Any] = {}
        self._refs: dict[str, set[str]] = {  # module -> modules it refers to
            module: {
                self.models[other].module
                for name in names
                for other in references(self.models[name])
                if other in self.models
            }
            - {module}
            for module, names in self.classes.items()
        }
        self._closures: dict[str, frozenset[str]] = {}
        self._bases = {m.base for m in models if m.base is not None}
        self._read_schemas: dict[str, Any] = {}
        self._read_digests: dict[str, str] = {}
        self.keys = {module: self._key(module) for module in sorted(self.classes)}

    # -- keys ------------------------------------------------------------------------

    def closure(self, module: str) -> frozenset[str]:
        """`module` and every module its classes refer to, directly or not."""
        found = self._closures.get(module)
        if found is None:
            seen = {module}
            todo = [module]
            while todo:
                for other in self._refs[todo.pop()]:
                    if other not in seen:
                        seen.add(other)
                        todo.append(other)
            found = self._closures[module] = frozenset(seen)
        return found

    def schema(self, name: str) -> Any:
        """The schema of class `name` as dmcg prints it."""
        found = self._printed_schemas.get(name)
        if found is None:
            found = model_schema(self.models[name], self.names)
            self._printed_schemas[name] = found
        return found

    def _own_part(self, name: str, printed: bool = False) -> Any:
        """What of class `name` its module's key hashes; `printed`: with its
        descriptions laid out as printed (`prose` takes them out by place)."""
        model = self.models[name]
        aliases = sorted(
            (f.wire_name, f.name) for f in model.fields if f.name != f.wire_name
        )
        return [
            self.names.keys[name],
            self.schema(name) if printed else self._key_schemas[name],
            aliases,
            model.kind == "alias",
        ]

    def _key(self, module: str) -> str:
        own = [self._own_part(name) for name in self.classes[module]]
        read = [
            self.read_digest(name)
            for other in sorted(self.closure(module) - {module})
            for name in self.classes[other]
        ]
        return content_digest([self.salt, own, read])

    def read_digest(self, name: str) -> str:
        """A class as a closure reads it, hashed once (a chain of refs would otherwise
        serialize each class once per module before it)."""
        found = self._read_digests.get(name)
        if found is None:
            read = [self.names.keys[name], self.read_schema(name)]
            found = self._read_digests[name] = content_digest(read)
        return found

    def read_schema(self, name: str) -> Any:
        """The schema of class `name` where it is read, not printed: without prose,
        and an object class that is nobody's base with only the fields that refer to
        a class or hold a literal. A module's own class may extend it (dmcg then reads
        the fields it inherits), so a base is read whole."""
        found = self._read_schemas.get(name)
        if found is None:
            model = self.models[name]
            if model.kind == "object" and name not in self._bases:
                read = [
                    f for f in model.fields if model_names(f.type) or _literal(f.type)
                ]
                model = replace(model, fields=tuple(read))
            schema = model_schema(model, self.names, str)  # its prose is left out
            found = self._read_schemas[name] = _without_prose(schema)
        return found

    # -- runs ------------------------------------------------------------------------

    def runs(self, own: Iterable[str], largest: int | None = None) -> list[Group]:
        """dmcg runs that print the modules `own`: each connected group of them with
        their closure, largest first. A group of more than `largest` classes is cut
        into parts of about that size, each printing some of its modules and reading
        their closure (printed again, not kept): one run would keep one worker busy
        while the others idle, and dmcg's time per class grows with the run (~7 ms
        at 200 classes, ~12 ms at 1,300 on GitHub's spec)."""
        wanted = set(own)
        printed: set[str] = set()
        for module in wanted:
            printed |= self.closure(module)
        found: list[Group] = []
        for component in _components(printed, self._refs):
            classes = sum(len(self.classes[m]) for m in component)
            if largest is None or classes <= largest:
                found.append(self._run(sorted(component), wanted))
                continue
            parts = self._parts(component, wanted, largest, classes * MAX_REPRINT)
            if parts is None:  # the parts would print too much again: one run
                found.append(self._run(sorted(component), wanted))
                continue
            for part in parts:
                closure = set().union(*(self.closure(m) for m in part))
                found.append(self._run(sorted(closure), set(part)))
        return sorted(found, key=lambda g: (-g.size, g.modules))

    def _parts(
        self, component: set[str], wanted: set[str], size: int, most: float
    ) -> list[list[str]] | None:
        """The wanted modules of `component`, in parts whose runs (with closures)
        print about `size` classes each; None if they would print more than `most`
        in all (deep closures: a chain of refs would print each class once per part
        after it). Modules are taken depth first from those nothing refers to, so that
        a part's modules share much of their closure."""
        referred = {other for m in component for other in self._refs[m]}
        order: list[str] = []
        seen: set[str] = set()
        for start in sorted(component, key=lambda m: (m in referred, m)):
            todo = [start]
            while todo:
                module = todo.pop()
                if module in seen:
                    continue
                seen.add(module)
                order.append(module)
                todo.extend(sorted(self._refs[module] - seen, reverse=True))
        parts: list[list[str]] = []
        part: list[str] = []
        reads: set[str] = set()
        classes = 0  # in `reads`
        printed = 0  # by the parts so far
        for module in (m for m in order if m in wanted):
            part.append(module)
            for other in self.closure(module) - reads:
                reads.add(other)
                classes += len(self.classes[other])
            if classes >= size:
                parts.append(part)
                printed += classes
                part, reads, classes = [], set(), 0
                if printed > most:
                    return None
        if part:
            parts.append(part)
        return parts if printed + classes <= most else None

    def _run(self, modules: list[str], wanted: set[str]) -> Group:
        schemas: dict[str, Any] = {}
        aliases: dict[str, str] = {}
        template_data: dict[str, dict[str, Any]] = {}
        expected: dict[str, Expected] = {}
        for module in modules:
            for name in self.classes[module]:
                model, key = self.models[name], self.names.keys[name]
                kept = module in wanted
                schemas[key] = self.schema(name) if kept else self.read_schema(name)
                expected[name] = Expected(
                    module,
                    # a class read, not printed, may have fewer: not checked
                    tuple((f.name, f.wire_name) for f in model.fields) if kept else (),
                    frozenset(self.names.inherited_tags.get(name, ())),
                    model.pointer,
                )
                for item in model.fields:
                    if item.name != item.wire_name:
                        aliases[f"{key}.{item.wire_name}"] = item.name
                if model.kind == "alias":
                    template_data[key] = {ALIAS_KEY: True}
        own = tuple(m for m in modules if m in wanted)
        return Group(own, tuple(modules), schemas, aliases, template_data, expected)


def merged(parts: Sequence[Group]) -> Group:
    """Runs that share no class, as one run (their outputs do not depend on each
    other)."""
    if len(parts) == 1:
        return parts[0]
    schemas: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    template_data: dict[str, dict[str, Any]] = {}
    expected: dict[str, Expected] = {}
    for part in parts:
        schemas.update(part.schemas)
        aliases.update(part.aliases)
        template_data.update(part.template_data)
        expected.update(part.expected)
    own = tuple(sorted({m for part in parts for m in part.own}))
    modules = tuple(sorted({m for part in parts for m in part.modules}))
    # parts of one cut group share closure modules: they never go in one run
    assert len(modules) == sum(len(part.modules) for part in parts), "runs overlap"
    return Group(own, modules, schemas, aliases, template_data, expected)


def groups(models: Sequence[ir.Model], salt: str = "") -> list[Group]:
    """Every module of `models`, as runs (connected components, largest first)."""
    prepared = Prepared(models, salt)
    return prepared.runs(prepared.classes)


def warm_up_group() -> Group:
    return groups(warm_up_models())[0]


def references(model: ir.Model) -> set[str]:
    found = {model.base} if model.base else set()
    nodes = [f.type for f in model.fields]
    if model.root is not None:
        nodes.append(model.root)
    for node in nodes:
        found |= model_names(node)
    return found


def _components(nodes: set[str], edges: dict[str, set[str]]) -> list[set[str]]:
    """The connected parts of `nodes` (edges followed either way, within `nodes`)."""
    parent = {node: node for node in nodes}

    def root(node: str) -> str:
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for node in sorted(nodes):
        for other in edges[node]:
            if other in parent:
                a, b = root(node), root(other)
                if a != b:
                    parent[max(a, b)] = min(a, b)
    found: dict[str, set[str]] = {}
    for node in sorted(nodes):
        found.setdefault(root(node), set()).add(node)
    return list(found.values())


def _literal(node: ir.TypeNode) -> bool:
    """A literal, or a union holding one (a tag, an enum: what a union reads)."""
    if isinstance(node, ir.UnionOf):
        return any(_literal(member) for member in node.members)
    return isinstance(node, ir.LiteralOf)


def content_digest(data: Any) -> str:
    payload = json.dumps(data, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def _without_prose(schema: Any) -> Any:
    """A schema as a closure class is read: no descriptions, no deprecation."""
    if isinstance(schema, list):
        return [_without_prose(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _PROSE:
            continue
        if key in DATA_KEYS:
            out[key] = value
            continue
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: _without_prose(v) for name, v in value.items()}
        else:
            out[key] = _without_prose(value)
    return out
