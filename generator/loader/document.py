"""`load(path) -> Document`: the loader's public face."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..diagnostics import Diagnostic, GeneratorError, error
from .bundle import Bundle, Bundler, Origin
from .limits import DEFAULT_OPTIONS, LoadOptions
from .parse import SourceFile, read_source
from .pointer import Missing, lookup, split_pointer, type_name

if TYPE_CHECKING:  # overlay.py imports jsonpath (~50 ms): only when there are overlays
    from .overlay import Overlay
from .refs import FileSet


class _Lazy:
    """Mutable caches behind the frozen Document."""

    def __init__(self, files: FileSet, bundler: Bundler | None) -> None:
        self.files = files
        self.bundler = bundler
        self.bundle: Bundle | None = None
        self.resolved: dict[str, Any] = {}


@dataclass(frozen=True, eq=False)
class Document:
    """A loaded spec. `root` is the root file's data as loaded: never mutate it (YAML
    aliases make several places share one object)."""

    path: Path
    root: Mapping[str, Any]
    warnings: list[Diagnostic]
    _lazy: _Lazy = field(repr=False)

    def bundled(self) -> dict[str, Any]:
        """The root with every ref local (see bundle.py); built once, then cached.

        Shared with the loaded data wherever nothing changed: treat it as read-only.
        """
        return self._bundle().document

    def resolve(self, ref: str) -> Any:
        """The node a local ref names in the bundled document, following refs that are
        only `{"$ref": ...}` to the node that defines something."""
        cached = self._lazy.resolved.get(ref)
        if cached is not None:
            return cached
        document = self.bundled()
        seen: list[str] = []
        current = ref
        while True:
            if not current.startswith("#"):
                raise self._error(
                    "E102", current, f"{current!r} is not a local reference"
                )
            node, _ = lookup(document, current, decoded_first=True)
            if isinstance(node, Missing):
                message = f"$ref target {current!r} not found: {node.reason}"
                raise self._error("E102", current, message)
            if not (isinstance(node, dict) and len(node) == 1 and "$ref" in node):
                break
            seen.append(current)
            current = node["$ref"]
            if not isinstance(current, str):
                raise self._error("E102", seen[-1], f"$ref is {type_name(current)}")
            if current in seen:
                chain = " -> ".join([*seen, current])
                raise self._error("E105", ref, f"reference cycle: {chain}")
        self._lazy.resolved[ref] = node
        return node

    def locate(self, pointer: str) -> tuple[str, int | None]:
        """(file as the user named it, 1-based line) of a pointer of the bundled
        document; nodes copied from other files are located in those files. A pointer
        that does not exist gets the line of its deepest existing ancestor."""
        segments = self._segments(pointer)
        source, inner = self._origin(segments)
        return source.name, source.line_of(inner)

    def _segments(self, pointer: str) -> tuple[str, ...]:
        node, segments = lookup(self.bundled(), pointer, decoded_first=False)
        if not isinstance(node, Missing):
            return segments
        return split_pointer(pointer, percent_decode=False) or ()

    def _origin(self, segments: tuple[str, ...]) -> Origin:
        origins = self._bundle().origins
        for depth in range(len(segments), 0, -1):
            found = origins.get(segments[:depth])
            if found is not None:
                source, base = found
                return source, (*base, *segments[depth:])
        return self._lazy.files.root, segments

    def _bundle(self) -> Bundle:
        lazy = self._lazy
        if lazy.bundle is None:
            if lazy.bundler is None:
                lazy.bundle = Bundle(dict(self.root), {})
            else:
                lazy.bundle = lazy.bundler.bundle()
        return lazy.bundle

    def with_overlays(self, overlays: Sequence[Overlay]) -> Document:
        """This document with OpenAPI Overlays applied in order (see overlay.py)."""
        from .overlay import apply_overlays

        bundle, warnings = apply_overlays(
            self._bundle(), self._lazy.files.root, [*overlays]
        )
        lazy = _Lazy(self._lazy.files, None)
        lazy.bundle = bundle
        return Document(self.path, bundle.document, [*self.warnings, *warnings], lazy)

    def _error(self, code: str, pointer: str, message: str) -> GeneratorError:
        file, line = self.locate(pointer)
        return GeneratorError([error(code, file, line, pointer, message)])


def load(
    path: Path,
    options: LoadOptions = DEFAULT_OPTIONS,
    *,
    overlays: Sequence[Path] = (),
) -> Document:
    """Load a spec and everything its refs reach, then apply the overlays in order;
    GeneratorError on any error."""
    path = Path(path)
    try:
        document = _load(path, options)
        if overlays:
            from .overlay import read_overlay

            document = document.with_overlays([read_overlay(Path(o)) for o in overlays])
        return document
    except RecursionError:
        message = "the document is nested too deeply to process"
        raise GeneratorError([error("E101", str(path), None, "#", message)]) from None


def _load(path: Path, options: LoadOptions) -> Document:
    name = str(path)
    root = read_source(path, name, options)
    if isinstance(root, Diagnostic):
        raise GeneratorError([root])
    if not isinstance(root.data, dict):
        raise GeneratorError([_not_a_mapping(root)])
    files = FileSet(root, path, options)
    files.check()
    if files.diagnostics:
        raise GeneratorError(files.diagnostics)
    bundler = None
    if files.has_file_refs:
        bundler = Bundler(files)
        bundler.collect()
        if bundler.diagnostics:
            raise GeneratorError(bundler.diagnostics)
    return Document(path, root.data, files.warnings, _Lazy(files, bundler))


def _not_a_mapping(root: SourceFile) -> Diagnostic:
    found = "an empty document" if root.data is None else type_name(root.data)
    return error(
        "E101",
        root.name,
        root.line_of(()),
        "#",
        f"an OpenAPI document must be a mapping at the top, found {found}",
    )
