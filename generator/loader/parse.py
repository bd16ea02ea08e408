"""One file: bytes -> plain data (YAML 1.2 or JSON, decided by content) + its line index.

The limits of `limits.py` are enforced here, for every file: its size before it is read,
its nesting while it is built, aliases and nesting of the built data after.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ..diagnostics import Diagnostic, error
from .limits import DEFAULT_OPTIONS, MIB, LoadOptions, measure
from .lines import JsonLines, LineIndex, YamlLines
from .pointer import to_pointer
from .yaml12 import Reuse, TooDeep, load_yaml_reused

_YAML_SUFFIXES = (".yaml", ".yml")


@dataclass
class SourceFile:
    """A loaded file. `name` is the path as the user named it (diagnostics show it)."""

    name: str
    data: Any
    lines: LineIndex
    # (mapping object, key, line or None) of every duplicate key: later one won
    duplicates: list[tuple[dict[str, Any], str, int | None]] = field(
        default_factory=list
    )

    def line_of(self, segments: tuple[str, ...]) -> int | None:
        return self.lines.line_of(segments)


def read_source(
    path: Path, name: str, options: LoadOptions = DEFAULT_OPTIONS
) -> SourceFile | Diagnostic:
    try:
        if path.is_dir():
            return error("E103", name, None, "#", "is a directory, not a file")
        size = path.stat().st_size
        if size > options.max_bytes:
            return too_large(name, size, options)
        raw = path.read_bytes()
    except FileNotFoundError:
        return error("E103", name, None, "#", "file not found")
    except OSError as exc:
        return error("E103", name, None, "#", f"cannot read the file: {exc.strerror}")
    return parse_source(raw, name, path.suffix.lower(), options)


def too_large(name: str, size: int, options: LoadOptions) -> Diagnostic:
    return error(
        "E106",
        name,
        None,
        "#",
        f"the file is {_mib(size)}, over the limit of {_mib(options.max_bytes)}",
        "raise the limit with --max-spec-size MB if the file is trusted",
    )


def _mib(size: int) -> str:
    return f"{size / MIB:.1f} MB" if size >= MIB // 10 else f"{size} bytes"


def parse_source(
    raw: bytes, name: str, suffix: str, options: LoadOptions = DEFAULT_OPTIONS
) -> SourceFile | Diagnostic:
    """JSON for a `.json` file (strictly: a trailing comma is an error there, as in every
    JSON tool) and for content that looks like JSON and parses as JSON; YAML otherwise.
    """
    parsed = _parse(raw, name, suffix, options)
    if isinstance(parsed, Diagnostic):
        return parsed
    source, reused = parsed
    problem = measure(source.data, options, reused=reused)
    if problem is not None:
        line = source.line_of(problem.path)
        pointer = to_pointer(problem.path)
        return error(problem.code, name, line, pointer, problem.message, problem.hint)
    return source


def _parse(
    raw: bytes, name: str, suffix: str, options: LoadOptions
) -> tuple[SourceFile, list[Reuse]] | Diagnostic:
    """The file, and where YAML aliases share an object (JSON shares none)."""
    json_error: json.JSONDecodeError | None = None
    if _looks_like_json(raw) or suffix == ".json":
        pairs: list[tuple[dict[str, Any], str]] = []
        try:
            data = json.loads(raw, object_pairs_hook=_pairs_hook(pairs))
        except json.JSONDecodeError as exc:
            if suffix == ".json":
                return _json_diagnostic(exc, name)
            json_error = exc
        except UnicodeDecodeError as exc:
            return _not_text(raw, name, exc.start, exc.reason)
        except RecursionError:
            return _json_too_deep(raw, name, options)
        else:
            # Lines of JSON duplicates are looked up once their pointers are known.
            unlined: list[tuple[dict[str, Any], str, int | None]]
            unlined = [(mapping, key, None) for mapping, key in pairs]
            lines = JsonLines(raw, unique_keys=not pairs)
            return SourceFile(name, data, lines, unlined), []
    try:
        data, lined, reused = load_yaml_reused(raw, max_depth=options.max_depth)
    except TooDeep as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        return error("E107", name, line, "#", _one_line(exc.problem or ""))
    except yaml.YAMLError as exc:
        if json_error is not None and suffix not in _YAML_SUFFIXES:
            return _json_diagnostic(json_error, name)
        return _yaml_diagnostic(exc, name, raw)
    return SourceFile(name, data, YamlLines(raw, data), list(lined)), reused


_JSON_NESTING = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]')


def _json_too_deep(raw: bytes, name: str, options: LoadOptions) -> Diagnostic:
    """json.loads ran out of Python frames: find the line where the limit is crossed."""
    depth, line = 0, None
    for match in _JSON_NESTING.finditer(raw):
        token = match.group()
        if token in (b"[", b"{"):
            depth += 1
            if depth > options.max_depth:
                line = raw.count(b"\n", 0, match.start()) + 1
                break
        elif token in (b"]", b"}"):
            depth -= 1
    message = f"the document nests more than {options.max_depth} levels deep"
    return error("E107", name, line, "#", message)


def _looks_like_json(raw: bytes) -> bool:
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"{", b"[")


def _pairs_hook(
    duplicates: list[tuple[dict[str, Any], str]],
) -> Any:
    def hook(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        mapping = dict(pairs)
        if len(mapping) != len(pairs):
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    duplicates.append((mapping, key))
                seen.add(key)
        return mapping

    return hook


def _json_diagnostic(exc: json.JSONDecodeError, name: str) -> Diagnostic:
    before = exc.doc[: exc.pos].rstrip()
    hint = "remove the trailing comma" if before.endswith(",") else ""
    message = f"invalid JSON: {exc.msg} (column {exc.colno})"
    return error("E101", name, exc.lineno, "#", message, hint)


def _not_text(raw: bytes, name: str, position: int, reason: str) -> Diagnostic:
    line = raw.count(b"\n", 0, position) + 1
    column = position - raw.rfind(b"\n", 0, position)
    message = f"not UTF-8 text: byte 0x{raw[position]:02x} ({reason}, column {column})"
    return error("E101", name, line, "#", message)


def _yaml_diagnostic(exc: yaml.YAMLError, name: str, raw: bytes) -> Diagnostic:
    if isinstance(exc, yaml.reader.ReaderError):
        # libyaml reports a byte offset: the line and column are counted in the bytes
        position = min(max(exc.position, 0), len(raw))
        line = raw.count(b"\n", 0, position) + 1
        column = position - raw.rfind(b"\n", 0, position)
        what = (
            f"character #x{exc.character:04x}"
            if isinstance(exc.character, int)
            else "byte"
        )
        message = f"invalid YAML: unacceptable {what}: {exc.reason} (column {column})"
        return error("E101", name, line, "#", message)
    if isinstance(exc, yaml.MarkedYAMLError) and exc.problem_mark is not None:
        mark = exc.problem_mark
        if exc.context == "expected a single document in the stream":
            message = (
                "more than one YAML document in the file (an OpenAPI file holds one)"
            )
        else:
            message = f"invalid YAML: {_one_line(exc.problem or exc.context or '')}"
            if exc.context and exc.problem and exc.context_mark is not None:
                context = _one_line(exc.context)
                message += f" ({context}, line {exc.context_mark.line + 1})"
        return error(
            "E101", name, mark.line + 1, "#", f"{message} (column {mark.column + 1})"
        )
    return error("E101", name, None, "#", f"invalid YAML: {_one_line(str(exc))}")


def _one_line(text: str) -> str:
    return " ".join(text.split())
