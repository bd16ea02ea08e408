"""The five stages in one direction: load -> plan -> render -> format -> emit.

Where the time goes (2.3.0): datamodel-code-generator needs ~3 s on one core and black
~1 ms per output line. So the models run in a forked child process while this process renders
the resource modules from the class names the components will get, and the formatter's
worker pool formats them meanwhile; the models are formatted as soon as they arrive. If the
real class names differ from the guessed ones (a component whose name is not a class name),
the affected resources are rendered and formatted again: the output never depends on the
guess, only the time does.
"""

from __future__ import annotations

import multiprocessing
import sys
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from . import planner, progress
from .config import GeneratorConfig
from .diagnostics import Diagnostic, GeneratorError, Severity, error
from .emit import Formatter, check_tree, format_sources, write_tree
from .inputcheck import check_document, check_spec_path
from .loader import load
from .planner.models import ModelsResult, generate_models
from .mirror import with_async_half
from .render import header_line, render, render_resources, runtime_files


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


class ModelsJob:
    """datamodel-code-generator in a forked child, so it runs beside the formatter.

    The child is forked first thing and imports datamodel-code-generator while this
    process loads and drafts; `start` then hands it the prepared schemas.
    """

    def __init__(self, *, fork: bool = True) -> None:
        self._drafted: planner.Draft | None = None
        self._process: Any = None
        self._connection: Connection | None = None
        can_fork = sys.platform == "linux" and threading.active_count() == 1
        if fork and can_fork:
            context = multiprocessing.get_context("fork")
            self._connection, child_end = context.Pipe(duplex=True)
            self._process = context.Process(
                target=_models_child, args=(child_end,), daemon=True
            )
            self._process.start()
            child_end.close()

    def start(self, drafted: planner.Draft) -> None:
        self._drafted = drafted
        if self._connection is not None:
            self._connection.send(_work(drafted))

    def result(self) -> ModelsResult:
        drafted = self._drafted
        assert drafted is not None, "start() first"
        if self._connection is None:
            return planner.run_models(drafted)
        try:
            while not self._connection.poll(progress.REDRAW_SECONDS):
                progress.tick()  # the one long silent stage: show it is alive
            status, payload = self._connection.recv()
        except EOFError:
            status, payload = "crash", "the model generator process died"
        finally:
            self._connection.close()
            self._connection = None
            self._process.join()
        if status == "ok":
            assert isinstance(payload, ModelsResult)
            return payload
        if status == "error":
            raise GeneratorError(payload)
        message = f"model generation failed: {payload}"
        pointer = "#/components/schemas"
        raise GeneratorError([error("E303", drafted.spec_name, None, pointer, message)])

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()  # a child still waiting for work sees EOF and exits
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
            self._process.join()


def _work(drafted: planner.Draft) -> dict[str, Any]:
    return {
        "schemas": drafted.prepared,
        "package": drafted.package,
        "header": drafted.header,
        "title": drafted.title,
        "spec_file": drafted.spec_name,
    }


def _models_child(connection: Connection) -> None:
    import datamodel_code_generator  # noqa: F401  (warm: the import is ~0.5 s)

    try:
        work = connection.recv()
    except EOFError:
        return
    try:
        connection.send(("ok", generate_models(**work)))
    except GeneratorError as exc:
        connection.send(("error", exc.diagnostics))
    except (
        BaseException
    ) as exc:  # report anything; the parent turns it into a diagnostic
        connection.send(("crash", f"{type(exc).__name__}: {exc}"))
    finally:
        connection.close()


def generate(
    spec: Path,
    *,
    output: Path,
    package: str | None = None,
    config: GeneratorConfig | None = None,
    check: bool = False,
    jobs: int = 0,
    use_cache: bool = True,
    strict: bool = False,
    overwrite: bool = False,
) -> Result:
    started = time.perf_counter()
    marks: list[tuple[str, float]] = []

    def mark(stage: str) -> None:
        marks.append((stage, time.perf_counter() - started))

    spec_name = spec.name  # headers name the file, never an absolute path
    check_spec_path(spec)
    job = ModelsJob()  # forked before anything else: no threads yet, nothing loaded
    try:
        with Formatter(jobs=jobs or None, use_cache=use_cache) as formatter:
            progress.stage("loading", spec_name)
            config = config or GeneratorConfig()
            document = load(spec, overlays=config.overlays)
            check_document(document)
            mark("loaded")
            progress.stage("planning")
            drafted = planner.draft(
                document,
                spec_name=spec_name,
                header=header_line(spec_name),
                package=package or config.package,
            )
            job.start(drafted)
            mark("drafted, models started")
            progress.stage("models", f"{len(drafted.prepared)} schemas")
            guessed, _ = planner.finish(drafted, planner.guess_models(drafted))
            early = render_resources(guessed, include_async=False)
            formatter.submit_many(early)
            mark("resources rendered")
            api, diagnostics = planner.finish(drafted, job.result())
            mark("models generated")
            progress.stage("rendering")
            diagnostics = [*document.warnings, *diagnostics]
            if strict and any(d.severity is Severity.WARNING for d in diagnostics):
                raise GeneratorError(diagnostics)
            files = render(api, resources=False)
            runtime = runtime_files(api)
            resources = render_resources(api, include_async=False)
            formatter.submit_many({p: t for p, t in files.items() if p not in runtime})
            mark("rendered")
            progress.stage("formatting")
            formatted = formatter.results()
            mark("formatted")
    finally:
        job.close()
    # Resources rendered from guessed class names are formatted again if the real ones
    # differ; then each gets its async half (or, rarely, black formats the whole module).
    stale = {path: text for path, text in resources.items() if early.get(path) != text}
    formatted.update(format_sources(stale, use_cache=use_cache) if stale else {})
    by_path = {f"{api.package}/resources/{r.module}.py": r for r in api.resources}
    fallback = []
    for path, resource in by_path.items():
        module = with_async_half(formatted[path], resource)
        if module is None:
            fallback.append(path)
        else:
            formatted[path] = module
    if fallback:
        whole = render_resources(api)
        formatted.update(
            format_sources({p: whole[p] for p in fallback}, use_cache=use_cache)
        )
    for path in early.keys() - by_path.keys():
        formatted.pop(path, None)
    files.update(formatted)
    target = output / api.package
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
