"""Model classes compared: which way each travels (arguments, results or both), and the
changes to the ones present on both sides (see `compare` for what breaks)."""

from __future__ import annotations

from collections.abc import Iterator

from .. import ir
from ..render.typetext import type_text
from .changes import Change, Changelog, Counts, Maker, Side, typed_changes
from .surface import FieldShape, ModelShape, Surface
from .types import names_in, type_change


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
        if method.result.type is not None:
            response += _model_names(method.result.type, params)
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


def compare_models(
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
        if method.result.type is not None:
            referenced += _model_names(method.result.type, params)
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
        delta = type_change(old.root, new.root, side, "model")
        if delta is not None:
            yield change(
                delta.kind.replace("field", "root"),
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
    before: FieldShape, after: FieldShape, side: Side, change: Maker
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
    yield from typed_changes(change, name, before, after, side, "field")


__all__ = ["compare_models", "model_sides"]
