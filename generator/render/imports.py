"""Import blocks, sorted as isort (black profile) sorts them: `__future__`, standard
library, third party, then the package's own relative imports; plain `import x` before
`from x import ...` in each section; names sorted constants, classes, then functions."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .text import LINE_LENGTH

_STDLIB = frozenset(sys.stdlib_module_names)
_Key = tuple[int, tuple[int, str], int, tuple[int, str]]


@dataclass
class Imports:
    """The imports one generated module needs: add as you print, render once."""

    _plain: set[str] = field(default_factory=set)  # import x
    _names: dict[str, set[str]] = field(default_factory=dict)  # from x import a, b
    _aliased: set[tuple[str, str, str]] = field(
        default_factory=set
    )  # from x import a as b

    def module(self, name: str) -> None:
        self._plain.add(name)

    def name(self, module: str, name: str, alias: str | None = None) -> None:
        if alias is not None and alias != name:
            self._aliased.add((module, name, alias))
        else:
            self._names.setdefault(module, set()).add(name)

    def update(self, other: Imports) -> None:
        self._plain |= other._plain
        self._aliased |= other._aliased
        for module, names in other._names.items():
            self._names.setdefault(module, set()).update(names)

    def lines(self, width: int = LINE_LENGTH) -> list[str]:
        """The import block: sections separated by one empty line; an import longer
        than `width` (the line length less the block's indentation) in black's layout,
        so that black is not called for it."""
        sections: dict[int, list[tuple[_Key, str]]] = {}
        for module in self._plain:
            sections.setdefault(_section(module), []).append(
                ((0, _module_key(module), 0, (0, "")), f"import {module}")
            )
        for module, name, alias in self._aliased:
            line = f"from {module} import {name} as {alias}"
            sections.setdefault(_section(module), []).append(
                ((1, _module_key(module), 0, _name_key(name)), line)
            )
        for module, names in self._names.items():
            joined = ", ".join(sorted(names, key=_name_key))
            line = f"from {module} import {joined}"
            sections.setdefault(_section(module), []).append(
                ((1, _module_key(module), 1, (0, "")), line)
            )
        out: list[str] = []
        for section in sorted(sections):
            if out:
                out.append("")
            for _, line in sorted(sections[section]):
                out.extend(_laid_out(line, width))
        return out


def _laid_out(line: str, width: int) -> list[str]:
    """A from-import too long for a line as black splits it: one name a line, with a
    trailing comma (black explodes an import it splits, however few its names)."""
    if len(line) <= width or not line.startswith("from "):
        return [line]
    head, names = line.split(" import ", 1)
    return [f"{head} import (", *(f"    {name}," for name in names.split(", ")), ")"]


def _section(module: str) -> int:
    if module == "__future__":
        return 0
    if module.startswith("."):
        return 3
    return 1 if module.split(".")[0] in _STDLIB else 2


def _module_key(module: str) -> tuple[int, str]:
    dots = len(module) - len(module.lstrip("."))
    return (-dots, module[dots:].lower())


def _name_key(name: str) -> tuple[int, str]:
    if name.isupper() and len(name) > 1:
        kind = 0  # CONSTANT
    elif name[:1].isupper():
        kind = 1  # Class
    else:
        kind = 2  # function or module
    return (kind, name.lower())
