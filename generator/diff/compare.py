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

from ..render.typetext import result_text, type_text
from .changes import Change, Changelog, Counts, Maker, typed_changes
from .models import compare_models, model_sides
from .surface import Argument, Method, Surface


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
        found = list(_method_changes(before, after))
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
    log.models = compare_models(log, old, new, old_sides, new_sides)
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


def _method_changes(old: Method, new: Method) -> Iterator[Change]:
    """Arguments travel to the API (the request rules); the result is judged whole."""

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


def _argument_changes(old: Method, new: Method, change: Maker) -> Iterator[Change]:
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
    before: Argument, after: Argument, change: Maker
) -> Iterator[Change]:
    name = after.name
    if before.required != after.required:
        if after.required:
            yield change(
                "argument-required", f"`{name}` is now required", True, name=name
            )
        else:
            yield change("argument-optional", f"`{name}` is now optional", name=name)
    yield from typed_changes(change, name, before, after, "request", "argument")


def _result_changes(old: Method, new: Method, change: Maker) -> Iterator[Change]:
    before = result_text(old.result, old.stream)
    after = result_text(new.result, new.stream)
    if before == after:
        return
    same_result = (old.result.kind, old.result.model, old.result.type) == (
        new.result.kind,
        new.result.model,
        new.result.type,
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


def _signature_entry(argument: Argument) -> str:
    return f"{argument.name}: {type_text(argument.type, 'argument')}"


__all__ = ["Change", "Changelog", "Counts", "compare", "match_methods", "route_key"]
