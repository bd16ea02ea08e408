"""Formatter: black output, pool vs in-process, content cache, clear errors."""

from __future__ import annotations

import multiprocessing
import os
import sqlite3
import sys
import time
from collections.abc import Callable
from contextlib import closing
from pathlib import Path

import black
import pytest
from black.mode import TargetVersion

from oapigen.diagnostics import GeneratorError
from oapigen.emit import (
    FormatCache,
    Formatter,
    FormatError,
    default_cache_dir,
    format_sources,
)
from oapigen.emit.cache import DATABASE_NAME
from oapigen.emit import formatter as formatter_module

PROJECT_MODE = black.Mode(line_length=88, target_versions={TargetVersion.PY310})

MESSY = (
    "from typing import Optional\n"
    "class Pet( BaseModel ) :\n"
    "    name:str=Field(...,description='the name',examples=['Rex','Fido','Bella'],max_length=64)\n"
    "    tag:Optional[ str ]=None\n"
    "def f(a,b,):\n  return {'a':a,'b':[b,b,b,]}\n"
)


def sample_sources(count: int) -> dict[str, str]:
    """Distinct unformatted modules of varied size (long calls, dicts, classes)."""
    files: dict[str, str] = {}
    for i in range(count):
        fields = "\n".join(
            f"    field_{j}:int|None=Field(None,description='number {i} {j}',ge={j},le={j * 100})"
            for j in range(1 + i % 7)
        )
        files[f"pkg/models/model_{i}.py"] = (
            f"from pydantic import BaseModel,Field\nclass Model{i}(BaseModel):\n{fields}\n"
            f"TABLE_{i}={{'k{i}':[{', '.join(str(n) for n in range(i % 30))}]}}\n"
        )
    return files


def count_black_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every in-process black formatting pass (jobs=1 formats in this process).

    The formatter runs one pass (`black._format_str_once`, see `format_python`), falling
    back to `black.format_str`; both are counted.
    """
    calls: list[str] = []
    for name in ("format_str", "_format_str_once"):
        real: Callable[..., str] = getattr(black, name)

        def counting(
            source: str, *, mode: black.Mode, _real: Callable[..., str] = real
        ) -> str:
            calls.append(source)
            return _real(source, mode=mode)

        monkeypatch.setattr(black, name, counting)
    return calls


def test_output_equals_black_format_str_with_project_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A user config in the working directory must not change anything.
    (tmp_path / "pyproject.toml").write_text(
        "[tool.black]\nline-length = 40\nskip-string-normalization = true\n"
    )
    monkeypatch.chdir(tmp_path)
    files = {"a.py": MESSY, **sample_sources(5)}
    with Formatter(jobs=1, use_cache=False) as fmt:
        fmt.submit_many(files)
        out = fmt.results()
    assert out == {p: black.format_str(s, mode=PROJECT_MODE) for p, s in files.items()}
    assert out["a.py"] != MESSY
    assert "examples=['Rex'" not in out["a.py"]  # strings were normalized


def test_pool_and_in_process_give_identical_text_in_submission_order() -> None:
    files = sample_sources(40)
    paths = list(reversed(files))  # submission order is not sorted order
    with Formatter(jobs=1, use_cache=False) as serial:
        for path in paths:
            serial.submit(path, files[path])
        expected = serial.results()
    with Formatter(jobs=2, use_cache=False) as pooled:
        assert pooled.pool_started
        for path in paths:
            pooled.submit(path, files[path])
        got = pooled.results()
    assert got == expected
    assert list(got) == paths
    assert pooled.stats.formatted == len(files)


def test_non_python_files_pass_through_unchanged() -> None:
    text = "# Title\n\n  x=1   \r\ntrailing spaces   "
    with Formatter(jobs=1, use_cache=False) as fmt:
        fmt.submit("README.md", text)
        fmt.submit("py.typed", "")
        fmt.submit("m.py", "x=1\n")
        out = fmt.results()
    assert out == {"README.md": text, "py.typed": "", "m.py": "x = 1\n"}
    assert fmt.stats.passed_through == 2


def test_cache_hit_avoids_black(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sample_sources(8)
    calls = count_black_calls(monkeypatch)
    first = format_sources(files, jobs=1, cache_dir=tmp_path)
    assert len(calls) == len(files)
    second = format_sources(files, jobs=1, cache_dir=tmp_path)
    assert second == first
    assert len(calls) == len(files)  # nothing new went through black
    changed = dict(files, **{"pkg/models/model_3.py": "y=2\n"})
    third = format_sources(changed, jobs=1, cache_dir=tmp_path)
    assert calls[len(files) :] == ["y=2\n"]
    assert third["pkg/models/model_3.py"] == "y = 2\n"


def test_cache_written_by_pool_workers_is_read_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sample_sources(40)
    with Formatter(jobs=2, cache_dir=tmp_path) as fmt:
        fmt.submit_many(files)
        pooled = fmt.results()
    calls = count_black_calls(monkeypatch)
    with Formatter(jobs=1, cache_dir=tmp_path) as fmt:
        fmt.submit_many(files)
        assert fmt.results() == pooled
    assert calls == [] and fmt.stats.cache_hits == len(files)


def cache_rows(root: Path) -> dict[str, bytes]:
    """The cache's stored entries, read with sqlite3 itself: {key: stored value}."""
    with closing(sqlite3.connect(root / DATABASE_NAME)) as db:
        return dict(db.execute("SELECT key, value FROM entries"))


def test_corrupt_cache_entries_are_ignored_and_repaired(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sample_sources(4)
    good = format_sources(files, jobs=1, cache_dir=tmp_path)
    rows = cache_rows(tmp_path)
    assert len(rows) == len(files)
    keys = sorted(rows)
    damage = [
        b"",  # emptied
        b"\xff\xfe not utf-8",
        rows[keys[2]][:-5],  # truncated body: digest no longer matches
        rows[keys[3]].replace(b"Model", b"Evil!"),  # edited body
    ]
    with closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:
        for key, data in zip(keys, damage):
            db.execute("UPDATE entries SET value = ? WHERE key = ?", (data, key))
    calls = count_black_calls(monkeypatch)
    assert format_sources(files, jobs=1, cache_dir=tmp_path) == good
    assert len(calls) == len(files)
    assert format_sources(files, jobs=1, cache_dir=tmp_path) == good
    assert len(calls) == len(files)  # entries were rewritten correctly
    assert cache_rows(tmp_path) == rows


def test_many_keys_are_looked_up_at_once_as_one_by_one(tmp_path: Path) -> None:
    # more keys than one query takes; damaged and missing entries are misses there too
    cache = FormatCache(tmp_path)
    stored = {f"key-{i}": f"text {i} \u00e9" for i in range(1_200)}
    cache.put_many(stored.items())
    with closing(sqlite3.connect(tmp_path / DATABASE_NAME)) as db, db:
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (b"", "key-7"))
        bad = cache_rows(tmp_path)["key-8"].replace(b"text", b"evil")
        db.execute("UPDATE entries SET value = ? WHERE key = ?", (bad, "key-8"))
    wanted = [*stored, "missing", "key-3"]  # a key asked twice is found once
    one_by_one = {k: v for k in wanted if (v := cache.get(k)) is not None}
    assert cache.get_many(wanted) == one_by_one
    assert len(one_by_one) == len(stored) - 2 and "key-7" not in one_by_one
    assert cache.get_many([]) == {}


def test_a_cache_database_sqlite_cannot_read_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = sample_sources(3)
    good = format_sources(files, jobs=1, cache_dir=tmp_path)
    database = tmp_path / DATABASE_NAME
    database.write_bytes(b"not a database, and long enough to look like a header " * 40)
    calls = count_black_calls(monkeypatch)
    assert format_sources(files, jobs=1, cache_dir=tmp_path) == good
    assert len(calls) == len(files)
    assert len(cache_rows(tmp_path)) == len(files)  # a new database, refilled
    assert format_sources(files, jobs=1, cache_dir=tmp_path) == good
    assert len(calls) == len(files)


def test_the_cache_is_one_database_whatever_the_number_of_entries(
    tmp_path: Path,
) -> None:
    """A file per entry cost the filesystem an inode each (~600 on OpenAI's spec)."""
    files = sample_sources(60)
    with Formatter(jobs=2, cache_dir=tmp_path) as fmt:
        fmt.submit_many(files)
        fmt.results()
    assert len(cache_rows(tmp_path)) == len(files)
    assert {p.name for p in tmp_path.rglob("*")} <= {
        DATABASE_NAME,
        DATABASE_NAME + "-journal",
    }


def test_a_forked_process_writes_the_cache_through_its_own_connection(
    tmp_path: Path,
) -> None:
    cache = FormatCache(tmp_path)
    cache.put("parent", "before the fork")  # this process's connection is open
    inherited = cache._connection()
    assert inherited is not None

    def child() -> None:
        # SQLite forbids using a connection across fork(): the child opens its own
        if FormatCache(tmp_path)._connection() is inherited:
            os._exit(3)
        FormatCache(tmp_path).put_many([("child", "from the child"), ("k", "v")])

    process = multiprocessing.get_context("fork").Process(target=child)
    process.start()
    process.join()
    assert process.exitcode == 0
    assert cache.get("child") == "from the child" and cache.get("k") == "v"
    cache.put("parent", "after the fork")  # the parent's connection still works
    assert FormatCache(tmp_path).get("parent") == "after the fork"


def test_unusable_cache_dir_does_not_fail_the_run(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "cache"
    not_a_dir.write_text("a file where the cache directory should be")
    assert format_sources({"m.py": "x=1\n"}, jobs=1, cache_dir=not_a_dir) == {
        "m.py": "x = 1\n"
    }


def test_cache_disabled_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("OAPIGEN_CACHE_DIR", raising=False)
    format_sources(sample_sources(3), jobs=1, use_cache=False)
    assert list(tmp_path.iterdir()) == []


def test_default_cache_dir_follows_xdg(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OAPIGEN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert default_cache_dir() == tmp_path / "oapigen" / "black"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/ignored")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "oapigen" / "black"
    monkeypatch.setenv("OAPIGEN_CACHE_DIR", str(tmp_path / "explicit"))
    assert default_cache_dir() == tmp_path / "explicit"


@pytest.mark.parametrize("jobs", [1, 2])
def test_unparsable_source_names_the_file(jobs: int) -> None:
    files = sample_sources(30)
    files["pkg/broken.py"] = "class Broken(:\n    pass\n"
    files["pkg/also_broken.py"] = "def f(\n"
    started = time.monotonic()
    with pytest.raises(FormatError) as caught:
        with Formatter(jobs=jobs, use_cache=False) as fmt:
            fmt.submit_many(files)
            fmt.results()
    assert time.monotonic() - started < 30  # reported, not hung
    error = caught.value
    assert error.path == "pkg/also_broken.py"  # first of the bad files, sorted
    assert [path for path, _ in error.errors] == ["pkg/also_broken.py", "pkg/broken.py"]
    assert "cannot parse" in error.message
    lines = str(error).splitlines()
    assert len(lines) == 2  # one located diagnostic per bad file, no traceback text
    assert lines[0].startswith("pkg/also_broken.py:1 #: error E501: black could not")
    assert lines[1].startswith("pkg/broken.py:1 #: error E501: black could not")
    assert "'class Broken(:'" in lines[1]
    assert isinstance(error, GeneratorError)  # the CLI prints it and exits 2


@pytest.mark.skipif(sys.platform != "linux", reason="the patch reaches workers by fork")
def test_dead_worker_is_reported_not_hung(monkeypatch: pytest.MonkeyPatch) -> None:
    def die(
        chunk: object, cache: object, generated: bool
    ) -> list[tuple[str, str, str]]:
        os._exit(3)

    monkeypatch.setattr(formatter_module, "_format_chunk_with", die)
    # The patch reaches the workers only through fork; the formatter picks fork only while
    # the process has one thread, which other tests' servers may have changed.
    fork = multiprocessing.get_context("fork")
    monkeypatch.setattr(formatter_module, "_mp_context", lambda: fork)
    started = time.monotonic()
    with pytest.raises(FormatError) as caught:
        with Formatter(jobs=2, use_cache=False) as fmt:
            fmt.submit_many(sample_sources(40))
            fmt.results()
    assert time.monotonic() - started < 30
    assert "formatter worker process died" in caught.value.message
    assert len(caught.value.errors) == 40  # every file is accounted for


def test_submit_rules() -> None:
    fmt = Formatter(jobs=1, use_cache=False)
    with pytest.raises(RuntimeError, match="context manager"):
        fmt.submit("a.py", "x = 1\n")
    with fmt:
        fmt.submit("a.py", "x = 1\n")
        with pytest.raises(ValueError, match="submitted twice"):
            fmt.submit("a.py", "y = 1\n")
    with pytest.raises(RuntimeError):
        fmt.results()


def test_lazy_formatter_keeps_tiny_jobs_in_process() -> None:
    with Formatter(jobs=2, use_cache=False, eager=False) as fmt:
        fmt.submit("m.py", "x=1\n")
        assert fmt.results() == {"m.py": "x = 1\n"}
        assert not fmt.pool_started


def test_lazy_formatter_starts_pool_for_big_jobs() -> None:
    files = sample_sources(60)
    assert sum(s.count("\n") for s in files.values()) > formatter_module.TINY_JOB_LINES
    with Formatter(jobs=2, use_cache=False, eager=False) as fmt:
        fmt.submit_many(files)
        assert fmt.pool_started
        assert fmt.results() == format_sources(files, jobs=1, use_cache=False)


def test_balanced_chunks_cover_every_job_once() -> None:
    jobs = [
        formatter_module._Job(f"f{i}.py", "", "x\n" * n, n)
        for i, n in enumerate([900, 5, 5, 40, 300, 120, 7, 7, 60, 1])
    ]
    chunks = formatter_module._balanced_chunks(jobs, 2)
    assert sorted(p for chunk in chunks for p, _, _ in chunk) == sorted(
        j.path for j in jobs
    )
    assert len(chunks) >= 2
    assert [p for p, _, _ in chunks[0]] == ["f0.py"]  # largest first, alone
    lines = {j.path: j.lines for j in jobs}
    loads = [sum(lines[p] for p, _, _ in chunk) for chunk in chunks]
    assert loads == sorted(loads, reverse=True)
    assert all(load <= 900 for load in loads)


def test_worker_processes_are_gone_after_exit() -> None:
    with Formatter(jobs=2, use_cache=False) as fmt:
        fmt.submit_many(sample_sources(10))
        fmt.results()
        pool = fmt._pool
        assert pool is not None
        pids = list(pool._processes)
    assert pids
    for pid in pids:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)
