"""`kill -9` while a project folder is written: the previous files come back byte for byte.

A real child process writes a project folder and is killed (SIGKILL, nothing runs after
it) at every step of the transaction, via OAPIGEN_TEST_KILL_AT (see emit/journal.py). The
next run, or any oapigen command on the folder, must find exactly the previous package
when the kill came before the commit, exactly the new one after it, and the user's files
and `.git` untouched either way. Killing the recovery itself is tested too.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from oapigen.emit import check_tree, recover, write_tree
from oapigen.emit import journal as journal_module
from oapigen.emit.journal import KILL_ENV, SIGNAL_ENV, TXN_NAME

from .helpers import NOTES_V1, NOTES_V2, oapigen, snapshot, write

OLD = {
    "README.md": "# pkg\n",
    "pkg/__init__.py": "from .client import Client\n",
    "pkg/client.py": "class Client:\n    pass\n",
    "pkg/models/note.py": "class Note:\n    pass\n",
    "pkg/models/draft.py": "class Draft:\n    pass\n",  # stale in NEW
    "pkg/old/only.py": "x = 1\n",  # stale in NEW, its folder goes too
}
NEW = {
    "README.md": "# pkg 2\n",
    "pkg/__init__.py": "from .client import Client\n",  # unchanged
    "pkg/client.py": "class Client:\n    tags = 1\n",
    "pkg/models/note.py": "class Note:\n    id: str\n",
    "pkg/resources/tags/list.py": "def list_tags(): ...\n",  # two new folders
}

WRITER = """
import json, sys
from pathlib import Path
from oapigen.emit import write_tree
write_tree(json.loads(Path(sys.argv[1]).read_text()), Path(sys.argv[2]))
"""
RECOVERER = """
import sys
from pathlib import Path
from oapigen.emit import recover
recover(Path(sys.argv[1]))
"""


def run_child(
    script: str, *args: Path, kill_at: int
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", script, *map(str, args)],
        env={**os.environ, KILL_ENV: str(kill_at)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def user_project(folder: Path) -> Path:
    """OLD written by oapigen, plus the user's own files and a `.git`."""
    project = folder / "pkg-project"
    write_tree(OLD, project)
    (project / ".git" / "objects").mkdir(parents=True)
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / "pkg" / "extension.py").write_text("# the user's module\n")
    (project / "notes.md").write_text("mine\n")
    return project


def steps_of_a_write(tmp_path: Path) -> list[str]:
    """The checkpoint names of writing NEW over the user project, in order."""
    names: list[str] = []
    project = user_project(tmp_path / "listing")
    original = journal_module.checkpoint
    journal_module.checkpoint = names.append
    try:
        write_tree(NEW, project)
    finally:
        journal_module.checkpoint = original
    return names


@pytest.fixture(scope="module")
def states(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, object]]:
    """Snapshots of the user project before and after writing NEW."""
    folder = tmp_path_factory.mktemp("states")
    project = user_project(folder)
    before = snapshot(project)
    write_tree(NEW, project)
    return {"old": before, "new": snapshot(project)}


def test_every_kind_of_step_is_covered(tmp_path: Path) -> None:
    steps = steps_of_a_write(tmp_path)
    kinds = {name.split(" ")[0] for name in steps}
    assert {"stage", "journal", "mkdir", "back", "write", "delete", "rmdir"} <= kinds
    assert {"commit", "clean"} <= kinds
    assert steps.index("journal") < steps.index("commit") == len(steps) - 2


def test_kill_9_at_every_step_of_a_write(
    tmp_path: Path, states: dict[str, dict[str, object]]
) -> None:
    steps = steps_of_a_write(tmp_path)
    commit = steps.index("commit") + 1  # 1-based, like OAPIGEN_TEST_KILL_AT
    payload = tmp_path / "new.json"
    payload.write_text(json.dumps(NEW))
    outcomes = []
    for kill_at in range(1, len(steps) + 1):
        project = user_project(tmp_path / f"kill-{kill_at}")
        result = run_child(WRITER, payload, project, kill_at=kill_at)
        assert result.returncode == -signal.SIGKILL, (kill_at, result.stderr)
        if kill_at < commit:
            # The next oapigen command on the folder recovers it before anything else.
            assert check_tree(OLD, project) == [], steps[kill_at - 1]
            assert snapshot(project) == states["old"], steps[kill_at - 1]
            outcomes.append("old")
        else:
            recover(project)
            assert snapshot(project) == states["new"], steps[kill_at - 1]
            outcomes.append("new")
        assert not (project / TXN_NAME).exists()
    # Killed at the very last step, the write had finished: nothing left to recover.
    assert outcomes.count("new") == len(steps) - commit + 1
    assert outcomes.count("old") == commit - 1


def test_kill_9_during_the_recovery_too(
    tmp_path: Path, states: dict[str, dict[str, object]]
) -> None:
    steps = steps_of_a_write(tmp_path)
    middle = [i + 1 for i, name in enumerate(steps) if name.startswith("delete")][0]
    payload = tmp_path / "new.json"
    payload.write_text(json.dumps(NEW))
    project = user_project(tmp_path / "twice")
    assert run_child(WRITER, payload, project, kill_at=middle).returncode == -9
    interrupted = tmp_path / "interrupted"
    shutil.copytree(project, interrupted, symlinks=True)
    recoveries = 0
    for kill_at in range(1, 100):
        attempt = tmp_path / f"recover-{kill_at}"
        shutil.copytree(interrupted, attempt, symlinks=True)
        result = run_child(RECOVERER, attempt, kill_at=kill_at)
        if result.returncode == 0:
            break  # past the last step of a rollback
        assert result.returncode == -signal.SIGKILL, result.stderr
        recoveries += 1
        recover(attempt)  # the recovery after the killed recovery
        assert snapshot(attempt) == states["old"], kill_at
    assert recoveries > 5


def command_steps(old: Path, new: Path, scratch: Path) -> list[str]:
    """The checkpoint names of the command's write turning project `old` into `new`:
    the same write, done here on a copy of `old` with the files of `new`."""
    shutil.copytree(old, scratch, symlinks=True)
    owned = json.loads((new / ".oapigen-manifest.json").read_text())["files"]
    names: list[str] = []
    original = journal_module.checkpoint
    journal_module.checkpoint = names.append
    try:
        write_tree({path: (new / path).read_text() for path in owned}, scratch)
    finally:
        journal_module.checkpoint = original
    return names


@pytest.mark.slow
def test_the_real_command_killed_while_writing(tmp_path: Path) -> None:
    """`oapigen` itself, killed at sampled steps of its write: old package or new one."""
    v1 = write(tmp_path, "v1.yaml", NOTES_V1)
    v2 = write(tmp_path, "v2.yaml", NOTES_V2)
    pristine = tmp_path / "pristine"
    assert oapigen(v1, "-o", pristine, "--package", "tiny").returncode == 0
    project = pristine / "tiny"
    (project / ".git").mkdir()
    (project / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    (project / "scratch.py").write_text("print('mine')\n")
    old = snapshot(pristine)
    fresh = tmp_path / "fresh"
    shutil.copytree(pristine, fresh, symlinks=True)
    assert oapigen(v2, "-o", fresh, "--package", "tiny").returncode == 0
    new = snapshot(fresh)
    assert new != old and (fresh / "tiny" / "scratch.py").is_file()

    names = command_steps(pristine / "tiny", fresh / "tiny", tmp_path / "listing")
    commit = names.index("commit") + 1
    for kill_at in sorted({1, 2, commit // 2, commit - 1, commit, len(names)}):
        output = tmp_path / f"kill-{kill_at}"
        shutil.copytree(pristine, output, symlinks=True)
        result = oapigen(
            v2, "-o", output, "--package", "tiny", env={KILL_ENV: str(kill_at)}
        )
        assert result.returncode == -signal.SIGKILL, result.stderr
        check = oapigen(v1, "-o", output, "--package", "tiny", "--check")
        expected = old if kill_at < commit else new
        assert snapshot(output) == expected, (kill_at, names[kill_at - 1])
        assert check.returncode == (0 if kill_at < commit else 1), check.stderr


def test_ctrl_c_while_writing_rolls_back_at_once(tmp_path: Path) -> None:
    """SIGINT in the middle of the write: the command rolls back before it exits (no
    recovery needed), says so, exits 130, and shows no traceback."""
    v1 = write(tmp_path, "v1.yaml", NOTES_V1)
    v2 = write(tmp_path, "v2.yaml", NOTES_V2)
    assert oapigen(v1, "-o", tmp_path / "out").returncode == 0
    (tmp_path / "out" / "tiny_notes" / "mine.txt").write_text("mine\n")
    before = snapshot(tmp_path / "out")
    shutil.copytree(tmp_path / "out", tmp_path / "new")
    assert oapigen(v2, "-o", tmp_path / "new").returncode == 0
    steps = command_steps(
        tmp_path / "out" / "tiny_notes",
        tmp_path / "new" / "tiny_notes",
        tmp_path / "listing",
    )
    # Half way between the journal and the commit: files already moved.
    middle = (steps.index("journal") + steps.index("commit")) // 2 + 1
    assert steps[middle - 1].startswith(("write", "back up", "delete")), steps
    result = oapigen(
        v2, "-o", tmp_path / "out", env={KILL_ENV: str(middle), SIGNAL_ENV: "INT"}
    )
    assert result.returncode == 130, result.stderr
    assert result.stderr == (
        "oapigen: interrupted; the output folder keeps its previous files\n"
    )
    assert snapshot(tmp_path / "out") == before


def test_a_run_after_a_kill_writes_the_changelog_entry_of_the_killed_one(
    tmp_path: Path,
) -> None:
    """Killed after swapping in the new surface snapshot (`.oapigen/api.json`) but
    before the new CHANGELOG.md, a run leaves a folder whose snapshot already says 2.0;
    the next run must roll that back before the changelog compares with it, or the
    1.0 -> 2.0 entry is lost."""
    v1 = write(tmp_path, "v1.yaml", NOTES_V1)
    v2 = write(tmp_path, "v2.yaml", NOTES_V2)
    assert oapigen(v1, "-o", tmp_path / "out").returncode == 0
    shutil.copytree(tmp_path / "out", tmp_path / "new")
    assert oapigen(v2, "-o", tmp_path / "new").returncode == 0
    expected = (tmp_path / "new" / "tiny_notes" / "CHANGELOG.md").read_text()
    assert "## 1.0 -> 2.0" in expected
    steps = command_steps(
        tmp_path / "out" / "tiny_notes",
        tmp_path / "new" / "tiny_notes",
        tmp_path / "listing",
    )
    swapped = steps.index("write .oapigen/api.json") + 1  # 1-based, like KILL_ENV
    assert swapped < steps.index("write CHANGELOG.md") + 1 < steps.index("commit")
    killed = oapigen(v2, "-o", tmp_path / "out", env={KILL_ENV: str(swapped)})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    project = tmp_path / "out" / "tiny_notes"
    assert (project / TXN_NAME).is_dir()
    snapshot_file = project / ".oapigen" / "api.json"
    assert (
        snapshot_file.read_text()
        == (tmp_path / "new" / "tiny_notes" / ".oapigen" / "api.json").read_text()
    )  # the killed run's snapshot is in place
    again = oapigen(v2, "-o", tmp_path / "out")
    assert again.returncode == 0, again.stderr
    assert (project / "CHANGELOG.md").read_text() == expected
    assert snapshot(tmp_path / "out") == snapshot(tmp_path / "new")
