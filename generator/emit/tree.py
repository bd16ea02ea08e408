"""Writing a generated project into its folder, and comparing one for `--check`.

oapigen owns the files its manifest lists (manifest.py) and nothing else: regeneration
replaces owned files, deletes owned files the new output no longer has, and keeps
everything else (a `.git`, the user's files, build leftovers). It refuses a non-empty
folder it did not generate unless `overwrite` is given. The change is one journaled
transaction (journal.py): a run that fails or is killed at any point leaves, once
recovered, the previous files byte for byte. Output paths are vetted (paths.py) before
anything touches the disk, so spec text can never steer a write outside the folder.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .. import progress
from ..diagnostics import Diagnostic, warning
from .journal import (
    DIR_MODE,
    FILE_MODE,
    TXN_NAME,
    OutputError,
    Plan,
    apply,
    emptied_folders,
    locked,
    recover,
)
from .manifest import (
    MANIFEST_NAME,
    ManifestError,
    digest,
    manifest_bytes,
    read_manifest,
)
from .paths import folders_of, validated_paths

__all__ = [
    "DIR_MODE",
    "FILE_MODE",
    "MANIFEST_NAME",
    "OutputError",
    "WriteReport",
    "check_tree",
    "validated_paths",
    "write_tree",
]


@dataclass
class WriteReport:
    written: list[str] = field(default_factory=list)  # new or changed files
    deleted: list[str] = field(default_factory=list)  # stale owned files
    unchanged: int = 0
    recovered: bool = False  # an interrupted earlier run was rolled back first
    diagnostics: list[Diagnostic] = field(default_factory=list)


def _encoded(files: Mapping[str, str]) -> dict[str, bytes]:
    encoded: dict[str, bytes] = {}
    for path in validated_paths(files):
        try:
            encoded[path] = files[path].encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"output file {path!r} is not valid UTF-8 text: {exc}"
            ) from exc
    encoded[MANIFEST_NAME] = manifest_bytes(encoded)
    return encoded


def write_tree(
    files: Mapping[str, str], target: Path, *, overwrite: bool = False
) -> WriteReport:
    """Make the owned files of the project folder `target` exactly `files`.

    `files` is {posix path: text}; text is written as UTF-8 exactly as given (no newline
    translation), files 0644 and new folders 0755 whatever the umask. Raises OutputError
    (nothing changed) when the folder cannot be written as asked.
    """
    payload = _encoded(files)
    shown = target
    target = Path(os.path.abspath(target))
    _check_is_folder(target, shown)
    created = not os.path.lexists(target)
    if created:
        try:
            target.mkdir(parents=True)
            os.chmod(target, DIR_MODE)
        except OSError as exc:
            raise OutputError(
                "E512", shown, f"cannot create the folder: {exc.strerror}"
            ) from None
    try:
        with locked(target):
            report = WriteReport(recovered=recover(target))
            if report.recovered:
                progress.note(f"{shown}: rolled back an interrupted run first")
            owned = _owned(target, shown, overwrite)
            plan = _plan(target, shown, payload, owned, report)
            plan.created_project = created
            changed = [path for path in plan.changes if path != MANIFEST_NAME]
            progress.count("changed", done=len(changed), total=len(changed))
            progress.count("deleted", done=len(plan.stale), total=len(plan.stale))
            if not plan.empty:
                try:
                    apply(target, plan)
                except OSError as exc:
                    raise OutputError(
                        "E512", shown, f"writing failed, nothing changed: {exc}"
                    ) from None
    except BaseException:
        if created:
            _remove_if_empty(target)
        raise
    return report


def _check_is_folder(target: Path, shown: Path) -> None:
    if os.path.islink(target) or (
        os.path.lexists(target) and not os.path.isdir(target)
    ):
        raise OutputError(
            "E511",
            shown,
            "the output exists and is not a folder",
            "--output names a folder",
        )
    for parent in target.parents:
        if os.path.lexists(parent):
            if not os.path.isdir(parent):
                raise OutputError(
                    "E511", parent, "is a file, not a folder", "--output names a folder"
                )
            break


def _owned(target: Path, shown: Path, overwrite: bool) -> dict[str, str]:
    """{path: digest} of the files a previous run wrote here."""
    try:
        owned = read_manifest(target)
    except ManifestError as exc:
        if overwrite:
            return {}
        raise OutputError(
            "E510", shown, f"the folder's manifest is damaged: {exc}", _OVERWRITE_HINT
        ) from None
    if owned is not None:
        return owned
    if not overwrite and any(name != TXN_NAME for name in os.listdir(target)):
        raise OutputError(
            "E510",
            shown,
            f"the folder is not empty and oapigen did not generate it (no {MANIFEST_NAME})",
            _OVERWRITE_HINT,
        )
    return {}


_OVERWRITE_HINT = (
    "pass --overwrite to write into it anyway; files oapigen does not generate are kept"
)


def _plan(
    target: Path,
    shown: Path,
    payload: dict[str, bytes],
    owned: dict[str, str],
    report: WriteReport,
) -> Plan:
    changes: dict[str, bytes] = {}
    existed: set[str] = set()
    new_dirs: set[str] = set()
    folder_kinds: dict[str, str | None] = {}
    for path, data in payload.items():
        for directory in folders_of(path):
            if directory not in folder_kinds:
                folder_kinds[directory] = _kind(os.path.join(target, directory))
            kind = folder_kinds[directory]
            if kind is None:
                new_dirs.add(directory)
            elif kind != "dir":
                message = f"cannot write {path}: {directory} is a {kind}, not a folder"
                raise OutputError("E512", shown, message, "move it away")
        full = os.path.join(target, path)
        parent = os.path.dirname(path)
        new_folder = bool(parent) and folder_kinds[parent] is None
        kind = None if new_folder else _kind(full)
        if kind == "dir":
            message = f"cannot write {path}: a folder is in the way"
            raise OutputError("E512", shown, message, "move it away")
        if kind == "file" and _read(full) == data:
            report.unchanged += 1
            continue
        if kind is not None:
            existed.add(path)
            if path in owned and _edited(full, owned[path]):
                report.diagnostics.append(_edited_warning(shown, path, "replaced it"))
        changes[path] = data
    progress.count("writing", total=len(changes))
    stale = []
    for path in sorted(owned.keys() - payload.keys()):
        if not _inside_real_folders(target, path) or _kind(target / path) != "file":
            continue  # gone, or no longer what we wrote: not ours to delete
        if _edited(target / path, owned[path]):
            note = "kept it; it is no longer generated or owned"
            report.diagnostics.append(_edited_warning(shown, path, note))
            continue
        stale.append(path)
    keep = {d for path in payload for d in folders_of(path)}
    report.written = sorted(changes)
    report.deleted = stale
    return Plan(
        changes=changes,
        existed=existed,
        stale=stale,
        new_dirs=sorted(new_dirs, key=lambda d: (d.count("/"), d)),
        removed_dirs=emptied_folders(target, stale, keep),
    )


def _edited_warning(shown: Path, path: str, what: str) -> Diagnostic:
    message = f"{path} was edited by hand since oapigen wrote it; regeneration {what}"
    return warning("W510", f"{shown}/{path}", None, "", message)


def settle(target: Path) -> None:
    """Roll back what an interrupted run left in the project folder `target`, before
    anything reads the folder's previous files (the changelog compares the new surface
    with the snapshot there: a half-written run's snapshot would hide the change)."""
    root = Path(os.path.abspath(target))
    if os.path.islink(root) or not root.is_dir():
        return
    if not os.path.lexists(root / TXN_NAME):
        return
    with locked(root):
        if recover(root):
            progress.note(f"{target}: rolled back an interrupted run first")


def check_tree(files: Mapping[str, str], target: Path) -> list[str]:
    """Owned paths where the folder differs from `files`, sorted: changed or missing
    files, the manifest, and stale owned files still present. Files oapigen does not own
    (build leftovers, `__pycache__`, the user's) are not compared."""
    payload = _encoded(files)
    root = Path(os.path.abspath(target))
    if os.path.islink(root) or not root.is_dir():
        return sorted(payload)
    with locked(root):
        if recover(root):
            progress.note(f"{target}: rolled back an interrupted run first")
        try:
            owned = read_manifest(root) or {}
        except ManifestError:
            owned = {}  # the manifest itself shows as drift
    drift = {
        path
        for path, data in payload.items()
        if not _inside_real_folders(root, path)
        or _kind(root / path) != "file"
        or _read(root / path) != data
    }
    for path in owned.keys() - payload.keys():
        if _inside_real_folders(root, path) and os.path.lexists(root / path):
            drift.add(path)
    return sorted(drift)


def _kind(path: str | Path) -> str | None:
    """ "file", "dir", "symlink", "special" or None (nothing there)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        return "special"  # a parent is a file
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "dir"
    return "symlink" if stat.S_ISLNK(mode) else "special"


def _inside_real_folders(root: Path, path: str) -> bool:
    return all(_kind(root / d) == "dir" for d in folders_of(path))


def _edited(path: str | Path, expected: str) -> bool:
    data = _read(path)
    return data is not None and digest(data) != expected


def _read(path: str | Path) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _remove_if_empty(path: Path) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass
