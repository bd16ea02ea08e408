"""`pattern` keywords written for JavaScript, made safe for the generated models.

OpenAPI patterns are ECMA-262 regular expressions. The models validate them with
pydantic-core's Rust engine, or with Python's `re` when datamodel-code-generator sees a
lookaround or backreference in the model (it then sets `regex_engine="python-re"` for the
whole model). A pattern one of them cannot compile makes the model fail the first time it
is used, long after generation succeeded. So every pattern is rewritten here into the
syntax both engines read the same way as JavaScript does, and checked with both:
- `\\d` and `\\w` become their ASCII classes (JavaScript's meaning; both engines would
  otherwise take them as Unicode classes, which also makes `{0,20000}` too big for Rust);
- in a class, a `-` next to a class escape (`[\\w-.]`, `[\\d-_]`, literal in JavaScript, an
  invalid range elsewhere) is escaped, and so are `[`, `&`, `~` (set operators for Rust);
- `\\cJ`, `\\0`, `\\u{...}`, `(?<name>`, `\\k<name>`, `{,n}` get their common spelling;
- `\\p{L}` and `\\p{N}` become classes both engines know; other `\\p{...}` cannot be;
- a counted repetition too large for the Rust engine loses its upper bound (W603).
What still fails in one of the engines is dropped with a warning (W602): the server keeps
validating it; the client only stops checking it early.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from functools import lru_cache

# Lookarounds and backreferences: Rust cannot, and datamodel-code-generator switches the
# model to Python's engine when it sees one, so Python's verdict is the one that counts.
_PYTHON_ONLY = re.compile(r"\(\?<?[=!]|\\[1-9]|\(\?P=")
_BIG_REPEAT = re.compile(r"\{(\d+),(\d+)\}")
_MAX_REPEAT = 1000
_UNICODE_PROPERTY = {
    "L": "[^\\W\\d_]",
    "Letter": "[^\\W\\d_]",
    "N": "\\d",
    "Nd": "\\d",
}
_CLASS_ESCAPES = "dDwWsS"
_ASCII = {"d": "0-9", "w": "0-9A-Za-z_"}


@dataclass(frozen=True)
class Translation:
    pattern: str | None  # None: drop the constraint
    code: str = ""  # "W602" dropped, "W603" relaxed, "" exact
    message: str = ""


@lru_cache(maxsize=4096)
def translate(pattern: str) -> Translation:
    """The pattern both engines compile with JavaScript's meaning, or why not."""
    try:
        rewritten = _rewrite(pattern)
    except _Untranslatable as exc:
        return _dropped(pattern, str(exc))
    if _PYTHON_ONLY.search(rewritten):
        reason = _python_error(rewritten)
        return _dropped(pattern, reason) if reason else Translation(rewritten)
    reason = _python_error(rewritten) or _rust_error(rewritten)
    if reason is None:
        return Translation(rewritten)
    if "size limit" in reason:
        relaxed = _BIG_REPEAT.sub(_relax, rewritten)
        if relaxed != rewritten and not _rust_error(relaxed):
            return Translation(
                relaxed,
                "W603",
                f"pattern {pattern!r} repeats more than the Rust regex engine can "
                f"compile; checked as {relaxed!r} (the upper bound is left to the server)",
            )
    return _dropped(pattern, reason)


def _dropped(pattern: str, reason: str) -> Translation:
    return Translation(
        None,
        "W602",
        f"pattern {pattern!r} cannot be checked by the generated models ({reason}); "
        "the constraint is dropped, the server still checks it",
    )


def _relax(match: re.Match[str]) -> str:
    low, high = int(match.group(1)), int(match.group(2))
    return f"{{{low},}}" if high > _MAX_REPEAT else match.group(0)


def _python_error(pattern: str) -> str | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return f"Python: {exc}"
    return None


def _rust_error(pattern: str) -> str | None:
    from pydantic_core import SchemaError, SchemaValidator, core_schema

    try:
        SchemaValidator(core_schema.str_schema(pattern=pattern))
    except SchemaError as exc:
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        return "pydantic-core: " + (lines[-1] if lines else "invalid")
    return None


class _Untranslatable(Exception):
    pass


def _rewrite(pattern: str) -> str:
    out: list[str] = []
    i, n = 0, len(pattern)
    in_class = False
    class_start = 0  # index in `out` where the class's content began
    while i < n:
        char = pattern[i]
        if char == "\\":
            if i + 1 >= n:
                raise _Untranslatable("a trailing backslash")
            token, i = _escape(pattern, i, in_class)
            if (
                in_class
                and pattern[i : i + 1] == "-"
                and pattern[i - 1] in _CLASS_ESCAPES
            ):
                token += "\\-"  # `[\w-.]`: the hyphen is a literal in JavaScript
                i += 1
            out.append(token)
            continue
        if in_class:
            if char == "]" and len(out) > class_start:
                in_class = False
                out.append("]")
            elif char == "]":  # `[]` matches nothing, `[^]` anything (JavaScript)
                negated = out[-1] == "[^"
                out[-1] = "[\\s\\S]" if negated else "[^\\s\\S]"
                in_class = False
            elif char == "-" and _after_class_escape(out, class_start):
                out.append("\\-")
            elif char in "[&~":
                out.append("\\" + char)
            elif char == "-" and pattern[i + 1 : i + 2] == "-":
                out.append("\\-")
            else:
                out.append(char)
            i += 1
            continue
        if char == "[":
            negated = pattern[i + 1 : i + 2] == "^"
            out.append("[^" if negated else "[")
            i += 2 if negated else 1
            in_class = True
            class_start = len(out)
            continue
        if (
            char == "("
            and pattern.startswith("(?<", i)
            and pattern[i + 3 : i + 4] not in "=!"
        ):
            out.append("(?P<")
            i += 3
            continue
        if char == "{" and not re.match(r"\{\d+(,\d*)?\}", pattern[i:]):
            out.append("\\{")  # not a quantifier: a literal brace in JavaScript
            i += 1
            continue
        if char == "}" and not _closes_quantifier(out):
            out.append("\\}")
            i += 1
            continue
        out.append(char)
        i += 1
    if in_class:
        raise _Untranslatable("an unclosed character class")
    return "".join(out)


def _after_class_escape(out: list[str], class_start: int) -> bool:
    """A `-` right after `\\s` (or a class we expanded) cannot start a range."""
    if len(out) <= class_start:
        return False
    last = out[-1]
    return last in ("0-9", "0-9A-Za-z_") or (
        len(last) == 2 and last[0] == "\\" and last[1] in _CLASS_ESCAPES
    )


def _closes_quantifier(out: list[str]) -> bool:
    text = "".join(out[-12:])
    return re.search(r"\{\d+(,\d*)?$", text) is not None


def _escape(pattern: str, i: int, in_class: bool) -> tuple[str, int]:
    """One escape sequence at pattern[i] (a backslash): (its rewrite, the next index)."""
    code = pattern[i + 1]
    if code in _ASCII:
        return (_ASCII[code] if in_class else f"[{_ASCII[code]}]"), i + 2
    if code == "c" and i + 2 < len(pattern) and pattern[i + 2].isalpha():
        return f"\\x{ord(pattern[i + 2].upper()) % 32:02x}", i + 3
    if code == "0" and not pattern[i + 2 : i + 3].isdigit():
        return "\\x00", i + 2
    if code == "u" and pattern[i + 2 : i + 3] == "{":
        end = pattern.find("}", i)
        digits = pattern[i + 3 : end] if end > 0 else ""
        if not digits or not all(c in "0123456789abcdefABCDEF" for c in digits):
            raise _Untranslatable(f"an invalid escape {pattern[i:end + 1]!r}")
        return f"\\U{int(digits, 16):08x}", end + 1
    if code in "pP" and pattern[i + 2 : i + 3] == "{":
        end = pattern.find("}", i)
        name = pattern[i + 3 : end] if end > 0 else ""
        cls = _UNICODE_PROPERTY.get(name)
        if cls is None:
            raise _Untranslatable(f"the Unicode property {pattern[i:end + 1]!r}")
        if code == "P":
            cls = {"\\d": "\\D", "[^\\W\\d_]": "[\\W\\d_]"}[cls]
        if in_class:
            if cls.startswith("["):
                raise _Untranslatable(f"{pattern[i:end + 1]!r} inside a class")
            return cls, end + 1
        return cls, end + 1
    if code == "k" and pattern[i + 2 : i + 3] == "<":
        end = pattern.find(">", i)
        return f"(?P={pattern[i + 3:end]})", end + 1
    if code.isalnum() and code not in "bBnrtfvxuDWsS123456789":
        # `\e`, `\z`, `\Z`, `\a`...: not ECMAScript escapes, and the engines disagree
        raise _Untranslatable(f"the escape '\\{code}'")
    return pattern[i : i + 2], i + 2
