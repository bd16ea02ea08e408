"""Bundling: one self-contained document in which every `$ref` is local.

Nodes that refs reach in other files are copied into the root's `components`, in the
section their referring place implies (a ref under `schema:` copies a schema). Names are
the target's last pointer segment (the file's PascalCase stem for a whole-file ref); on a
clash every contender is prefixed with its file's stem, then with its directories, and a
number settles whatever still clashes. Names depend only on the set of targets, never on
the order refs were met. A root component that is only a ref to a node of the same
name in another file (`Pet: {$ref: pet.yaml}`, the usual split-spec layout) is replaced
by that node instead of clashing with it. Objects with no `components` section (path items, operations) are inlined.

Nothing loaded is mutated: a container is copied only when something below it changed,
so subtrees without external refs are shared with the loaded data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..diagnostics import Diagnostic, error
from .kinds import (
    DATA,
    DISCRIMINATOR,
    DOCUMENT,
    KIND_OF_SECTION,
    RefSite,
    child_kind,
    is_mapping_ref,
    is_object,
    item_kind,
    ref_sites,
    section_for,
)
from .parse import SourceFile
from .pointer import split_ref, to_pointer, to_ref
from .refs import FileSet, Target

# (file name, pointer segments, section) of a node copied into components
_Key = tuple[str, tuple[str, ...], str]
Origin = tuple[SourceFile, tuple[str, ...]]


@dataclass(frozen=True)
class _Copy:
    file: SourceFile
    segments: tuple[str, ...]
    section: str
    node: Any


@dataclass(frozen=True)
class Bundle:
    document: dict[str, Any]
    # bundled pointer segments -> (file, segments there) for every copied or inlined node
    origins: dict[tuple[str, ...], Origin]


class Bundler:
    def __init__(self, files: FileSet) -> None:
        self._files = files
        self._root = files.root
        self._copies: dict[_Key, _Copy] = {}
        self._names: dict[_Key, str] = {}
        self._origins: dict[tuple[str, ...], Origin] = {}
        self.diagnostics: list[Diagnostic] = []

    def collect(self) -> None:
        """Find every node bundling copies (at load time: it reports inline cycles)."""
        self._collect(self._root, self._root.data, DOCUMENT, (), ())

    def bundle(self) -> Bundle:
        self._name_copies()
        document = self._rewrite(self._root, self._root.data, DOCUMENT, [], ())
        document = dict(document)  # never hand out the loaded root itself
        added: dict[str, dict[str, Any]] = {}
        for key in sorted(self._copies, key=lambda k: (k[2], self._names[k])):
            copy = self._copies[key]
            path = ["components", copy.section, self._names[key]]
            self._origins[tuple(path)] = (copy.file, copy.segments)
            kind = KIND_OF_SECTION[copy.section]
            content = self._rewrite(copy.file, copy.node, kind, path, ())
            added.setdefault(copy.section, {})[self._names[key]] = content
        if added:
            components = dict(_mapping(document.get("components")))
            for section, entries in added.items():
                components[section] = {**_mapping(components.get(section)), **entries}
            document["components"] = components
        return Bundle(document, self._origins)

    def _target(self, source: SourceFile, site: RefSite) -> Target:
        target = self._files.follow(source, site)
        if not isinstance(target, Target):  # load() raised for every broken ref
            raise AssertionError(f"unchecked reference {site.ref!r}")
        return target

    def _collect(
        self,
        source: SourceFile,
        node: Any,
        kind: str,
        base: tuple[str, ...],
        inlining: tuple[tuple[str, tuple[str, ...]], ...],
    ) -> None:
        for site in ref_sites(node, kind, base):
            target = self._files.follow(source, site)
            if not isinstance(target, Target) or target.file is self._root:
                continue
            section = section_for(site.kind, target.segments)
            if section is not None:
                key = (target.file.name, target.segments, section)
                if key not in self._copies:
                    copy = _Copy(target.file, target.segments, section, target.node)
                    self._copies[key] = copy
                    kind_there = KIND_OF_SECTION[section]
                    self._collect(
                        target.file, target.node, kind_there, target.segments, ()
                    )
                continue
            inline_key = (target.file.name, target.segments)
            if inline_key in inlining:
                self._report_inline_cycle(source, site)
                continue
            self._collect(
                target.file,
                target.node,
                site.kind,
                target.segments,
                (*inlining, inline_key),
            )

    def _report_inline_cycle(self, source: SourceFile, site: RefSite) -> None:
        self.diagnostics.append(
            error(
                "E105",
                source.name,
                source.line_of(site.ref_path),
                to_pointer(site.path),
                f"$ref {site.ref!r} leads back to itself through {site.kind} objects, "
                "which have no components section and must be inlined",
            )
        )

    def _name_copies(self) -> None:
        claimed = self._claimed_slots()
        by_section: dict[str, list[_Key]] = {}
        for key in self._copies:
            by_section.setdefault(key[2], []).append(key)
        root_components = _mapping(_mapping(self._root.data).get("components"))
        for section, keys in sorted(by_section.items()):
            taken = set(_mapping(root_components.get(section)))
            for key in keys:
                if key in claimed:
                    self._names[key] = claimed[key]
            pending = sorted(k for k in keys if k not in claimed)
            self._names.update(_assign(pending, self._copies, taken))

    def _claimed_slots(self) -> dict[_Key, str]:
        """Root components that are only `{$ref: <other file>}` to a node of the same
        name (`Pet: {$ref: pet.yaml}`, `Error: {$ref: 'c.yaml#/Error'}`): the copy
        takes the slot instead of clashing with its own wrapper."""
        claimed: dict[_Key, str] = {}
        components = _mapping(_mapping(self._root.data).get("components"))
        for section, kind in KIND_OF_SECTION.items():
            for name, node in sorted(_mapping(components.get(section)).items()):
                if not (isinstance(node, dict) and len(node) == 1 and "$ref" in node):
                    continue
                path = ("components", section, name)
                site = RefSite(path, node["$ref"], kind, node)
                target = self._files.follow(self._root, site)
                if not isinstance(target, Target) or target.file is self._root:
                    continue
                key = (target.file.name, target.segments, section)
                if key in self._copies and _candidates(self._copies[key])[0] == name:
                    claimed[key] = name
        return claimed

    def _rewrite(
        self,
        source: SourceFile,
        node: Any,
        kind: str,
        path: list[str],
        inlining: tuple[tuple[str, tuple[str, ...]], ...],
    ) -> Any:
        """`node` with every ref made local; `node` itself when nothing changed."""
        if kind == DATA or not isinstance(node, (dict, list)):
            return node
        if isinstance(node, list):
            out_list: list[Any] | None = None
            sub = item_kind(kind)
            for index, value in enumerate(node):
                path.append(str(index))
                new = self._rewrite(source, value, sub, path, inlining)
                path.pop()
                if new is not value:
                    out_list = list(node) if out_list is None else out_list
                    out_list[index] = new
            return node if out_list is None else out_list
        out: dict[str, Any] | None = None
        if "$ref" in node and is_object(kind):
            # (the site's path is a bundled one; it only matters for diagnostics,
            # and load() already reported every reference that has one)
            site = RefSite(tuple(path), node["$ref"], kind, node)
            target = self._target(source, site)
            if (
                section_for(kind, target.segments) is None
                and target.file is not self._root
            ):
                return self._inline(source, node, kind, path, inlining, target)
            new_ref = self._local_ref(source, node["$ref"], kind, target)
            if new_ref != node["$ref"]:
                out = {**node, "$ref": new_ref}
        elif kind == DISCRIMINATOR and isinstance(node.get("mapping"), dict):
            mapping = self._rewrite_mapping(source, node["mapping"], path)
            if mapping is not node["mapping"]:
                out = {**node, "mapping": mapping}
        for key, value in node.items():
            if key == "$ref" or not isinstance(value, (dict, list)):
                continue
            path.append(key)
            new = self._rewrite(
                source, value, child_kind(kind, key, value), path, inlining
            )
            path.pop()
            if new is not value:
                out = dict(node) if out is None else out
                out[key] = new
        return node if out is None else out

    def _inline(
        self,
        source: SourceFile,
        node: dict[str, Any],
        kind: str,
        path: list[str],
        inlining: tuple[tuple[str, tuple[str, ...]], ...],
        target: Target,
    ) -> Any:
        """The target's content in place of the ref; sibling keys of the ref override."""
        self._origins[tuple(path)] = (target.file, target.segments)
        key = (target.file.name, target.segments)
        content = self._rewrite(target.file, target.node, kind, path, (*inlining, key))
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if not siblings or not isinstance(content, dict):
            return content
        rewritten = self._rewrite(source, siblings, kind, path, inlining)
        return {**content, **rewritten}

    def _local_ref(
        self, source: SourceFile, ref: str, kind: str, target: Target
    ) -> str:
        if target.file is self._root:
            if source is self._root and not _file_part(ref):
                return ref  # already local: keep it as the author wrote it
            return to_ref(target.segments)
        section = section_for(kind, target.segments)
        assert section is not None
        name = self._names[(target.file.name, target.segments, section)]
        return to_ref(("components", section, name))

    def _rewrite_mapping(
        self, source: SourceFile, mapping: dict[str, Any], path: list[str]
    ) -> dict[str, Any]:
        out: dict[str, Any] | None = None
        for key, value in mapping.items():
            if not (isinstance(value, str) and is_mapping_ref(value)):
                continue
            site = RefSite((*path, "mapping", key), value, "schema", None)
            new = self._local_ref(source, value, "schema", self._target(source, site))
            if new != value:
                out = dict(mapping) if out is None else out
                out[key] = new
        return mapping if out is None else out


def _assign(
    pending: list[_Key], copies: dict[_Key, _Copy], taken: set[str]
) -> dict[_Key, str]:
    """Names for one section. A candidate is granted at a level only to a target that
    is alone in proposing it, so no contender keeps the plain name by being first."""
    names: dict[_Key, str] = {}
    candidates = {key: _candidates(copies[key]) for key in pending}
    level = 0
    while pending and any(level < len(candidates[k]) for k in pending):
        proposals: dict[str, list[_Key]] = {}
        for key in pending:
            if level < len(candidates[key]):
                proposals.setdefault(candidates[key][level], []).append(key)
        for name, keys in proposals.items():
            if len(keys) == 1 and name not in taken:
                names[keys[0]] = name
                taken.add(name)
        pending = [k for k in pending if k not in names]
        level += 1
    for key in pending:  # sorted by file and pointer
        base = candidates[key][-1]
        number = 2
        while f"{base}{number}" in taken:
            number += 1
        names[key] = f"{base}{number}"
        taken.add(names[key])
    return names


def _candidates(copy: _Copy) -> list[str]:
    file = Path(copy.file.name)
    stem = _pascal(file.stem) or "File"
    base = _component_name(copy.segments[-1]) if copy.segments else stem
    found = [base]
    prefix = stem
    dirs = [p for p in file.parent.parts if p not in (".", "..", file.anchor)]
    for directory in ["", *reversed(dirs)]:
        prefix = _pascal(directory) + prefix
        if prefix + base not in found:
            found.append(prefix + base)
    return found


def _pascal(text: str) -> str:
    return "".join(p[:1].upper() + p[1:] for p in re.split(r"[^A-Za-z0-9]+", text))


def _component_name(segment: str) -> str:
    # Component keys must match ^[a-zA-Z0-9.\-_]+$ (OpenAPI 3.x).
    return re.sub(r"[^A-Za-z0-9._-]", "_", segment) or "_"


def _file_part(ref: str) -> str:
    parts = split_ref(ref)
    return parts if isinstance(parts, str) else parts.file


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}
