"""Black formatting of rendered sources: a content cache, and a process pool for work
large enough to pay for one.

Black costs ~0.25 ms per line it formats. Our templates' output goes through
`format_generated` (`Formatter(generated=True)`), which hands black only what black
would change (`selective`), a tenth of the lines; any other source gets black whole
(`format_python`). The black Mode is fixed here; the user's black configuration is
never read.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import re
import sys
import threading
from collections.abc import Callable, Collection, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from .. import progress
from ..diagnostics import Diagnostic, GeneratorError, error
from .cache import FormatCache, cache_key, default_cache_dir
from .selective import format_selectively

if TYPE_CHECKING:
    from black.mode import Mode

LINE_LENGTH = 88
PINNED_BLACK = "26.10.1"  # as in pyproject.toml
TARGET_VERSIONS = ("PY310",)
# Part of every cache key; derived from the same constants that build the Mode.
MODE_FINGERPRINT = (
    f"line_length={LINE_LENGTH};target_versions={','.join(TARGET_VERSIONS)}"
)

# Source lines per pool task: ~0.1 s of black, so IPC costs ~1% and the last
# tasks of a run are short enough to keep both workers busy until the end.
CHUNK_LINES = 200
# Below this many lines to format, a pool that was not started eagerly is not
# worth starting (fork plus importing black in the workers costs ~0.3 s).
TINY_JOB_LINES = 300

_Chunk = list[tuple[str, str, str]]  # (path, cache key, source)
_Outcome = tuple[str, str | None, str | None]  # (path, formatted, error)


class FormatError(GeneratorError):
    """Black rejected generated files: a generator bug, one diagnostic per file."""

    def __init__(self, errors: list[tuple[str, str]]) -> None:
        self.errors = sorted(errors)  # (path, black's message)
        self.path, self.message = self.errors[0]
        super().__init__([_diagnostic(path, message) for path, message in self.errors])


def _diagnostic(path: str, message: str) -> Diagnostic:
    # black: "cannot parse for target version Python 3.10: 2:0\n    <code>\n    ^\n..."
    first, _, rest = message.partition("\n")
    where = re.search(r": (\d+):\d+$", first)
    code_line = rest.splitlines()[0].strip() if rest.strip() else ""
    text = f"black could not format generated file: {first}"
    if code_line:
        text += f" in {code_line!r}"
    return error(
        "E501",
        path,
        int(where.group(1)) if where else None,
        "#",
        text,
        hint="a generator bug: please report it with the spec that triggers it",
    )


@dataclass
class FormatStats:
    cache_hits: int = 0
    formatted: int = 0  # files that went through black in this run
    passed_through: int = 0  # non-Python files


def available_cpus() -> int:
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return max(1, os.cpu_count() or 1)


@cache
def black_mode(line_length: int = LINE_LENGTH) -> Mode:
    from black.mode import Mode, TargetVersion

    return Mode(
        line_length=line_length,
        target_versions={TargetVersion[name] for name in TARGET_VERSIONS},
    )


def format_python(source: str) -> str:
    """Format any source with black and the project's Mode (raises black's errors)."""
    return _format_with_black(source, LINE_LENGTH)


def format_generated(source: str, changed: Collection[int] | None = None) -> str:
    """Format a source our templates printed: the same text as `format_python`, but only
    the statements with a line over the limit go through black (`selective`): the
    templates print the rest in black's style already. `changed`: the source is black's
    output but for these lines (0-based), only their statements can need black."""
    return format_selectively(source, _format_with_black, LINE_LENGTH, changed)


# A source black formatted, then edited on some lines: (text, those lines' indexes);
# None for a source rendered and not formatted yet.
Edited = tuple[str, "frozenset[int] | None"]


def format_edited(files: Mapping[str, Edited], *, use_cache: bool) -> dict[str, str]:
    """Each edited source formatted again (in this process: black sees the statements
    of the edited lines only), through the cache like `format_sources`."""
    version = _installed_black_version() if use_cache else None
    cache_ = FormatCache(default_cache_dir()) if version is not None else None
    done: dict[str, str] = {}
    errors: list[tuple[str, str]] = []
    made: list[tuple[str, str]] = []  # (key, text) to cache
    for path, (source, changed) in files.items():
        key = ""
        if cache_ is not None and version is not None:
            lines = "all" if changed is None else ",".join(map(str, sorted(changed)))
            fingerprint = f"{MODE_FINGERPRINT};generated={_selective_version()};{lines}"
            key = cache_key(version, fingerprint, source)
            hit = cache_.get(key)
            if hit is not None:
                done[path] = hit
                continue
        try:
            done[path] = format_generated(source, changed)
        except Exception as exc:  # black's, about generated code: reported per file
            errors.append((path, f"{type(exc).__name__}: {exc}"))
            continue
        if key:
            made.append((key, done[path]))
    writer = None
    if cache_ is not None and made:
        writer = _cache_for_writing(str(cache_.root), version)
    if writer is not None:
        writer.put_many(made)
    if errors:
        raise FormatError(errors)
    return done


def _format_with_black(source: str, line_length: int) -> str:
    """One black pass with the project's Mode at `line_length`.

    `black.format_str` formats a second time whenever the first pass changed the text, to
    settle rare trailing-comma interactions; that doubles the cost of every generated file.
    Generated code is formatted once; the tests run `black --check` on every package we
    generate (the three OpenAI specs, the example and the golden cases), so a file the first
    pass would not settle is caught there. black is pinned, so this stays true until the pin
    moves, and with another black version we fall back to `format_str`.
    """
    import black

    once = getattr(black, "_format_str_once", None)
    if once is None or getattr(black, "__version__", "") != PINNED_BLACK:
        return black.format_str(source, mode=black_mode(line_length))
    text: str = once(source, mode=black_mode(line_length))
    return text


@cache
def _selective_version() -> str:
    source = Path(__file__).with_name("selective.py").read_bytes()
    return hashlib.sha256(source).hexdigest()[:16]


@cache
def _installed_black_version() -> str | None:
    try:
        return metadata.version("black")
    except metadata.PackageNotFoundError:
        return None


def _cache_for_writing(
    root: str | None, expected_version: str | None
) -> FormatCache | None:
    """Only black of the version in the key may write entries under that key."""
    import black

    if root is None or expected_version != getattr(black, "__version__", None):
        return None
    return FormatCache(Path(root))


def _format_chunk_with(
    chunk: _Chunk, cache_: FormatCache | None, generated: bool
) -> list[_Outcome]:
    import black
    from black.parsing import InvalidInput

    outcomes: list[_Outcome] = []
    made: list[tuple[str, str]] = []  # (key, text) to cache
    for path, key, source in chunk:
        try:
            text = format_generated(source) if generated else format_python(source)
        except InvalidInput as exc:
            outcomes.append((path, None, str(exc)))
            continue
        except Exception as exc:  # a black crash must be reported, not kill the pool
            outcomes.append((path, None, f"{type(exc).__name__}: {exc}"))
            continue
        if key:
            made.append((key, text))
        outcomes.append((path, text, None))
    if cache_ is not None:
        cache_.put_many(made)  # one transaction a chunk
    return outcomes


# Worker-process state, set once by the pool initializer.
_worker_cache: FormatCache | None = None


def _init_worker(cache_root: str | None, black_version: str | None) -> None:
    global _worker_cache
    _worker_cache = _cache_for_writing(cache_root, black_version)
    # Warm up: the first call loads black's grammar tables.
    format_python("x = (1,)\n")


def _format_chunk_in_worker(chunk: _Chunk, generated: bool) -> list[_Outcome]:
    return _format_chunk_with(chunk, _worker_cache, generated)


def _ready() -> None:
    """Empty task: submitting it makes the pool start its processes now."""


def _mp_context() -> multiprocessing.context.BaseContext:
    # fork starts a worker in milliseconds; it is only safe on Linux and while this
    # process has a single thread (a fork copies locks held by other threads).
    if sys.platform == "linux" and threading.active_count() == 1:
        return multiprocessing.get_context("fork")
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context(
        "forkserver" if "forkserver" in methods else "spawn"
    )


@dataclass(frozen=True)
class _Job:
    path: str
    key: str
    source: str
    lines: int


def _balanced_chunks(jobs: list[_Job], min_chunks: int) -> list[_Chunk]:
    """Largest-first greedy packing into chunks of about CHUNK_LINES lines."""
    total = sum(job.lines for job in jobs)
    count = min(len(jobs), max(min_chunks, -(-total // CHUNK_LINES)))
    bins: list[tuple[int, _Chunk]] = [(0, []) for _ in range(count)]
    for job in sorted(jobs, key=lambda j: (-j.lines, j.path)):
        index = min(range(count), key=lambda i: bins[i][0])
        load, chunk = bins[index]
        chunk.append((job.path, job.key, job.source))
        bins[index] = (load + job.lines, chunk)
    return [chunk for _, chunk in sorted(bins, key=lambda b: -b[0]) if chunk]


class Formatter:
    """Formats Python sources with black; use as a context manager.

    `submit` files as they are rendered, then `results()` waits and returns every
    submitted path (in submission order) with its formatted text. Non-`.py` files
    pass through unchanged. With `eager=True` the worker pool starts on `__enter__`
    so black's start-up overlaps the caller's work; with `eager=False` it starts
    only once there is more than TINY_JOB_LINES of uncached work, and smaller jobs
    are formatted in this process. `jobs=1` never starts a pool. `generated=True`: the
    sources come from our templates (`format_generated`, black only on long lines).
    """

    def __init__(
        self,
        jobs: int | None = None,
        *,
        cache_dir: Path | None = None,
        use_cache: bool = True,
        eager: bool = True,
        generated: bool = False,
    ) -> None:
        self.jobs = max(1, available_cpus() if jobs is None else jobs)
        self.eager = eager
        self.generated = generated
        # selective output equals black's for our templates' code, not for any code,
        # and only as far as its rules go: their version is part of the key
        self._fingerprint = MODE_FINGERPRINT + (
            f";generated={_selective_version()}" if generated else ""
        )
        self.stats = FormatStats()
        self._black_version = _installed_black_version() if use_cache else None
        self._cache: FormatCache | None = None
        if use_cache and self._black_version is not None:
            self._cache = FormatCache(cache_dir or default_cache_dir())
        self._pool: ProcessPoolExecutor | None = None
        self._open = False
        self._closed = False
        self._order: list[str] = []
        self._seen: set[str] = set()
        self._done: dict[str, str] = {}
        self._pending: list[_Job] = []
        self._pending_lines = 0
        self._uncached_lines = 0
        self._futures: list[tuple[Future[list[_Outcome]], list[str]]] = []
        self._errors: list[tuple[str, str]] = []  # (path, message), raised by results()

    @property
    def pool_started(self) -> bool:
        return self._pool is not None

    def __enter__(self) -> Formatter:
        if self._open or self._closed:
            raise RuntimeError("a Formatter can be entered only once")
        self._open = True
        if self.eager and self.jobs > 1:
            self._start_pool()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._open = False
        self._closed = True
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def submit(self, path: str, source: str) -> None:
        self._require_open()
        if path in self._seen:
            raise ValueError(f"{path!r} was submitted twice")
        self._seen.add(path)
        self._order.append(path)
        if not path.endswith(".py"):
            self._done[path] = source
            self.stats.passed_through += 1
            return
        progress.count("formatting", total=1)
        key = ""
        if self._cache is not None and self._black_version is not None:
            key = cache_key(self._black_version, self._fingerprint, source)
            hit = self._cache.get(key)
            if hit is not None:
                self._done[path] = hit
                self.stats.cache_hits += 1
                progress.count("formatting", done=1)
                return
        lines = source.count("\n") + 1
        self._pending.append(_Job(path, key, source, lines))
        self._pending_lines += lines
        self._uncached_lines += lines
        if self._pending_lines >= CHUNK_LINES and self._use_pool():
            self._dispatch(_balanced_chunks(self._take_pending(), 1))

    def submit_many(self, files: Mapping[str, str]) -> None:
        for path, source in files.items():
            self.submit(path, source)

    def results(self) -> dict[str, str]:
        """Wait for all submitted files; raise FormatError naming every bad file."""
        self._require_open()
        if self._pending:
            if self._use_pool():
                self._dispatch(_balanced_chunks(self._take_pending(), self.jobs))
            else:
                self._format_pending_here()
        futures, self._futures = self._futures, []
        for future, paths in futures:
            try:
                self._collect(_wait(future))
            except BrokenProcessPool as exc:
                self._errors += [(path, _worker_died(exc)) for path in paths]
        errors, self._errors = self._errors, []
        if errors:
            raise FormatError(errors)
        return {path: self._done[path] for path in self._order}

    def _require_open(self) -> None:
        if not self._open:
            raise RuntimeError(
                "use Formatter as a context manager: `with Formatter() as f`"
            )

    def _use_pool(self) -> bool:
        if (
            self._pool is None
            and self.jobs > 1
            and self._uncached_lines > TINY_JOB_LINES
        ):
            self._start_pool()
        return self._pool is not None

    def _start_pool(self) -> None:
        cache_root = None if self._cache is None else str(self._cache.root)
        self._pool = ProcessPoolExecutor(
            max_workers=self.jobs,
            mp_context=_mp_context(),
            initializer=_init_worker,
            initargs=(cache_root, self._black_version),
        )
        for _ in range(self.jobs):
            self._pool.submit(_ready)

    def _take_pending(self) -> list[_Job]:
        pending, self._pending, self._pending_lines = self._pending, [], 0
        return pending

    def _dispatch(self, chunks: Iterable[_Chunk]) -> None:
        assert self._pool is not None
        for chunk in chunks:
            paths = [path for path, _, _ in chunk]
            try:
                future = self._pool.submit(
                    _format_chunk_in_worker, chunk, self.generated
                )
            except BrokenProcessPool as exc:  # an earlier chunk killed a worker
                self._errors += [(path, _worker_died(exc)) for path in paths]
                continue
            future.add_done_callback(_count_done(len(paths)))
            self._futures.append((future, paths))

    def _format_pending_here(self) -> None:
        local_cache = None
        if self._cache is not None:
            local_cache = _cache_for_writing(str(self._cache.root), self._black_version)
        made: list[tuple[str, str]] = []  # (key, text) to cache, in one transaction
        for job in self._take_pending():  # one by one: the count goes up as they do
            chunk = [(job.path, job.key, job.source)]
            outcomes = _format_chunk_with(chunk, None, self.generated)
            self._collect(outcomes)
            made += [
                (job.key, text)
                for _, text, _ in outcomes
                if text is not None and job.key
            ]
            progress.count("formatting", done=1)
        if local_cache is not None:
            local_cache.put_many(made)

    def _collect(self, outcomes: list[_Outcome]) -> None:
        for path, text, error in outcomes:
            if text is None:
                self._errors.append((path, error or "unknown error"))
            else:
                self._done[path] = text
                self.stats.formatted += 1


def _wait(future: Future[list[_Outcome]]) -> list[_Outcome]:
    """The future's result, keeping the progress line alive meanwhile (one huge file can
    take black many seconds)."""
    while True:
        try:
            return future.result(timeout=progress.REDRAW_SECONDS)
        except FutureTimeout:
            progress.tick()


def _count_done(files: int) -> Callable[[Future[list[_Outcome]]], None]:
    # Runs in the pool's management thread when a chunk comes back.
    return lambda _future: progress.count("formatting", done=files)


def _worker_died(exc: BaseException) -> str:
    return f"the formatter worker process died ({exc})"


def format_sources(
    files: Mapping[str, str],
    *,
    jobs: int | None = None,
    cache_dir: Path | None = None,
    use_cache: bool = True,
    generated: bool = False,
) -> dict[str, str]:
    """Format a whole rendered tree at once (no early submission to overlap)."""
    with Formatter(
        jobs,
        cache_dir=cache_dir,
        use_cache=use_cache,
        eager=False,
        generated=generated,
    ) as fmt:
        fmt.submit_many(files)
        return fmt.results()
