"""Lazy source maps: JSON pointer -> 1-based line, built only when a diagnostic needs one.

Loading never pays for line numbers. A YAML lookup first follows the pointer's keys
through the text by indentation (block mappings, plain or simply quoted keys) and
composes only the member it reached, to find the rest of the way; that member's data
must equal what was loaded there, or the answer is not trusted. Anything else (flow
style, merge keys, aliases, a mismatch) re-composes the whole file into libyaml nodes
(C speed, marks included), each mapping indexed when a lookup first passes through it:
on a 1 MB spec that costs ~0.25 s, the text walk ~10 ms for the first lookup. JSON is
scanned once by a small tokenizer (the text is known to be valid JSON by then).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from typing import Any, Protocol

from yaml import YAMLError
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .yaml12 import compose_yaml, load_yaml_node


class LineIndex(Protocol):
    def line_of(self, segments: Sequence[str]) -> int | None:
        """Line of the node at `segments` (of the key, for a mapping member); for a
        pointer that does not exist, the line of its deepest existing ancestor."""


_NO_DATA = object()


class YamlLines:
    def __init__(self, data: bytes, loaded: Any = _NO_DATA) -> None:
        """`loaded`: the data loaded from `data`, which the text walk checks against
        (without it, every lookup composes the whole file)."""
        self._data = data
        self._root: Node | None = None
        self._composed = False
        self._members: dict[int, dict[str, tuple[Node, Node]]] = {}
        self._text = _TextWalk(data, loaded) if loaded is not _NO_DATA else None

    def line_of(self, segments: Sequence[str]) -> int | None:
        if self._text is not None and not self._composed and segments:
            found = self._text.member(segments)
            if found is not None:
                first_line, node, depth = found
                return first_line + self._walk(node, segments[depth - 1 :]) - 1
        if not self._composed:
            self._root = compose_yaml(self._data)
            self._composed = True
        if self._root is None:
            return None
        return self._walk(self._root, segments)

    def _walk(self, node: Node, segments: Sequence[str]) -> int:
        line: int = node.start_mark.line + 1
        for segment in segments:
            if isinstance(node, MappingNode):
                member = self._members_of(node).get(segment)
                if member is None:
                    break
                key_node, node = member
                line = key_node.start_mark.line + 1
            elif isinstance(node, SequenceNode):
                if not segment.isdigit() or int(segment) >= len(node.value):
                    break
                node = node.value[int(segment)]
                line = node.start_mark.line + 1
            else:
                break
        return line

    def _members_of(self, node: MappingNode) -> dict[str, tuple[Node, Node]]:
        members = self._members.get(id(node))
        if members is None:
            members = {}
            self._collect(node, members, set())
            self._members[id(node)] = members
        return members

    def _collect(
        self, node: MappingNode, members: dict[str, tuple[Node, Node]], seen: set[int]
    ) -> None:
        """Members as the loader builds them: own keys win over `<<` merged ones."""
        seen.add(id(node))
        own: list[tuple[Node, Node]] = []
        for key_node, value_node in node.value:
            if _is_merge_key(key_node):
                sources = (
                    value_node.value
                    if isinstance(value_node, SequenceNode)
                    else [value_node]
                )
                for source in reversed(sources):
                    if isinstance(source, MappingNode) and id(source) not in seen:
                        self._collect(source, members, seen)
            elif isinstance(key_node, ScalarNode):
                own.append((key_node, value_node))
        for key_node, value_node in own:
            members[str(key_node.value)] = (key_node, value_node)


def _is_merge_key(node: Node) -> bool:
    return node.tag == "tag:yaml.org,2002:merge"


# A block mapping key the text walk understands: plain, or quoted without escapes,
# followed by `:` and a space or the end of the line.
_KEY = re.compile(
    r"""(?:"([^"\\]*)"|'([^']*)'|([^\s#&*!|>'"%@`{}\[\],?:-][^#]*?|-[^\s#]*?))\s*:(?:\s|$)"""
)


class _TextWalk:
    """Follows a pointer's keys through block mappings by indentation, then composes
    the member it reached (a few lines) instead of the whole file."""

    def __init__(self, data: bytes, loaded: Any) -> None:
        self._data = data
        self._loaded = loaded
        self._lines: list[str] | None = None
        self._indents: list[int] = []  # -1: blank or comment line
        # first line of a mapping's members -> {key: (line, end)}
        self._keys: dict[int, dict[str, tuple[int, int]] | None] = {}
        self._members: dict[int, MappingNode | None] = {}  # line -> composed member

    def member(self, segments: Sequence[str]) -> tuple[int, MappingNode, int] | None:
        """(1-based line of the deepest key of `segments` reached through mappings,
        its member composed alone as `{key: value}`, how many segments it covers)."""
        if self._lines is None and not self._split():
            return None
        value = self._loaded
        start, end = 0, len(self._indents)
        reached: tuple[int, int, int] | None = None  # (line, end, depth)
        for depth, segment in enumerate(segments, 1):
            if not isinstance(value, dict) or segment not in value:
                break
            keys = self._mapping(start, end)
            if keys is None or segment not in keys:
                break
            line, member_end = keys[segment]
            reached = (line, member_end, depth)
            value = value[segment]
            start, end = line + 1, member_end
        if reached is None:
            return None
        line, member_end, depth = reached
        if member_end - line > len(self._indents) // 4:
            return None  # most of the file: composing all of it is as fast
        node = self._compose(line, member_end, segments[depth - 1], segments[:depth])
        if node is None:
            return None
        return line + 1, node, depth

    def _split(self) -> bool:
        try:
            text = self._data.decode("utf-8")
        except UnicodeDecodeError:  # UTF-16/32: the composer knows those
            return False
        self._lines = lines = text.split("\n")
        self._indents = [
            len(line) - len(content) if content and content[0] != "#" else -1
            for line in lines
            for content in (line.lstrip(" "),)
        ]
        return True

    def _mapping(self, start: int, end: int) -> dict[str, tuple[int, int]] | None:
        """The members of the block mapping in lines [start, end), or None if those
        lines are anything else (or anything the walk does not follow)."""
        if start not in self._keys:
            self._keys[start] = self._scan(start, end)
        return self._keys[start]

    def _scan(self, start: int, end: int) -> dict[str, tuple[int, int]] | None:
        lines, indents = self._lines, self._indents
        assert lines is not None
        starts: list[tuple[str, int]] = []  # (key, line), in order
        column = -1
        for number in range(start, end):
            indent = indents[number]
            if indent < 0 or (column >= 0 and indent > column):
                continue  # blank, comment, or inside a member
            if column < 0:
                column = indent
            elif indent < column:  # a member's lines never go left of its key
                return None
            text = lines[number]
            if text.startswith(("- ", "-"), indent) and text[
                indent + 1 : indent + 2
            ] in (
                "",
                " ",
            ):
                if not starts:
                    return None  # a sequence, not a mapping
                continue  # a sequence as a member's value, as indented as its key
            match = _KEY.match(text, indent)
            if match is None or text.startswith(("---", "...")):
                return None
            quoted, single, plain = match.groups()
            key = quoted if quoted is not None else single
            starts.append((key if key is not None else plain, number))
        ends = [number for _, number in starts[1:]] + [end]
        # a key written twice: the later one, as loaded
        return {key: (number, stop) for (key, number), stop in zip(starts, ends)}

    def _compose(
        self, line: int, end: int, key: str, path: Sequence[str]
    ) -> MappingNode | None:
        """The member at `line` composed alone (its lines, dedented), if it loads as
        the same data as the file's loaded there."""
        if line in self._members:
            return self._members[line]
        lines = self._lines
        assert lines is not None
        column = self._indents[line]
        text = "".join(
            (part[column:] if self._indents[number] >= column else "") + "\n"
            for number, part in enumerate(lines[line:end], line)
        )
        node: MappingNode | None = None
        try:
            composed = compose_yaml(text.encode("utf-8"))
            if isinstance(composed, MappingNode) and len(composed.value) == 1:
                built, _ = load_yaml_node(composed)
                expected = self._loaded
                for segment in path:
                    expected = expected[segment]
                if built == {key: expected}:
                    node = composed
        except (YAMLError, RecursionError):
            pass
        self._members[line] = node
        return node


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_DECODER = json.JSONDecoder()


def _skip_space(text: str, offset: int) -> int:
    return _JSON_SPACE.match(text, offset).end()  # type: ignore[union-attr]  # always


class JsonLines:
    """Follows a pointer through the text member by member; each value passed on the
    way is skipped by the json module's decoder (C speed), and each object or array is
    indexed as far as some lookup read it. The text is valid JSON by then. With
    `unique_keys` (what the loader saw) the first member of a name is the one; else the
    whole object is read, as json.loads keeps the later of duplicate keys."""

    def __init__(self, data: bytes, unique_keys: bool = False) -> None:
        self._data = data
        self._unique = unique_keys
        self._text = ""
        self._counted = ([0], [1])  # offsets whose line is known, sorted; their lines
        # offset of an object -> its members so far ({name: (key, value offset)}) and
        # the offset where reading goes on (None: read to its end); arrays alike
        self._objects: dict[int, tuple[dict[str, tuple[int, int]], int | None]] = {}
        self._arrays: dict[int, tuple[list[int], int | None]] = {}

    def line_of(self, segments: Sequence[str]) -> int | None:
        if not self._text:
            self._text = self._data.decode(json.detect_encoding(self._data))
        try:
            value = _skip_space(self._text, 0)
            spot = value  # the line's place: a member's key, an item's value
            for segment in segments:
                found = self._step(value, segment)
                if found is None:
                    break
                spot, value = found
        except (ValueError, IndexError):  # not JSON after all: no line
            return None
        return self._line(spot)

    def _line(self, offset: int) -> int:
        """Newlines counted from the nearest offset before whose line is known."""
        offsets, lines = self._counted
        index = bisect.bisect_right(offsets, offset) - 1
        line = lines[index] + self._text.count("\n", offsets[index], offset)
        offsets.insert(index + 1, offset)
        lines.insert(index + 1, line)
        return line

    def _step(self, value: int, segment: str) -> tuple[int, int] | None:
        """(key or item offset, value offset) of `segment` in the value at `value`."""
        opening = self._text[value]
        if opening == "{":
            members, resume = self._objects.get(value, ({}, value + 1))
            while resume is not None and not (self._unique and segment in members):
                resume = self._member(members, resume)
            self._objects[value] = (members, resume)
            return members.get(segment)
        if opening == "[" and segment.isdigit():
            index = int(segment)
            items, resume = self._arrays.get(value, ([], value + 1))
            while resume is not None and len(items) <= index:
                resume = self._item(items, resume)
            self._arrays[value] = (items, resume)
            return (items[index], items[index]) if index < len(items) else None
        return None

    def _member(self, members: dict[str, tuple[int, int]], offset: int) -> int | None:
        """Read the member at `offset` into `members`: where the next one starts."""
        text = self._text
        key = _skip_space(text, offset)
        if text[key] == "}":
            return None
        name, end = _JSON_DECODER.raw_decode(text, key)
        colon = _skip_space(text, end)
        value = _skip_space(text, colon + 1)
        members[name] = (key, value)
        return self._after(value, "}")

    def _item(self, items: list[int], offset: int) -> int | None:
        text = self._text
        value = _skip_space(text, offset)
        if text[value] == "]":
            return None
        items.append(value)
        return self._after(value, "]")

    def _after(self, value: int, closing: str) -> int | None:
        """Skip the value at `value` and its comma: the next entry's offset, or None at
        the `closing` bracket."""
        _, end = _JSON_DECODER.raw_decode(self._text, value)
        end = _skip_space(self._text, end)
        if self._text[end] == closing:
            return None
        return end + 1
