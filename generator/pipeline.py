"""The stages in one direction: load -> plan -> render -> format -> emit.

Orchestration only: each stage lives in its own module. dmcg is the slow part, so its
workers start first and import it while the spec loads and the planner runs; as soon as
the models are planned (before the operations), the models stage (`modelgen`) prints and
formats the model modules there (groups it has printed before come from its cache) while
this process plans the rest, renders and formats it (black only on what it would change:
`emit.selective`). Resource modules are rendered without
their async half, which `mirror` writes from the formatted sync half.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import ir, progress
from .config import GeneratorConfig
from .diagnostics import Diagnostic, GeneratorError, Severity
from .diff.history import history_files
from .emit import check_tree, format_edited, format_sources, settle, write_tree
from .emit.formatter import available_cpus
from .heap import batch_collection, settled
from .inputcheck import check_spec_path
from .loader import Document, LoadOptions, load
from .mirror import complete_resources
from .modelgen import ModelsStage
from .modelgen.stage import Planned
from .planner import plan
from .render import render, render_resources
from .validate import validate


@dataclass
class Result:
    target: Path
    diagnostics: list[Diagnostic]
    operations: int = 0
    models: int = 0
    files: int = 0
    drift: list[str] = field(default_factory=list)
    timings: list[tuple[str, float]] = field(
        default_factory=list
    )  # (stage, seconds since start)


@batch_collection()
def generate(
    spec: Path,
    *,
    output: Path,
    package: str | None = None,
    check: bool = False,
    jobs: int = 0,
    use_cache: bool = True,
    strict: bool = False,
    config: GeneratorConfig | None = None,
    overwrite: bool = False,
    load_options: LoadOptions | None = None,
) -> Result:
    started = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def mark(stage: str) -> None:
        marks.append((stage, time.perf_counter() - started))

    check_spec_path(spec)
    with ModelsStage(
        jobs or available_cpus(), use_cache=use_cache, spec=spec
    ) as models:
        progress.stage("loading", spec.name)
        config = config or GeneratorConfig()
        document = load(
            spec, overlays=config.overlays, options=load_options or LoadOptions()
        )
        checked = validate(document)  # GeneratorError on a document-level error
        mark("loaded")
        progress.stage("planning")
        locate = _located_later(spec, config, load_options)

        def start_models(package: str, found: tuple[ir.Model, ...]) -> None:
            models.start(Planned(spec.name, package, found), locate)

        # headers name the file, never an absolute path
        api, planned = plan(
            document,
            spec_name=spec.name,
            package=package,
            config=config,
            on_models=start_models,
        )
        diagnostics = [*document.warnings, *checked, *planned]
        del document  # planned: its data is not needed (GitHub's spec: ~60 MB)
        settled()  # the IR lives until the end: the collector stops traversing it
        mark("planned")
        progress.stage("rendering")
        if strict and any(d.severity is Severity.WARNING for d in diagnostics):
            raise GeneratorError(diagnostics)
        files = render(api, resources=False)
        sources = render_resources(api, include_async=False)
        sources.update({p: t for p, t in files.items() if "/_runtime/" not in p})
        mark("rendered")
        progress.stage("formatting")
        # here, while the workers print the models (black only on what it would change)
        files.update(
            format_sources(sources, jobs=1, use_cache=use_cache, generated=True)
        )
        # still while the workers print: none of this needs the models
        files.update(
            complete_resources(
                api,
                files,
                # here: black sees only the lines the async half made too long
                lambda edited: format_edited(edited, use_cache=use_cache),
            )
        )
        target = output / api.package
        settle(target)  # an interrupted run is rolled back before history reads
        files.update(history_files(api, target, diagnostics))  # CHANGELOG, snapshot
        mark("formatted")
        files.update(models.results())
        mark("models printed")
    result = Result(
        target=target,
        diagnostics=diagnostics,
        operations=sum(len(r.operations) for r in api.resources),
        models=len(api.models),
        files=len(files),
    )
    progress.stage("checking" if check else "writing")
    if check:
        result.drift = check_tree(files, target)
    else:
        result.diagnostics += write_tree(files, target, overwrite=overwrite).diagnostics
    mark("written")
    result.timings = marks
    return result


def _located_later(
    spec: Path, config: GeneratorConfig, options: LoadOptions | None
) -> Callable[[str], tuple[str, int | None]]:
    """Lines for a models diagnostic (rare: a generator bug or a dmcg failure): the
    document is loaded again then, so that the loaded one is freed once planned."""
    loaded: list[Document] = []

    def locate(pointer: str) -> tuple[str, int | None]:
        if not loaded:
            loaded.append(
                load(spec, overlays=config.overlays, options=options or LoadOptions())
            )
        return loaded[0].locate(pointer)

    return locate
