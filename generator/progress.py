"""What a run is doing, told on stderr.

The pipeline and the emit stage call the module functions (`stage`, `count`, `tick`,
`note`) at a few points; they do nothing until the command line `activate`s a Reporter,
so library use and tests stay silent. On a terminal the Reporter redraws one status line
(`[ 9.2 s] formatting 1200/2664`); elsewhere it prints nothing while running and the
command line prints one summary line at the end. It keeps the duration of every stage
for `--verbose`.

No thread of its own: the status line is redrawn when something happens (a stage starts,
a file is formatted or written) and while the formatter waits for a big file (`tick`),
so a run on a huge spec is never silent, and the processes the formatter forks are still
forked from a single-threaded process. Counts may arrive from the formatter pool's
callback thread, hence the lock.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

REDRAW_SECONDS = 0.1


@dataclass
class StageTime:
    name: str
    seconds: float
    detail: str = ""


class Reporter:
    def __init__(
        self,
        stream: TextIO,
        *,
        live: bool,
        quiet: bool = False,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.stream = stream
        self.live = live and not quiet
        self.quiet = quiet
        self.clock = clock
        self.started = clock()
        self.stages: list[StageTime] = []
        self._stage = ""
        self._detail = ""
        self._stage_started = self.started
        self._counts: dict[str, list[int]] = {}  # name -> [done, total]
        self._lock = threading.Lock()
        self._drawn_at = -1.0
        self._width = 0  # characters of the status line on screen

    def stage(self, name: str, detail: str = "") -> None:
        with self._lock:
            self._end_stage()
            self._stage, self._detail = name, detail
            self._draw(force=True)

    def count(self, name: str, *, done: int = 0, total: int = 0) -> None:
        """Add to counter `name` (formatting: `total` when a file is submitted, `done`
        when it is formatted)."""
        with self._lock:
            counter = self._counts.setdefault(name, [0, 0])
            counter[0] += done
            counter[1] += total
            self._draw(force=counter[0] == counter[1])

    def tick(self) -> None:
        with self._lock:
            self._draw(force=False)

    def note(self, message: str) -> None:
        """A line of its own (above the status line), unless quiet."""
        if self.quiet:
            return
        with self._lock:
            self._clear()
            print(message, file=self.stream, flush=True)
            self._draw(force=True)

    def finish(self) -> list[StageTime]:
        """End the last stage and clear the status line; the time of every stage."""
        with self._lock:
            self._end_stage()
            self._stage = ""
            self._clear()
            return list(self.stages)

    def counts(self) -> dict[str, tuple[int, int]]:
        with self._lock:
            return {name: (c[0], c[1]) for name, c in self._counts.items()}

    def _end_stage(self) -> None:
        now = self.clock()
        if self._stage:
            detail = self._detail
            counter = self._counts.get(self._stage)
            if counter is not None:
                detail = f"{counter[0]}/{counter[1]}"
            self.stages.append(
                StageTime(self._stage, now - self._stage_started, detail)
            )
        self._stage_started = now

    def _status(self) -> str:
        head = f"[{self.clock() - self.started:5.1f} s] {self._stage}"
        counter = self._counts.get(self._stage)
        if counter is not None:
            head += f" {counter[0]}/{counter[1]}"
        elif self._detail:
            head += f": {self._detail}"
        parts = [head]
        for name, (done, total) in self._counts.items():
            if name != self._stage and done < total:  # work still going on beside
                parts.append(f"{name} {done}/{total}")
        return " | ".join(parts)

    def _draw(self, *, force: bool) -> None:
        if not self.live or not self._stage:
            return
        now = self.clock()
        if not force and now - self._drawn_at < REDRAW_SECONDS:
            return
        self._drawn_at = now
        columns = shutil.get_terminal_size((80, 24)).columns
        text = self._status()[: max(columns - 1, 10)]
        # \r back to the start, the text, then erase what a longer line left behind.
        self.stream.write("\r" + text + "\x1b[K")
        self.stream.flush()
        self._width = len(text)

    def _clear(self) -> None:
        if self.live and self._width:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._width = 0


def is_terminal(stream: TextIO) -> bool:
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):
        return False


_active: Reporter | None = None


@contextmanager
def activate(reporter: Reporter) -> Iterator[Reporter]:
    """Route the module functions to `reporter` for the duration of a run."""
    global _active
    previous, _active = _active, reporter
    try:
        yield reporter
    finally:
        reporter.finish()
        _active = previous


def stage(name: str, detail: str = "") -> None:
    if _active is not None:
        _active.stage(name, detail)


def count(name: str, *, done: int = 0, total: int = 0) -> None:
    if _active is not None:
        _active.count(name, done=done, total=total)


def tick() -> None:
    if _active is not None:
        _active.tick()


def note(message: str) -> None:
    if _active is not None:
        _active.note(message)
