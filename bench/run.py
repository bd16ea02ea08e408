"""`make bench`: generation, import and per-call speed of oapigen beside its anchors.

    .venv/bin/python bench/run.py [--quick] [--only generate|scale|import|calls|soak]
        [--runs N] [--sizes 2,5,10,github,bump] [--scale-runs N] [--no-chart]

Every number is measured in this run, side by side with the anchors (interleaved
round-robin), and reported with its ratio ours/anchor: the ratios are the result,
the absolute numbers depend on the machine and on its load. The anchors are installed
into .tools/bench/<name>/ from bench/requirements/<name>.txt on first use.
Results: a table on stdout, bench/results/latest.json and bench/results/chart.png
(copied to docs/bench.png after a full run), then the goals of issue 12.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the repo root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import calls, chart, goals, imports, report, scale, soak  # noqa: E402
from bench.env import (
    ROOT,
    TOOLS_DIR,
    ensure_all,
    java_error,
    java_version,
    pins,
)  # noqa: E402
from bench.generation import (
    TOOLS,
    GenerationBench,
    ToolResult,
    results_json,
)  # noqa: E402

SPECS = ["openai-2.3.0", "openai-2.0.0", "openai-1.1.0"]
RESULTS_DIR = Path(__file__).resolve().parent / "results"
DOCS_CHART = ROOT / "docs" / "bench.png"
FULL_SIZES = "2,5,10,github,bump"
WORK_DIR = TOOLS_DIR / "work"
OURS_CACHE = TOOLS_DIR / "cache"  # warm black cache for the import/calls sections


def log(message: str) -> None:
    print(message, flush=True)


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _load() -> list[float]:
    return [round(value, 2) for value in os.getloadavg()]


def _nproc() -> int:
    return (
        len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else (os.cpu_count() or 1)
    )


def _spec_path(stem: str) -> Path | None:
    for folder in (ROOT / "specs", ROOT.parent / "shared" / "specs"):
        candidate = folder / f"{stem}.yaml"
        if candidate.is_file():
            return candidate
    return None


def _meta(args: argparse.Namespace) -> dict[str, Any]:
    return {
        "started": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "uncommitted_changes": bool(_git("status", "--porcelain")),
        "nproc": _nproc(),
        "loadavg_start": _load(),
        "cpu": _cpu_model(),
        "python": platform.python_version(),
        "java": java_version(),
        "mode": "quick" if args.quick else "full",
        "only": args.only,
        "sizes": args.sizes,
        "anchors": {
            name: pins(name) for name in ("opc", "opg", "ogc", "clients", "openai3")
        },
    }


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _header(meta: dict[str, Any]) -> None:
    load = meta["loadavg_start"]
    log("oapigen benchmark " + "=" * 60)
    dirty = " + uncommitted changes" if meta["uncommitted_changes"] else ""
    log(
        f"commit {meta['commit'] or '?'}{dirty}, {meta['started']}, mode {meta['mode']}"
    )
    log(
        f"machine: nproc {meta['nproc']}, load average {load[0]} {load[1]} {load[2]}, "
        f"{meta['cpu']}; Python {meta['python']}; {meta['java']}"
    )
    busy = load[0] > 0.5 * meta["nproc"]
    log(
        "NOTE: numbers are noisy: "
        + (
            f"the machine is busy (load {load[0]} on {meta['nproc']} cores). "
            if busy
            else "this is a shared machine. "
        )
        + "Absolute times vary from run to run; the ratios, measured side by side "
        "in this run, are the result."
    )


class Bench:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.results: dict[str, Any] = {}
        sections = {args.only} if args.only else {"generate", "import", "calls", "soak"}
        if args.sizes and not args.only:
            sections.add("scale")
        self.sections = sections
        names = []
        if "generate" in sections:
            names += ["opc", "opg", "ogc"]
        if "scale" in sections:
            names += ["opc"]
        if "import" in sections:
            names += ["clients", "openai3", "ogc"]
        if "calls" in sections:
            names += ["clients", "openai3"]
        if "soak" in sections:
            names += ["clients"]
        log(f"anchor venvs under {TOOLS_DIR.relative_to(ROOT)}/ ...")
        self.venvs = ensure_all(sorted(set(names)))
        for venv in self.venvs.values():
            if not venv.ok:
                log(f"  {venv.name}: UNAVAILABLE {venv.error}")
        shutil.rmtree(WORK_DIR, ignore_errors=True)
        WORK_DIR.mkdir(parents=True)
        self.generation = GenerationBench(
            WORK_DIR, self.venvs, self._unavailable(), log
        )

    def _unavailable(self) -> dict[str, str]:
        reasons: dict[str, str] = {}
        for tool in TOOLS:
            venv = self.venvs.get(tool.venv) if tool.venv else None
            if tool.venv and (venv is None or not venv.ok):
                reasons[tool.key] = (
                    venv.error if venv and venv.error else "not installed"
                )
            elif tool.venv == "ogc":
                java = java_error()
                if java:
                    reasons[tool.key] = java
        return reasons

    def specs(self) -> list[tuple[Path, int]]:
        stems = SPECS[:1] if self.args.quick else SPECS
        primary_runs = self.args.runs or (1 if self.args.quick else 3)
        found = []
        for index, stem in enumerate(stems):
            path = _spec_path(stem)
            if path is None:
                log(f"  {stem}.yaml not found: run `make specs` (skipped)")
                continue
            found.append((path, primary_runs if index == 0 else 1))
        return found

    def run_scale(self) -> None:
        log("\n-- generation at scale and after spec bumps " + "-" * 20)
        sizes, github, bumps = scale.parse_sizes(self.args.sizes or "")
        opc = self.venvs.get("opc")
        runner = scale.ScaleBench(
            self.generation,
            WORK_DIR,
            opc.error if opc is not None and not opc.ok else None,
            log,
        )
        scenarios, skipped = runner.prepare(sizes, github, bumps)
        for key, reason in skipped.items():
            log(f"  {key}: not run: {reason}")
        rounds = self.args.scale_runs
        runner.run(scenarios, rounds)
        self.results["scale"] = scale.results_json(scenarios, skipped, rounds)

    def run_generate(self) -> None:
        log("\n-- generation " + "-" * 50)
        per_spec: dict[str, list[ToolResult]] = {}
        for index, (spec, runs) in enumerate(self.specs()):
            per_spec[spec.stem] = self.generation.run_spec(
                spec, runs, primary=index == 0
            )
        self.results["generation"] = results_json(per_spec)

    def _ensure_outputs(self, need_ogc: bool) -> None:
        """--only import/calls: generate what the earlier section would have left."""
        specs = self.specs()
        if not specs:
            return
        spec = specs[0][0]
        outputs = self.generation.outputs
        tools = {tool.key: tool for tool in TOOLS}
        if outputs.ours_project is None:
            OURS_CACHE.mkdir(parents=True, exist_ok=True)
            log(f"  generating oapigen's package from {spec.name} (bench cache) ...")
            run, out = self.generation._one(
                tools["oapigen-warm"], spec, OURS_CACHE, True
            )
            if run.ok:
                self.generation._remember(tools["oapigen-warm"], out)
            else:
                log(f"  oapigen FAILED: {run.error}")
        unavailable = self._unavailable()
        if need_ogc and outputs.ogc_project is None:
            if "openapi-generator" in unavailable:
                return
            log(f"  generating openapi-generator's package from {spec.name} ...")
            tool = tools["openapi-generator"]
            run, out = self.generation._one(tool, spec, None, True)
            if run.ok:
                self.generation._remember(tool, out)
            else:
                log(f"  openapi-generator FAILED: {run.error}")

    def run_import(self) -> None:
        log("\n-- import " + "-" * 54)
        self._ensure_outputs(need_ogc=True)
        outputs = self.generation.outputs
        targets: list[imports.Target] = []
        clients = self.venvs.get("clients")
        openai3 = self.venvs.get("openai3")
        if clients and clients.ok:
            python = clients.python
            sdk2 = f"openai {pins('clients').get('openai', '?')}"
            if outputs.ours_project and outputs.ours_package:
                targets.append(
                    imports.import_target(
                        "oapigen",
                        f"oapigen: import {outputs.ours_package}",
                        python,
                        outputs.ours_package,
                        outputs.ours_project,
                    )
                )
            targets.append(
                imports.import_target(
                    "openai2", f"{sdk2}: import openai", python, "openai", None
                )
            )
        if openai3 and openai3.ok:
            sdk3 = f"openai {pins('openai3').get('openai', '?')}"
            targets.append(
                imports.import_target(
                    "openai3", f"{sdk3}: import openai", openai3.python, "openai", None
                )
            )
        if clients and clients.ok:
            python = clients.python
            if outputs.ogc_project:
                targets.append(
                    imports.import_target(
                        "openapi-generator",
                        "openapi-generator: import openapi_client",
                        python,
                        "openapi_client",
                        outputs.ogc_project,
                    )
                )
            if outputs.opc_project and outputs.opc_package:
                targets.append(
                    imports.import_target(
                        "openapi-python-client",
                        f"openapi-python-client: import {outputs.opc_package}",
                        python,
                        outputs.opc_package,
                        outputs.opc_project,
                    )
                )
            if outputs.opg_parent and outputs.opg_package:
                targets.append(
                    imports.import_target(
                        "openapi-python-generator",
                        f"openapi-python-generator: import {outputs.opg_package}",
                        python,
                        outputs.opg_package,
                        outputs.opg_parent,
                    )
                )
            targets.append(
                imports.first_call_target(
                    "first-call:floor",
                    "floor: import httpx + pydantic, 1 client, 1 model",
                    python,
                    "floor",
                    None,
                )
            )
            if outputs.ours_project:
                targets.append(
                    imports.first_call_target(
                        "first-call:oapigen",
                        "oapigen",
                        python,
                        "oapigen",
                        outputs.ours_project,
                    )
                )
            targets.append(
                imports.first_call_target(
                    "first-call:openai2", sdk2, python, "openai", None
                )
            )
        if openai3 and openai3.ok:
            targets.append(
                imports.first_call_target(
                    "first-call:openai3",
                    f"openai {pins('openai3').get('openai', '?')}",
                    openai3.python,
                    "openai",
                    None,
                )
            )
        runs, heavy = (5, 3) if self.args.quick else (15, 5)
        everything = imports.measure(targets, runs, heavy, log)
        self.results["imports"] = {
            target.key: imports.summarize(target, everything) for target in everything
        }

    def run_calls(self) -> None:
        log("\n-- calls " + "-" * 55)
        self._ensure_outputs(need_ogc=False)
        outputs = self.generation.outputs
        targets: list[calls.CallTarget] = []
        clients = self.venvs.get("clients")
        openai3 = self.venvs.get("openai3")
        if clients and clients.ok:
            python = clients.python
            targets.append(
                calls.CallTarget("httpx", "plain httpx", python, "httpx", None)
            )
            if outputs.ours_project:
                targets.append(
                    calls.CallTarget(
                        "oapigen",
                        "oapigen",
                        python,
                        "oapigen",
                        "httpx",
                        outputs.ours_project,
                    )
                )
            sdk2 = f"openai {pins('clients').get('openai', '?')}"
            targets.append(calls.CallTarget("openai2", sdk2, python, "openai", "httpx"))
        if openai3 and openai3.ok:
            python = openai3.python
            targets.append(
                calls.CallTarget("httpx2", "plain httpx2", python, "httpx2", None)
            )
            sdk3 = f"openai {pins('openai3').get('openai', '?')}"
            targets.append(
                calls.CallTarget("openai3", sdk3, python, "openai", "httpx2")
            )
        n = self.args.calls
        # Short blocks, many rounds: interleaving finely spreads load bursts evenly.
        rounds, passes = (6, 1) if self.args.quick else (10, 2)
        log(
            f"  blocks of {n} calls, {rounds} rounds x {passes} passes per client, "
            "operation and mode, interleaved"
        )
        calls.measure(targets, n, rounds, passes, log, streams=self.args.streams)
        self.results["calls"] = {
            "n": n,
            "rounds": rounds,
            "passes": passes,
            "targets": calls.summarize(targets),
        }

    def run_soak(self) -> None:
        log("\n-- soak " + "-" * 56)
        self._ensure_outputs(need_ogc=False)
        outputs = self.generation.outputs
        clients = self.venvs.get("clients")
        if not clients or not clients.ok:
            log("  soak: the clients venv is unavailable (skipped)")
            return
        python = clients.python
        targets = [soak.SoakTarget("httpx", "plain httpx", "httpx", python)]
        if outputs.ours_project:
            targets.append(
                soak.SoakTarget(
                    "oapigen", "oapigen", "oapigen", python, outputs.ours_project
                )
            )
            for ref in self.args.baseline_runtime or []:
                project = soak.baseline_project(
                    outputs.ours_project, ref, ROOT, WORK_DIR
                )
                if project is None:
                    log(f"  soak: no runtime at git {ref!r} (skipped)")
                    continue
                targets.append(
                    soak.SoakTarget(
                        f"oapigen@{ref}", f"oapigen@{ref}", "oapigen", python, project
                    )
                )
        sdk = f"openai {pins('clients').get('openai', '?')}"
        targets.append(soak.SoakTarget("openai", sdk, "openai", python))
        n = self.args.soak_calls or (5000 if self.args.quick else 20000)
        rounds = 1 if self.args.quick else 2
        log(
            f"  {n} calls per client and mode at concurrency 200, {rounds} round(s), "
            "interleaved; then a cancellation storm per async client"
        )
        soak.measure(targets, n, 200, 2000, rounds, log)
        self.results["soak"] = {
            "calls": n,
            "concurrency": 200,
            "cancellations": 2000,
            "rounds": rounds,
            "targets": soak.summarize(targets),
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument(
        "--quick", action="store_true", help="1 run each, openai-2.3.0 only"
    )
    parser.add_argument(
        "--only", choices=["generate", "scale", "import", "calls", "soak"]
    )
    parser.add_argument("--runs", type=int, help="generation runs on openai-2.3.0")
    parser.add_argument(
        "--calls", type=int, default=500, help="calls per timed block (default 500)"
    )
    parser.add_argument(
        "--soak-calls", type=int, help="calls per client and mode in the soak"
    )
    parser.add_argument(
        "--baseline-runtime",
        action="append",
        metavar="GIT_REF",
        help="soak: also measure the generated package with the runtime of GIT_REF "
        "(before/after figures side by side); repeatable",
    )
    parser.add_argument(
        "--sizes",
        help="scale scenarios: multipliers of openai-2.3.0, 'github', 'bump' "
        f"(default {FULL_SIZES}; none with --quick). x1 always runs",
    )
    parser.add_argument(
        "--scale-runs", type=int, default=1, help="rounds of the scale scenarios"
    )
    parser.add_argument(
        "--streams",
        type=int,
        default=10,
        help="streamed responses per timed block (default 10; 0: no streaming)",
    )
    parser.add_argument(
        "--no-chart", action="store_true", help="do not draw bench/results/chart.png"
    )
    args = parser.parse_args(argv)
    if args.sizes is None and (args.only == "scale" or not args.quick):
        args.sizes = "bump" if args.quick else FULL_SIZES
    try:
        scale.parse_sizes(args.sizes or "")
    except ValueError as exc:
        parser.error(str(exc))

    started = time.perf_counter()
    meta = _meta(args)
    _header(meta)
    bench = Bench(args)
    timings: dict[str, float] = {}
    for section, step in (
        ("generate", bench.run_generate),
        ("scale", bench.run_scale),
        ("import", bench.run_import),
        ("calls", bench.run_calls),
        ("soak", bench.run_soak),
    ):
        if section in bench.sections:
            section_started = time.perf_counter()
            step()
            timings[section] = round(time.perf_counter() - section_started, 1)
    meta["loadavg_end"] = _load()
    meta["section_seconds"] = timings
    meta["total_seconds"] = round(time.perf_counter() - started, 1)
    document = {"meta": meta, **bench.results}
    document["goals"] = goals.as_json(goals.evaluate(document))

    RESULTS_DIR.mkdir(exist_ok=True)
    text = json.dumps(document, indent=2, sort_keys=False) + "\n"
    (RESULTS_DIR / "latest.json").write_text(text)
    shutil.rmtree(WORK_DIR, ignore_errors=True)
    drawn = None if args.no_chart else _chart(document, args)

    print()
    _header(meta)
    print(report.render(document))
    log(f"\nresults: {(RESULTS_DIR / 'latest.json').relative_to(ROOT)}")
    if drawn:
        log(f"chart: {drawn}")
    return 0


def _chart(document: dict[str, Any], args: argparse.Namespace) -> str | None:
    """Draw the chart; after a full run (every section, every scenario), also
    docs/bench.png, the one the README shows."""
    target = RESULTS_DIR / "chart.png"
    try:
        chart.draw(document, target)
    except ImportError:
        log("chart skipped: matplotlib is missing (pip install -e '.[bench]')")
        return None
    shown = str(target.relative_to(ROOT))
    if not args.quick and not args.only and args.sizes == FULL_SIZES:
        shutil.copyfile(target, DOCS_CHART)
        shown += f", copied to {DOCS_CHART.relative_to(ROOT)}"
    return shown


if __name__ == "__main__":
    sys.exit(main())
