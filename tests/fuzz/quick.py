"""Generation without black, in this process: the stages of the pipeline that can fail on
a spec (load, validate, plan with datamodel-code-generator, render), then the package
written and imported completely. Black only reformats valid code, and the pipeline's
process plumbing is tested elsewhere; leaving both out makes a spec cost ~0.3 s.

One thing about formatting is checked on every spec: the generator formats only the
statements with a long line (`emit.selective`), trusting the templates to print the rest
as black would, so each Python file formatted that way must equal black on the whole
file (`formatting_problems`)."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from pathlib import Path

from oapigen import planner
from oapigen.diagnostics import Diagnostic, GeneratorError, Severity
from oapigen.emit import format_generated, format_python
from oapigen.emit.tree import write_tree
from oapigen.loader import load
from oapigen.modelgen import print_models
from oapigen.render import render
from oapigen.validate import validate
from tests.modelcheck import check_package

_numbers = itertools.count(1)


@dataclass
class Outcome:
    kind: str  # "ok" | "diagnosed"
    diagnostics: list[Diagnostic] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # import/build failures
    package: str = ""
    operations: int = 0


def generate_quick(spec: Path, out: Path) -> Outcome:
    """Any exception other than GeneratorError propagates: that is a generator bug."""
    package = f"fuzz_pkg_{next(_numbers)}"
    try:
        document = load(spec)
        validate(document)
        api, diagnostics = planner.plan(document, spec_name=spec.name, package=package)
        files = {**render(api), **print_models(api, document.locate)}
    except GeneratorError as exc:
        return Outcome("diagnosed", exc.diagnostics)
    write_tree(files, out / package)
    operations = sum(len(r.operations) for r in api.resources)
    problems = check_package(out / package, package) + formatting_problems(files)
    return Outcome("ok", diagnostics, problems, package, operations)


def formatting_problems(files: dict[str, str]) -> list[str]:
    """The files that selective formatting would leave other than black does, each with
    its first differing line."""
    problems: list[str] = []
    for path, text in sorted(files.items()):
        if not path.endswith(".py") or "/_runtime/" in path:
            continue  # the runtime is copied as it is, never formatted
        ours, black = format_generated(text), format_python(text)
        if ours != black:
            pairs = zip(ours.splitlines(), black.splitlines())
            line, (mine, theirs) = next(
                (n, pair) for n, pair in enumerate(pairs, 1) if pair[0] != pair[1]
            )
            problems.append(
                f"{path}:{line}: formatted only where lines are long, {mine!r}; "
                f"black: {theirs!r}"
            )
    return problems


# datamodel-code-generator's failures name the components section, not a line (a planner
# follow-up: its messages name the schema, which could be located)
SECTION_ONLY = ("E301", "E303")


def unlocated(diagnostics: list[Diagnostic]) -> list[str]:
    """Errors that do not say where: every error needs a file, a line and a pointer."""
    return [
        d.format()
        for d in diagnostics
        if d.severity is Severity.ERROR
        and (
            not d.file
            or not d.pointer.startswith("#")
            or (d.line is None and d.code not in SECTION_ONLY)
        )
    ]
