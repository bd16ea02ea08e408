"""Run one command and measure it: wall time, CPU time and memory of its whole tree.

Memory is reported two ways because the usual tools answer a narrower question than
"how much memory did the run need":
- `max_proc_mb`: ru_maxrss from wait4(), what `/usr/bin/time -f %M` prints. For a
  process tree this is the peak of the *largest single process* (getrusage(2): "the
  resident set size of the largest child, not the maximum resident set size of the
  process tree"), so a formatter pool of N workers counts once, not N times.
- `tree_peak_mb`: the peak of the sum of PSS over every live process of the tree,
  sampled from /proc every few tens of milliseconds. PSS splits pages shared after
  fork() between their sharers, so the sum is the memory the tree really held.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

SAMPLE_INTERVAL_S = 0.04


@dataclass(frozen=True)
class ProcResult:
    wall_s: float
    cpu_s: float  # user + system of the process and every descendant it waited for
    max_proc_mb: float
    tree_peak_mb: float | None  # None where /proc is unavailable
    exit_code: int
    timed_out: bool
    log: Path

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def _parent_map() -> dict[int, int]:
    parents: dict[int, int] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as stat:
                data = stat.read()
        except OSError:
            continue
        # The command name may hold spaces and parentheses: split after the last ")".
        fields = data[data.rfind(b")") + 2 :].split()
        if len(fields) > 1:
            parents[int(name)] = int(fields[1])
    return parents


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, parent in _parent_map().items():
        children.setdefault(parent, []).append(pid)
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


_PSS = re.compile(rb"^Pss:\s+(\d+) kB", re.MULTILINE)


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            match = _PSS.search(rollup.read())
    except OSError:  # exited between the scan and the read
        return 0
    return int(match.group(1)) if match else 0


class _TreeSampler(threading.Thread):
    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peak_kb = 0
        self.available = os.path.exists("/proc/self/smaps_rollup")
        self._stop_event = threading.Event()

    def run(self) -> None:
        while self.available and not self._stop_event.is_set():
            total = sum(_pss_kb(pid) for pid in _tree(self.root))
            self.peak_kb = max(self.peak_kb, total)
            self._stop_event.wait(SAMPLE_INTERVAL_S)

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


def run_measured(
    argv: Sequence[str],
    *,
    log: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout_s: float = 600.0,
) -> ProcResult:
    """Run `argv` with stdout and stderr in `log`; kill its process group on timeout."""
    timed_out = threading.Event()
    with log.open("wb") as out:
        started = time.perf_counter()
        try:
            proc = subprocess.Popen(
                list(argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                start_new_session=True,  # its own group: a timeout ends the whole tree
            )
        except OSError as exc:  # a missing or broken tool is a result, not a crash
            out.write(f"error: cannot start {argv[0]}: {exc}\n".encode())
            return ProcResult(0.0, 0.0, 0.0, None, 127, False, log)
        sampler = _TreeSampler(proc.pid)
        sampler.start()

        def kill() -> None:
            timed_out.set()
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout_s, kill)
        timer.start()
        try:
            # wait4 instead of Popen.wait: it also returns the rusage of the tree.
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        sampler.stop()
        proc.returncode = os.waitstatus_to_exitcode(status)
    return ProcResult(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        max_proc_mb=usage.ru_maxrss / 1024,
        tree_peak_mb=sampler.peak_kb / 1024 if sampler.available else None,
        exit_code=proc.returncode,
        timed_out=timed_out.is_set(),
        log=log,
    )


_ERROR_WORDS = re.compile(r"error|exception|fatal|failed|crash", re.IGNORECASE)
_EXCEPTION_LINE = re.compile(r"^[A-Za-z_][\w.]*(Error|Exception|Exit)\b.*")
_BOX = ("\u2502", "\u256d", "\u2570", "\u2500")  # the frame characters of rich output


def first_error_line(log: Path, limit: int = 160) -> str:
    """The line a person would quote from a failed run's output."""
    try:
        text = log.read_text("utf-8", "replace")
    except OSError:
        return "(no output)"
    return error_line(text, limit)


def error_line(text: str, limit: int = 160) -> str:
    lines = [line.rstrip() for line in text.splitlines() if line.strip()]
    if not lines:
        return "(no output)"
    # A Python exception line (plain or rich traceback): the last one is the cause.
    exceptions = [line for line in lines if _EXCEPTION_LINE.match(line)]
    if exceptions:
        chosen = exceptions[-1]
    else:
        # Skip the frames of box-drawn (rich) tracebacks: they quote source code.
        plain = [line for line in lines if not line.lstrip().startswith(_BOX)]
        chosen = next(
            (line for line in plain if _ERROR_WORDS.search(line)),
            plain[-1] if plain else lines[-1],
        )
    chosen = " ".join(chosen.split())
    return chosen if len(chosen) <= limit else chosen[: limit - 3] + "..."
