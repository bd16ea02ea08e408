"""OpenAPI Overlays (Overlay Specification 1.0 and 1.1): ordered actions, each selecting
nodes of the document by an RFC 9535 JSONPath `target` and updating or removing them.

Overlays apply to the bundled document (the root file with every `$ref` made local), each
action to the result of the previous one, before planning. Nothing loaded is mutated:
containers are copied on the way down to each changed node (YAML aliases share objects),
and values taken from an overlay are inserted as they are, never written to afterwards.
The source map follows the changes: a node an overlay added locates to the overlay file,
every other node keeps its place in the spec, also after a removal shifts a list.

Merging (both versions; 1.1 spells out what 1.0 calls "recursively merged"): a property
only in the update is inserted; an object merges into an object, an array is appended to
an array, a primitive replaces a primitive; a `null` in the update leaves an object or
array alone (the spec's own "structured overlay" example writes `components:` that way);
any other pair is an error. Version 1.0 targets must be objects or arrays, and an update of
an array target appends the value as one entry. Version 1.1 also allows primitive targets
(replaced or removed), concatenates an array update with an array target, and has `copy`.
An action with `x-oapigen-optional: true` may match nothing without a warning (for one
overlay shared by several versions of a spec).
"""

from __future__ import annotations

import copy
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Union

import jsonpath

from ..diagnostics import Diagnostic, GeneratorError, error, warning
from .bundle import Bundle, Origin
from .parse import SourceFile, read_source
from .pointer import to_pointer, type_name

Query = Union[jsonpath.JSONPath, jsonpath.CompoundJSONPath]
Segments = tuple[str, ...]

# RFC 9535 only: the library's own extensions (keys selectors, `#`, ...) are syntax errors,
# so an overlay that works here works in any Overlay tool.
_JSONPATH = jsonpath.JSONPathEnvironment(strict=True)
_VERSIONS = ((1, 0), (1, 1))
_ROOT_FIELDS = ("overlay", "info", "extends", "actions")
_INFO_FIELDS = ("title", "version", "description")
_ACTION_FIELDS = ("target", "description", "update", "remove", "copy")
OPTIONAL_EXTENSION = "x-oapigen-optional"
_NO_VALUE: Any = object()


@dataclass(frozen=True)
class Action:
    index: int
    target: str
    query: Query
    update: Any  # _NO_VALUE when absent
    copy: Query | None
    copy_text: str
    remove: bool
    optional: bool


@dataclass(frozen=True)
class Overlay:
    source: SourceFile
    version: tuple[int, int]
    actions: tuple[Action, ...]


def read_overlay(path: Path) -> Overlay:
    """Read and check one overlay file; GeneratorError listing every problem in it."""
    source = read_source(path, str(path))
    if isinstance(source, Diagnostic):
        raise GeneratorError([source])
    checker = _Checker(source)
    overlay = checker.check()
    if overlay is None:
        raise GeneratorError(checker.diagnostics)
    return overlay


def apply_overlays(
    bundle: Bundle, root: SourceFile, overlays: list[Overlay]
) -> tuple[Bundle, list[Diagnostic]]:
    """The bundle with every overlay applied in order, and the warnings (targets that
    matched nothing). GeneratorError on an action that cannot be applied."""
    applier = _Applier(bundle, root)
    for overlay in overlays:
        for action in overlay.actions:
            applier.apply(overlay, action)
    if applier.errors:
        raise GeneratorError(applier.errors)
    return Bundle(applier.document, applier.origins), applier.warnings


class _Checker:
    """Structure of an overlay document, per the Overlay Specification's fixed fields."""

    def __init__(self, source: SourceFile) -> None:
        self.source = source
        self.diagnostics: list[Diagnostic] = []

    def check(self) -> Overlay | None:
        data = self.source.data
        if not isinstance(data, dict):
            found = "an empty document" if data is None else type_name(data)
            self._error((), f"an overlay must be a mapping at the top, found {found}")
            return None
        version = self._version(data)
        self._fields(data, (), _ROOT_FIELDS, "overlay")
        self._info(data)
        if "extends" in data and not isinstance(data["extends"], str):
            self._error(("extends",), "extends must be a string (a URI reference)")
        actions = data.get("actions")
        checked: list[Action] = []
        if "actions" not in data:
            self._error((), "missing required field 'actions' (a list of actions)")
        elif not isinstance(actions, list) or not actions:
            found = type_name(actions) if not isinstance(actions, list) else "none"
            self._error(
                ("actions",), f"actions must list at least one action, found {found}"
            )
        else:
            for index, action in enumerate(actions):
                found_action = self._action(index, action, version or (1, 0))
                if found_action is not None:
                    checked.append(found_action)
        if self.diagnostics or version is None:
            return None
        return Overlay(self.source, version, tuple(checked))

    def _version(self, data: dict[str, Any]) -> tuple[int, int] | None:
        if "overlay" not in data:
            self._error(
                (), "missing required field 'overlay' (the Overlay version, e.g. 1.0.0)"
            )
            return None
        text = data["overlay"]
        parts = text.split(".") if isinstance(text, str) else []
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            self._error(
                ("overlay",),
                f"overlay must be a version string like '1.0.0', found {text!r}",
            )
            return None
        version = (int(parts[0]), int(parts[1]))
        if version not in _VERSIONS:
            self._error(
                ("overlay",),
                f"Overlay version {text} is not supported (oapigen applies 1.0.x and 1.1.x)",
            )
            return None
        return version

    def _info(self, data: dict[str, Any]) -> None:
        info = data.get("info")
        if not isinstance(info, dict):
            what = "missing" if info is None else f"{type_name(info)}, not a mapping"
            self._error(("info",) if "info" in data else (), f"info is {what}")
            return
        self._fields(info, ("info",), _INFO_FIELDS, "info")
        for name in ("title", "version"):
            if not isinstance(info.get(name), str):
                self._error(("info",), f"info.{name} is required and must be a string")

    def _action(
        self, index: int, action: Any, version: tuple[int, int]
    ) -> Action | None:
        at: Segments = ("actions", str(index))
        if not isinstance(action, dict):
            self._error(at, f"an action must be a mapping, found {type_name(action)}")
            return None
        before = len(self.diagnostics)
        allowed = _ACTION_FIELDS if version >= (1, 1) else _ACTION_FIELDS[:4]
        self._fields(action, at, allowed, "action")
        target = action.get("target")
        query = None
        if not isinstance(target, str):
            self._error(at, "the action has no target (a JSONPath string)")
        else:
            query = self._query(target, (*at, "target"), "target")
        remove = action.get("remove", False)
        if not isinstance(remove, bool):
            self._error((*at, "remove"), "remove must be true or false")
        if "description" in action and not isinstance(action["description"], str):
            self._error((*at, "description"), "description must be a string")
        copy_query = None
        if isinstance(action.get("copy"), str):
            copy_query = self._query(action["copy"], (*at, "copy"), "copy")
        elif "copy" in action:
            self._error((*at, "copy"), "copy must be a JSONPath string")
        has_value = "update" in action or "copy" in action
        if "update" in action and "copy" in action:
            self._error(at, "the action has both update and copy: give one")
        if remove is not True and not has_value:
            fields = (
                "update, copy or remove" if version >= (1, 1) else "update or remove"
            )
            self._error(at, f"the action has neither {fields}: it would do nothing")
        optional = action.get(OPTIONAL_EXTENSION, False)
        if not isinstance(optional, bool):
            self._error(
                (*at, OPTIONAL_EXTENSION), f"{OPTIONAL_EXTENSION} must be true or false"
            )
        if len(self.diagnostics) > before or query is None:
            return None
        return Action(
            index,
            str(target),
            query,
            action.get("update", _NO_VALUE),
            copy_query,
            str(action.get("copy", "")),
            remove is True,
            optional is True,
        )

    def _query(self, text: str, at: Segments, field: str) -> Query | None:
        try:
            if not text.startswith("$"):
                reason, column = "it must start with $ (the document root)", ""
            else:
                return _JSONPATH.compile(text)
        except jsonpath.JSONPathError as exc:
            reason = str(exc.args[0]) if exc.args else type(exc).__name__
            column = f" at column {exc.token.index + 1}" if exc.token else ""
        self.diagnostics.append(
            error(
                "E652",
                self.source.name,
                self.source.line_of(at),
                to_pointer(at),
                f"{field} {text!r} is not an RFC 9535 JSONPath: {reason}{column}",
            )
        )
        return None

    def _fields(
        self, node: dict[str, Any], at: Segments, allowed: tuple[str, ...], what: str
    ) -> None:
        for key in node:
            if isinstance(key, str) and (key in allowed or key.startswith("x-")):
                continue
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else ""
            if key == "copy":
                hint = "copy is an Overlay 1.1 field: declare overlay: 1.1.0"
            self._error((*at, str(key)), f"unknown {what} field {key!r}", hint)

    def _error(self, at: Segments, message: str, hint: str = "") -> None:
        line = self.source.line_of(at)
        self.diagnostics.append(
            error("E651", self.source.name, line, to_pointer(at), message, hint)
        )


class _Value:
    """Where the value an action inserts comes from, for the source map: the overlay
    file (update) or a place in the document (copy, whose subtree's origins follow it).
    """

    def __init__(
        self,
        applier: _Applier,
        value: Any,
        origin: Origin,
        copied_from: Segments | None,
    ) -> None:
        self.applier = applier
        self.value = value
        self.origin = origin
        self.copied_from = copied_from

    def place(self, into: Segments, sub: Segments) -> None:
        """Record that the part `sub` of this value now sits at `into`."""
        origins = self.applier.origins
        if self.copied_from is None:
            file, base = self.origin
            origins[into] = (file, (*base, *sub))
            return
        start = (*self.copied_from, *sub)
        origins[into] = self.applier.origin_of(start)
        for key, origin in list(origins.items()):
            if len(key) > len(start) and key[: len(start)] == start:
                origins[(*into, *key[len(start) :])] = origin


class _Applier:
    def __init__(self, bundle: Bundle, root: SourceFile) -> None:
        self.document: dict[str, Any] = bundle.document
        self.origins: dict[Segments, Origin] = dict(bundle.origins)
        self.root = root
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        # containers copied by this applier (by id, kept alive here): safe to write to
        self._owned: dict[int, Any] = {}
        self._overlay: Overlay | None = None
        self._action: Action | None = None

    # -- actions --------------------------------------------------------------------

    def apply(self, overlay: Overlay, action: Action) -> None:
        self._overlay, self._action = overlay, action
        matches = self._find(action.query, action.target, "target")
        if matches is None:
            return
        if not matches:
            if not action.optional:
                self._warn(
                    "W653",
                    ("target",),
                    f"target {action.target} matches nothing in the document",
                    f"check the path, or mark the action {OPTIONAL_EXTENSION}: true",
                )
            return
        kinds = {_kind(node) for _, node in matches}
        if overlay.version < (1, 1) and "primitive" in kinds:
            location = next(loc for loc, node in matches if _kind(node) == "primitive")
            self._fail(
                ("target",),
                f"target {action.target} selects a primitive value at "
                f"{to_pointer(location)}; Overlay 1.0 targets must be objects or arrays",
                "select the containing object and update the property, "
                "or declare overlay: 1.1.0",
            )
            return
        if action.remove:
            for location, _ in sorted(matches, key=_removal_order, reverse=True):
                self._remove(location)
            return
        value = self._value(overlay, action)
        if value is None:
            return
        if len(kinds) > 1:
            self._fail(
                ("target",),
                f"target {action.target} selects a mix of "
                + " and ".join(sorted(kinds))
                + " nodes; an update needs them all of one kind",
            )
            return
        failed = len(self.errors)
        for location, node in matches:
            self._update(location, node, value)
            if len(self.errors) > failed:
                break  # one error per action: the other matches would repeat it

    def _find(
        self, query: Query, text: str, field: str
    ) -> list[tuple[Segments, Any]] | None:
        try:
            found = list(query.finditer(self.document))
        except jsonpath.JSONPathError as exc:
            self._fail((field,), f"JSONPath {text} failed: {exc.args[0]}")
            return None
        return [(tuple(str(part) for part in m.parts), m.obj) for m in found]

    def _value(self, overlay: Overlay, action: Action) -> _Value | None:
        if action.update is not _NO_VALUE:
            origin = (overlay.source, ("actions", str(action.index), "update"))
            return _Value(self, action.update, origin, None)
        assert action.copy is not None
        found = self._find(action.copy, action.copy_text, "copy")
        if found is None:
            return None
        if len(found) != 1:
            self._fail(
                ("copy",),
                f"copy {action.copy_text} must select exactly one node, "
                f"it selects {len(found)}",
            )
            return None
        location, node = found[0]
        # A deep copy: the node may hold containers this applier writes to in place.
        return _Value(self, copy.deepcopy(node), self.origin_of(location), location)

    def _update(self, location: Segments, node: Any, value: _Value) -> None:
        if isinstance(node, dict):
            if not isinstance(value.value, dict):
                self._fail(
                    ("update",),
                    f"the update is {type_name(value.value)}; merging into the mapping "
                    f"at {to_pointer(location)} needs a mapping",
                )
                return
            self._merge(location, value.value, value, ())
        elif isinstance(node, list):
            target = self._writable(location)
            if isinstance(value.value, list) and self._version >= (1, 1):
                self._concat(location, target, value.value, value, ())
            else:
                target.append(value.value)
                value.place((*location, str(len(target) - 1)), ())
        else:
            if isinstance(value.value, (dict, list)):
                self._fail(
                    ("update",),
                    f"the update is {type_name(value.value)}; replacing the primitive "
                    f"at {to_pointer(location)} needs a primitive value",
                )
                return
            parent = self._writable(location[:-1])
            _set(parent, location[-1], value.value)
            self._forget(location)
            value.place(location, ())

    def _merge(
        self, location: Segments, update: dict[str, Any], value: _Value, sub: Segments
    ) -> None:
        target = self._writable(location)
        for key, new in update.items():
            here = (*location, key)
            if key not in target:
                target[key] = new
                value.place(here, (*sub, key))
                continue
            old = target[key]
            if new is None and isinstance(old, (dict, list)):
                continue
            if isinstance(new, dict) and isinstance(old, dict):
                self._merge(here, new, value, (*sub, key))
            elif isinstance(new, list) and isinstance(old, list):
                self._concat(here, self._writable(here), new, value, (*sub, key))
            elif not isinstance(new, (dict, list)) and not isinstance(
                old, (dict, list)
            ):
                target[key] = new
                self._forget(here)
                value.place(here, (*sub, key))
            else:
                self._fail(
                    ("update", *sub, key),
                    f"cannot merge {type_name(new)} into {type_name(old)} at "
                    f"{to_pointer(here)}",
                    "remove the property in an earlier action to replace it",
                )

    def _concat(
        self,
        location: Segments,
        target: list[Any],
        items: list[Any],
        value: _Value,
        sub: Segments,
    ) -> None:
        for index, item in enumerate(items):
            target.append(item)
            value.place((*location, str(len(target) - 1)), (*sub, str(index)))

    def _remove(self, location: Segments) -> None:
        if not location:
            self._fail(("target",), "the document root cannot be removed")
            return
        parent_location = location[:-1]
        if not self._exists(location):
            return  # inside a node this action already removed
        parent = self._writable(parent_location)
        if isinstance(parent, dict):
            del parent[location[-1]]
            self._forget(location)
            return
        index = int(location[-1])
        length = len(parent)
        del parent[index]
        self._shift(parent_location, index, length)

    # -- copy-on-write ----------------------------------------------------------------

    def _writable(self, location: Segments) -> Any:
        """The container at `location`, copied (with its ancestors) unless already ours."""
        if id(self.document) not in self._owned:
            self.document = self._own(dict(self.document))
        node: Any = self.document
        for part in location:
            key: str | int = int(part) if isinstance(node, list) else part
            child = node[key]
            if id(child) not in self._owned:
                child = self._own(
                    dict(child) if isinstance(child, dict) else list(child)
                )
                node[key] = child
            node = child
        return node

    def _own(self, container: Any) -> Any:
        self._owned[id(container)] = container
        return container

    def _exists(self, location: Segments) -> bool:
        node: Any = self.document
        for part in location:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return False
        return True

    # -- source map -------------------------------------------------------------------

    def origin_of(self, location: Segments) -> Origin:
        for depth in range(len(location), 0, -1):
            found = self.origins.get(location[:depth])
            if found is not None:
                file, base = found
                return file, (*base, *location[depth:])
        return self.root, location

    def _forget(self, location: Segments) -> None:
        """Drop the origins of a node that is gone (and everything below it)."""
        depth = len(location)
        for key in [k for k in self.origins if k[:depth] == location]:
            del self.origins[key]

    def _shift(self, list_location: Segments, removed: int, length: int) -> None:
        """Items after `removed` moved down by one: keep each where it came from."""
        depth = len(list_location)
        pinned = {
            (*list_location, str(index - 1)): self.origin_of(
                (*list_location, str(index))
            )
            for index in range(removed + 1, length)
        }
        shifted: dict[Segments, Origin] = {}
        for key, origin in self.origins.items():
            if len(key) > depth and key[:depth] == list_location:
                index = int(key[depth])
                if index == removed:
                    continue
                if index > removed:
                    key = (*list_location, str(index - 1), *key[depth + 1 :])
            shifted[key] = origin
        shifted.update(pinned)
        self.origins = shifted

    # -- diagnostics ------------------------------------------------------------------

    @property
    def _version(self) -> tuple[int, int]:
        assert self._overlay is not None
        return self._overlay.version

    def _at(self, field: Segments) -> tuple[str, int | None, str]:
        assert self._overlay is not None and self._action is not None
        source = self._overlay.source
        at = ("actions", str(self._action.index), *field)
        return source.name, source.line_of(at), to_pointer(at)

    def _warn(self, code: str, field: Segments, message: str, hint: str = "") -> None:
        self.warnings.append(warning(code, *self._at(field), message, hint))

    def _fail(self, field: Segments, message: str, hint: str = "") -> None:
        self.errors.append(error("E654", *self._at(field), message, hint))


def _kind(node: Any) -> str:
    if isinstance(node, dict):
        return "object"
    if isinstance(node, list):
        return "array"
    return "primitive"


def _removal_order(match: tuple[Segments, Any]) -> tuple[tuple[int, int | str], ...]:
    """Later list items (and deeper nodes) first, so earlier indices stay valid."""
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in match[0])


def _set(parent: Any, part: str, value: Any) -> None:
    if isinstance(parent, list):
        parent[int(part)] = value
    else:
        parent[part] = value
