"""The models stage: every model module of the package, from the plan.

with ModelsStage(jobs=2) as models:   # workers fork now and warm up dmcg and black
    ...                               # load, plan
    models.submit(api)                # cached groups are done; the others go to work
    ...                               # render and format the rest meanwhile
    files = models.results()          # {path: formatted text}

Groups of models (see `prepare`) found in the cache cost a file read. The others are
packed into bins of about equal size, one dmcg run per bin, in a pool of processes forked
first thing (before the spec is read: no threads yet, nothing loaded), which import and
warm up dmcg and black while the main process loads and plans. A worker formats what
dmcg printed (black's content cache first: most modules of a changed group did not
change) and stores each group in the cache before it returns it.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from .. import ir, layout
from ..diagnostics import Diagnostic, GeneratorError, error
from ..render.text import header_line
from .cache import ModelsCache, salt
from .prepare import Group, groups

# Classes per dmcg run, at most: dmcg's time and memory grow faster than linearly with
# the size of one document, and smaller bins balance better across workers.
MAX_BIN_CLASSES = 150

_Outcome = tuple[str, object]  # ("ok", {key: {module: text}}) | ("error", ...)


@dataclass(frozen=True)
class _Bin:
    groups: tuple[Group, ...]

    @property
    def size(self) -> int:
        return sum(g.size for g in self.groups)


def print_bin(
    bin_groups: tuple[Group, ...], spec_file: str, cache_root: str | None
) -> _Outcome:
    """One dmcg run over independent groups, formatted; each group cached."""
    from ..emit.formatter import FormatError
    from .dmcg import print_group
    from .prepare import merged

    try:
        printed = print_group(merged(bin_groups), spec_file)
    except GeneratorError as exc:
        return ("error", exc.diagnostics)
    formatted, problems = _formatted(printed, cache_root)
    if problems:
        return ("error", FormatError(problems).diagnostics)
    cache = None if cache_root is None else ModelsCache(Path(cache_root))
    result: dict[str, dict[str, str]] = {}
    for group in bin_groups:
        modules = {m: formatted[m] for m in group.modules}
        result[group.key] = modules
        if cache is not None:
            cache.put(group.key, modules)
    return ("ok", result)


def _formatted(
    printed: dict[str, str], cache_root: str | None
) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """Black on each module, through black's content cache."""
    from black.parsing import InvalidInput

    from ..emit.cache import FormatCache, cache_key, default_cache_dir
    from ..emit.formatter import (
        MODE_FINGERPRINT,
        _installed_black_version,
        format_python,
    )

    version = _installed_black_version()
    black_cache = FormatCache(default_cache_dir()) if cache_root and version else None
    done: dict[str, str] = {}
    problems: list[tuple[str, str]] = []
    for module, source in sorted(printed.items()):
        key = cache_key(version or "", MODE_FINGERPRINT, source)
        hit = black_cache.get(key) if black_cache is not None else None
        if hit is not None:
            done[module] = hit
            continue
        try:
            text = format_python(source)
        except InvalidInput as exc:
            problems.append((f"models/{module}.py", str(exc)))
            continue
        if black_cache is not None:
            black_cache.put(key, text)
        done[module] = text
    return done, problems


def _warm_up() -> None:
    """Pool initializer: dmcg's first run imports most of it (~1 s), black's first
    format loads its grammar."""
    from ..emit.formatter import format_python
    from .dmcg import print_group
    from .prepare import warm_up_group

    print_group(warm_up_group())
    format_python("x = (1,)\n")


def _ready() -> None:
    """Empty task: submitting it makes the pool start its processes now."""


class ModelsStage:
    def __init__(
        self,
        jobs: int = 1,
        *,
        use_cache: bool = True,
        cache_dir: Path | None = None,
    ) -> None:
        self.jobs = max(1, jobs)
        self._cache = ModelsCache(cache_dir) if use_cache else None
        self._pool: ProcessPoolExecutor | None = None
        self._futures: list[tuple[Future[_Outcome], _Bin]] = []
        self._local: list[_Bin] = []
        self._done: dict[str, dict[str, str]] = {}  # group key -> modules
        self._api: ir.Api | None = None
        self.cached_groups = 0
        self.printed_groups = 0

    def __enter__(self) -> ModelsStage:
        if self.jobs > 1 and _can_fork():
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs,
                mp_context=multiprocessing.get_context("fork"),
                initializer=_warm_up,
            )
            for _ in range(self.jobs):
                self._pool.submit(_ready)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Stop the workers; ones still warming up (nothing was left to print, or the
        run failed) are not waited for."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join()

    @property
    def _cache_root(self) -> str | None:
        return None if self._cache is None else str(self._cache.root)

    def submit(self, api: ir.Api) -> None:
        self._api = api
        missed: list[Group] = []
        for group in groups(api.models, salt()):
            hit = self._cache.get(group.key) if self._cache is not None else None
            if hit is not None and set(hit) == set(group.modules):
                self._done[group.key] = hit
                self.cached_groups += 1
            else:
                missed.append(group)
        self.printed_groups = len(missed)
        for bin_ in _bins(missed, self.jobs):
            if self._pool is None:
                self._local.append(bin_)
                continue
            future = self._pool.submit(
                print_bin, bin_.groups, api.spec_name, self._cache_root
            )
            self._futures.append((future, bin_))

    def results(self) -> dict[str, str]:
        """{path: text} of every model module."""
        api = self._api
        assert api is not None, "submit() first"
        diagnostics: list[Diagnostic] = []
        outcomes = [
            print_bin(b.groups, api.spec_name, self._cache_root) for b in self._local
        ]
        for future, _ in self._futures:
            try:
                outcomes.append(future.result())
            except BrokenProcessPool as exc:
                message = f"the model generation process died ({exc})"
                diagnostics.append(
                    error("E303", api.spec_name, None, "#/components/schemas", message)
                )
        self._futures, self._local = [], []
        for status, payload in outcomes:
            if status == "ok":
                assert isinstance(payload, dict)
                self._done.update(payload)
            else:
                assert isinstance(payload, list)
                diagnostics += payload
        if diagnostics:
            raise GeneratorError(diagnostics)
        header = header_line(api.spec_name)
        files: dict[str, str] = {}
        for modules in self._done.values():
            for module, text in modules.items():
                files[layout.model_module(api, module)] = f"{header}\n\n{text}"
        return dict(sorted(files.items()))


def _can_fork() -> bool:
    # fork is only safe on Linux and while this process has a single thread
    return sys.platform == "linux" and threading.active_count() == 1


def _bins(missed: list[Group], jobs: int) -> list[_Bin]:
    """Groups packed largest first into the emptiest of enough bins to keep every
    worker busy and each bin under MAX_BIN_CLASSES where the groups allow."""
    if not missed:
        return []
    total = sum(g.size for g in missed)
    count = min(len(missed), max(jobs, -(-total // MAX_BIN_CLASSES)))
    loads = [0] * count
    packed: list[list[Group]] = [[] for _ in range(count)]
    for group in sorted(missed, key=lambda g: (-g.size, g.modules)):
        index = min(range(count), key=lambda i: (loads[i], i))
        packed[index].append(group)
        loads[index] += group.size
    bins = [_Bin(tuple(p)) for p in packed if p]
    return sorted(bins, key=lambda b: -b.size)
