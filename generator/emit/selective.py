"""Black only where the generated code needs it.

The templates print code in black's style (double quotes, black's blank lines, long
argument lists exploded one per line with a trailing comma), so what black still changes
is what the templates cannot know: a line too long (a long description, union or
literal), a literal from the spec black would respell, a docstring black would clean up.
Formatting a whole file costs ~0.25 ms per line; this module marks those lines dirty
(`_Cutter.find_dirty`, conservatively) and hands black only the statements holding them,
each at its own indentation (black measures a line with its indentation, so a statement
formatted at column 0 with the limit less its indentation comes out the same). The rest
is kept as printed. The statements of a file that share an indentation go to black in
one call, apart from each other by a marker comment (a call costs ~0.5 ms on top of its
lines), and equal ones once.

Whether that equals black on the whole file rests on the templates printing black's
style: `tests/unit/test_selective_format.py` compares both ways construct by construct
and over whole packages, the fuzzed and public specs compare every file they generate,
and every package the tests write is checked with `black --check`.

What cannot be cut out is formatted with its parent: a docstring (black treats it by its
place), a statement sharing a line with its parent's header, a statement with a line
indented less than itself (a multi-line string), an `if` with `elif`/`else` lines that
are dirty. At the top, that is the file. A def's or class's dirty header is formatted
over a `pass` body (black formats a header the same whatever its body; `pass`, unlike
`...`, never joins the header's line), and a signature printed one parameter per line
has its dirty parameters formatted one by one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, replace
from typing import Literal

PieceKind = Literal["statement", "header", "parameter"]

# Formats code (a file, or statements at column 0) for a line length.
Formatter = Callable[[str, int], str]

# Between the statements of one black call; a comment, so black keeps it on its line.
_MARKER = "# oapigen: cut here"

# One element of a collection or call printed one per line: a string, a string key with
# a string or a name, or a keyword with a string. black leaves such a line as it is,
# however long: it has no bracket to split at (and the collection keeps its lines: the
# templates end it with a trailing comma).
_ELEMENT = re.compile(r' *(?:"[^"\\]*"(?:: (?:"[^"\\]*"|\w+))?|\w+="[^"\\]*"),')
# What black may spell otherwise on a line (outside docstrings): a single quote, a
# backslash (an escape's case), a string prefix (one or two letters) with a capital or
# `u`, a number with a letter or a bare dot (0xab, 1e+5, 1E5, 2J, 1., .5; 1.5 and 10
# are black's already).
_RESPELLED = re.compile(
    r"'|\\|(?<![\w\"'])(?:[A-Za-z]?[A-Zu]|[A-Zu][A-Za-z])\""
    r"|(?<![\w.])(?:0[xXoObB]|\d[\d_]*(?:\.[\d_]*)?[eEjJlL]|\d[\d_]*\.(?![\d_]))"
    r"|(?<![\w.)\]])\.\d"
)
_ONE_BODY = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


class _NeedsContext(Exception):
    """This statement cannot be formatted apart from its parent."""


@dataclass(frozen=True)
class _Piece:
    """Lines `first`..`last` (0-based, inclusive) of the file, to be replaced by `code`
    formatted at column 0 for `line_length` and indented back by `indent`."""

    first: int
    last: int
    indent: int
    code: str
    line_length: int
    # "statement"; "header": `code` ends with a `pass` body that is not kept;
    # "parameter": `code` is `def _(` + the line + `):` + `pass`, only the line is kept
    kind: PieceKind = "statement"


def format_selectively(
    source: str,
    fmt: Formatter,
    line_length: int,
    changed: Collection[int] | None = None,
) -> str:
    """`source` with its over-long statements formatted by `fmt`, the rest as is.
    `changed` (0-based line indexes): the source is black's output but for these
    lines, so only statements holding one of them may need black (a statement black
    laid out, unchanged and at the same indentation, stays as black laid it out)."""
    lines = source.splitlines(keepends=True)
    cutter = _Cutter(lines, line_length)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return fmt(source, line_length)  # black says what is wrong, in its words
    cutter.find_dirty(tree)
    if changed is not None:
        cutter.dirty.intersection_update(changed)
    if not cutter.dirty:
        return source if _ends_cleanly(source) else fmt(source, line_length)
    try:
        pieces = list(cutter.block(tree.body))
    except _NeedsContext:
        return fmt(source, line_length)
    formatted = _format_pieces(pieces, fmt)
    if formatted is None:
        return fmt(source, line_length)
    out: list[str] = []
    position = 0  # the next line of `lines` to copy
    for piece, text in zip(pieces, formatted):
        out.extend(lines[position : piece.first])
        out.append(text)
        position = piece.last + 1
    out.extend(lines[position:])
    return "".join(out)


def _ends_cleanly(source: str) -> bool:
    return source.endswith("\n") and not source.endswith("\n\n")


def _format_pieces(pieces: list[_Piece], fmt: Formatter) -> list[str] | None:
    """The text of each piece, indented back; None if black's output cannot be cut at
    the markers (then the file is formatted whole). Equal pieces are formatted once."""
    texts: dict[int, str] = {}
    for length in sorted({piece.line_length for piece in pieces}):
        batch = [i for i, piece in enumerate(pieces) if piece.line_length == length]
        codes = sorted({pieces[i].code for i in batch})
        joined = f"\n{_MARKER}\n".join(code.rstrip("\n") for code in codes)
        try:
            parts = _cut(fmt(joined + "\n", length))
        except Exception:  # noqa: BLE001 - the whole file then, which says why
            return None
        if len(parts) != len(codes):
            return None
        done = dict(zip(codes, parts))
        for i in batch:
            piece = pieces[i]
            kept = _kept(piece, done[piece.code])
            if kept is None:
                return None
            pad = " " * piece.indent
            texts[i] = "".join(
                pad + line if line.strip() else line
                for line in kept.splitlines(keepends=True)
            )
    return [texts[i] for i in range(len(pieces))]


def _kept(piece: _Piece, text: str) -> str | None:
    """What of black's output replaces the piece's lines."""
    if piece.kind == "statement":
        return text
    lines = text.splitlines(keepends=True)
    if piece.kind == "header":
        return "".join(lines[:-1])  # the `pass` line
    if len(lines) < 4 or lines[-2] != "):\n" or not lines[0].startswith("def _("):
        return None
    return "".join(lines[1:-2])


def _cut(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip("\n") == _MARKER:
            parts.append("".join(current).strip("\n") + "\n")
            current = []
        else:
            current.append(line)
    parts.append("".join(current).strip("\n") + "\n")
    return parts


class _Cutter:
    def __init__(self, lines: list[str], line_length: int) -> None:
        self.lines = lines
        self.line_length = line_length
        self.dirty: set[int] = set()  # 0-based indexes of lines black would change

    def too_long(self, index: int) -> bool:
        line = self.lines[index].rstrip("\r\n")
        return line_width(line) > self.line_length and not _ELEMENT.fullmatch(line)

    def find_dirty(self, tree: ast.Module) -> None:
        """The lines black would change: the whole of a docstring black's clean-up would
        change or whose last line is too long (its closing quotes move); outside
        docstrings, a line too long or with a literal black may spell otherwise (a
        single quote, a backslash escape, a string prefix, a number: conservative, a
        line with `it's` in a string is dirty too)."""
        docstrings: set[int] = set()
        for node in _statements(tree.body):
            first, last = _span(node)
            if _is_string(node):
                docstrings.update(range(first, last + 1))
                if self.too_long(last) or not self._clean_docstring(node, first, last):
                    self.dirty.update(range(first, last + 1))
                continue
            children = list(_statement_lists(node))
            if children:  # its own lines: up to its first child
                last = _span(children[0][0])[0] - 1
            # black never joins a decorator with what it decorates: each on its own
            parts = [(first, last)]
            if first < node.lineno - 1:
                parts = [(first, node.lineno - 2), (node.lineno - 1, last)]
            for start, end in parts:
                if end > start and self._joinable(node, start, end):
                    self.dirty.update(range(start, end + 1))
        for index, line in enumerate(self.lines):
            if index not in docstrings and (
                _RESPELLED.search(line) or self.too_long(index)
            ):
                self.dirty.add(index)

    def _long(self, first: int, last: int) -> bool:
        return any(index in self.dirty for index in range(first, last + 1))

    def _joinable(self, node: ast.stmt, first: int, last: int) -> bool:
        """Whether black might lay out these lines of one statement otherwise: without
        a line ending in a comma (black keeps a bracket with a magic trailing comma
        exploded), only black's right-hand split is taken as it is: three lines, an
        opening bracket, its content, its closing one, and too long as one line."""
        lines = [line.strip() for line in self.lines[first : last + 1]]
        if any(line.endswith(",") for line in lines):
            return False
        width = node.col_offset + sum(line_width(line) for line in lines)
        return (
            width <= self.line_length
            or len(lines) != 3
            or not lines[0].endswith(("(", "[", "{"))
        )

    def _clean_docstring(self, node: ast.stmt, first: int, last: int) -> bool:
        """What black's clean-up of a docstring leaves as it is: triple double quotes,
        the text starting right after them (not with a quote: black puts a space
        between), no tab, no trailing space, blank lines empty, and the lines after the
        first indented as the statement (at least one exactly so)."""
        lines = [line.rstrip("\r\n") for line in self.lines[first : last + 1]]
        indent = " " * node.col_offset
        opening = lines[0][node.col_offset :]
        if (
            not opening.startswith('"""')
            or opening[3:4].isspace()
            or opening[3:4] == '"'
        ):
            return False
        if any("\t" in line or line != line.rstrip() for line in lines):
            return False
        if len(lines) == 1:
            return True
        rest = lines[1:]
        if rest[-1] == indent + '"""':
            rest = rest[:-1]  # the closing quotes on their own line
        content = [line for line in rest if line]
        return all(line.startswith(indent) for line in content) and (
            not content or any(not line[len(indent)].isspace() for line in content)
        )

    def block(self, body: list[ast.stmt]) -> Iterator[_Piece]:
        """The pieces of `body` to format, in the order of the file."""
        for node in body:
            first, last = _span(node)
            if self._long(first, last):
                yield from self._statement(node, first, last)

    def _statement(self, node: ast.stmt, first: int, last: int) -> Iterator[_Piece]:
        children = list(_bodies(node))
        if children:
            try:
                yield from self._compound(node, first, last, children)
                return
            except _NeedsContext:
                pass  # formatted whole, below
        elif _is_string(node):
            raise _NeedsContext  # a docstring: black treats it by its place
        yield self._piece(node, first, last)

    def _compound(
        self,
        node: ast.stmt,
        first: int,
        last: int,
        children: list[list[ast.stmt]],
    ) -> Iterator[_Piece]:
        own = set(range(first, last + 1))
        for body in children:
            for child in body:
                child_first, child_last = _span(child)
                if not self._starts_line(child, child_first):
                    # `def f(...) -> T: ...`, an overload: only its parameters can
                    # be cut out
                    if children == [[child]]:
                        parameters = self._parameters(node, first, last)
                        if parameters is not None:
                            yield from parameters
                            return
                    raise _NeedsContext
                own -= set(range(child_first, child_last + 1))
        pieces: list[_Piece] = []
        if any(index in self.dirty for index in own):
            pieces += self._header(node, first, children)
        for body in children:
            pieces += self.block(body)
        yield from sorted(pieces, key=lambda piece: piece.first)

    def _header(
        self, node: ast.stmt, first: int, children: list[list[ast.stmt]]
    ) -> Iterator[_Piece]:
        if len(children) != 1 or not isinstance(node, _ONE_BODY):
            raise _NeedsContext  # `else:`, `except:` lines: with the whole statement
        body = children[0][0]
        end = _span(body)[0] - 1
        parameters = self._parameters(node, first, end)
        if parameters is not None:
            yield from parameters
            return
        pass_line = " " * (body.col_offset - node.col_offset) + "pass\n"
        piece = self._piece(node, first, end)
        yield replace(piece, code=piece.code + pass_line, kind="header")

    def _parameters(self, node: ast.stmt, first: int, end: int) -> list[_Piece] | None:
        """A signature printed one parameter per line, its dirty lines each formatted on
        its own (black splits each line of an exploded bracket by itself); None if the
        header is not such a signature or another of its lines is dirty."""
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        opening = node.lineno - 1
        indent = " " * node.col_offset
        inner = indent + "    "
        own = [*range(first, opening + 1), end]
        if (
            not self.lines[opening].rstrip("\r\n").endswith("(")
            or not self.lines[end].startswith(indent + ")")
            or any(index in self.dirty for index in own)
        ):
            return None
        pieces: list[_Piece] = []
        for index in range(opening + 1, end):
            line = self.lines[index].rstrip("\r\n")
            if not line.startswith(inner) or not line.endswith(","):
                return None  # not one parameter per line
            if index in self.dirty:
                code = f"def _(\n{line[len(indent):]}\n):\n    pass\n"
                length = self.line_length - len(indent)
                pieces.append(
                    _Piece(index, index, len(indent), code, length, "parameter")
                )
        return pieces

    def _starts_line(self, node: ast.stmt, first: int) -> bool:
        line = self.lines[first]
        return len(line) - len(line.lstrip(" ")) == node.col_offset

    def _piece(self, node: ast.stmt, first: int, last: int) -> _Piece:
        indent = " " * node.col_offset
        code: list[str] = []
        for line in self.lines[first : last + 1]:
            if line.strip() == "":
                if line not in ("\n", "\r\n"):
                    raise _NeedsContext  # whitespace that may sit in a string
                code.append(line)
            elif line.startswith(indent):
                code.append(line[len(indent) :])
            else:
                raise _NeedsContext  # a line of a multi-line string, left of us
        return _Piece(
            first, last, len(indent), "".join(code), self.line_length - len(indent)
        )


def line_width(line: str) -> int:
    """The line's width as black measures it (a wide character counts two columns, a
    combining one none)."""
    if line.isascii():
        return len(line)
    from black.strings import str_width

    return int(str_width(line))


def _statements(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    """Every statement of `body`, nested ones included."""
    for node in body:
        yield node
        for nested in _statement_lists(node):
            yield from _statements(nested)


def _statement_lists(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested in `node`, in the order of the file."""
    for name in ("body", "orelse", "finalbody"):
        nested = getattr(node, name, None)
        if isinstance(nested, list) and nested and isinstance(nested[0], ast.stmt):
            yield nested
    for handler in getattr(node, "handlers", ()):
        yield handler.body
    for case in getattr(node, "cases", ()):
        yield case.body


def _span(node: ast.stmt) -> tuple[int, int]:
    """0-based first and last line, decorators included."""
    first = node.lineno
    for decorator in getattr(node, "decorator_list", ()):
        first = min(first, decorator.lineno)
    assert node.end_lineno is not None
    return first - 1, node.end_lineno - 1


def _bodies(node: ast.stmt) -> Iterator[list[ast.stmt]]:
    """The statement lists nested in a compound statement (an `elif` is an `if` nested
    in the `else` that has no line of its own: its statement is taken whole)."""
    if isinstance(node, ast.If) and len(node.orelse) == 1:
        nested = node.orelse[0]
        if isinstance(nested, ast.If) and nested.col_offset == node.col_offset:
            raise _NeedsContext
    yield from _statement_lists(node)


def _is_string(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )
