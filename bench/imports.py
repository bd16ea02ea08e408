"""Import benchmark: what a fresh `python -c "import X"` costs, less a bare interpreter.

Each target runs in a fresh process; the bare interpreter of the same venv (`-c pass`)
is measured in the same rounds and its median subtracted. One untimed run first
writes the bytecode caches, as an installed package would have them.

Lazy packages (ours, the official SDK) defer work to first use, so "import" alone
flatters them: the "first call" rows time import + client + one chat completion
through a MockTransport (call_worker.py --first-call), less the worker doing nothing.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proc import error_line
from bench.stats import median

WORKER = Path(__file__).resolve().parent / "call_worker.py"
HEAVY_S = 2.0  # a target whose warm-up import takes longer gets fewer runs
TIMEOUT_S = 300.0


@dataclass
class Target:
    key: str
    label: str
    python: Path
    argv: list[str]  # after the interpreter
    baseline: str  # key of the baseline target it is compared with
    pythonpath: Path | None = None
    module: str | None = None  # for the module count
    times: list[float] = field(default_factory=list)
    error: str | None = None
    modules: int | None = None


def import_target(
    key: str, label: str, python: Path, module: str, pythonpath: Path | None
) -> Target:
    return Target(
        key,
        label,
        python,
        ["-c", f"import {module}"],
        baseline=f"pass:{python}",
        pythonpath=pythonpath,
        module=module,
    )


def first_call_target(
    key: str, label: str, python: Path, worker_target: str, pythonpath: Path | None
) -> Target:
    return Target(
        key,
        label,
        python,
        [str(WORKER), "--first-call", worker_target],
        baseline=f"worker:{python}",
        pythonpath=pythonpath,
    )


def baselines(pythons: set[Path]) -> list[Target]:
    found = []
    for python in sorted(pythons):
        found.append(
            Target(f"pass:{python}", "python -c pass", python, ["-c", "pass"], "")
        )
        found.append(
            Target(
                f"worker:{python}",
                "call_worker.py (no target)",
                python,
                [str(WORKER), "--first-call", "none"],
                "",
            )
        )
    return found


def _env(target: Target) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    # The warm-up run must write the bytecode caches (an installed package has them):
    # with PYTHONDONTWRITEBYTECODE inherited, a package on PYTHONPATH would be compiled
    # from source on every run while site-packages (pip compiles on install) would not.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if target.pythonpath is not None:
        env["PYTHONPATH"] = str(target.pythonpath)
    return env


def _run(
    target: Target, argv: list[str] | None = None
) -> tuple[float, str | None, str]:
    started = time.perf_counter()
    try:
        done = subprocess.run(
            [str(target.python), *(argv or target.argv)],
            capture_output=True,
            text=True,
            env=_env(target),
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return time.perf_counter() - started, f"timed out after {TIMEOUT_S:.0f} s", ""
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        return elapsed, error_line(done.stderr or done.stdout), done.stdout
    return elapsed, None, done.stdout


def _count_modules(target: Target) -> int | None:
    if target.argv[0] == str(WORKER):
        argv = [*target.argv, "--print-modules"]
    else:
        statement = f"import {target.module};" if target.module else ""
        argv = ["-c", f"import sys; {statement} print(len(sys.modules))"]
    _, error, out = _run(target, argv)
    try:
        return None if error else int(out.strip())
    except ValueError:
        return None


def measure(
    targets: list[Target], runs: int, heavy_runs: int, log: Callable[[str], None]
) -> list[Target]:
    everything = baselines({target.python for target in targets}) + targets
    wanted: dict[str, int] = {}
    for target in everything:
        elapsed, error, _ = _run(target)  # warm-up: bytecode, page cache
        target.error = error
        wanted[target.key] = heavy_runs if elapsed > HEAVY_S else runs
        if error:
            log(f"  import {target.label}: FAILED {error}")
    # Round-robin so a burst of load hits every target alike.
    for index in range(max(wanted.values(), default=0)):
        for target in everything:
            if target.error is None and index < wanted[target.key]:
                elapsed, error, _ = _run(target)
                if error:
                    target.error = error
                else:
                    target.times.append(elapsed)
    for target in everything:
        if target.error is None:
            target.modules = _count_modules(target)
    for target in targets:
        summary = summarize(target, everything)
        if summary["net_ms"] is not None:
            log(
                f"  {target.label}: {summary['net_ms']:.0f} ms net "
                f"({len(target.times)} runs)"
            )
    return everything


def summarize(target: Target, everything: list[Target]) -> dict[str, Any]:
    base = next((t for t in everything if t.key == target.baseline), None)
    own = median(target.times)
    base_median = median(base.times) if base else None
    net = None
    if own is not None and base_median is not None:
        net = max(0.0, own - base_median) * 1000
    modules = None
    if target.modules is not None and base is not None and base.modules is not None:
        modules = target.modules - base.modules
    return {
        "label": target.label,
        "status": "failed" if target.error else "ok",
        "error": target.error,
        "runs": len(target.times),
        "total_ms": own * 1000 if own is not None else None,
        "baseline_ms": base_median * 1000 if base_median is not None else None,
        "net_ms": net,
        "modules_loaded": modules,
        "times_ms": [t * 1000 for t in target.times],
        "pythonpath": str(target.pythonpath) if target.pythonpath else None,
        "python": str(target.python),
    }
