"""Lazy source maps: JSON pointer -> 1-based line, built only when a diagnostic needs one.

Loading never pays for line numbers. The first lookup in a file re-reads its bytes:
YAML is re-composed into libyaml nodes (C speed, marks included) and each mapping is
indexed when a lookup first passes through it; JSON is scanned once by a small
tokenizer (the text is known to be valid JSON by then).
"""

from __future__ import annotations

import bisect
import json
import re
from collections.abc import Sequence
from typing import Protocol

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .yaml12 import compose_yaml


class LineIndex(Protocol):
    def line_of(self, segments: Sequence[str]) -> int | None:
        """Line of the node at `segments` (of the key, for a mapping member); for a
        pointer that does not exist, the line of its deepest existing ancestor."""


class YamlLines:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._root: Node | None = None
        self._composed = False
        self._members: dict[int, dict[str, tuple[Node, Node]]] = {}

    def line_of(self, segments: Sequence[str]) -> int | None:
        if not self._composed:
            self._root = compose_yaml(self._data)
            self._composed = True
        node = self._root
        if node is None:
            return None
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


_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\],:]|[^\s{}\[\],:"]+', re.S)


class _JsonNode:
    __slots__ = ("line", "members", "items")

    def __init__(self, line: int) -> None:
        self.line = line
        self.members: dict[str, tuple[int, _JsonNode]] | None = None
        self.items: list[_JsonNode] | None = None


class JsonLines:
    def __init__(self, data: bytes) -> None:
        self._data = data
        self._root: _JsonNode | None = None
        self._scanned = False

    def line_of(self, segments: Sequence[str]) -> int | None:
        if not self._scanned:
            self._root = _scan_json(self._data.decode(json.detect_encoding(self._data)))
            self._scanned = True
        node = self._root
        if node is None:
            return None
        line = node.line
        for segment in segments:
            if node.members is not None:
                member = node.members.get(segment)
                if member is None:
                    break
                line, node = member
            elif node.items is not None:
                if not segment.isdigit() or int(segment) >= len(node.items):
                    break
                node = node.items[int(segment)]
                line = node.line
            else:
                break
        return line


def _scan_json(text: str) -> _JsonNode | None:
    """Tree of lines for valid JSON; duplicate keys keep the later one, like json.loads."""
    newlines = [m.start() for m in re.finditer("\n", text)]
    stack: list[_JsonNode] = []
    root: _JsonNode | None = None
    key: str | None = None
    key_line = 0
    expect_key = False
    for match in _JSON_TOKEN.finditer(text):
        token = match.group()
        first = token[0]
        if first in ",:":
            expect_key = first == "," and bool(stack) and stack[-1].members is not None
            continue
        if first in "}]":
            stack.pop()
            continue
        line = bisect.bisect_right(newlines, match.start()) + 1
        if expect_key:
            key = json.loads(token) if "\\" in token else token[1:-1]
            key_line = line
            expect_key = False
            continue
        node = _JsonNode(line)
        if stack:
            parent = stack[-1]
            if parent.members is not None and key is not None:
                parent.members[key] = (key_line, node)
            elif parent.items is not None:
                parent.items.append(node)
        else:
            root = node
        if first == "{":
            node.members = {}
            stack.append(node)
            expect_key = True
        elif first == "[":
            node.items = []
            stack.append(node)
    return root
