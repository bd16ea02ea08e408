"""YAML 1.2 (core schema) on top of PyYAML, producing plain JSON-like data.

PyYAML implements YAML 1.1: `on`/`yes` become booleans, `0777` is octal, `12:30` is
base 60 and dates become `datetime`s. An OpenAPI document is YAML 1.2, where all of those
are strings or decimal ints. So libyaml (or PyYAML's pure-Python parser when libyaml is
missing) only composes the node tree, tagged by a 1.2 core-schema resolver, and a small
builder turns nodes into dict/list/str/int/float/bool/None: any other tag (`!!binary`,
`!!timestamp`, `!Custom`) is an error. Mapping keys are the text the author wrote (`200:`
is the key "200"). Merge keys (`<<`) are honoured: they are not 1.2, but they are common
in hand-written specs and unambiguous. An anchor may be defined again (YAML 1.2): an alias
refers to the latest definition before it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Any

from yaml.composer import Composer, ComposerError
from yaml.error import Mark
from yaml.events import (
    AliasEvent,
    MappingEndEvent,
    MappingStartEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

try:
    from yaml._yaml import CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - a PyYAML build without libyaml
    HAVE_LIBYAML = False

_TAG = "tag:yaml.org,2002:"
MERGE_TAG = _TAG + "merge"
_STR, _SEQ, _MAP = _TAG + "str", _TAG + "seq", _TAG + "map"

# Implicit tags of plain scalars, by first character (the empty scalar is null).
_IMPLICIT: dict[str, list[tuple[str, re.Pattern[str]]]] = {}
for _name, _pattern, _first in (
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", list("tTfF")),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", list("-+0123456789")),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        list("-+.0123456789"),
    ),
    ("merge", r"^<<$", ["<"]),
):
    for _char in _first:
        _IMPLICIT.setdefault(_char, []).append((_TAG + _name, re.compile(_pattern)))


class TooDeep(ConstructorError):
    """The document nests deeper than the loader allows (diagnostic E107)."""


class Resolver12(BaseResolver):
    """Tags nodes by the YAML 1.2 core schema (a lean replacement of PyYAML's
    table-driven resolve, which runs once per scalar and so matters for speed)."""

    def resolve(self, kind: type[Node], value: str, implicit: tuple[bool, bool]) -> str:
        if kind is ScalarNode:
            if implicit[0]:
                for tag, pattern in _IMPLICIT.get(value[:1], ()):
                    if pattern.match(value):
                        return tag
            return _STR
        return _SEQ if kind is SequenceNode else _MAP


class Composer12(Composer):
    """PyYAML's composer, except that a later `&name` replaces the earlier anchor (YAML
    1.2; PyYAML and libyaml refuse it as a duplicate)."""

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]  # the parser's
        if not isinstance(event, AliasEvent) and event.anchor is not None:
            self.anchors.pop(event.anchor, None)
        node: Node | None = super().compose_node(parent, index)
        return node


class PyComposer(Reader, Scanner, Parser, Composer12, Resolver12):
    """Pure-Python fallback, used only when PyYAML was built without libyaml."""

    def __init__(self, stream: bytes) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        Resolver12.__init__(self)


if HAVE_LIBYAML:

    class CComposer(CParser, Resolver12):
        def __init__(self, stream: bytes) -> None:
            CParser.__init__(self, stream)
            Resolver12.__init__(self)

    class CEventComposer(Composer12, CParser, Resolver12):
        """libyaml's parser (events) under the Python composer: for documents that
        redefine an anchor, which libyaml's own composer refuses."""

        def __init__(self, stream: bytes) -> None:
            CParser.__init__(self, stream)
            Composer12.__init__(self)
            Resolver12.__init__(self)


def compose_yaml(data: bytes, *, libyaml: bool = HAVE_LIBYAML) -> Node | None:
    """The node tree (with line marks) of a single-document stream; yaml.YAMLError."""
    libyaml = libyaml and HAVE_LIBYAML
    if _may_nest_deeper_than(data, _MAX_DEPTH):
        _check_depth(_composer(data, libyaml))
    if not libyaml:
        return _python_compose(PyComposer(data))
    composer = CComposer(data)
    try:
        node: Node | None = composer.get_single_node()
        return node
    except ComposerError as exc:
        if not _is_duplicate_anchor(exc):
            raise
    finally:
        composer.dispose()
    # Rare: an anchor defined twice. Compose again, in Python, from libyaml's events.
    return _python_compose(CEventComposer(data))


def _python_compose(composer: Any) -> Node | None:
    try:
        node: Node | None = composer.get_single_node()
    except RecursionError:  # the Python composer recurses ~3 frames per level
        raise TooDeep(None, None, "the document is nested too deeply") from None
    finally:
        composer.dispose()
    return node


def _is_duplicate_anchor(exc: ComposerError) -> bool:
    return "found duplicate anchor" in str(exc.context or "")


def _composer(data: bytes, libyaml: bool) -> Any:
    return CComposer(data) if libyaml and HAVE_LIBYAML else PyComposer(data)


# libyaml's composer recurses in C once per nesting level and overflows the C stack
# (a segfault, not an exception) somewhere past 20,000 levels; no spec nests that deep.
_MAX_DEPTH = 10_000


def _may_nest_deeper_than(data: bytes, depth: int) -> bool:
    """Cheap bound: a level is a flow bracket or at least one more column of indent."""
    flow = data.count(b"[") + data.count(b"{")
    return flow + max(map(len, data.splitlines()), default=0) > depth


def _check_depth(composer: PyComposer | CComposer) -> None:
    """Walk the event stream (no recursion) and reject excessive nesting."""
    depth = 0
    try:
        while (event := composer.get_event()) is not None:
            if isinstance(event, (SequenceStartEvent, MappingStartEvent)):
                depth += 1
                if depth > _MAX_DEPTH and event.start_mark is not None:
                    where = event.start_mark
                    raise TooDeep(
                        None,
                        None,
                        f"the document nests more than {_MAX_DEPTH} levels deep",
                        Mark("", 0, where.line, where.column, None, 0),
                    )
            elif isinstance(event, (SequenceEndEvent, MappingEndEvent)):
                depth -= 1
    finally:
        composer.dispose()


Duplicate = tuple[dict[str, Any], str, int]  # (mapping, key, 1-based line of later key)
# An alias: the level of the container it sits in (the root is level 1) and the object
# it shares. Every other container sits at one place, at most max_depth levels deep.
Reuse = tuple[int, Any]


def load_yaml(
    data: bytes, *, libyaml: bool = HAVE_LIBYAML, max_depth: int = 256
) -> tuple[Any, list[Duplicate]]:
    """(data, duplicate keys) of a single-document YAML stream; raises yaml.YAMLError."""
    loaded, duplicates, _ = load_yaml_reused(data, libyaml=libyaml, max_depth=max_depth)
    return loaded, duplicates


def load_yaml_reused(
    data: bytes, *, libyaml: bool = HAVE_LIBYAML, max_depth: int = 256
) -> tuple[Any, list[Duplicate], list[Reuse]]:
    """`load_yaml`, and where aliases share an object (for `limits.measure`)."""
    node = compose_yaml(data, libyaml=libyaml)
    if node is None:
        return None, [], []
    builder = _Builder(max_depth)
    return builder.run(node), builder.duplicates, builder.reused


def load_yaml_node(node: Node, *, max_depth: int = 256) -> tuple[Any, list[Duplicate]]:
    """(data, duplicate keys) of a composed node tree; raises yaml.YAMLError."""
    builder = _Builder(max_depth)
    return builder.run(node), builder.duplicates


def _bool(text: str) -> bool:
    if text not in ("true", "True", "TRUE", "false", "False", "FALSE"):
        raise ValueError(f"invalid boolean {text!r}")
    return text[0] in "tT"


def _null(text: str) -> None:
    if text not in ("", "~", "null", "Null", "NULL"):
        raise ValueError(f"invalid null {text!r}")


def _int(text: str) -> int:
    if text[:2] in ("0o", "0x"):
        return int(text[2:], 8 if text[1] == "o" else 16)
    return int(text, 10)


def _float(text: str) -> float:
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf"):
        return -math.inf if lowered[0] == "-" else math.inf
    if lowered == ".nan":
        return math.nan
    return float(text)


_SCALARS: dict[str, Callable[[str], Any]] = {
    _STR: str,
    _TAG + "int": _int,
    _TAG + "float": _float,
    _TAG + "bool": _bool,
    _TAG + "null": _null,
}


class _Builder:
    """Nodes -> data. An alias is the same node, so it becomes the same object."""

    def __init__(self, max_depth: int) -> None:
        self.duplicates: list[Duplicate] = []
        self.reused: list[Reuse] = []
        self._built: dict[int, Any] = {}
        self._merging: set[int] = set()
        self._depth = 0
        self._max_depth = max_depth

    def run(self, node: Node) -> Any:
        try:
            return self.build(node)
        except RecursionError:
            raise TooDeep(None, None, "the document is nested too deeply") from None

    def build(self, node: Node) -> Any:
        if isinstance(node, ScalarNode):
            make = _SCALARS.get(node.tag)
            if make is None:
                raise _unsupported(node)
            try:
                return make(node.value)
            except ValueError as exc:
                raise ConstructorError(None, None, str(exc), node.start_mark) from None
        built = self._built.get(id(node))
        if built is not None:
            self.reused.append((self._depth, built))
            return built
        if self._depth >= self._max_depth:  # located here, before Python's own limit
            raise TooDeep(
                None,
                None,
                f"the document nests more than {self._max_depth} levels deep",
                node.start_mark,
            )
        self._depth += 1
        try:
            if isinstance(node, SequenceNode) and node.tag == _SEQ:
                items: list[Any] = []
                self._built[id(node)] = items  # first: recursive data stays finite
                for child in node.value:  # a loop, not a comprehension: a frame less
                    items.append(self.build(child))
                return items
            if isinstance(node, MappingNode) and node.tag == _MAP:
                mapping: dict[str, Any] = {}
                self._built[id(node)] = mapping
                self._fill(mapping, node)
                return mapping
        finally:
            self._depth -= 1
        raise _unsupported(node)

    def _fill(self, mapping: dict[str, Any], node: MappingNode) -> None:
        found = len(self.duplicates)
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:  # rare: start over the slow way
                del self.duplicates[found:]
                mapping.clear()
                self._fill_merging(mapping, node)
                return
            key = _key(key_node)
            if key in mapping:
                self.duplicates.append((mapping, key, key_node.start_mark.line + 1))
            mapping[key] = self.build(value_node)

    def _fill_merging(self, mapping: dict[str, Any], node: MappingNode) -> None:
        """Merged keys first (as PyYAML orders them), then own keys, which win."""
        merged, own = self._pairs(node)
        for key_node, value_node in merged:
            mapping[_key(key_node)] = self.build(value_node)
        seen: set[str] = set()
        for key_node, value_node in own:
            key = _key(key_node)
            if key in seen:
                self.duplicates.append((mapping, key, key_node.start_mark.line + 1))
            seen.add(key)
            mapping[key] = self.build(value_node)

    def _pairs(
        self, node: MappingNode
    ) -> tuple[list[tuple[Node, Node]], list[tuple[Node, Node]]]:
        """(pairs merged in through `<<`, own pairs); earlier merge sources win, so
        they come last."""
        merged: list[tuple[Node, Node]] = []
        own: list[tuple[Node, Node]] = []
        self._merging.add(id(node))
        for key_node, value_node in node.value:
            if key_node.tag != MERGE_TAG:
                own.append((key_node, value_node))
                continue
            sources = (
                value_node.value
                if isinstance(value_node, SequenceNode)
                else [value_node]
            )
            for source in reversed(sources):
                if not isinstance(source, MappingNode):
                    raise ConstructorError(
                        None,
                        None,
                        f"a merge key (<<) needs a mapping, found {_what(source)}",
                        source.start_mark,
                    )
                if id(source) in self._merging:
                    raise ConstructorError(
                        None, None, "a merge key (<<) merges itself", source.start_mark
                    )
                inner_merged, inner_own = self._pairs(source)
                merged.extend(inner_merged)
                merged.extend(inner_own)
        self._merging.discard(id(node))
        return merged, own


def _key(node: Node) -> str:
    if not isinstance(node, ScalarNode):
        raise ConstructorError(
            None,
            None,
            f"a mapping key must be a scalar, found {_what(node)}",
            node.start_mark,
        )
    # The text as written: `200:` is "200", `on:` is "on", `1.0:` is "1.0".
    return str(node.value)


def _what(node: Node) -> str:
    if isinstance(node, ScalarNode):
        return "a scalar"
    return "a mapping" if isinstance(node, MappingNode) else "a sequence"


def _unsupported(node: Node) -> ConstructorError:
    return ConstructorError(
        None,
        None,
        f"unsupported YAML tag {node.tag!r} (an OpenAPI document holds JSON data)",
        node.start_mark,
    )


__all__ = [
    "HAVE_LIBYAML",
    "MERGE_TAG",
    "TooDeep",
    "compose_yaml",
    "load_yaml",
    "load_yaml_node",
    "load_yaml_reused",
]
