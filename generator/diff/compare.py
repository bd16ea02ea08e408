"""Two surfaces -> the list of changes a user of the generated client can notice.

Methods are matched by operationId; what is left on either side is matched by HTTP
method and path template with the parameter names blanked (`/notes/{}`), when that pairs
exactly one operation with one, so an operationId rename reads "renamed", not "removed"
and "added". Path parameters are compared by position (a renamed placeholder is the same
parameter under a new name), every other argument and every model field by name.

What breaks (`Change.breaking`) is decided by the direction a value travels:
- arguments (and models reachable from them) may accept more, never less: a removed
  or newly required argument, a narrowed type, a removed enum value break callers;
- results (and models reachable from them) may promise more, never less: a removed
  field, a field that may now be missing or null, a widened type break readers. An enum
  value added to a result does not: the runtime already passes unknown values through
  (API.md), and code matching exhaustively gets a type error to act on, not a crash;
- a model reachable from neither side is judged both ways; removed classes, methods,
  page walkers and renamed ones always break; deprecations never do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .. import ir
from ..render.typetext import Side as TypeSide
from ..render.typetext import result_text, type_text
from .surface import Argument, FieldShape, Method, ModelShape, Surface
from .types import EnumDelta, accepts, enum_delta, names_in, plain

Section = Literal["resources", "operations", "models"]
Side = Literal["request", "response", "both"]


@dataclass(frozen=True, slots=True)
class Change:
    section: Section
    kind: str  # "operation-removed", "argument-type", ... (docs/DIFF.md lists them)
    subject: str  # `client.chat.create`, a model class, `client.chat`
    message: str  # one line of Markdown, without the subject
    breaking: bool = False
    operation_id: str | None = None
    name: str | None = None  # the argument or field concerned
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    added: int = 0
    removed: int = 0
    changed: int = 0
    renamed: int = 0


@dataclass
class Changelog:
    old: Surface
    new: Surface
    changes: list[Change] = field(default_factory=list)
    resources: Counts = Counts()
    operations: Counts = Counts()
    models: Counts = Counts()

    @property
    def breaking(self) -> int:
        return sum(1 for change in self.changes if change.breaking)

    def section(self, name: Section) -> list[Change]:
        return [c for c in self.changes if c.section == name]


def compare(old: Surface, new: Surface) -> Changelog:
    log = Changelog(old, new)
    old_resources = {m.resource for m in old.methods}
    new_resources = {m.resource for m in new.methods}
    for attr in sorted(new_resources - old_resources):
        log.changes.append(
            Change("resources", "resource-added", f"client.{attr}", "resource added")
        )
    for attr in sorted(old_resources - new_resources):
        log.changes.append(
            Change(
                "resources",
                "resource-removed",
                f"client.{attr}",
                "resource removed (its methods are listed as removed below)",
            )
        )
    log.resources = Counts(
        added=len(new_resources - old_resources),
        removed=len(old_resources - new_resources),
    )
    pairs, removed, added = match_methods(old.methods, new.methods)
    old_sides, new_sides = model_sides(old), model_sides(new)
    changed = renamed = 0
    for before, after in sorted(pairs, key=lambda p: (p[1].call, p[1].operation_id)):
        found = list(_method_changes(before, after, old_sides, new_sides))
        changed += bool(found)
        renamed += any(c.kind == "operation-renamed" for c in found)
        log.changes += found
    for method in sorted(added, key=lambda m: m.call):
        log.changes.append(
            Change(
                "operations",
                "operation-added",
                method.call,
                f"operation added: `{method.route}`",
                operation_id=method.operation_id,
                new=method.route,
            )
        )
    for method in sorted(removed, key=lambda m: m.call):
        log.changes.append(
            Change(
                "operations",
                "operation-removed",
                method.call,
                f"operation removed: `{method.route}`",
                breaking=True,
                operation_id=method.operation_id,
                old=method.route,
            )
        )
    log.operations = Counts(len(added), len(removed), changed, renamed)
    log.models = _models(log, old, new, old_sides, new_sides)
    return log


# -- methods ---------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def route_key(method: Method) -> tuple[str, str]:
    return method.http_method, _PLACEHOLDER.sub("{}", method.path)


def match_methods(
    old: Iterable[Method], new: Iterable[Method]
) -> tuple[list[tuple[Method, Method]], list[Method], list[Method]]:
    """(matched pairs, removed, added)."""
    before = {m.operation_id: m for m in old}
    after = {m.operation_id: m for m in new}
    pairs = [(before[i], after[i]) for i in sorted(before.keys() & after.keys())]
    left = [before[i] for i in sorted(before.keys() - after.keys())]
    right = [after[i] for i in sorted(after.keys() - before.keys())]
    by_route_left = _unique_by_route(left)
    by_route_right = _unique_by_route(right)
    for key in sorted(by_route_left.keys() & by_route_right.keys()):
        pair = (by_route_left[key], by_route_right[key])
        pairs.append(pair)
        left.remove(pair[0])
        right.remove(pair[1])
    return pairs, left, right


def _unique_by_route(methods: list[Method]) -> dict[tuple[str, str], Method]:
    seen: dict[tuple[str, str], list[Method]] = {}
    for method in methods:
        seen.setdefault(route_key(method), []).append(method)
    return {key: group[0] for key, group in seen.items() if len(group) == 1}


def _method_changes(
    old: Method,
    new: Method,
    old_sides: dict[str, Side],
    new_sides: dict[str, Side],
) -> Iterator[Change]:
    def change(kind: str, message: str, breaking: bool = False, **extra: str) -> Change:
        return Change(
            "operations",
            kind,
            new.call,
            message,
            breaking,
            operation_id=new.operation_id,
            **extra,
        )

    if old.call != new.call:
        moved = old.name == new.name
        yield change(
            "operation-renamed",
            f"{'moved' if moved else 'renamed'} from `{old.call}`"
            + (
                ""
                if old.operation_id == new.operation_id
                else f" (operationId `{old.operation_id}`)"
            ),
            True,
            old=old.call,
            new=new.call,
        )
    if old.route != new.route:
        yield change(
            "operation-route",
            f"now `{new.route}` (was `{old.route}`)",
            old=old.route,
            new=new.route,
        )
    if old.deprecated != new.deprecated:
        word = "deprecated" if new.deprecated else "no longer deprecated"
        yield change("operation-deprecated", word, new=str(new.deprecated).lower())
    yield from _argument_changes(old, new, change)
    yield from _result_changes(old, new, change)
    if old.walker != new.walker:
        if old.walker is None:
            yield change("walker-added", f"page walker `{new.walker}` added")
        elif new.walker is None:
            yield change("walker-removed", f"page walker `{old.walker}` removed", True)
        else:
            yield change(
                "walker-renamed",
                f"page walker renamed `{old.walker}` -> `{new.walker}`",
                True,
            )


def _argument_changes(old: Method, new: Method, change: _Maker) -> Iterator[Change]:
    old_path = [a for a in old.arguments if a.place == "path"]
    new_path = [a for a in new.arguments if a.place == "path"]
    pairs: list[tuple[Argument, Argument]] = []
    for before, after in zip(old_path, new_path):
        if before.name != after.name:
            yield change(
                "argument-renamed",
                f"path parameter `{before.name}` renamed to `{after.name}`",
                True,
                name=after.name,
                old=before.name,
                new=after.name,
            )
        pairs.append((before, after))
    rest_old = {a.name: a for a in old.arguments if a not in old_path[: len(pairs)]}
    rest_new = {a.name: a for a in new.arguments if a not in new_path[: len(pairs)]}
    for name in [n for n in rest_old if n in rest_new]:
        before, after = rest_old[name], rest_new[name]
        if before.place == "path" and after.place != "path":
            yield change(
                "argument-keyword-only",
                f"`{name}` is no longer positional (keyword-only)",
                True,
                name=name,
            )
        pairs.append((before, after))
    for before, after in pairs:
        yield from _argument_pair(before, after, change)
    for name, argument in rest_new.items():
        if name not in rest_old:
            text = _signature_entry(argument)
            if argument.required:
                yield change(
                    "argument-added",
                    f"required argument `{text}` added",
                    True,
                    name=name,
                    new=text,
                )
            else:
                yield change(
                    "argument-added", f"argument `{text}` added", name=name, new=text
                )
    for name, argument in rest_old.items():
        if name not in rest_new:
            yield change(
                "argument-removed",
                f"argument `{name}` removed",
                True,
                name=name,
                old=_signature_entry(argument),
            )


def _argument_pair(
    before: Argument, after: Argument, change: _Maker
) -> Iterator[Change]:
    name = after.name
    if before.required != after.required:
        if after.required:
            yield change(
                "argument-required", f"`{name}` is now required", True, name=name
            )
        else:
            yield change("argument-optional", f"`{name}` is now optional", name=name)
    delta = _type_change(before.type, after.type, "request", "argument")
    if delta is not None:
        yield change(
            delta.kind,
            f"`{name}`: {delta.message}",
            delta.breaking,
            name=name,
            old=delta.old,
            new=delta.new,
        )
    if before.deprecated != after.deprecated:
        word = "deprecated" if after.deprecated else "no longer deprecated"
        yield change("argument-deprecated", f"`{name}` {word}", name=name)


def _result_changes(old: Method, new: Method, change: _Maker) -> Iterator[Change]:
    before = result_text(old.result, old.stream)
    after = result_text(new.result, new.stream)
    if before == after:
        return
    same_result = (old.result.kind, old.result.model) == (
        new.result.kind,
        new.result.model,
    )
    same_chunk = old.result.stream_chunk == new.result.stream_chunk
    # a stream offered where there was none (a `stream` flag) adds an overload only
    breaking = not (same_result and (same_chunk or old.stream == "never")) or (
        old.stream != new.stream
        and not (old.stream == "never" and new.stream == "flag")
    )
    yield change(
        "result",
        f"returns `{after}` (was `{before}`)",
        breaking,
        old=before,
        new=after,
    )


# -- models ----------------------------------------------------------------------------


def model_sides(api: Surface) -> dict[str, Side]:
    """Which way each model travels: reachable from arguments ("request"), results
    ("response") or both. Models reachable from neither are left out."""
    models = {m.name: m for m in api.models}
    params = dict(api.params)
    request: list[str] = []
    response: list[str] = []
    for method in api.methods:
        for argument in method.arguments:
            request += _model_names(argument.type, params)
        if method.body_model:
            request.append(method.body_model)
        for name in (method.result.model, method.result.stream_chunk):
            if name:
                response.append(name)
    sides: dict[str, Side] = {}
    for name in _closure(request, models, params):
        sides[name] = "request"
    for name in _closure(response, models, params):
        sides[name] = "both" if name in sides else "response"
    return sides


def _model_names(node: ir.TypeNode, params: dict[str, ir.TypeNode]) -> list[str]:
    found = []
    for kind, name in names_in(node):
        if kind == "model":
            found.append(name)
        elif name in params:
            found += _model_names(params[name], params)
    return found


def _closure(
    roots: list[str], models: dict[str, ModelShape], params: dict[str, ir.TypeNode]
) -> list[str]:
    seen: set[str] = set()
    order: list[str] = []
    stack = list(reversed(roots))
    while stack:
        name = stack.pop()
        if name in seen or name not in models:
            continue
        seen.add(name)
        order.append(name)
        model = models[name]
        nodes = [f.type for f in model.fields] + ([model.root] if model.root else [])
        for node in nodes:
            stack += _model_names(node, params)
        if model.base:
            stack.append(model.base)
    return order


def _models(
    log: Changelog,
    old: Surface,
    new: Surface,
    old_sides: dict[str, Side],
    new_sides: dict[str, Side],
) -> Counts:
    before = {m.name: m for m in old.models}
    after = {m.name: m for m in new.models}
    # the fields of a flattened body's model are compared as the method's arguments
    only_bodies = _body_only(old) & _body_only(new)
    changed = 0
    for name in sorted(before.keys() & after.keys()):
        side = _join(old_sides.get(name), new_sides.get(name))
        found = list(
            _model_changes(before[name], after[name], side, name in only_bodies)
        )
        changed += bool(found)
        log.changes += found
    for name in sorted(after.keys() - before.keys()):
        log.changes.append(Change("models", "model-added", name, "model added"))
    for name in sorted(before.keys() - after.keys()):
        log.changes.append(
            Change("models", "model-removed", name, "model removed", True)
        )
    return Counts(
        added=len(after.keys() - before.keys()),
        removed=len(before.keys() - after.keys()),
        changed=changed,
    )


def _body_only(api: Surface) -> set[str]:
    bodies = {m.body_model for m in api.methods if m.body_model}
    models = {m.name: m for m in api.models}
    params = dict(api.params)
    referenced: list[str] = []
    for method in api.methods:
        for argument in method.arguments:
            referenced += _model_names(argument.type, params)
        referenced += [
            n for n in (method.result.model, method.result.stream_chunk) if n
        ]
    for model in api.models:
        nodes = [f.type for f in model.fields] + ([model.root] if model.root else [])
        for node in nodes:
            referenced += _model_names(node, params)
        if model.base:
            referenced.append(model.base)
    return {name for name in bodies if name in models} - set(referenced)


def _join(a: Side | None, b: Side | None) -> Side:
    if a is None or b is None or a == b:
        return a or b or "both"
    return "both"


def _model_changes(
    old: ModelShape, new: ModelShape, side: Side, body_only: bool
) -> Iterator[Change]:
    def change(kind: str, message: str, breaking: bool = False, **extra: str) -> Change:
        return Change("models", kind, new.name, message, breaking, **extra)

    if old.kind != new.kind:
        yield change(
            "model-kind",
            f"now a {_KIND_WORDS[new.kind]} (was a {_KIND_WORDS[old.kind]})",
            True,
            old=old.kind,
            new=new.kind,
        )
    if old.base != new.base:
        yield change(
            "model-base",
            f"base class `{new.base or 'BaseModel'}` (was `{old.base or 'BaseModel'}`)",
            True,
            old=old.base or "",
            new=new.base or "",
        )
    if old.deprecated != new.deprecated:
        yield change(
            "model-deprecated",
            "deprecated" if new.deprecated else "no longer deprecated",
        )
    if old.root is not None and new.root is not None and old.kind == new.kind:
        delta = _type_change(old.root, new.root, side, "model")
        if delta is not None:
            yield change(
                delta.kind.replace("argument", "root"),
                f"value type: {delta.message}",
                delta.breaking,
                old=delta.old,
                new=delta.new,
            )
    if body_only:
        return
    before = {f.name: f for f in old.fields}
    after = {f.name: f for f in new.fields}
    for name in [n for n in after if n in before]:
        yield from _field_pair(before[name], after[name], side, change)
    for name, entry in after.items():
        if name not in before:
            text = f"{name}: {type_text(entry.type)}"
            required = entry.required and side != "response"
            word = "required field" if entry.required else "field"
            yield change(
                "field-added", f"{word} `{text}` added", required, name=name, new=text
            )
    for name, entry in before.items():
        if name not in after:
            yield change(
                "field-removed",
                f"field `{name}` removed",
                True,
                name=name,
                old=f"{name}: {type_text(entry.type)}",
            )


_KIND_WORDS = {"object": "model", "root": "root model", "alias": "class alias"}


def _field_pair(
    before: FieldShape, after: FieldShape, side: Side, change: _Maker
) -> Iterator[Change]:
    name = after.name
    if before.required != after.required:
        if after.required:
            yield change(
                "field-required",
                f"`{name}` is now required",
                side != "response",
                name=name,
            )
        else:
            yield change(
                "field-optional",
                f"`{name}` is now optional (may be missing)",
                side != "request",
                name=name,
            )
    delta = _type_change(before.type, after.type, side, "field")
    if delta is not None:
        yield change(
            delta.kind,
            f"`{name}`: {delta.message}",
            delta.breaking,
            name=name,
            old=delta.old,
            new=delta.new,
        )
    if before.deprecated != after.deprecated:
        word = "deprecated" if after.deprecated else "no longer deprecated"
        yield change("field-deprecated", f"`{name}` {word}", name=name)


# -- type changes ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _TypeChange:
    kind: str
    message: str
    breaking: bool
    old: str
    new: str


def _type_change(
    old: ir.TypeNode,
    new: ir.TypeNode,
    side: Side,
    what: Literal["argument", "field", "model"],
) -> _TypeChange | None:
    old, new = plain(old), plain(new)
    if old == new:
        return None
    printed: TypeSide = "argument" if what == "argument" else "model"
    before, after = type_text(old, printed), type_text(new, printed)
    narrowed = not accepts(new, old)  # a value valid before is not now
    widened = not accepts(old, new)  # a value possible now was not before
    enums = enum_delta(old, new)
    noun = "argument" if what == "argument" else "field"
    if enums is not None and (enums.added or enums.removed):
        # results: values come and go without breaking readers (see the module doc)
        breaking = side != "response" and narrowed
        return _TypeChange(
            f"{noun}-enum", _enum_message(enums), breaking, before, after
        )
    breaking = (side != "response" and narrowed) or (side != "request" and widened)
    return _TypeChange(
        f"{noun}-type", f"`{before}` -> `{after}`", breaking, before, after
    )


def _enum_message(delta: EnumDelta) -> str:
    parts = []
    if delta.added:
        parts.append("enum values added: " + ", ".join(f"`{v!r}`" for v in delta.added))
    if delta.removed:
        parts.append(
            "enum values removed: " + ", ".join(f"`{v!r}`" for v in delta.removed)
        )
    return "; ".join(parts)


def _signature_entry(argument: Argument) -> str:
    return f"{argument.name}: {type_text(argument.type, 'argument')}"


class _Maker(Protocol):  # the `change(...)` helpers above, for the type checker
    def __call__(
        self, kind: str, message: str, breaking: bool = False, **extra: str
    ) -> Change: ...


__all__ = [
    "Change",
    "Changelog",
    "Counts",
    "compare",
    "match_methods",
    "model_sides",
    "route_key",
]
