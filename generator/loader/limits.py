"""Limits that keep a hostile document from costing unbounded time or memory.

A spec is someone else's file. Three things in it can make every later stage slow or crash
while the file itself stays small:
- YAML aliases: the loader shares the aliased object (so loading stays cheap), but every
  stage that walks the data visits it once per alias. Nine levels of nine aliases ("billion
  laughs") is a 1 KB file that walks like 400 million nodes.
- nesting: each level costs a Python frame in the stages that recurse; past the interpreter's
  limit they would raise RecursionError.
- sheer size, and documents fetched from the network.

`measure` walks the loaded data once, visiting a shared object once (its expanded size and
height are remembered), so it stays cheap on the very documents it refuses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

MIB = 1024 * 1024
# Generous: the OpenAI 2.3.0 spec is 0.9 MB; the largest public descriptions are ~40 MB.
DEFAULT_MAX_BYTES = 64 * MIB
# Levels of mappings and lists. Real specs nest ~20 deep (OpenAI 2.3.0: 19); a schema
# nested this deep makes a class per level and recursion in every tool after us.
DEFAULT_MAX_DEPTH = 256
# Nodes that aliases add over the nodes actually written (OpenAI 2.3.0 expands to ~17,000
# nodes in all). Plain YAML and JSON add none, whatever their size.
DEFAULT_MAX_ALIAS_NODES = 1_000_000


@dataclass(frozen=True)
class LoadOptions:
    max_bytes: int = DEFAULT_MAX_BYTES  # per file, root or referenced
    max_depth: int = DEFAULT_MAX_DEPTH
    max_alias_nodes: int = DEFAULT_MAX_ALIAS_NODES
    allow_remote: bool = False  # follow http(s) `$ref`s
    remote_timeout: float = 30.0  # seconds per remote document


DEFAULT_OPTIONS = LoadOptions()


@dataclass(frozen=True)
class Problem:
    code: str
    path: tuple[str, ...]  # pointer segments of the node where the limit was crossed
    message: str
    hint: str = ""


RECURSIVE_DATA = "a YAML alias refers to a node that contains it (recursive data)"


def measure(
    data: Any,
    options: LoadOptions = DEFAULT_OPTIONS,
    *,
    reused: Sequence[tuple[int, Any]] | None = None,
) -> Problem | None:
    """The first limit `data` crosses (document order), or None.

    `reused`, where the loader knows it, lists every place an alias shares an object:
    (level of the container holding the alias, the object). Then only the shared
    objects need measuring: the rest is a tree (the YAML builder refused anything
    deeper than the limit), the expansion adds at most their expanded sizes, and an
    alias reaches at most its level plus its object's height. Within both limits
    (OpenAI's 2.3.0: three small aliases) nothing is walked again; otherwise the whole
    walk finds the exact place. JSON shares nothing (an empty list): only its depth
    can cross a limit, and a walk that keeps no sizes finds out whether it does (a
    tenth of the time on a 13 MB spec)."""
    if reused is not None:
        if not reused:
            if _depth_within(data, options.max_depth):
                return None
        elif _within(reused, options):
            return None
    return _Walk(options).run(data)


def _within(reused: Sequence[tuple[int, Any]], options: LoadOptions) -> bool:
    """Do the shared objects stay within both limits wherever the aliases put them?
    False also where unsure (a shared object that holds itself)."""
    walk = _Walk(options)
    added = 0
    for level, shared in reused:
        if not isinstance(shared, (dict, list)):
            continue
        if id(shared) not in walk.size and walk.run(shared) is not None:
            return False
        added += walk.size[id(shared)]
        if added > options.max_alias_nodes:
            return False
        if level + walk.height[id(shared)] > options.max_depth:
            return False
    return True


def _depth_within(root: Any, max_depth: int) -> bool:
    if not isinstance(root, (dict, list)):
        return True
    stack: list[tuple[Any, int]] = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, (dict, list)):
                if depth >= max_depth:
                    return False
                stack.append((child, depth + 1))
    return True


class _Walk:
    def __init__(self, options: LoadOptions) -> None:
        self.max_depth = options.max_depth
        self.max_extra = options.max_alias_nodes
        self.size: dict[int, int] = {}  # id -> nodes once expanded (itself included)
        self.height: dict[int, int] = {}  # id -> levels of containers below and itself
        self.unique = 0  # nodes written, counted once per distinct container

    def run(self, root: Any) -> Problem | None:
        if not isinstance(root, (dict, list)):
            return None
        # Iterative post-order: each frame is (node, path, children iterator).
        path: list[str] = []
        active: set[int] = {id(root)}
        stack: list[tuple[Any, Any]] = [(root, _children(root))]
        while stack:
            node, children = stack[-1]
            pushed = False
            for key, child in children:
                if not isinstance(child, (dict, list)):
                    continue
                depth = len(stack) + 1
                if id(child) in active:
                    return Problem("E101", (*path, key), RECURSIVE_DATA)
                if id(child) in self.size:  # shared: measured already
                    if depth - 1 + self.height[id(child)] > self.max_depth:
                        return self._too_deep((*path, key))
                    continue
                if depth > self.max_depth:
                    return self._too_deep((*path, key))
                path.append(key)
                active.add(id(child))
                stack.append((child, _children(child)))
                pushed = True
                break
            if pushed:
                continue
            stack.pop()
            active.discard(id(node))
            problem = self._finish(node, tuple(path))
            if problem is not None:
                return problem
            if path:
                path.pop()
        return None

    def _finish(self, node: Any, path: tuple[str, ...]) -> Problem | None:
        values = node.values() if isinstance(node, dict) else node
        size, height = 1, 1
        for value in values:
            if isinstance(value, (dict, list)):
                size += self.size[id(value)]
                height = max(height, self.height[id(value)] + 1)
            else:
                size += 1
        self.unique += 1 + sum(1 for v in values if not isinstance(v, (dict, list)))
        self.size[id(node)] = size
        self.height[id(node)] = height
        # `unique` counts only what was visited so far, all of which this node may
        # contain: size - unique never exceeds what aliases add to the whole document.
        if size - self.unique > self.max_extra:
            return Problem(
                "E108",
                path,
                f"YAML aliases expand this node to {size:,} nodes, more than "
                f"{self.max_extra:,} over what the file writes (an alias bomb?)",
                "write the repeated parts once and refer to them with $ref",
            )
        return None

    def _too_deep(self, path: tuple[str, ...]) -> Problem:
        return Problem(
            "E107",
            path,
            f"the document nests more than {self.max_depth} levels deep here",
            "flatten the schema into named components referred to with $ref",
        )


def _children(node: Any) -> Any:
    if isinstance(node, dict):
        return iter(node.items())
    return ((str(i), v) for i, v in enumerate(node))
