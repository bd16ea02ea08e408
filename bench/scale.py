"""Scale and spec-bump scenarios: oapigen beside openapi-python-client, same run.

Scale: openai-2.3.0 (x1, the base of the growth curve), synthetic copies of it
(x2, x5, x10 by default) and GitHub's REST description; every run cold (fresh
output folder, empty cache), oapigen then openapi-python-client back to back.

Spec bumps, the case users feel: oapigen regenerates into the output folder of the
previous spec with that run's cache, as a user's `generated/` and cache are after the
last generation; openapi-python-client, which keeps nothing between runs, generates
the new spec cold right after it. The previous spec's own run is measured too but is
not the result.
- "edit": openai-2.3.0 then 2.3.0 with one schema description changed (the x1 run is
  the previous one);
- "version": openai-2.0.0 then openai-2.3.0.

`--scale-runs N` repeats the whole sequence N times; medians are reported.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench import specs
from bench.generation import TOOLS, GenerationBench, Run
from bench.specs import SpecInfo
from bench.stats import median

OURS = "oapigen"
OPC = "openapi-python-client"
SCALE_TIMEOUT_S = 1800.0
DEFAULT_SIZES = (2, 5, 10)
_TOOLS = {tool.key: tool for tool in TOOLS}


@dataclass
class Scenario:
    key: str  # x1, x2, ..., github, bump-edit, bump-version
    kind: str  # "scale" or "bump"
    spec: SpecInfo
    previous: SpecInfo | None = None
    runs: dict[str, list[Run]] = field(default_factory=dict)

    def add(self, tool: str, run: Run) -> None:
        self.runs.setdefault(tool, []).append(run)

    def summary(self, tool: str) -> dict[str, Any]:
        runs = self.runs.get(tool, [])
        good = [run for run in runs if run.ok]
        failed = [run for run in runs if not run.ok]
        peaks = [run.tree_peak_mb for run in good if run.tree_peak_mb is not None]
        return {
            "status": "ok" if good else ("failed" if failed else "not run"),
            "error": failed[0].error if failed else None,
            "runs_ok": len(good),
            "runs_failed": len(failed),
            "wall_s": median([run.wall_s for run in good]),
            "cpu_s": median([run.cpu_s for run in good]),
            "tree_peak_mb": median(peaks) if peaks else None,
            "max_proc_mb": median([run.max_proc_mb for run in good]),
            "operations": good[-1].operations if good else None,
        }

    def as_json(self) -> dict[str, Any]:
        tools = [OURS, OPC] + ([f"{OURS}-previous"] if self.previous else [])
        return {
            "kind": self.kind,
            "label": self.spec.label,
            "spec": self.spec.as_json(),
            "previous": self.previous.as_json() if self.previous else None,
            "tools": {
                tool: {
                    **self.summary(tool),
                    "runs": [asdict(run) for run in self.runs.get(tool, [])],
                }
                for tool in tools
            },
        }


def parse_sizes(text: str) -> tuple[list[int], bool, bool]:
    """`--sizes 2,5,10,github,bump` -> ([2, 5, 10], github, bumps)."""
    sizes: list[int] = []
    github = bumps = False
    for item in (part.strip().lower() for part in text.split(",")):
        if not item or item in ("1", "x1"):
            continue  # x1 always runs: it is the base of the curve
        if item == "github":
            github = True
        elif item in ("bump", "bumps"):
            bumps = True
        elif item.lstrip("x").isdigit() and int(item.lstrip("x")) > 1:
            sizes.append(int(item.lstrip("x")))
        else:
            raise ValueError(
                f"--sizes: {item!r} is not a multiplier (2, 5, 10...), "
                "'github' or 'bump'"
            )
    return sorted(set(sizes)), github, bumps


class ScaleBench:
    def __init__(
        self,
        generation: GenerationBench,
        work: Path,
        opc_error: str | None,
        log: Callable[[str], None],
    ) -> None:
        self.generation = generation
        self.work = work
        self.opc_error = opc_error  # the anchor venv could not be installed
        self.log = log
        self._counter = 0

    def _dir(self, name: str) -> Path:
        self._counter += 1
        path = self.work / f"scale-{self._counter:03d}-{name}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def _run(
        self,
        scenario: Scenario,
        tool: str,
        spec: SpecInfo,
        run_dir: Path,
        cache: Path | None,
    ) -> Run:
        key = "oapigen-cold" if tool.startswith(OURS) else OPC
        if key == OPC and self.opc_error:
            run = Run(0.0, 0.0, 0.0, None, False, self.opc_error, None)
        else:
            out = run_dir / "out"
            run = self.generation.run_into(
                _TOOLS[key], spec.path, run_dir, out, cache, SCALE_TIMEOUT_S
            )
        scenario.add(tool, run)
        self.log(_progress(scenario, tool, spec, run))
        return run

    def _cold_pair(
        self, scenario: Scenario, keep_ours: bool
    ) -> tuple[Path, Run] | None:
        """oapigen cold, then opc cold; oapigen's run folder and run if kept."""
        ours_dir = self._dir(f"{scenario.key}-ours")
        ours = self._run(scenario, OURS, scenario.spec, ours_dir, ours_dir / "cache")
        opc_dir = self._dir(f"{scenario.key}-opc")
        self._run(scenario, OPC, scenario.spec, opc_dir, None)
        shutil.rmtree(opc_dir, ignore_errors=True)
        if keep_ours:
            return ours_dir, ours
        shutil.rmtree(ours_dir, ignore_errors=True)
        return None

    def _bump(self, scenario: Scenario, kept: tuple[Path, Run] | None) -> None:
        """oapigen on the new spec into the previous output with its cache."""
        assert scenario.previous is not None
        if kept is not None:  # the previous spec's run was a scale run
            ours_dir, previous = kept
            scenario.add(f"{OURS}-previous", previous)
        else:  # the previous spec's run, cold
            ours_dir = self._dir(f"{scenario.key}-previous")
            self._run(
                scenario,
                f"{OURS}-previous",
                scenario.previous,
                ours_dir,
                ours_dir / "cache",
            )
        self._run(scenario, OURS, scenario.spec, ours_dir, ours_dir / "cache")
        shutil.rmtree(ours_dir, ignore_errors=True)
        opc_dir = self._dir(f"{scenario.key}-opc")
        self._run(scenario, OPC, scenario.spec, opc_dir, None)
        shutil.rmtree(opc_dir, ignore_errors=True)

    def prepare(
        self, sizes: list[int], github: bool, bumps: bool
    ) -> tuple[list[Scenario], dict[str, str]]:
        """The scenarios to run, building their specs; and the ones that cannot run."""
        skipped: dict[str, str] = {}
        source = _spec_file("openai-2.3.0")
        if source is None:
            return [], {"scale": "specs/openai-2.3.0.yaml not found: run `make specs`"}
        log = self.log
        base = specs.copy_of(source, "2.3.0", log)
        scenarios = [Scenario("x1", "scale", base)]
        if bumps:
            edited = specs.edited(source, log)
            scenarios.append(Scenario("bump-edit", "bump", edited, previous=base))
            older = _spec_file("openai-2.0.0")
            if older is None:
                skipped["bump-version"] = "specs/openai-2.0.0.yaml not found"
            else:
                previous = specs.copy_of(older, "2.0.0", log)
                scenarios.append(
                    Scenario("bump-version", "bump", base, previous=previous)
                )
        for size in sizes:
            scenarios.append(
                Scenario(f"x{size}", "scale", specs.synthetic(source, size, log))
            )
        if github:
            found = specs.github(log)
            if isinstance(found, str):
                skipped["github"] = found
            else:
                scenarios.append(Scenario("github", "scale", found))
        return scenarios, skipped

    def run(self, scenarios: list[Scenario], rounds: int) -> None:
        for round_index in range(rounds):
            if rounds > 1:
                self.log(f"  round {round_index + 1}/{rounds}")
            kept: tuple[Path, Run] | None = None
            for scenario in scenarios:
                if scenario.kind == "scale":
                    wanted = scenario.key == "x1" and any(
                        s.key == "bump-edit" for s in scenarios
                    )
                    kept = self._cold_pair(scenario, keep_ours=wanted) or kept
                elif scenario.key == "bump-edit":
                    self._bump(scenario, kept)
                    kept = None
                else:
                    self._bump(scenario, None)


def _spec_file(stem: str) -> Path | None:
    from bench.env import ROOT

    for folder in (ROOT / "specs", ROOT.parent / "shared" / "specs"):
        candidate = folder / f"{stem}.yaml"
        if candidate.is_file():
            return candidate
    return None


def _progress(scenario: Scenario, tool: str, spec: SpecInfo, run: Run) -> str:
    where = f"[{scenario.key}] {tool} on {spec.label}"
    if not run.ok:
        return f"{where}: FAILED {run.error}"
    peak = f", {run.tree_peak_mb:.0f} MB tree" if run.tree_peak_mb is not None else ""
    return (
        f"{where}: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s cpu{peak}, "
        f"{run.operations}/{spec.operations} ops"
    )


def results_json(
    scenarios: list[Scenario], skipped: dict[str, str], rounds: int
) -> dict[str, Any]:
    return {
        "rounds": rounds,
        "scenarios": {scenario.key: scenario.as_json() for scenario in scenarios},
        "skipped": skipped,
    }
