"""Diagnostics are data: every stage reports problems as located one-line records."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class Severity(str, Enum):
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    severity: Severity
    code: str  # "E101", "W201": stable, documented in docs/DIAGNOSTICS.md
    file: str  # path as the user named it (relative where possible)
    line: int | None  # 1-based; None when unknown
    pointer: (
        str  # JSON pointer inside `file`, "#/components/schemas/Foo"; "" for a path
    )
    message: str
    hint: str = ""

    def format(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if self.pointer:  # empty for problems of a whole file or folder
            where += f" {self.pointer}"
        text = f"{where}: {self.severity.value} {self.code}: {self.message}"
        return f"{text} (hint: {self.hint})" if self.hint else text


class GeneratorError(Exception):
    """Raised by a stage that cannot go on; carries the diagnostics that explain why."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        super().__init__("\n".join(d.format() for d in diagnostics))


def error(
    code: str, file: str, line: int | None, pointer: str, message: str, hint: str = ""
) -> Diagnostic:
    return Diagnostic(Severity.ERROR, code, file, line, pointer, message, hint)


def warning(
    code: str, file: str, line: int | None, pointer: str, message: str, hint: str = ""
) -> Diagnostic:
    return Diagnostic(Severity.WARNING, code, file, line, pointer, message, hint)
