"""The models stage: every model module of the package, from the plan.

with ModelsStage(jobs=2) as models:   # workers fork now and warm up dmcg
    ...                               # load, plan the models
    models.start(planned)             # cached groups are done; the others go to work
    ...                               # plan the operations, render and format the rest
    files = models.results()          # {path: text} of the model modules

(`models.submit(api)` starts from a whole plan.)

Modules found in the cache (see `groups` for their keys) cost a file read. The others
are printed in runs (`groups.Prepared.runs`) packed into bins, largest first, one dmcg
call per bin, in worker processes: the first is forked first thing (before the spec is
read: no threads yet, nothing loaded), warms up dmcg and black while the main process
loads and plans, then forks the others, which start warm (one warm-up, ~0.6 s, for all).
A worker formats what it printed (black only where a line is too long, see
`emit.selective`) and sends it back without the header line (which names the spec
file), so that a bump of the spec hits the cache. dmcg is most of the work left once
black is selective, so there are as many workers as jobs: the main process renders and
formats the rest of the package while they print.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import queue
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator
from collections.abc import Callable
from dataclasses import dataclass, replace
from multiprocessing.process import BaseProcess
from multiprocessing.queues import Queue
from pathlib import Path
from types import TracebackType
from typing import Any

from .. import ir, layout, progress
from ..diagnostics import Diagnostic, GeneratorError, error
from ..emit import FormatError, format_generated, format_python
from ..render.text import header_line
from .cache import ModelsCache, salt
from .groups import Group, Prepared
from .prose import ProseIndex

# Classes per dmcg run, at most: a run costs ~10 ms beyond its classes (~7 ms each), so
# bins this size cost nothing and let black start on the first ones while dmcg prints
# the rest; they also bound a worker's memory on a large spec.
MAX_BIN_CLASSES = 100
# A run is never cut below this many classes: the closures its parts print again
# would cost more than the parallel time gained.
MIN_CUT_CLASSES = 300

_Printed = dict[str, str]  # module -> source
Locate = Callable[[str], tuple[str, "int | None"]]  # pointer -> (file, line)
# ("ok", _Printed) | ("error", [Diagnostic]) | ("crash", message)
_Outcome = tuple[str, object]


@dataclass(frozen=True)
class Planned:
    """What the models stage needs of a plan (the rest is planned meanwhile)."""

    spec_name: str  # headers name it
    package: str
    models: tuple[ir.Model, ...]

    def path(self, module: str) -> str:
        return layout.model_path(self.package, module)


@dataclass(frozen=True)
class _Bin:
    groups: tuple[Group, ...]

    @property
    def size(self) -> int:
        return sum(g.size for g in self.groups)


def print_bin(
    bin_groups: tuple[Group, ...],
    spec_file: str,
    formatted: bool = True,
    on_done: Callable[[int], None] = lambda modules: None,
) -> _Outcome:
    """One dmcg call over runs that share no class: {module: source} of their own,
    formatted (black's errors are reported as E501 on the module's path). `on_done`
    hears of the modules as they are done (the progress count goes on within a run
    of a thousand classes)."""
    from .dmcg import print_group
    from .groups import merged

    try:
        printed = print_group(merged(bin_groups), spec_file)
    except GeneratorError as exc:
        return ("error", exc.diagnostics)
    if not formatted:
        on_done(len(printed))
        return ("ok", printed)
    done: dict[str, str] = {}
    failed: list[tuple[str, str]] = []
    for module, source in printed.items():
        try:
            done[module] = format_generated(source)
        except Exception as exc:  # noqa: BLE001 - black's, about generated code
            failed.append((module, str(exc) or type(exc).__name__))
        on_done(1)
    if failed:
        return ("format-error", failed)
    return ("ok", done)


def _warm_up() -> None:
    """dmcg's first run imports most of it (~1 s); black's first call loads its grammar.
    Both before the siblings fork: they start with both (black through
    `format_python`: `format_generated` would not call it for so short a line)."""
    from .dmcg import print_group
    from .groups import warm_up_group

    print_group(warm_up_group())
    format_python("x = (1,)\n")


def _worker(tasks: Queue[Any], results: Queue[Any], siblings: int = 0) -> None:
    """The first dmcg worker: warm up, fork `siblings` more workers (they start warm:
    one warm-up for all), report their process ids, then print bins until told to stop
    (None). Ctrl-C is the main process's to handle (it stops the workers)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    try:
        _warm_up()
    except Exception:  # noqa: BLE001 - a real run reports it (E301)
        pass
    # Before any queue is used here (a queue's feeder thread would make fork unsafe).
    pids: list[int] = []
    for _ in range(siblings):
        pid = os.fork()
        if pid == 0:
            _die_with_parent()
            code = 0
            try:
                _serve(tasks, results)
            except BaseException:  # noqa: BLE001 - the main process sees it gone
                code = 1
            os._exit(code)  # never the parent's exit handlers
        pids.append(pid)
    for pid in pids:
        results.put((_SIBLING, pid))
    _serve(tasks, results)
    for pid in pids:  # waited for, their CPU time counts as this process's children's
        os.waitpid(pid, 0)


def _serve(tasks: Queue[Any], results: Queue[Any]) -> None:
    while (task := tasks.get()) is not None:
        index, bin_groups, spec_file, formatted = task
        report = _Reporter(results)
        try:
            outcome = print_bin(bin_groups, spec_file, formatted, report.done)
        except BaseException as exc:  # reported by the main process, as E303
            outcome = ("crash", f"{type(exc).__name__}: {exc}")
        report.flush()  # before the outcome: one queue keeps one process's order
        results.put((index, outcome))
        _release_memory()


class _Reporter:
    """Modules a worker has done, sent to the main process's progress count at most
    once a redraw."""

    def __init__(self, results: Queue[Any]) -> None:
        self.results = results
        self.pending = 0
        self.sent = time.monotonic()

    def done(self, modules: int) -> None:
        self.pending += modules
        if time.monotonic() - self.sent >= progress.REDRAW_SECONDS:
            self.flush()

    def flush(self) -> None:
        if self.pending:
            self.results.put((_PROGRESS, self.pending))
            self.pending = 0
        self.sent = time.monotonic()


def _release_memory() -> None:
    """What a dmcg run left free goes back to the system (glibc keeps it otherwise):
    the next bin starts lean, and the workers' peak is their largest run's."""
    try:
        import ctypes

        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):
        pass


# Indexes of results that are not one: a sibling worker's process id; a number of
# modules done.
_SIBLING = -1
_PROGRESS = -2


def _die_with_parent() -> None:
    """A worker ends with the process that started it, even one killed (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _alive(pid: int) -> bool:
    """Whether a sibling worker still runs (an exited one stays a zombie until the
    first worker waits for it)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            state = stat.read().rpartition(")")[2].split()[:1]
    except OSError:
        return False
    return state not in (["Z"], ["X"], [])


class ModelsStage:
    """The worker processes are plain processes fed through queues, not a
    `ProcessPoolExecutor`: its manager thread would leave the main process with a
    thread, and the formatter's pool, forked next, could no longer fork."""

    def __init__(
        self,
        jobs: int = 1,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
        spec: Path | None = None,
        formatted: bool = True,
    ) -> None:
        self.workers = jobs if jobs > 1 else 0
        self._cache = ModelsCache(cache_dir) if use_cache else None
        # A spec whose every module was cached last time will most likely be again: no
        # worker then (its warm-up costs ~1 s of CPU for nothing); whatever is missing
        # after all is printed in this process.
        self._seen_key = _seen_key(spec) if self._cache is not None else None
        if self._seen_key is not None and self._cache is not None:
            if self._cache.get(self._seen_key) is not None:
                self.workers = 0
        self.formatted = formatted  # False: as dmcg printed them (for tests)
        self._processes: list[BaseProcess] = []
        self._siblings: list[int] = []  # process ids of the workers the first forked
        self._tasks: Queue[Any] | None = None
        self._results: Queue[Any] | None = None
        self._sent = 0
        self._local: list[_Bin] = []
        self._cached: dict[str, str] = {}  # module -> formatted text
        self._printed: dict[str, str] = {}  # module -> its key, printed in this run
        # module -> its key, from a printing that differs in descriptions only (`prose`)
        self._reprosed: dict[str, str] = {}
        self._index: ProseIndex | None = None
        self._texts: dict[str, str] | None = None  # module -> text, once collected
        self._planned: Planned | None = None
        self._locate: Locate | None = None
        self.runs = 0  # dmcg runs (connected groups of modules to print)

    def __enter__(self) -> ModelsStage:
        if self.workers and _can_fork():
            context = multiprocessing.get_context("fork")
            self._tasks, self._results = context.Queue(), context.Queue()
            process = context.Process(
                target=_worker,
                args=(self._tasks, self._results, self.workers - 1),
                daemon=True,
            )
            process.start()
            self._processes.append(process)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers: told to when they printed everything (so that each is
        waited for and its CPU time is counted where it belongs), else at once, without
        waiting for one still warming up (nothing was left to print, or the run
        failed)."""
        if self._texts is not None and self._processes and self._tasks is not None:
            for _ in range(self.workers):
                self._tasks.put(None)
            for process in self._processes:
                process.join(timeout=10)
        for pid in self._siblings:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        self._siblings = []
        for process in self._processes:
            if process.is_alive():
                process.terminate()
        for process in self._processes:
            process.join()
        self._processes = []
        for channel in (self._tasks, self._results):
            if channel is not None:
                channel.cancel_join_thread()  # what a dead worker never read
                channel.close()
        self._tasks = self._results = None

    @property
    def cached_modules(self) -> int:
        return len(self._cached)

    @property
    def printed_modules(self) -> int:
        return len(self._printed)

    def submit(self, api: ir.Api, locate: Locate | None = None) -> None:
        """`locate` (the document's) gives the line of a diagnostic's pointer."""
        self.start(Planned(api.spec_name, api.package, api.models), locate)

    def start(self, planned: Planned, locate: Locate | None = None) -> None:
        """The models, as soon as the planner has them (before it plans operations)."""
        self._planned = planned
        self._locate = locate
        prepared = Prepared(planned.models, salt())
        found: dict[str, str] = {}
        if self._cache is not None:
            found = self._cache.get_many(prepared.keys.values())
        for module, key in prepared.keys.items():
            hit = found.get(key)
            if hit is None:
                self._printed[module] = key
            else:
                self._cached[module] = hit
        if self._cache is not None:
            self._index = ProseIndex(self._cache, prepared, planned.package)
            for module in sorted(self._printed):
                text = self._index.recall(module)
                if text is not None:
                    self._cached[module] = text
                    self._reprosed[module] = self._printed.pop(module)
        # counted with the other files being formatted: a model module is done when
        # its bin comes back printed and formatted (a cached one at once)
        progress.count("formatting", total=len(prepared.keys))
        progress.count("formatting", done=len(self._cached))
        runs = prepared.runs(self._printed, self._largest_run(prepared))
        self.runs = len(runs)
        for bin_ in _bins(runs):
            if self._tasks is None:
                self._local.append(bin_)
            else:
                self._tasks.put(
                    (self._sent, bin_.groups, planned.spec_name, self.formatted)
                )
                self._sent += 1

    def _largest_run(self, prepared: Prepared) -> int | None:
        """Classes a run may print before it is cut: half a worker's even share, so
        that the parts, largest first, spread evenly over the workers. On GitHub's
        spec (one group of 1,322 classes, 852 in small ones) parts of ~550 took the
        longest worker's dmcg time from ~16.5 s to ~11 s for ~5% more CPU."""
        if self.workers < 2:
            return None
        total = sum(len(prepared.classes[m]) for m in self._printed)
        return max(MIN_CUT_CLASSES, -(-total // (2 * self.workers)))

    def collect(self) -> None:
        """Wait for every printed module; GeneratorError (located) on any failure."""
        planned = self._planned
        assert planned is not None, "start() first"
        if self._texts is not None:
            return
        texts: dict[str, str] = {}
        diagnostics: list[Diagnostic] = []
        failed: list[tuple[str, str]] = []
        for status, payload in self._outcomes(planned.spec_name):
            if status == "ok":  # counted as its modules were done
                assert isinstance(payload, dict)
                texts.update(payload)
                if self._cache is not None:  # now, while other bins are printed
                    self._cache.put_many(
                        (self._printed[module], text)
                        for module, text in payload.items()
                    )
            elif status == "error":
                assert isinstance(payload, list)
                diagnostics += payload
            elif status == "format-error":
                assert isinstance(payload, list)
                failed += [(planned.path(m), why) for m, why in payload]
            else:
                message = f"the model generation process failed: {payload}"
                pointer = "#/components/schemas"
                diagnostics.append(
                    error("E303", planned.spec_name, None, pointer, message)
                )
        if diagnostics:
            raise GeneratorError([self._located(d) for d in diagnostics])
        if failed:
            raise FormatError(failed)
        self._texts = texts

    def _located(self, diagnostic: Diagnostic) -> Diagnostic:
        if diagnostic.line is not None or self._locate is None:
            return diagnostic
        if diagnostic.pointer == "#/components/schemas":
            return diagnostic  # the section: no line says more than the pointer
        return replace(diagnostic, line=self._locate(diagnostic.pointer)[1])

    def _outcomes(self, spec_name: str) -> Iterator[_Outcome]:
        local, self._local = self._local, []
        for bin_ in local:
            yield print_bin(bin_.groups, spec_name, self.formatted, _count_done)
        waiting, self._sent = self._sent, 0
        while waiting:
            assert self._results is not None
            try:
                index, outcome = self._results.get(timeout=progress.REDRAW_SECONDS)
            except queue.Empty:
                if all(p.is_alive() for p in self._processes) and all(
                    map(_alive, self._siblings)
                ):
                    progress.tick()  # the elapsed time goes on
                    continue
                yield ("crash", "a worker process died")
                return
            if index == _SIBLING:
                self._siblings.append(outcome)
                continue
            if index == _PROGRESS:
                _count_done(outcome)
                continue
            waiting -= 1
            yield outcome

    def results(self) -> dict[str, str]:
        """{path: text} of every model module, the printed ones (now cached) and the
        cached ones, with headers."""
        planned = self._planned
        assert planned is not None, "start() first"
        self.collect()
        assert self._texts is not None
        done = dict(self._cached)
        for module in self._printed:
            done[module] = self._texts[module]
        if self._cache is not None:
            self._cache.put_many(
                (key, done[module]) for module, key in self._reprosed.items()
            )
        if self._index is not None and (self._printed or self._reprosed):
            self._index.save({*self._printed, *self._reprosed})
        if self._cache is not None and self._seen_key is not None:
            self._cache.put(self._seen_key, "")
        header = header_line(planned.spec_name)
        return {
            planned.path(module): f"{header}\n\n{text}"
            for module, text in sorted(done.items())
        }


def print_models(api: ir.Api, locate: Locate | None = None) -> dict[str, str]:
    """{path: text} of every model module, printed in this process, without the cache
    or black: for checks of what the code does (tests), never for output."""
    with ModelsStage(1, use_cache=False, formatted=False) as stage:
        stage.submit(api, locate)
        return stage.results()


def _count_done(modules: int) -> None:
    progress.count("formatting", done=modules)


def _seen_key(spec: Path | None) -> str | None:
    """The cache key that says "this spec (these bytes but its one-line descriptions,
    these tools) was generated": a hint for `ModelsStage`, never a reason to skip
    printing a module. A changed description misses at most the modules `prose`
    rewrites without dmcg."""
    if spec is None:
        return None
    try:
        content = spec.read_bytes()
    except OSError:
        return None
    digest = hashlib.sha256(b"oapigen-spec-seen-2\0" + salt().encode() + b"\0")
    digest.update(_without_descriptions(content))
    return digest.hexdigest()


def _without_descriptions(content: bytes) -> bytes:
    """`content` with the text of each line holding a description (in YAML, or in JSON
    printed one member per line) taken out, its line break kept. Found from the word
    (the search jumps from one to the next) and then checked to start its line: a
    pattern led by `^` tries every byte (~20 ms on OpenAI's spec, ~5 ms this way)."""
    kept: list[bytes] = []
    done = 0  # where the content not yet kept starts
    for found in _DESCRIPTION_KEY.finditer(content):
        line = content.rfind(b"\n", 0, found.start()) + 1
        if line < done or not _KEY_INDENT.fullmatch(content, line, found.start()):
            continue
        end = content.find(b"\n", found.end())
        kept.append(content[done:line])
        done = len(content) if end < 0 else end
    kept.append(content[done:])
    return b"".join(kept)


_DESCRIPTION_KEY = re.compile(rb'description"?[ \t]*:')
_KEY_INDENT = re.compile(rb'[ \t]*"?')  # all a description line holds before its key


def _can_fork() -> bool:
    # fork is only safe on Linux and while this process has a single thread
    return sys.platform == "linux" and threading.active_count() == 1


def _bins(missed: list[Group]) -> list[_Bin]:
    """Runs packed largest first into the emptiest of enough bins to keep each under
    MAX_BIN_CLASSES where the runs allow; largest bins first. Parts of one cut group
    share closure modules: such runs go into different bins."""
    if not missed:
        return []
    total = sum(g.size for g in missed)
    count = min(len(missed), -(-total // MAX_BIN_CLASSES))
    loads = [0] * count
    packed: list[list[Group]] = [[] for _ in range(count)]
    modules: list[set[str]] = [set() for _ in range(count)]
    for group in sorted(missed, key=lambda g: (-g.size, g.modules)):
        free = [i for i in range(len(packed)) if modules[i].isdisjoint(group.modules)]
        if not free:
            loads.append(0)
            packed.append([])
            modules.append(set())
            free = [len(packed) - 1]
        index = min(free, key=lambda i: (loads[i], i))
        packed[index].append(group)
        loads[index] += group.size
        modules[index] |= set(group.modules)
    bins = [_Bin(tuple(p)) for p in packed if p]
    return sorted(bins, key=lambda b: -b.size)
