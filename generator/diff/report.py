"""A changelog as Markdown (for people: pull-request comments, CHANGELOG.md) and as JSON
(for machines: the same changes, one object each)."""

from __future__ import annotations

import json
from typing import Any

from .compare import Change, Changelog, Counts

BREAKING = "**breaking**"


def markdown(log: Changelog, *, level: int = 1, title: str | None = None) -> str:
    """The changelog under a heading of `level` (`#`), sections one level below."""
    h1, h2, h3 = ("#" * (level + i) for i in range(3))
    old, new = log.old, log.new
    if title is None:
        title = f"API changes: {new.title} {old.version} -> {new.version}"
    lines = [f"{h1} {title}", ""]
    if not log.changes:
        return "\n".join([*lines, "No changes to the Python surface.", ""])
    lines += [
        f"**Breaking changes: {log.breaking}**"
        + (f" (marked {BREAKING} below)" if log.breaking else ""),
        "",
        "| | added | removed | changed |",
        "| --- | ---: | ---: | ---: |",
        _row("resources", log.resources, changed=False),
        _row("operations", log.operations),
        _row("models", log.models),
        "",
    ]
    deprecations = sum(1 for c in log.changes if c.kind.endswith("-deprecated"))
    if deprecations:
        lines += [f"Deprecations: {deprecations} (listed where they apply).", ""]
    operations = log.section("operations")
    if operations:
        lines += [f"{h2} Operations", ""]
        lines += _listing(h3, "Added", operations, "operation-added")
        lines += _listing(h3, "Removed", operations, "operation-removed")
        lines += _grouped(h3, operations)
    resources = log.section("resources")
    if resources:
        lines += [f"{h2} Resources", ""]
        lines += [_item(c) for c in resources] + [""]
    models = log.section("models")
    if models:
        lines += [f"{h2} Models", ""]
        added = [c for c in models if c.kind == "model-added"]
        if added:
            names = ", ".join(f"`{c.subject}`" for c in added)
            lines += [f"{h3} Added ({len(added)})", "", names, ""]
        lines += _listing(h3, "Removed", models, "model-removed")
        lines += _grouped(h3, models)
    return "\n".join(lines)


def _row(name: str, counts: Counts, changed: bool = True) -> str:
    renamed = f" ({counts.renamed} renamed)" if counts.renamed else ""
    cell = f"{counts.changed}{renamed}" if changed else ""
    return f"| {name} | {counts.added} | {counts.removed} | {cell} |"


def _item(change: Change, subject: bool = True) -> str:
    mark = f"{BREAKING} " if change.breaking else ""
    head = f"`{change.subject}`: " if subject else ""
    return f"- {mark}{head}{change.message}"


def _listing(heading: str, label: str, changes: list[Change], kind: str) -> list[str]:
    """Added or removed things, one line each (operations with their route)."""
    chosen = [c for c in changes if c.kind == kind]
    if not chosen:
        return []
    lines = [f"{heading} {label} ({len(chosen)})", ""]
    for change in chosen:
        mark = f"{BREAKING} " if change.breaking else ""
        route = change.new or change.old
        lines.append(f"- {mark}`{change.subject}`" + (f": `{route}`" if route else ""))
    return [*lines, ""]


def _grouped(heading: str, changes: list[Change]) -> list[str]:
    """Changes of things present on both sides, under one sub-heading per subject."""
    singles = ("operation-added", "operation-removed", "model-added", "model-removed")
    subjects: dict[str, list[Change]] = {}
    for change in changes:
        if change.kind not in singles:
            subjects.setdefault(change.subject, []).append(change)
    if not subjects:
        return []
    lines = [f"{heading} Changed ({len(subjects)})", ""]
    for subject, found in subjects.items():
        lines += [f"- `{subject}`"]
        lines += ["  " + _item(c, subject=False) for c in found]
    return [*lines, ""]


def as_json(log: Changelog) -> str:
    def side(surface: Any) -> dict[str, str]:
        return {
            "title": surface.title,
            "version": surface.version,
            "package": surface.package,
            "package_version": surface.package_version,
        }

    def counts(c: Counts, renamed: bool = False) -> dict[str, int]:
        out = {"added": c.added, "removed": c.removed, "changed": c.changed}
        if renamed:
            out["renamed"] = c.renamed
        return out

    data = {
        "old": side(log.old),
        "new": side(log.new),
        "breaking": log.breaking,
        "summary": {
            "resources": {
                "added": log.resources.added,
                "removed": log.resources.removed,
            },
            "operations": counts(log.operations, renamed=True),
            "models": counts(log.models),
        },
        "changes": [_change(c) for c in log.changes],
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _change(change: Change) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "section": change.section,
        "kind": change.kind,
        "subject": change.subject,
        "breaking": change.breaking,
        "message": change.message,
    }
    for key in ("operation_id", "name", "old", "new"):
        value = getattr(change, key)
        if value is not None:
            entry[key] = value
    return entry


__all__ = ["as_json", "markdown"]
