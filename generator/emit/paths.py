"""Output paths are data from the spec's identifiers: vet them before touching the disk.

Only relative, normalized, '/'-separated paths are written, and never two that a
case-insensitive filesystem would merge, so spec text can never steer a write outside
the project folder.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from pathlib import PureWindowsPath

# Names oapigen keeps for itself inside a project folder (see manifest.py, journal.py).
RESERVED = frozenset({".oapigen-manifest.json", ".oapigen-txn"})


def path_problem(path: str) -> str | None:
    """Why `path` may not be written, or None."""
    if not path:
        return "empty path"
    if "\0" in path:
        return "NUL character"
    if "\\" in path:
        return "backslash (output paths are POSIX, '/'-separated)"
    if path.startswith("/") or PureWindowsPath(path).anchor:
        return "absolute path"
    parts = path.split("/")
    if ".." in parts:
        return "'..' component"
    if "" in parts or "." in parts:
        return "not normalized (empty or '.' component, or trailing '/')"
    return None


def validated_paths(paths: Iterable[str]) -> list[str]:
    """The sorted output paths, or ValueError naming the first unsafe one."""
    ordered = sorted(paths)
    for path in ordered:
        problem = path_problem(path)
        if problem is None and path.split("/")[0] in RESERVED:
            problem = "a name oapigen reserves for its own bookkeeping"
        if problem is not None:
            raise ValueError(f"refusing to write output path {path!r}: {problem}")
    files = set(ordered)
    dirs = {posixpath.dirname(p) for p in ordered} - {""}
    for directory in sorted(dirs):
        dirs.update(ancestors(directory))
    for path in ordered:
        if path in dirs:
            raise ValueError(f"output path {path!r} is both a file and a directory")
    # Names that differ only in case merge on macOS and Windows filesystems.
    seen: dict[str, str] = {}
    for name in sorted(files | dirs):
        other = seen.setdefault(name.casefold(), name)
        if other != name:
            raise ValueError(f"output paths {other!r} and {name!r} differ only in case")
    return ordered


def ancestors(directory: str) -> list[str]:
    """The proper ancestors of a relative folder, outermost first: a/b/c -> [a, a/b]."""
    parts = directory.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def folders_of(path: str) -> list[str]:
    """Every folder `path` sits in, outermost first: a/b/c.py -> [a, a/b]."""
    directory = posixpath.dirname(path)
    return [*ancestors(directory), directory] if directory else []
