"""The five stages in one direction: load -> plan -> render -> format -> emit."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .diagnostics import Diagnostic, GeneratorError, Severity, error
from .emit import Formatter, check_tree, write_tree
from .loader import load
from .planner import plan
from .render import header_line, render


@dataclass
class Result:
    target: Path
    diagnostics: list[Diagnostic]
    operations: int = 0
    models: int = 0
    files: int = 0
    drift: list[str] = field(default_factory=list)


def _display_name(spec: Path) -> str:
    """The spec's name as generated headers show it: no absolute paths, no user names."""
    return spec.name


def generate(
    spec: Path,
    *,
    output: Path,
    package: str | None = None,
    check: bool = False,
    jobs: int = 0,
    use_cache: bool = True,
    strict: bool = False,
) -> Result:
    spec_name = _display_name(spec)
    if not spec.is_file():
        raise GeneratorError([error("E103", str(spec), None, "#", "spec file not found")])
    cache_dir = None if not use_cache else _cache_dir()
    with Formatter(jobs=jobs or os.cpu_count() or 1, cache_dir=cache_dir) as formatter:
        document = load(spec)
        api, diagnostics = plan(document, spec_name=spec_name, header=header_line(spec_name), package=package)
        diagnostics = [*document.warnings, *diagnostics]
        if strict and any(d.severity is Severity.WARNING for d in diagnostics):
            raise GeneratorError(diagnostics)
        files = render(api)
        for path, text in files.items():
            if path.endswith(".py"):
                formatter.submit(path, text)
        formatted = formatter.results()
    files.update(formatted)
    target = output / api.package
    result = Result(
        target=target,
        diagnostics=diagnostics,
        operations=sum(len(r.operations) for r in api.resources),
        models=len(api.models),
        files=len(files),
    )
    if check:
        result.drift = check_tree(files, target)
    else:
        write_tree(files, target)
    return result


def _cache_dir() -> Path:
    base = os.environ.get("OAPIGEN_CACHE_DIR")
    if base:
        return Path(base)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "oapigen" / "black"
