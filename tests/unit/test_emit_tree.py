"""write_tree / check_tree: owned files only, all-or-nothing, safe paths, exact bytes and
modes, drift of owned files."""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from oapigen.emit import MANIFEST_NAME, OutputError, check_tree, write_tree
from oapigen.emit import journal as journal_module
from oapigen.emit.journal import JOURNAL_NAME, TXN_NAME

FILES = {
    "pkg/__init__.py": "from .client import Client\n",
    "pkg/client.py": "class Client:\n    name = 'café ☕'\n",
    "pkg/models/__init__.py": "",
    "pkg/models/deep/pet.py": "class Pet:\n    pass\n",
    "README.md": "# pkg\n\nline two\n",
}


def snapshot(root: Path) -> dict[str, tuple[str, bytes]]:
    """Every entry under root: kind+mode and bytes, keyed by relative path."""
    found: dict[str, tuple[str, bytes]] = {}
    for path in sorted(root.rglob("*")):
        info = path.lstat()
        rel = path.relative_to(root).as_posix()
        if stat.S_ISDIR(info.st_mode):
            found[rel] = (f"dir {stat.S_IMODE(info.st_mode):o}", b"")
        elif stat.S_ISLNK(info.st_mode):
            found[rel] = ("symlink", os.readlink(path).encode())
        else:
            found[rel] = (f"file {stat.S_IMODE(info.st_mode):o}", path.read_bytes())
    return found


@pytest.fixture
def strict_umask() -> Iterator[None]:
    old = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(old)


def owned(tree: dict[str, tuple[str, bytes]]) -> dict[str, bytes]:
    """The files of a snapshot, without the manifest."""
    return {
        p: data
        for p, (kind, data) in tree.items()
        if kind.startswith("file") and p != MANIFEST_NAME
    }


def test_write_tree_writes_exact_bytes_fixed_modes_and_a_manifest(
    tmp_path: Path, strict_umask: None
) -> None:
    target = tmp_path / "generated" / "pkg"  # parent does not exist yet
    write_tree(FILES, target)
    tree = snapshot(target)
    assert owned(tree) == {p: text.encode("utf-8") for p, text in FILES.items()}
    assert {kind for kind, _ in tree.values()} == {"file 644", "dir 755"}
    assert oct(stat.S_IMODE(target.stat().st_mode)) == oct(0o755)
    assert (target / "pkg/client.py").read_bytes().count(b"\r") == 0
    manifest = json.loads((target / MANIFEST_NAME).read_bytes())
    assert manifest["files"] == {
        p: "sha256:" + hashlib.sha256(text.encode()).hexdigest()
        for p, text in FILES.items()
    }


def test_write_tree_is_deterministic(tmp_path: Path) -> None:
    shuffled = dict(reversed(list(FILES.items())))
    write_tree(FILES, tmp_path / "a")
    write_tree(shuffled, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_rewriting_deletes_stale_owned_files_and_keeps_the_rest(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree({"old.py": "old\n", "gone/deep/x.py": "x\n", "pkg/a.py": "a\n"}, target)
    (target / "pkg" / "mine.py").write_text("mine\n")
    (target / ".git").mkdir()
    (target / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    report = write_tree(FILES, target)
    assert report.deleted == ["gone/deep/x.py", "old.py", "pkg/a.py"]
    after = snapshot(target)
    assert owned(after) == {
        **{p: text.encode() for p, text in FILES.items()},
        ".git/HEAD": b"ref: refs/heads/main\n",
        "pkg/mine.py": b"mine\n",
    }
    assert "gone" not in after  # folders left empty by stale files go too
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]  # no litter


def test_unchanged_files_are_not_rewritten(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    readme = target / "README.md"
    os.utime(readme, (1, 1))
    changed = {**FILES, "pkg/client.py": "class Client:\n    pass\n"}
    report = write_tree(changed, target)
    assert report.written == [MANIFEST_NAME, "pkg/client.py"]
    assert report.unchanged == len(FILES) - 1
    assert readme.stat().st_mtime == 1
    assert write_tree(changed, target).written == []


def test_a_non_empty_folder_without_manifest_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    target.mkdir()
    (target / "README.md").write_text("my project\n")
    with pytest.raises(OutputError) as raised:
        write_tree(FILES, target)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E510" and "--overwrite" in diagnostic.hint
    assert (target / "README.md").read_text() == "my project\n"
    assert sorted(p.name for p in target.iterdir()) == ["README.md"]

    (target / "notes.txt").write_text("keep me\n")
    write_tree(FILES, target, overwrite=True)
    assert (target / "README.md").read_text() == FILES["README.md"]
    assert (target / "notes.txt").read_text() == "keep me\n"
    write_tree(FILES, target)  # now it is ours


def test_an_empty_folder_is_fine(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    target.mkdir()
    write_tree(FILES, target)
    assert owned(snapshot(target)).keys() == FILES.keys()


@pytest.mark.parametrize(
    "manifest",
    [
        b"not json",
        b'{"generator": "other", "format": 1, "files": {}}',
        b'{"generator": "oapigen", "format": 1, "files": {"../../etc/passwd": "x"}}',
    ],
    ids=["garbage", "foreign", "escaping-path"],
)
def test_a_damaged_manifest_is_refused_and_never_trusted(
    tmp_path: Path, manifest: bytes
) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (target / MANIFEST_NAME).write_bytes(manifest)
    with pytest.raises(OutputError) as raised:
        write_tree({"other.py": ""}, target)
    assert raised.value.diagnostics[0].code == "E510"
    assert "damaged" in raised.value.diagnostics[0].message
    assert check_tree(FILES, target) == [MANIFEST_NAME]
    write_tree({"other.py": ""}, target, overwrite=True)
    assert (target / "README.md").read_text() == FILES["README.md"]  # not owned: kept


def test_a_hand_edited_owned_file_is_replaced_with_a_warning(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree({**FILES, "pkg/old.py": "old\n"}, target)
    (target / "pkg/client.py").write_text("# my fix\n")
    (target / "pkg/old.py").write_text("# my fix too\n")
    report = write_tree(FILES, target)
    assert [(d.code, d.file) for d in report.diagnostics] == [
        ("W510", f"{target}/pkg/client.py"),
        ("W510", f"{target}/pkg/old.py"),
    ]
    assert (target / "pkg/client.py").read_text() == FILES["pkg/client.py"]
    assert (target / "pkg/old.py").read_text() == "# my fix too\n"  # kept, disowned
    assert "pkg/old.py" not in json.loads((target / MANIFEST_NAME).read_text())["files"]


def fail_rename_after(
    monkeypatch: pytest.MonkeyPatch, count: int
) -> list[tuple[str, str]]:
    """Make os.rename raise EIO after `count` renames inside a project folder."""
    real_rename = os.rename
    done: list[tuple[str, str]] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        if TXN_NAME in str(src) + str(dst) and JOURNAL_NAME not in str(dst):
            if len(done) == count:
                raise OSError(5, "Input/output error")
            done.append((str(src), str(dst)))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    return done


@pytest.mark.parametrize("count", [0, 1, 2, 5, 9])
def test_a_failure_while_applying_rolls_everything_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, count: int
) -> None:
    target = tmp_path / "pkg"
    write_tree({**FILES, "pkg/stale.py": "s\n"}, target)
    (target / "user.txt").write_text("mine\n")
    before = snapshot(target)
    done = fail_rename_after(monkeypatch, count)
    new_files = {p: text + "# changed\n" for p, text in FILES.items()}
    new_files["pkg/new/deeper/mod.py"] = "x = 1\n"
    with pytest.raises(OutputError, match="Input/output error") as raised:
        write_tree(new_files, target)
    assert raised.value.diagnostics[0].code == "E512"
    assert len(done) == count
    assert snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_an_interrupted_transaction_is_rolled_back_by_the_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    before = snapshot(target)
    # Stop in the middle of applying, the way a kill would: no rollback in-process.
    monkeypatch.setattr(journal_module, "roll_back", lambda project: None)
    fail_rename_after(monkeypatch, 4)
    with pytest.raises(OutputError):
        write_tree({p: text + "#\n" for p, text in FILES.items()}, target)
    monkeypatch.undo()
    assert (target / TXN_NAME / JOURNAL_NAME).is_file()
    assert snapshot(target) != before
    assert check_tree(FILES, target) == []  # check recovers first
    assert snapshot(target) == before


@pytest.mark.parametrize(
    "bad",
    ["../x.py", "/abs.py", "pkg/../../x.py", "a/../b.py", "a//b.py", "./a.py", "a/", "",
     "C:/x.py", "C:x.py", "a\\b.py", "a\0.py", ".."],
)  # fmt: skip
def test_unsafe_paths_are_rejected_before_touching_disk(
    tmp_path: Path, bad: str
) -> None:
    target = tmp_path / "pkg"
    with pytest.raises(ValueError, match="refusing to write output path"):
        write_tree({"ok.py": "", bad: "x = 1\n"}, target)
    with pytest.raises(ValueError):
        check_tree({bad: ""}, target)
    assert list(tmp_path.iterdir()) == []


def test_conflicting_paths_are_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="both a file and a directory"):
        write_tree({"a/b": "", "a/b/c.py": ""}, tmp_path / "pkg")
    with pytest.raises(ValueError, match="differ only in case"):
        write_tree({"Models/pet.py": "", "models/pet.py": ""}, tmp_path / "pkg")
    assert list(tmp_path.iterdir()) == []


def test_target_that_is_a_file_is_rejected(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    target.write_text("not a directory")
    with pytest.raises(OutputError, match="not a folder") as raised:
        write_tree(FILES, target)
    assert raised.value.diagnostics[0].code == "E511"
    assert target.read_text() == "not a directory"
    with pytest.raises(OutputError, match="not a folder"):
        write_tree(FILES, target / "deeper")


@pytest.mark.parametrize("obstacle", ["dir", "symlink"])
def test_a_folder_or_symlink_in_the_way_is_refused_before_any_change(
    tmp_path: Path, obstacle: str
) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (target / "pkg" / "client.py").unlink()
    if obstacle == "dir":
        (target / "pkg" / "client.py").mkdir()
    else:
        (target / "pkg" / "models").rename(tmp_path / "elsewhere")
        (target / "pkg" / "models").symlink_to(tmp_path / "elsewhere")
    before = snapshot(target)
    with pytest.raises(OutputError) as raised:
        write_tree({p: text + "#\n" for p, text in FILES.items()}, target)
    assert raised.value.diagnostics[0].code == "E512"
    assert snapshot(target) == before


def test_check_tree_up_to_date_and_missing_target(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    assert check_tree(FILES, target) == sorted([*FILES, MANIFEST_NAME])
    write_tree(FILES, target)
    (target / "pkg" / "__pycache__").mkdir()
    (target / "pkg" / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")
    assert check_tree(FILES, target) == []


def test_check_tree_compares_only_owned_files(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree({**FILES, "pkg/stale.py": ""}, target)  # owned, then no longer generated
    (target / "pkg/client.py").write_text("class Client:\n    name = 'cafe'\n")
    (target / "README.md").unlink()
    (target / "pkg/models/extra.py").write_text("")  # the user's: not compared
    (target / "build" / "lib").mkdir(parents=True)  # pip's build leftovers
    (target / "build/lib/x.py").write_text("")
    (target / "pkg.egg-info").mkdir()
    (target / "pkg.egg-info/PKG-INFO").write_text("")
    assert check_tree(FILES, target) == [
        MANIFEST_NAME,  # it lists pkg/stale.py
        "README.md",
        "pkg/client.py",
        "pkg/stale.py",  # owned, no longer generated, still there
    ]


def test_check_tree_detects_whitespace_and_newline_drift(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (target / "pkg/__init__.py").write_bytes(b"from .client import Client\r\n")
    assert check_tree(FILES, target) == ["pkg/__init__.py"]


def test_check_tree_counts_symlinks_and_dirs_in_place_of_owned_files(
    tmp_path: Path,
) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    readme = target / "README.md"
    (tmp_path / "real.md").write_bytes(readme.read_bytes())
    readme.unlink()
    readme.symlink_to(tmp_path / "real.md")  # same bytes, but not what we write
    (target / "linked").symlink_to(target / "pkg")  # not ours: not compared
    init = target / "pkg/models/__init__.py"
    init.unlink()
    init.mkdir()  # a directory where a file belongs
    (init / "inner.py").write_text("")
    assert check_tree(FILES, target) == ["README.md", "pkg/models/__init__.py"]


def test_a_second_run_on_a_locked_folder_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    before = snapshot(target)
    with journal_module.locked(target):  # as another oapigen run holds it
        with pytest.raises(OutputError) as raised:
            write_tree({"other.py": ""}, target)
        assert raised.value.diagnostics[0].code == "E513"
        with pytest.raises(OutputError):
            check_tree(FILES, target)
    assert snapshot(target) == before
    write_tree({"other.py": ""}, target)  # the lock went with its holder


def test_an_unreadable_journal_stops_everything(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (target / TXN_NAME).mkdir()
    (target / TXN_NAME / JOURNAL_NAME).write_text("{not json")
    before = snapshot(target)
    with pytest.raises(OutputError) as raised:
        write_tree({"other.py": ""}, target)
    (diagnostic,) = raised.value.diagnostics
    assert diagnostic.code == "E514" and TXN_NAME in diagnostic.hint
    assert snapshot(target) == before


def test_a_journal_naming_paths_outside_is_not_followed(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (tmp_path / "victim.txt").write_text("keep\n")
    (target / TXN_NAME).mkdir()
    journal = {
        "format": 1,
        "changed": [["../victim.txt", False]],
        "stale": [],
        "new_dirs": [],
        "removed_dirs": [],
        "created_project": False,
    }
    (target / TXN_NAME / JOURNAL_NAME).write_text(json.dumps(journal))
    with pytest.raises(OutputError, match="outside the folder"):
        check_tree(FILES, target)
    assert (tmp_path / "victim.txt").read_text() == "keep\n"
