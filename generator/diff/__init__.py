"""The API changelog between two versions of a spec, in terms of the generated client.

    oapigen diff OLD NEW [--format md|json] [--fail-on-breaking]

Both specs are loaded and planned (nothing is rendered or written); their IRs are cut
down to the Python surface (`surface`), compared (`compare`) and reported (`report`).
A generated project keeps its surface in `.oapigen/api.json` so that regenerating it
writes the changelog into its `CHANGELOG.md` (`history`).
"""

from __future__ import annotations

from pathlib import Path

from ..config import GeneratorConfig
from ..diagnostics import GeneratorError, error
from .compare import Change, Changelog, compare
from .report import as_json, markdown
from .surface import Surface, surface

__all__ = [
    "Change",
    "Changelog",
    "Surface",
    "as_json",
    "compare",
    "diff_specs",
    "markdown",
    "spec_surface",
    "surface",
]


def spec_surface(spec: Path, config: GeneratorConfig | None = None) -> Surface:
    """Load and plan `spec` as `oapigen SPEC` would (same config), keep its surface."""
    from ..loader import load
    from ..planner import plan

    config = config or GeneratorConfig()
    if not spec.is_file():
        raise GeneratorError(
            [error("E103", str(spec), None, "#", "spec file not found")]
        )
    document = load(spec, overlays=config.overlays)
    api, _ = plan(document, spec_name=spec.name, package=config.package)
    return surface(api)


def diff_specs(
    old: Path, new: Path, config: GeneratorConfig | None = None
) -> Changelog:
    return compare(spec_surface(old, config), spec_surface(new, config))
