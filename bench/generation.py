"""Generation benchmark: each generator on each spec, runs interleaved round-robin.

Round-robin (ours, anchor, anchor, ..., then again) rather than all runs of one tool
in a row, so a burst of load from other work on the machine lands on every tool alike.
"""

from __future__ import annotations

import ast
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from bench.env import ROOT, Venv
from bench.proc import ProcResult, first_error_line, run_measured
from bench.stats import median

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
RUN_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Tool:
    key: str
    label: str
    venv: str | None  # bench venv name; None for ours (the project's .venv)


TOOLS = [
    Tool("oapigen-cold", "oapigen (cold cache)", None),
    Tool("oapigen-warm", "oapigen (warm cache)", None),
    Tool("openapi-python-client", "openapi-python-client", "opc"),
    Tool("openapi-python-generator", "openapi-python-generator", "opg"),
    Tool("openapi-generator", "openapi-generator (java)", "ogc"),
]


@dataclass
class Run:
    wall_s: float
    cpu_s: float
    max_proc_mb: float
    tree_peak_mb: float | None
    ok: bool
    error: str | None
    operations: int | None


@dataclass
class ToolResult:
    tool: str
    label: str
    spec_operations: int
    runs: list[Run] = field(default_factory=list)
    unavailable: str | None = None

    def summary(self) -> dict[str, Any]:
        good = [run for run in self.runs if run.ok]
        failed = [run for run in self.runs if not run.ok]
        peaks = [run.tree_peak_mb for run in good if run.tree_peak_mb is not None]
        return {
            "status": (
                "unavailable"
                if self.unavailable
                else ("ok" if good else ("failed" if failed else "not run"))
            ),
            "error": self.unavailable or (failed[0].error if failed else None),
            "runs_ok": len(good),
            "runs_failed": len(failed),
            "wall_s": median([run.wall_s for run in good]),
            "wall_s_min": min((run.wall_s for run in good), default=None),
            "wall_s_max": max((run.wall_s for run in good), default=None),
            "cpu_s": median([run.cpu_s for run in good]),
            "tree_peak_mb": median(peaks) if peaks else None,
            "max_proc_mb": median([run.max_proc_mb for run in good]),
            "operations": good[-1].operations if good else None,
            "spec_operations": self.spec_operations,
        }


def spec_operations(spec: Path) -> int:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    document = yaml.load(spec.read_text("utf-8"), Loader=loader)
    paths = document.get("paths") or {}
    return sum(
        1
        for item in paths.values()
        if isinstance(item, dict)
        for method in item
        if method in HTTP_METHODS
    )


# Counting what each tool wrote: one entry per operation it generated a call for.


def _parse(path: Path) -> ast.Module | None:
    try:
        return ast.parse(path.read_text("utf-8"))
    except (OSError, SyntaxError, ValueError):
        return None


def _calls_client_request(function: ast.AST) -> bool:
    """True if the body calls `self._client.request...` (a real operation method)."""
    for node in ast.walk(function):
        if (
            isinstance(node, ast.Attribute)
            and node.attr.startswith("request")
            and isinstance(node.value, ast.Attribute)
            and node.value.attr == "_client"
        ):
            return True
    return False


def count_ours(out: Path) -> int:
    methods: set[tuple[str, str]] = set()
    for module in sorted(out.glob("*/*/resources/*.py")):
        tree = _parse(module)
        for cls in tree.body if tree else []:
            if not isinstance(cls, ast.ClassDef):
                continue
            if not any(
                ast.unparse(base).endswith("SyncAPIResource") for base in cls.bases
            ):
                continue
            for item in cls.body:
                if (
                    isinstance(item, ast.FunctionDef)
                    and not item.name.startswith("_")
                    and _calls_client_request(item)
                ):
                    methods.add((f"{module.name}.{cls.name}", item.name))
    return len(methods)


def count_openapi_python_client(out: Path) -> int:
    # One module per operation under <package>/api/<tag>/, each with sync_detailed().
    count = 0
    for module in out.glob("*/api/*/*.py"):
        tree = _parse(module)
        if tree and any(
            isinstance(node, ast.FunctionDef) and node.name == "sync_detailed"
            for node in tree.body
        ):
            count += 1
    return count


def count_openapi_python_generator(out: Path) -> int:
    # services/<Tag>_service.py: one module-level function per operation.
    count = 0
    for module in out.glob("services/*_service.py"):
        if module.name.startswith("async_"):
            continue
        tree = _parse(module)
        count += (
            sum(isinstance(node, ast.FunctionDef) for node in tree.body) if tree else 0
        )
    return count


def count_openapi_generator(out: Path) -> int:
    # api/<tag>_api.py classes: `op`, `op_with_http_info`, `op_without_preload_content`.
    count = 0
    for module in out.glob("*/api/*_api.py"):
        tree = _parse(module)
        for cls in tree.body if tree else []:
            if isinstance(cls, ast.ClassDef):
                count += sum(
                    isinstance(item, ast.FunctionDef)
                    and not item.name.startswith("_")
                    and not item.name.endswith(
                        ("_with_http_info", "_without_preload_content")
                    )
                    for item in cls.body
                )
    return count


COUNTERS: dict[str, Callable[[Path], int]] = {
    "oapigen-cold": count_ours,
    "oapigen-warm": count_ours,
    "openapi-python-client": count_openapi_python_client,
    "openapi-python-generator": count_openapi_python_generator,
    "openapi-generator": count_openapi_generator,
}


@dataclass
class Outputs:
    """The latest successful output of each tool on the primary spec (for imports)."""

    ours_project: Path | None = None
    ours_package: str | None = None
    opc_project: Path | None = None
    opc_package: str | None = None
    opg_parent: Path | None = None
    opg_package: str | None = None
    ogc_project: Path | None = None


def _ours_package(out: Path) -> tuple[Path, str] | None:
    for project in sorted(out.iterdir()):
        if (project / "pyproject.toml").is_file() and (project / project.name).is_dir():
            return project, project.name
    return None


def _opc_package(out: Path) -> str | None:
    for child in sorted(out.iterdir()):
        if (child / "api").is_dir():
            return child.name
    return None


class GenerationBench:
    def __init__(
        self,
        work: Path,
        venvs: dict[str, Venv],
        unavailable: dict[str, str],
        log: Callable[[str], None],
    ) -> None:
        self.work = work
        self.venvs = venvs
        self.unavailable = unavailable  # tool key -> reason
        self.log = log
        self.outputs = Outputs()
        self._counter = 0

    def _fresh(self, stem: str) -> Path:
        self._counter += 1
        path = self.work / f"{self._counter:03d}-{stem}"
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path

    def _command(
        self, tool: Tool, spec: Path, out: Path, cache: Path | None
    ) -> tuple[list[str], dict[str, str]]:
        env = dict(os.environ)
        if tool.venv is None:
            assert cache is not None
            env["OAPIGEN_CACHE_DIR"] = str(cache)
            # As an installed oapigen, with its bytecode (pip compiles on install, as it
            # did the anchors'): inherited, PYTHONDONTWRITEBYTECODE would have this
            # editable checkout compile its ~70 modules on every run (~0.3 s CPU).
            env.pop("PYTHONDONTWRITEBYTECODE", None)
            return [
                sys.executable,
                "-m",
                "oapigen",
                str(spec),
                "--output",
                str(out),
            ], env
        venv = self.venvs[tool.venv]
        # The tools call their formatters (ruff, black) by name: put the venv first.
        env["PATH"] = f"{venv.bin}{os.pathsep}{env.get('PATH', '')}"
        env.pop("PYTHONPATH", None)
        if tool.venv == "opc":
            argv = [str(venv.bin / "openapi-python-client"), "generate", "--path"]
            argv += [str(spec), "--output-path", str(out), "--overwrite"]
        elif tool.venv == "opg":
            argv = [str(venv.bin / "openapi-python-generator"), str(spec), str(out)]
        else:
            argv = [str(venv.bin / "openapi-generator-cli"), "generate", "-g", "python"]
            argv += ["-i", str(spec), "-o", str(out)]
        return argv, env

    def _one(
        self, tool: Tool, spec: Path, cache: Path | None, keep: bool
    ) -> tuple[Run, Path]:
        run_dir = self._fresh(f"{tool.key}-{spec.stem}")
        out = run_dir / ("opg_client" if tool.venv == "opg" else "out")
        run = self.run_into(tool, spec, run_dir, out, cache, RUN_TIMEOUT_S)
        if not keep:
            shutil.rmtree(out, ignore_errors=True)
        return run, out

    def run_into(
        self,
        tool: Tool,
        spec: Path,
        run_dir: Path,
        out: Path,
        cache: Path | None,
        timeout_s: float,
    ) -> Run:
        """One measured run writing `out` (which may hold a previous output)."""
        argv, env = self._command(tool, spec, out, cache)
        result: ProcResult = run_measured(
            argv,
            log=run_dir / f"log-{tool.key}.txt",
            cwd=run_dir,
            env=env,
            timeout_s=timeout_s,
        )
        operations = None
        error = None
        if result.ok and out.is_dir():
            operations = COUNTERS[tool.key](out)
        elif result.timed_out:
            error = f"timed out after {timeout_s:.0f} s"
        else:
            error = f"exit {result.exit_code}: {first_error_line(result.log)}"
        return Run(
            wall_s=result.wall_s,
            cpu_s=result.cpu_s,
            max_proc_mb=result.max_proc_mb,
            tree_peak_mb=result.tree_peak_mb,
            ok=result.ok and out.is_dir(),
            error=error,
            operations=operations,
        )

    def _remember(self, tool: Tool, out: Path) -> None:
        if tool.key.startswith("oapigen"):
            found = _ours_package(out)
            if found:
                self.outputs.ours_project, self.outputs.ours_package = found
        elif tool.venv == "opc":
            self.outputs.opc_project = out
            self.outputs.opc_package = _opc_package(out)
        elif tool.venv == "opg":
            self.outputs.opg_parent, self.outputs.opg_package = out.parent, out.name
        elif tool.venv == "ogc":
            self.outputs.ogc_project = out

    def run_spec(self, spec: Path, runs: int, primary: bool) -> list[ToolResult]:
        expected = spec_operations(spec)
        results = {
            tool.key: ToolResult(tool.key, tool.label, expected) for tool in TOOLS
        }
        for key, reason in self.unavailable.items():
            results[key].unavailable = reason
        warm_cache: Path | None = None
        for round_index in range(runs):
            last = round_index == runs - 1
            for tool in TOOLS:
                if results[tool.key].unavailable:
                    continue
                cache: Path | None = None
                if tool.key == "oapigen-cold":
                    cache = self._fresh(f"cache-{spec.stem}")  # empty: a cold run
                    warm_cache = warm_cache or cache  # round 1's cold run fills it
                elif tool.key == "oapigen-warm":
                    cache = warm_cache
                run, out = self._one(tool, spec, cache, keep=primary and last)
                if cache is not None and cache != warm_cache:
                    shutil.rmtree(cache, ignore_errors=True)
                results[tool.key].runs.append(run)
                if primary and last and run.ok:
                    self._remember(tool, out)
                self.log(_progress(spec, round_index, runs, tool, run))
        return list(results.values())


def _progress(spec: Path, index: int, runs: int, tool: Tool, run: Run) -> str:
    where = f"[{spec.stem} {index + 1}/{runs}] {tool.label}"
    if not run.ok:
        return f"{where}: FAILED {run.error}"
    peak = f"{run.tree_peak_mb:.0f} MB tree" if run.tree_peak_mb is not None else ""
    return (
        f"{where}: {run.wall_s:.1f} s wall, {run.cpu_s:.1f} s cpu, {peak}, "
        f"{run.operations} ops"
    )


def results_json(per_spec: dict[str, list[ToolResult]]) -> dict[str, Any]:
    return {
        spec: {
            result.tool: {
                "label": result.label,
                **result.summary(),
                "runs": [asdict(run) for run in result.runs],
            }
            for result in results
        }
        for spec, results in per_spec.items()
    }


def iter_summaries(results: list[ToolResult]) -> Iterator[tuple[str, dict[str, Any]]]:
    for result in results:
        yield result.label, result.summary()
