"""`oapigen diff OLD NEW`: the API changelog between two specs.

Exit codes: 0 no breaking change (or no `--fail-on-breaking`), 1 breaking changes with
`--fail-on-breaking`, 2 errors (a spec that does not load or plan: diagnostics printed
one per line). Planner warnings are not printed: `oapigen SPEC` reports them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .. import config as configuration
from ..diagnostics import GeneratorError, Severity


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oapigen diff",
        description="The API changelog between two specs, in terms of the generated "
        "Python client: what was added, removed and changed, breaking changes marked.",
    )
    parser.add_argument("old", type=Path, help="the earlier spec")
    parser.add_argument("new", type=Path, help="the later spec")
    parser.add_argument(
        "--format",
        choices=("md", "json"),
        default="md",
        help="Markdown for people (default) or JSON for machines",
    )
    parser.add_argument(
        "--fail-on-breaking",
        action="store_true",
        help="exit 1 when there is a breaking change",
    )
    parser.add_argument(
        "--package", help="package name (default: snake_case of info.title)"
    )
    configuration.add_arguments(parser)
    return parser


def main(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    from . import as_json, diff_specs, markdown

    try:
        log = diff_specs(args.old, args.new, configuration.from_arguments(args))
    except GeneratorError as exc:
        for diagnostic in exc.diagnostics:
            if diagnostic.severity is not Severity.WARNING:
                print(diagnostic.format(), file=sys.stderr)
        return 2
    sys.stdout.write(as_json(log) if args.format == "json" else markdown(log))
    return 1 if args.fail_on_breaking and log.breaking else 0
