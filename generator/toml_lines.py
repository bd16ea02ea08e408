"""Where keys are in a TOML file: tomllib gives values without source positions, and a
config error must name its line."""

from __future__ import annotations

import re

Key = tuple[str, ...]

_BARE_OR_QUOTED = re.compile(
    r"""\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*"""
)
_HEADER_LINE = re.compile(r"^\s*\[\[?(?P<key>[^\]]+)\]\]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(
    r"""^\s*(?P<key>(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+)"""
    r"""(?:\s*\.\s*(?:"(?:[^"\\]|\\.)*"|'[^']*'|[A-Za-z0-9_-]+))*)\s*="""
)


def toml_lines(text: str) -> dict[Key, int]:
    """1-based line of each table header and `key =` line, by full dotted key. A scan,
    not a parser: the text is known to be valid TOML by then; keys inside inline tables
    locate to their parent's line."""
    lines: dict[Key, int] = {}
    table: Key = ()
    in_string: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_string is not None:
            if line.count(in_string) % 2 == 1:
                in_string = None
            continue
        header = _HEADER_LINE.match(line)
        if header:
            table = _split_key(header.group("key"))
            lines.setdefault(table, number)
            continue
        found = _KEY_LINE.match(line)
        if found:
            lines.setdefault((*table, *_split_key(found.group("key"))), number)
            rest = line[found.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) % 2 == 1:
                    in_string = quote
    return lines


def _split_key(text: str) -> Key:
    parts: list[str] = []
    position = 0
    while position < len(text):
        match = _BARE_OR_QUOTED.match(text, position)
        if match is None:
            break
        parts.append(next(g for g in match.groups() if g is not None))
        position = match.end()
        if position < len(text) and text[position] == ".":
            position += 1
    return tuple(parts)
