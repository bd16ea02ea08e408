"""Command line: `oapigen SPEC [--output DIR] [--package NAME] [--check] [--strict]`.

(`oapigen diff OLD NEW` is the API changelog between two specs: see `diff.cli`.)

Exit codes: 0 ok, 1 `--check` found drift, 2 errors (diagnostics printed one per line).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from . import __version__
from . import config as configuration
from .diagnostics import Diagnostic, GeneratorError, Severity
from .loader.limits import DEFAULT_MAX_BYTES, MIB, LoadOptions


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="oapigen",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="oapigen diff OLD NEW: the API changelog between two specs (see --help)",
    )
    parser.add_argument("spec", type=Path, help="OpenAPI 3.x document (YAML or JSON)")
    parser.add_argument(
        "--output",
        "-o",
        type=Path,
        default=Path("generated"),
        help="parent folder of the generated project (default: generated/)",
    )
    parser.add_argument(
        "--package", help="package name (default: snake_case of info.title)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="compare with the existing output instead of writing; exit 1 on drift",
    )
    parser.add_argument(
        "--strict", action="store_true", help="treat warnings as errors"
    )
    parser.add_argument(
        "--jobs", type=int, default=0, help="formatter processes (default: CPU count)"
    )
    parser.add_argument(
        "--no-cache", action="store_true", help="do not use the formatting cache"
    )
    parser.add_argument("--quiet", "-q", action="store_true", help="print errors only")
    parser.add_argument(
        "--timings", action="store_true", help="print when each stage finished"
    )
    parser.add_argument(
        "--allow-remote",
        action="store_true",
        help="fetch http(s) $refs (default: refused; the generator stays offline)",
    )
    parser.add_argument(
        "--max-spec-size",
        type=float,
        default=DEFAULT_MAX_BYTES / MIB,
        metavar="MB",
        help="refuse a spec file larger than this (default: %(default)g MB)",
    )
    parser.add_argument("--version", action="version", version=f"oapigen {__version__}")
    configuration.add_arguments(parser)
    return parser


def _print(diagnostics: list[Diagnostic], quiet: bool) -> None:
    for diagnostic in diagnostics:
        if quiet and diagnostic.severity is Severity.WARNING:
            continue
        print(diagnostic.format(), file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["diff"]:  # `oapigen diff OLD NEW`: the API changelog
        from .diff.cli import main as diff

        return diff(argv[1:])
    args = _parser().parse_args(argv)
    from .pipeline import generate

    started = time.perf_counter()
    try:
        result = generate(
            args.spec,
            output=args.output,
            config=configuration.from_arguments(args),
            check=args.check,
            jobs=args.jobs or os.cpu_count() or 1,
            use_cache=not args.no_cache,
            strict=args.strict,
            load_options=LoadOptions(
                max_bytes=int(args.max_spec_size * MIB), allow_remote=args.allow_remote
            ),
        )
    except GeneratorError as exc:
        _print(exc.diagnostics, args.quiet)
        return 2
    _print(result.diagnostics, args.quiet)
    if args.timings:
        for stage, seconds in result.timings:
            print(f"{seconds:7.2f} s  {stage}", file=sys.stderr)
    if args.check:
        if result.drift:
            for path in result.drift:
                print(f"{result.target}/{path}: out of date", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"{result.target}: up to date")
        return 0
    if not args.quiet:
        elapsed = time.perf_counter() - started
        print(
            f"{result.target}: {result.operations} operations, {result.models} models, "
            f"{result.files} files in {elapsed:.2f} s"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
