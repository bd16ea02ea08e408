"""All files of a spec: the root and every file its `$ref`s reach, each ref checked.

Every reference in every loaded file is followed once at load time, so that later
stages can rely on refs that resolve: dangling targets (E102), missing files (E103),
remote URLs (E104, unless allowed: then they are fetched, see remote.py) and cycles of refs that refer only to refs (E105) are reported
together, one diagnostic per problem, each at the line of its `$ref`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, error
from . import remote
from .kinds import DOCUMENT, UNKNOWN, RecursiveData, RefSite, ref_sites
from .limits import DEFAULT_OPTIONS, LoadOptions
from .parse import SourceFile, read_source
from .pointer import Missing, RefParts, is_url, lookup, split_ref, to_pointer


@dataclass(frozen=True)
class Target:
    """What a ref resolves to: a node of a loaded file and its pointer segments there."""

    file: SourceFile
    segments: tuple[str, ...]
    node: Any


class FileSet:
    """The root and all files reached from it, keyed by real path."""

    def __init__(
        self,
        root: SourceFile,
        root_path: Path | str,
        options: LoadOptions = DEFAULT_OPTIONS,
    ) -> None:
        self.root = root
        self.options = options
        self.files: dict[Path | str, SourceFile] = {_key(root_path): root}
        self.failed: dict[Path | str, Diagnostic] = {}
        self.sites: dict[str, list[RefSite]] = {}  # file name -> its references
        self.diagnostics: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self._queue: list[SourceFile] = [root]
        self.has_file_refs = False  # some ref names a file: bundling has work to do

    def check(self) -> None:
        """Load every reachable file and check every reference; fills diagnostics."""
        while self._queue:
            source = self._queue.pop(0)
            self._report_duplicates(source)
            kind = (
                DOCUMENT
                if source is self.root or _is_document(source.data)
                else UNKNOWN
            )
            try:
                sites = list(ref_sites(source.data, kind))
            except RecursiveData as exc:
                self.diagnostics.append(
                    error(
                        "E101",
                        source.name,
                        source.line_of(exc.path),
                        to_pointer(exc.path),
                        "a YAML alias refers to a node that contains it (recursive data)",
                    )
                )
                continue
            self.sites[source.name] = sites
            for site in sites:
                found = self.follow(source, site)
                if isinstance(found, Diagnostic):
                    self.diagnostics.append(found)
        self._check_cycles()

    def follow(self, source: SourceFile, site: RefSite) -> Target | Diagnostic | None:
        """The target of a reference made in `source`, or why there is none (None: the
        target file does not parse, which is reported once, at the parse error)."""

        def problem(code: str, message: str, hint: str = "") -> Diagnostic:
            line = source.line_of(site.ref_path)
            return error(code, source.name, line, to_pointer(site.path), message, hint)

        ref = site.ref
        if not isinstance(ref, str):
            return problem("E102", f"$ref must be a string, found {type(ref).__name__}")
        parts = split_ref(ref)
        if not isinstance(parts, RefParts):
            return problem("E102", f"cannot follow $ref {ref!r}: {parts}")
        target_file = source
        if parts.file:
            self.has_file_refs = True
            if parts.remote or is_url(source.name):
                location = remote.join(source.name, parts.file)
                refused = self._refuse_remote(location)
                if refused is not None:
                    message = f"remote reference {ref!r}: {refused}"
                    return problem("E104", message, self._remote_hint())
            else:
                location = os.path.join(os.path.dirname(source.name), parts.file)
            opened = self._open(location)
            if isinstance(opened, Diagnostic):
                if opened.code != "E103":
                    return None
                return problem("E103", f"$ref {ref!r}: {opened.file}: {opened.message}")
            target_file = opened
        node, segments = lookup(target_file.data, parts.fragment, decoded_first=True)
        if isinstance(node, Missing):
            where = to_pointer(segments[: node.depth])
            if target_file is not source:
                where += f" of {target_file.name}"
            return problem(
                "E102", f"$ref target {ref!r} not found: {node.reason} in {where}"
            )
        return Target(target_file, segments, node)

    def _remote_hint(self) -> str:
        if self.options.allow_remote:
            return ""
        return (
            "pass --allow-remote to fetch it, or download the document and refer to "
            "it by a relative file path"
        )

    def _refuse_remote(self, url: str) -> str | None:
        """Why a URL is not fetched, or None to fetch it."""
        if not self.options.allow_remote:
            return "the generator does not use the network unless allowed"
        scheme = remote.unsupported_scheme(url)
        return None if scheme is None else f"{scheme} is not fetched (http, https only)"

    def _open(self, name: str) -> SourceFile | Diagnostic:
        key: Path | str
        if is_url(name):
            key = name
        else:
            name = os.path.normpath(name)
            key = _key(Path(name))
        if key in self.files:
            return self.files[key]
        if key in self.failed:
            return self.failed[key]
        if isinstance(key, str):
            source = remote.fetch(name, self.options)
        else:
            source = read_source(Path(name), name, self.options)
        if isinstance(source, Diagnostic):
            self.failed[key] = source
            if source.code != "E103":
                self.diagnostics.append(source)
            return source
        self.files[key] = source
        self._queue.append(source)
        return source

    def _check_cycles(self) -> None:
        """Report each cycle of refs whose targets are themselves refs, once."""
        by_node: dict[int, tuple[SourceFile, RefSite]] = {}
        for source in self.files.values():
            for site in self.sites.get(source.name, ()):
                if site.node is not None:
                    by_node.setdefault(id(site.node), (source, site))
        done: set[int] = set()
        for start in by_node:
            chain: list[int] = []
            current: int | None = start
            while current is not None and current not in done and current not in chain:
                chain.append(current)
                source, site = by_node[current]
                target = self.follow(source, site)
                nxt = id(target.node) if isinstance(target, Target) else None
                current = nxt if nxt in by_node else None
            if current is not None and current in chain:
                self._report_cycle([by_node[n] for n in chain[chain.index(current) :]])
            done.update(chain)

    def _report_cycle(self, members: list[tuple[SourceFile, RefSite]]) -> None:
        def name(source: SourceFile, site: RefSite) -> str:
            prefix = "" if source is self.root else source.name
            return prefix + to_pointer(site.path)

        steps = [name(*member) for member in members]
        source, site = members[0]
        self.diagnostics.append(
            error(
                "E105",
                source.name,
                source.line_of(site.ref_path),
                to_pointer(site.path),
                "reference cycle: " + " -> ".join([*steps, steps[0]]),
                "a $ref must lead to a definition, not only to other $refs",
            )
        )

    def _report_duplicates(self, source: SourceFile) -> None:
        """A key written twice in one mapping is an error (YAML requires unique keys,
        JSON recommends them): one of the two values, often a whole operation or
        schema, would be dropped without a word."""
        if not source.duplicates:
            return
        paths = _paths_of(source.data, {id(m) for m, _, _ in source.duplicates})
        for mapping, key, line in source.duplicates:
            path = (*paths.get(id(mapping), ()), key)
            self.diagnostics.append(
                error(
                    "E109",
                    source.name,
                    line if line is not None else source.line_of(path),
                    to_pointer(path),
                    f"duplicate key {key!r}: the keys of a mapping must be unique",
                    "merge the two entries; one of them would be lost",
                )
            )


def _key(path: Path | str) -> Path | str:
    return path if isinstance(path, str) else path.resolve()


def _is_document(data: Any) -> bool:
    return isinstance(data, dict) and ("openapi" in data or "swagger" in data)


def _paths_of(data: Any, wanted: set[int]) -> dict[int, tuple[str, ...]]:
    """Pointer segments of the first occurrence (document order) of each wanted node."""
    found: dict[int, tuple[str, ...]] = {}
    stack: list[tuple[Any, tuple[str, ...]]] = [(data, ())]
    seen: set[int] = set()
    while stack:
        node, path = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if id(node) in wanted and id(node) not in found:
            found[id(node)] = path
        if isinstance(node, dict):
            children = [(v, (*path, k)) for k, v in node.items()]
        elif isinstance(node, list):
            children = [(v, (*path, str(i))) for i, v in enumerate(node)]
        else:
            continue
        stack.extend(c for c in reversed(children) if isinstance(c[0], (dict, list)))
    return found
