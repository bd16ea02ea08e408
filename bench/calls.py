"""Per-call overhead: call_worker.py, one fresh process per venv and pass.

Inside a process the targets' rounds are interleaved; every number is kept, and
the summary is the median over all rounds of all passes. Ratios compare each client
with the plain-httpx baseline of its own transport library (openai 3.x is built on
httpx2, so it is compared with plain httpx2) and ours with each SDK.

Streaming (when `streams` > 0): µs per SSE chunk of a streamed chat completion read to
its end, the same clients and transport; the plain clients' figure is the floor (lines,
`data: ` prefix, json.loads, no model).
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proc import error_line
from bench.stats import median

WORKER = Path(__file__).resolve().parent / "call_worker.py"
OPERATIONS = ("retrieve_model", "create_chat_completion")
MODES = ("sync", "async")
TIMEOUT_S = 600.0


@dataclass
class CallTarget:
    key: str
    label: str
    python: Path
    worker_target: str
    baseline: str | None  # key of the plain-client target it is compared with
    pythonpath: Path | None = None
    samples: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: {op: {mode: [] for mode in MODES} for op in OPERATIONS}
    )
    versions: dict[str, str] = field(default_factory=dict)
    error: str | None = None
    stream_samples: dict[str, list[float]] = field(
        default_factory=lambda: {mode: [] for mode in MODES}
    )
    stream_error: str | None = None
    chunks_per_stream: int | None = None

    def median_us(self, op: str, mode: str) -> float | None:
        return median(self.samples[op][mode])


def _run_group(group: list[CallTarget], n: int, rounds: int, streams: int) -> None:
    """One worker process measures every target of one venv, interleaved."""
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    paths = [str(t.pythonpath) for t in group if t.pythonpath is not None]
    if paths:
        env["PYTHONPATH"] = os.pathsep.join(paths)
    argv = [str(group[0].python), str(WORKER)]
    argv += ["--targets", ",".join(t.worker_target for t in group)]
    argv += ["--n", str(n), "--rounds", str(rounds)]
    if streams > 0:
        argv += ["--streams", str(streams)]
    error = None
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        error = f"timed out after {TIMEOUT_S:.0f} s"
    else:
        if done.returncode != 0:
            error = error_line(done.stderr or done.stdout)
    if error is not None:
        for target in group:
            target.error = error
        return
    results = json.loads(done.stdout)
    for target in group:
        result = results[target.worker_target]
        target.versions = result["versions"]
        if result["error"]:
            target.error = result["error"]
            continue
        for op in OPERATIONS:
            for mode in MODES:
                target.samples[op][mode].extend(result["us_per_call"][op][mode])
        streaming = result.get("streaming")
        if streaming:
            target.stream_error = streaming["error"]
            target.chunks_per_stream = streaming["chunks_per_stream"]
            for mode in MODES:
                target.stream_samples[mode].extend(streaming["us_per_chunk"][mode])


def measure(
    targets: list[CallTarget],
    n: int,
    rounds: int,
    passes: int,
    log: Callable[[str], None],
    streams: int = 0,
) -> None:
    groups: dict[Path, list[CallTarget]] = {}
    for target in targets:
        groups.setdefault(target.python, []).append(target)
    for index in range(passes):
        for group in groups.values():
            live = [target for target in group if target.error is None]
            if live:
                _run_group(live, n, rounds, streams)
                for target in live:
                    if target.error:
                        log(f"  calls {target.label}: FAILED {target.error}")
        log(f"  calls pass {index + 1}/{passes} done")


def summarize(targets: list[CallTarget]) -> dict[str, Any]:
    by_key = {target.key: target for target in targets}
    out: dict[str, Any] = {}
    for target in targets:
        base = by_key.get(target.baseline) if target.baseline else None
        entry: dict[str, Any] = {
            "label": target.label,
            "status": "failed" if target.error else "ok",
            "error": target.error,
            "versions": target.versions,
            "baseline": target.baseline,
            "operations": {},
        }
        for op in OPERATIONS:
            for mode in MODES:
                own = target.median_us(op, mode)
                plain = base.median_us(op, mode) if base else None
                samples = target.samples[op][mode]
                entry["operations"].setdefault(op, {})[mode] = {
                    "us_per_call": own,
                    "us_per_call_min": min(samples) if samples else None,
                    "samples_us": samples,
                    "vs_plain": own / plain if own and plain else None,
                    "overhead_us": own - plain if own and plain else None,
                }
        entry["streaming"] = _streaming(target, base)
        out[target.key] = entry
    return out


def _streaming(target: CallTarget, base: CallTarget | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "error": target.stream_error,
        "chunks_per_stream": target.chunks_per_stream,
    }
    for mode in MODES:
        own = median(target.stream_samples[mode])
        plain = median(base.stream_samples[mode]) if base else None
        entry[mode] = {
            "us_per_chunk": own,
            "chunks_per_s": 1e6 / own if own else None,
            "vs_plain": own / plain if own and plain else None,
            "samples_us": target.stream_samples[mode],
        }
    return entry
