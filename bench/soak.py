"""The soak section of `make bench`: many real calls at high concurrency against a
local server in its own process (bench/soak_server.py), and a cancellation storm.

Every client runs in a fresh worker process (bench/soak_worker.py, in the `clients`
venv), round-robin across clients, so a burst of machine load lands on all of them
alike. Reported per client and mode: calls/s, p50/p99 latency, CPU per call, RSS
after the warm-up and at the end; for the storms (at two concurrencies: 20, where
calls finish within the cancellation window, and 200, where they queue), the pool
slots left stuck after 2,000 random cancellations and how many of 300 normal calls
then succeed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.proc import error_line
from bench.stats import median, ratio

HERE = Path(__file__).resolve().parent
SERVER = HERE / "soak_server.py"
WORKER = HERE / "soak_worker.py"
TIMEOUT_S = 900.0
MODES = ("async", "sync")
STORM_CONCURRENCY = (20, 200)
LOAD_FIELDS = ("calls_per_s", "p50_ms", "p99_ms", "cpu_us_per_call", "first_batch_ms")


@dataclass
class SoakTarget:
    key: str
    label: str
    client: str  # worker client: oapigen | openai | httpx
    python: Path
    pythonpath: Path | None = None
    load: dict[str, list[dict[str, Any]]] = field(
        default_factory=lambda: {mode: [] for mode in MODES}
    )
    storms: dict[str, dict[str, Any]] = field(default_factory=dict)
    error: str | None = None


class _Server:
    """bench/soak_server.py in its own process, for the duration of a `with`."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.process: subprocess.Popen[str] | None = None
        self.url = ""

    def __enter__(self) -> _Server:
        self.process = subprocess.Popen(
            [sys.executable, str(SERVER), "--delay", str(self.delay)],
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            text=True,
        )
        assert self.process.stdout is not None
        port = self.process.stdout.readline().strip()
        if not port.isdigit():
            self.__exit__()
            raise RuntimeError("the soak server did not start")
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def _run_worker(target: SoakTarget, argv: list[str]) -> dict[str, Any] | None:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if target.pythonpath is not None:
        env["PYTHONPATH"] = str(target.pythonpath)
    try:
        done = subprocess.run(
            [str(target.python), str(WORKER), *argv, "--client", target.client],
            capture_output=True,
            text=True,
            env=env,
            timeout=TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        target.error = f"timed out after {TIMEOUT_S:.0f} s"
        return None
    if done.returncode != 0:
        target.error = error_line(done.stderr or done.stdout)
        return None
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def measure(
    targets: list[SoakTarget],
    calls: int,
    concurrency: int,
    cancellations: int,
    rounds: int,
    log: Callable[[str], None],
) -> None:
    with _Server(delay=0.0) as server:
        for index in range(rounds):
            for mode in MODES:
                for target in targets:
                    if target.error:
                        continue
                    result = _run_worker(
                        target,
                        ["load", "--mode", mode, "--url", server.url]
                        + ["--calls", str(calls), "--concurrency", str(concurrency)],
                    )
                    if result is not None:
                        target.load[mode].append(result)
                    else:
                        log(f"  soak {target.label} {mode}: FAILED {target.error}")
            log(f"  soak round {index + 1}/{rounds} done")
    # A little latency, so that calls are cancelled at every stage of their life.
    with _Server(delay=0.002) as server:
        for storm_concurrency in STORM_CONCURRENCY:
            for target in targets:
                if target.error:
                    continue
                result = _run_worker(
                    target,
                    ["storm", "--url", server.url]
                    + ["--cancellations", str(cancellations)]
                    + ["--concurrency", str(storm_concurrency)],
                )
                if result is None:
                    log(f"  storm {target.label}: FAILED {target.error}")
                else:
                    target.storms[str(storm_concurrency)] = result
        log("  cancellation storms done")


def summarize(targets: list[SoakTarget]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for target in targets:
        entry: dict[str, Any] = {
            "label": target.label,
            "status": "failed" if target.error else "ok",
            "error": target.error,
            "load": {},
            "storms": target.storms,
            "samples": target.load,
        }
        for mode in MODES:
            runs = target.load[mode]
            cell: dict[str, Any] = {
                name: median([run[name] for run in runs if run.get(name) is not None])
                for name in LOAD_FIELDS
            }
            cell["rss_start_mb"] = median([run["rss_start_mb"] for run in runs])
            cell["rss_end_mb"] = median([run["rss_end_mb"] for run in runs])
            cell["runs"] = len(runs)
            entry["load"][mode] = cell
        out[target.key] = entry
    return out


def baseline_project(project: Path, ref: str, root: Path, work: Path) -> Path | None:
    """A copy of the generated project whose `_runtime/` comes from git `ref` (the
    runtime is copied byte for byte into packages, after one header line)."""
    listing = subprocess.run(
        ["git", "ls-tree", "--name-only", f"{ref}:templates/runtime"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    if listing.returncode != 0:
        return None
    target = work / f"baseline-{ref}" / project.name
    shutil.rmtree(target.parent, ignore_errors=True)
    shutil.copytree(project, target)
    packages = [p for p in target.iterdir() if (p / "_runtime").is_dir()]
    if len(packages) != 1:
        return None
    runtime = packages[0] / "_runtime"
    header = (runtime / "__init__.py").read_text().splitlines(keepends=True)[0]
    shutil.rmtree(runtime)
    runtime.mkdir()
    for name in listing.stdout.split():
        if not name.endswith(".py"):
            continue
        text = subprocess.run(
            ["git", "show", f"{ref}:templates/runtime/{name}"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        (runtime / name).write_text(header + text)
    return target


def _num(value: float | None, digits: int = 0, width: int = 7) -> str:
    return f"{value:{width}.{digits}f}" if value is not None else f"{'-':>{width}}"


def render(section: dict[str, Any]) -> str:
    from bench.report import _table

    targets = section["targets"]
    official = next(
        (e for k, e in targets.items() if k == "openai" and e["status"] == "ok"), None
    )
    parts = [
        f"Soak: {section['calls']} create_chat_completion calls at concurrency "
        f"{section['concurrency']} against a local server in another process "
        f"(median of {section['rounds']} runs; each client with its default pool: "
        "oapigen 100 connections, the SDK 1,000, plain httpx set to 100); "
        "x SDK = / the official SDK (calls/s: above 1.00 is faster; latency, CPU: "
        "below 1.00 is better); 1st batch = the slowest of a fresh client's first "
        f"{section['concurrency']} calls, all at once (the warm-up, not in the other "
        "figures)"
    ]
    for mode in MODES:
        rows = []
        for entry in targets.values():
            cell = entry["load"][mode]
            theirs = official["load"][mode] if official else {}
            rows.append(
                [
                    entry["label"],
                    entry["status"],
                    _num(cell["calls_per_s"]),
                    _num(ratio(cell["calls_per_s"], theirs.get("calls_per_s")), 2, 5),
                    _num(cell["p50_ms"], 1),
                    _num(cell["p99_ms"], 1),
                    _num(ratio(cell["p99_ms"], theirs.get("p99_ms")), 2, 5),
                    _num(cell["cpu_us_per_call"]),
                    _num(cell["first_batch_ms"]),
                    _num(cell["rss_start_mb"], 1),
                    _num(cell["rss_end_mb"], 1),
                ]
            )
        header = [f"{mode} client", "status", "calls/s", "x SDK", "p50 ms"]
        header += ["p99 ms", "x SDK", "CPU µs/call", "1st batch ms", "RSS MB start"]
        header += ["end"]
        parts += ["", _table(header, rows)]
    rows = []
    for concurrency in STORM_CONCURRENCY:
        for entry in targets.values():
            storm = entry.get("storms", {}).get(str(concurrency))
            if storm:
                rows.append(_storm_row(entry["label"], concurrency, storm))
    if rows:
        header = ["async client", "concurrency", "cancelled", "completed"]
        header += ["stuck slots"]
        header += ["normal calls ok", "errors", "server conns"]
        parts += [
            "",
            "Cancellation storms: calls cancelled by asyncio.wait_for with random "
            "0.5-60 ms timeouts (every client on a pool of 100), then 300 normal calls "
            "(50 at a time, 5 s pool timeout); stuck slots = pool connections neither "
            "idle nor closed with nothing in flight; completed = calls that returned "
            "a result instead of being cancelled (late: more than twice their "
            "timeout + 50 ms after it, i.e. the cancellation was lost)",
            _table(header, rows),
        ]
    for entry in targets.values():
        if entry["error"]:
            parts.append(f"  {entry['label']}: failed: {entry['error']}")
    return "\n".join(parts)


def _storm_row(label: str, concurrency: int, storm: dict[str, Any]) -> list[str]:
    return [
        label,
        str(concurrency),
        f"{storm['cancellations']}",
        f"{storm['completed_during_storm']} ({storm.get('completed_late', '?')} late)",
        f"{storm['stuck_slots']}/{storm['pool_limit']}",
        f"{storm['normal_ok']}/{storm['normal_calls']}",
        ",".join(storm["normal_errors"]) or "-",
        f"{storm['server_open_connections']}",
    ]
