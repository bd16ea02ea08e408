"""What a generated project remembers between generations: its surface, and the
changelog of every regeneration that changed it.

`.oapigen/api.json` is the surface the project was generated with (`surface.dumps`).
Regenerating compares the new surface with it, without the previous spec, and puts the
changelog at the top of `CHANGELOG.md`, keeping the earlier entries below: newest first,
each headed `## OLD -> NEW` (the spec's `info.version`s). A regeneration that changes
neither the surface nor the version adds nothing, so generating twice gives the same
bytes. Both files are ordinary generated files: rendered here, written (or compared by
`--check`) with the rest.
"""

from __future__ import annotations

from pathlib import Path

from .. import ir
from ..diagnostics import Diagnostic, warning
from ..render.text import header_line
from .compare import compare
from .report import markdown
from .surface import SnapshotError, dumps, loads, surface

SNAPSHOT = ".oapigen/api.json"
CHANGELOG = "CHANGELOG.md"
_INTRO = (
    "Changes to the Python surface of `{package}` between the versions of the spec it\n"
    "was generated from, newest first. oapigen adds an entry each time the package is\n"
    "regenerated from a changed spec; breaking changes are marked **breaking**.\n"
)


def history_files(
    api: ir.Api, target: Path, diagnostics: list[Diagnostic]
) -> dict[str, str]:
    """`{SNAPSHOT: ..., CHANGELOG: ...}` for the project at `target` (the changelog only
    once there is an entry); a snapshot that cannot be read is a warning."""
    header = header_line(api.spec_name)
    current = surface(api)
    files = {SNAPSHOT: dumps(current, header)}
    entries = _earlier_entries(_read(target / CHANGELOG) or "")
    before = _read(target / SNAPSHOT)
    # the same snapshot is the same surface and version: nothing to compare
    if before is not None and before != files[SNAPSHOT]:
        try:
            previous = loads(before)
        except SnapshotError as exc:
            diagnostics.append(
                warning(
                    "W801",
                    str(target / SNAPSHOT),
                    None,
                    "#",
                    f"{exc}; no changelog entry for this regeneration",
                    "it is rewritten now: the next regeneration compares with it",
                )
            )
        else:
            log = compare(previous, current)
            if log.changes or previous.version != current.version:
                title = f"{previous.version} -> {current.version}"
                entries = markdown(log, level=2, title=title) + "\n" + entries
    if entries:
        files[CHANGELOG] = "\n".join(
            [
                f"<!-- {header[2:]} -->",
                "# Changelog",
                "",
                _INTRO.format(package=api.package),
                entries.rstrip("\n") + "\n",
            ]
        )
    return files


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def _earlier_entries(text: str) -> str:
    """Everything from the first entry heading (`## `) on."""
    if text.startswith("## "):
        return text
    at = text.find("\n## ")
    return "" if at < 0 else text[at + 1 :]


__all__ = ["CHANGELOG", "SNAPSHOT", "history_files"]
