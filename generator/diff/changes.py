"""The changes a comparison reports, and the changelog that holds them."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal, Protocol

from .. import ir
from .surface import Surface
from .types import Side, type_change

Section = Literal["resources", "operations", "models"]


@dataclass(frozen=True, slots=True)
class Change:
    section: Section
    kind: str  # "operation-removed", "argument-type", ... (docs/DIFF.md lists them)
    subject: str  # `client.chat.create`, a model class, `client.chat`
    message: str  # one line of Markdown, without the subject
    breaking: bool = False
    operation_id: str | None = None
    name: str | None = None  # the argument or field concerned
    old: str | None = None
    new: str | None = None


@dataclass(frozen=True, slots=True)
class Counts:
    added: int = 0
    removed: int = 0
    changed: int = 0
    renamed: int = 0


@dataclass
class Changelog:
    old: Surface
    new: Surface
    changes: list[Change] = field(default_factory=list)
    resources: Counts = Counts()
    operations: Counts = Counts()
    models: Counts = Counts()

    @property
    def breaking(self) -> int:
        return sum(1 for change in self.changes if change.breaking)

    def section(self, name: Section) -> list[Change]:
        return [c for c in self.changes if c.section == name]


class Maker(Protocol):
    """`change(kind, message, breaking, name=..., old=..., new=...)`: a Change about
    one subject (a method, a model), as the comparisons build them."""

    def __call__(
        self, kind: str, message: str, breaking: bool = False, **extra: str
    ) -> Change: ...


class Typed(Protocol):
    """An argument or a field: what `typed_changes` compares."""

    @property
    def type(self) -> ir.TypeNode: ...

    @property
    def deprecated(self) -> bool: ...


def typed_changes(
    change: Maker,
    name: str,
    before: Typed,
    after: Typed,
    side: Side,
    what: Literal["argument", "field"],
) -> Iterator[Change]:
    """The type and deprecation changes of one argument or field."""
    delta = type_change(before.type, after.type, side, what)
    if delta is not None:
        yield change(
            delta.kind,
            f"`{name}`: {delta.message}",
            delta.breaking,
            name=name,
            old=delta.old,
            new=delta.new,
        )
    if before.deprecated != after.deprecated:
        word = "deprecated" if after.deprecated else "no longer deprecated"
        yield change(f"{what}-deprecated", f"`{name}` {word}", name=name)


__all__ = [
    "Change",
    "Changelog",
    "Counts",
    "Maker",
    "Section",
    "Side",
    "Typed",
    "typed_changes",
]
