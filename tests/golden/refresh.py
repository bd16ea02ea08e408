"""Regenerate tests/golden/*/expected/ after an intended change of the output.

    make golden                                # every case
    python -m tests.golden.refresh example     # some cases

Review the resulting `git diff tests/golden` like code: it is the change users get.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from .cases import Case, discover, generate_case, read_tree, write_expected


def refresh(case: Case, scratch: Path) -> list[str]:
    """Regenerate one case; return the paths that changed (added, removed, edited)."""
    output = scratch / case.name
    generate_case(case, output)
    tree = read_tree(output)
    before = read_tree(case.expected)
    changed = sorted(
        path for path in set(before) | set(tree) if before.get(path) != tree.get(path)
    )
    if changed:
        write_expected(case, tree)
    return changed


def main(argv: list[str]) -> int:
    cases = discover()
    if argv:
        unknown = sorted(set(argv) - {case.name for case in cases})
        if unknown:
            print(f"unknown golden case(s): {', '.join(unknown)}", file=sys.stderr)
            return 2
        cases = [case for case in cases if case.name in argv]
    with tempfile.TemporaryDirectory(prefix="oapigen-golden-") as tmp:
        for case in cases:
            changed = refresh(case, Path(tmp))
            summary = f"{len(changed)} file(s) changed" if changed else "unchanged"
            print(f"{case.name}: {summary}")
            for path in changed:
                print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
