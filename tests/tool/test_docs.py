"""The documentation lists what the code does: every diagnostic code the generator emits
is in docs/DIAGNOSTICS.md and has a cause and a fix in the README's troubleshooting
section, and the README opens with the two commands of a fresh checkout."""

from __future__ import annotations

import re

from .helpers import ROOT

CODE = re.compile(r"[EW]\d{3}")


def emitted_codes() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "generator").rglob("*.py"):
        found.update(re.findall(r"\"([EW]\d{3})\"", path.read_text(encoding="utf-8")))
    return found


def table_rows(text: str, after: str) -> dict[str, list[str]]:
    """{code: cells} of the first table whose rows start with a code, after `after`."""
    rows: dict[str, list[str]] = {}
    for line in text[text.index(after) :].splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and CODE.fullmatch(cells[0]):
            rows[cells[0]] = cells[1:]
        elif rows and not line.startswith("|"):
            break
    return rows


def test_every_emitted_code_is_documented_with_a_cause_and_a_fix() -> None:
    reference = table_rows((ROOT / "docs" / "DIAGNOSTICS.md").read_text(), "| code |")
    readme = (ROOT / "README.md").read_text()
    troubleshooting = table_rows(readme, "## Troubleshooting")
    emitted = emitted_codes()
    assert len(emitted) > 20
    assert emitted == set(reference), (
        f"emitted, not documented: {sorted(emitted - set(reference))}; "
        f"documented, never emitted: {sorted(set(reference) - emitted)}"
    )
    assert set(troubleshooting) == set(reference)
    for code, (cause, fix) in troubleshooting.items():
        assert len(cause) > 15 and len(fix) > 10, code


def test_the_readme_starts_with_make_generate_and_make_test() -> None:
    readme = (ROOT / "README.md").read_text()
    first_block = readme.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()]
    assert commands == ["make generate", "make test"]
