"""Changing the owned files of a project folder all at once, or not at all.

A project folder also holds files oapigen does not own (a `.git`, the user's files), so
the old way, building a whole new folder and renaming it over the old one, would lose them.
Instead every change is a rename inside the folder, recorded beforehand in a journal:

    <project>/.oapigen-txn/new/...        the new files, staged complete
    <project>/.oapigen-txn/old/...        previous versions of replaced or deleted files
    <project>/.oapigen-txn/journal.json   what the run is about to change

1. stage: write every changed file under new/ (the project itself is not touched yet);
2. journal: write journal.json (to a temporary name, then renamed: whole or absent);
3. apply: create missing folders; for each changed path move the current file, if any, to
   old/ and then the staged file into place; move stale owned files to old/ and remove
   the folders that leaves empty;
4. commit: delete journal.json;
5. clean up: delete .oapigen-txn.

A file is moved to old/ before its path is reused, so at every instant each path the
journal names is either untouched or has its previous version in old/. `recover` runs
before any later write or check of the folder: with a journal it rolls back (recreates
removed folders, moves every file in old/ back, deletes files the run added and folders it
created); without one the run died before step 2 or after step 4, and the transaction
folder is just deleted. Rolling back is idempotent, so a recovery that is itself killed is
run again next time. A run that fails with an exception rolls back at once. Either way
the previous package comes back byte for byte (a project folder the run itself created may
remain, empty).

Runs on one folder are serialized by an advisory lock on it (`flock`, released by the
kernel when a process dies, so a killed run never leaves a stale lock).

Tests kill a real process at every step: with OAPIGEN_TEST_KILL_AT=n in the environment
the process sends itself SIGKILL (or OAPIGEN_TEST_KILL_SIGNAL, e.g. INT for a Ctrl-C) at
the n-th `checkpoint` of a transaction.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import progress
from ..diagnostics import GeneratorError, error
from .paths import folders_of, path_problem

TXN_NAME = ".oapigen-txn"
JOURNAL_NAME = "journal.json"
FILE_MODE = 0o644
DIR_MODE = 0o755
KILL_ENV = "OAPIGEN_TEST_KILL_AT"
SIGNAL_ENV = "OAPIGEN_TEST_KILL_SIGNAL"


class OutputError(GeneratorError):
    """The project folder cannot be written (or checked) as asked: one diagnostic."""

    def __init__(
        self, code: str, where: Path | str, message: str, hint: str = ""
    ) -> None:
        super().__init__([error(code, str(where), None, "", message, hint)])


@dataclass
class Plan:
    """What one run changes in a project folder (paths relative to it, '/'-separated)."""

    changes: dict[str, bytes]  # files to write
    existed: set[str]  # those of `changes` whose path holds something now
    stale: list[str]  # owned files to delete
    new_dirs: list[str]  # folders to create, outermost first
    removed_dirs: list[str]  # folders left empty by `stale`, innermost first
    created_project: bool = False

    @property
    def empty(self) -> bool:
        return not (self.changes or self.stale)


_kill_at = 0
_kill_signal = "KILL"
_steps = 0


def checkpoint(name: str) -> None:
    """A step of a transaction is done (`name` is for tests that list the steps)."""
    global _steps
    _steps += 1
    if _steps == _kill_at:
        os.kill(os.getpid(), signal.Signals["SIG" + _kill_signal])


def _reset_checkpoints() -> None:
    global _kill_at, _kill_signal, _steps
    _steps = 0
    _kill_signal = os.environ.get(SIGNAL_ENV, "KILL")
    try:
        _kill_at = int(os.environ.get(KILL_ENV, "0"))
    except ValueError:
        _kill_at = 0


@contextmanager
def locked(project: Path) -> Iterator[None]:
    """Hold the advisory lock of an existing project folder (a no-op without fcntl)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    fd = os.open(project, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise OutputError(
                "E513",
                project,
                "another oapigen run is writing this folder",
                "wait for it to finish",
            ) from None
        yield
    finally:
        os.close(fd)


def apply(project: Path, plan: Plan) -> None:
    """Make the changes of `plan` in `project` (an existing, locked folder)."""
    _reset_checkpoints()
    txn = project / TXN_NAME
    txn.mkdir()
    checkpoint("transaction folder")
    _stage(txn, plan)
    journal = txn / JOURNAL_NAME
    temporary = txn / (JOURNAL_NAME + ".tmp")
    temporary.write_text(json.dumps(_journal(plan), indent=1, sort_keys=True))
    os.rename(temporary, journal)
    checkpoint("journal")
    try:
        _apply(project, txn, plan)
    except BaseException:
        roll_back(project)
        raise
    os.unlink(journal)
    checkpoint("commit")
    shutil.rmtree(txn)
    checkpoint("clean up")


def _stage(txn: Path, plan: Plan) -> None:
    # Plain strings, not Path objects: thousands of files, and this is the slow part.
    new, old = os.path.join(txn, "new"), os.path.join(txn, "old")
    made: set[str] = set()

    def folder(path: str) -> None:
        if path not in made:
            os.makedirs(path, exist_ok=True)
            made.add(path)

    folder(new)
    folder(old)
    for path, data in sorted(plan.changes.items()):
        staged = os.path.join(new, path)
        folder(os.path.dirname(staged))
        with open(staged, "xb") as handle:
            handle.write(data)
        os.chmod(staged, FILE_MODE)
        checkpoint(f"stage {path}")
        progress.count("writing", done=1)
        if path in plan.existed:
            folder(os.path.dirname(os.path.join(old, path)))
    for path in plan.stale:
        folder(os.path.dirname(os.path.join(old, path)))
    checkpoint("backup folders")


def _journal(plan: Plan) -> dict[str, object]:
    return {
        "format": 1,
        "changed": [[path, path in plan.existed] for path in sorted(plan.changes)],
        "stale": sorted(plan.stale),
        "new_dirs": plan.new_dirs,
        "removed_dirs": plan.removed_dirs,
        "created_project": plan.created_project,
    }


def _apply(project: Path, txn: Path, plan: Plan) -> None:
    join = os.path.join
    new, old = join(txn, "new"), join(txn, "old")
    for directory in plan.new_dirs:
        os.mkdir(join(project, directory))
        os.chmod(join(project, directory), DIR_MODE)
        checkpoint(f"mkdir {directory}")
    for path in sorted(plan.changes):
        if path in plan.existed:
            os.rename(join(project, path), join(old, path))
            checkpoint(f"back up {path}")
        os.rename(join(new, path), join(project, path))
        checkpoint(f"write {path}")
    for path in sorted(plan.stale):
        os.rename(join(project, path), join(old, path))
        checkpoint(f"delete {path}")
    for directory in plan.removed_dirs:
        os.rmdir(join(project, directory))
        checkpoint(f"rmdir {directory}")


def recover(project: Path) -> bool:
    """Finish what an interrupted run left; True when its changes were rolled back."""
    txn = project / TXN_NAME
    if not os.path.lexists(txn):
        return False
    if not txn.is_dir() or txn.is_symlink():
        raise OutputError("E514", txn, "is not a folder oapigen made; remove it")
    if (txn / JOURNAL_NAME).is_file():
        roll_back(project)
        return True
    shutil.rmtree(txn)
    return False


def roll_back(project: Path) -> None:
    """Undo a journaled transaction (idempotent: safe to run again after a kill)."""
    _reset_checkpoints()
    txn = project / TXN_NAME
    journal = txn / JOURNAL_NAME
    try:
        data = json.loads(journal.read_text())
        changed = [(str(p), bool(existed)) for p, existed in data["changed"]]
        stale = [str(p) for p in data["stale"]]
        new_dirs = [str(p) for p in data["new_dirs"]]
        removed_dirs = [str(p) for p in data["removed_dirs"]]
        created_project = bool(data["created_project"])
    except (OSError, ValueError, KeyError, TypeError):
        raise OutputError(
            "E514",
            journal,
            "the journal of an interrupted run cannot be read",
            f"restore the folder from version control, then delete {TXN_NAME}",
        ) from None
    every = [p for p, _ in changed] + stale + new_dirs + removed_dirs
    if any(path_problem(p) is not None for p in every):
        raise OutputError(
            "E514", journal, "the journal names a path outside the folder"
        )
    old = txn / "old"
    for directory in reversed(removed_dirs):
        os.makedirs(project / directory, mode=DIR_MODE, exist_ok=True)
    for path in stale:
        if os.path.lexists(old / path):
            os.replace(old / path, project / path)
            checkpoint(f"restore {path}")
    for path, existed in reversed(changed):
        if os.path.lexists(old / path):
            os.replace(old / path, project / path)
            checkpoint(f"restore {path}")
        elif not existed and _is_file(project / path):
            os.unlink(project / path)
            checkpoint(f"remove {path}")
    for directory in reversed(new_dirs):
        _remove_if_empty(project / directory)
    os.unlink(journal)
    checkpoint("rolled back")
    shutil.rmtree(txn)
    if created_project:
        _remove_if_empty(project)


def emptied_folders(project: Path, stale: list[str], keep: set[str]) -> list[str]:
    """Folders that deleting `stale` leaves empty (innermost first), except `keep`."""
    gone = set(stale)
    removed: list[str] = []
    candidates = {d for path in stale for d in folders_of(path)} - keep
    for directory in sorted(candidates, key=lambda d: (-d.count("/"), d)):
        try:
            names = os.listdir(project / directory)
        except OSError:
            continue
        inside = {f"{directory}/{name}" for name in names}
        if inside <= gone:
            removed.append(directory)
            gone.add(directory)
    return removed


def _is_file(path: Path) -> bool:
    try:
        return not stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def _remove_if_empty(path: Path) -> None:
    try:
        os.rmdir(path)
    except OSError:
        pass
