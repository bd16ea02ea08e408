"""write_tree / check_tree: atomic swap, safe paths, exact bytes and modes, drift."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from oapigen.emit import check_tree, write_tree
from oapigen.emit import tree as tree_module

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


def test_write_tree_writes_exact_bytes_and_fixed_modes(
    tmp_path: Path, strict_umask: None
) -> None:
    target = tmp_path / "generated" / "pkg"  # parent does not exist yet
    write_tree(FILES, target)
    tree = snapshot(target)
    files = {p: data for p, (kind, data) in tree.items() if kind.startswith("file")}
    assert files == {p: text.encode("utf-8") for p, text in FILES.items()}
    assert {kind for kind, _ in tree.values()} == {"file 644", "dir 755"}
    assert oct(stat.S_IMODE(target.stat().st_mode)) == oct(0o755)
    assert (target / "pkg/client.py").read_bytes().count(b"\r") == 0


def test_write_tree_is_deterministic(tmp_path: Path) -> None:
    shuffled = dict(reversed(list(FILES.items())))
    write_tree(FILES, tmp_path / "a")
    write_tree(shuffled, tmp_path / "b")
    assert snapshot(tmp_path / "a") == snapshot(tmp_path / "b")


def test_write_tree_replaces_previous_tree_and_leaves_no_litter(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree({"old.py": "old\n", "gone/x.py": "x\n"}, target)
    write_tree(FILES, target)
    assert sorted(
        p.relative_to(target).as_posix() for p in target.rglob("*.*")
    ) == sorted(FILES)
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_failure_mid_write_leaves_previous_tree_untouched(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    before = snapshot(target)
    real_write = tree_module._write_file
    written: list[Path] = []

    def failing_write(path: Path, data: bytes) -> None:
        if len(written) == 3:
            raise OSError(28, "No space left on device")
        written.append(path)
        real_write(path, data)

    monkeypatch.setattr(tree_module, "_write_file", failing_write)
    new_files = {p: text + "# changed\n" for p, text in FILES.items()}
    with pytest.raises(OSError, match="No space left"):
        write_tree(new_files, target)
    assert len(written) == 3
    assert snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


def test_failure_during_swap_restores_previous_tree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    before = snapshot(target)
    real_rename = os.rename
    renames: list[str] = []

    def rename(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> None:
        renames.append(os.path.basename(src))
        if os.path.basename(src).startswith(".pkg.new-"):
            raise OSError(5, "Input/output error")
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(OSError, match="Input/output error"):
        write_tree({"other.py": "x = 1\n"}, target)
    assert renames[0] == "pkg"  # the old tree was moved aside, then put back
    assert renames[-1].startswith(".pkg.old-")
    assert snapshot(target) == before
    assert [p.name for p in tmp_path.iterdir()] == ["pkg"]


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
    with pytest.raises(ValueError, match="not a directory"):
        write_tree(FILES, target)
    assert target.read_text() == "not a directory"


def test_check_tree_up_to_date_and_missing_target(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    assert check_tree(FILES, target) == sorted(FILES)
    write_tree(FILES, target)
    (target / "pkg" / "__pycache__").mkdir()
    (target / "pkg" / "__pycache__" / "client.cpython-311.pyc").write_bytes(b"\0")
    assert check_tree(FILES, target) == []


def test_check_tree_reports_changed_missing_and_extra_sorted(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (target / "pkg/client.py").write_text("class Client:\n    name = 'cafe'\n")
    (target / "README.md").unlink()
    (target / "pkg/models/extra.py").write_text("")
    (target / "stray").mkdir()
    (target / "stray/notes.txt").write_text("x")
    assert check_tree(FILES, target) == [
        "README.md",
        "pkg/client.py",
        "pkg/models/extra.py",
        "stray/notes.txt",
    ]


def test_check_tree_detects_whitespace_and_newline_drift(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    (target / "pkg/__init__.py").write_bytes(b"from .client import Client\r\n")
    assert check_tree(FILES, target) == ["pkg/__init__.py"]


def test_check_tree_counts_symlinks_and_dirs_as_drift(tmp_path: Path) -> None:
    target = tmp_path / "pkg"
    write_tree(FILES, target)
    readme = target / "README.md"
    (tmp_path / "real.md").write_bytes(readme.read_bytes())
    readme.unlink()
    readme.symlink_to(tmp_path / "real.md")  # same bytes, but not what we write
    (target / "linked").symlink_to(target / "pkg")
    init = target / "pkg/models/__init__.py"
    init.unlink()
    init.mkdir()  # a directory where a file belongs
    (init / "inner.py").write_text("")
    assert check_tree(FILES, target) == [
        "README.md",
        "linked",
        "pkg/models/__init__.py",
        "pkg/models/__init__.py/inner.py",
    ]
