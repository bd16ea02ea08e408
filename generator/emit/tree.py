"""Writing a rendered tree atomically, and comparing one for `--check`.

The new tree is built in a sibling temporary directory (same filesystem, so the
final step is a rename) and swapped in only when complete: a run that fails at
any point leaves the previous tree byte for byte as it was. Output paths are
checked before anything touches the disk, so spec text can never steer a write
outside the target.
"""

from __future__ import annotations

import os
import posixpath
import secrets
import shutil
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path, PurePath, PureWindowsPath

FILE_MODE = 0o644
DIR_MODE = 0o755
# Created by importing the generated package (tests, mypy runs); never drift.
IGNORED_DIRS = frozenset({"__pycache__"})


def _path_problem(path: str) -> str | None:
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


def validated_paths(paths: Mapping[str, str]) -> list[str]:
    """The sorted output paths, or ValueError naming the first unsafe one."""
    ordered = sorted(paths)
    for path in ordered:
        problem = _path_problem(path)
        if problem is not None:
            raise ValueError(f"refusing to write output path {path!r}: {problem}")
    files = set(ordered)
    dirs = {posixpath.dirname(p) for p in ordered} - {""}
    for directory in sorted(dirs):
        dirs.update(_ancestors(directory))
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


def _ancestors(directory: str) -> list[str]:
    parts = directory.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _encoded(files: Mapping[str, str], paths: list[str]) -> dict[str, bytes]:
    encoded: dict[str, bytes] = {}
    for path in paths:
        try:
            encoded[path] = files[path].encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"output file {path!r} is not valid UTF-8 text: {exc}"
            ) from exc
    return encoded


def write_tree(files: Mapping[str, str], target: Path) -> None:
    """Replace the directory `target` with exactly `files` ({posix path: text}).

    Text is written as UTF-8 exactly as given (no newline translation), files
    0644 and directories 0755 whatever the umask. On failure the previous tree is
    left untouched and the temporary directory is removed.
    """
    payload = _encoded(files, validated_paths(files))
    target = Path(os.path.abspath(target))
    if target.is_symlink() or (target.exists() and not target.is_dir()):
        raise ValueError(f"output target {target} exists and is not a directory")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.new-", dir=target.parent))
    try:
        _fill(staging, payload)
        old = _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    if old is not None:
        # The new tree is already in place; a failure here only leaves litter.
        shutil.rmtree(old)


def _fill(root: Path, payload: Mapping[str, bytes]) -> None:
    os.chmod(root, DIR_MODE)  # mkdtemp creates 0700
    made: set[str] = set()
    for path, data in payload.items():
        directory = posixpath.dirname(path)
        if directory and directory not in made:
            for ancestor in [*_ancestors(directory), directory]:
                if ancestor not in made:
                    _make_dir(root / ancestor)
                    made.add(ancestor)
        _write_file(root / path, data)


def _make_dir(path: Path) -> None:
    path.mkdir()
    os.chmod(path, DIR_MODE)


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as handle:
        handle.write(data)
    os.chmod(path, FILE_MODE)


def _swap_in(staging: Path, target: Path) -> Path | None:
    """Rename `staging` to `target`; return where the previous tree was moved."""
    if not os.path.lexists(target):
        os.rename(staging, target)
        return None
    old = target.parent / f".{target.name}.old-{secrets.token_hex(8)}"
    os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        os.rename(old, target)
        raise
    return old


def check_tree(files: Mapping[str, str], target: Path) -> list[str]:
    """Paths where `target` differs from `files`: changed, missing or extra, sorted.

    Anything in the target that write_tree would not have written (a symlink,
    a directory where a file belongs) counts as drift; `__pycache__` does not.
    """
    expected = _encoded(files, validated_paths(files))
    drift: set[str] = set()
    present: dict[str, str] = {}
    root = Path(os.path.abspath(target))
    if root.is_dir() and not root.is_symlink():
        for dirpath, dirnames, filenames in os.walk(root):
            base = PurePath(dirpath).relative_to(root).as_posix()
            prefix = "" if base == "." else base + "/"
            kept = []
            for name in dirnames:
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    drift.add(prefix + name)
                elif name not in IGNORED_DIRS:
                    kept.append(name)
            dirnames[:] = kept
            for name in filenames:
                full = os.path.join(dirpath, name)
                rel = prefix + name
                if rel in expected and stat.S_ISREG(os.lstat(full).st_mode):
                    present[rel] = full
                else:
                    drift.add(rel)
    for path, data in expected.items():
        if path not in present or _read(present[path]) != data:
            drift.add(path)
    return sorted(drift)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None
