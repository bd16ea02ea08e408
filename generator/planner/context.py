"""What every planner module reads: the loaded document, and where diagnostics go.

The document is the loader's plain JSON data (dict, list, str, int, float, bool, None),
so the planner (and `validate`) tells a JSON object by `isinstance(x, dict)`: an ABC
check (`Mapping`) costs several times more, and the planner makes ~80,000 of them on
OpenAI's spec (~3% of a regeneration's instructions).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from ..diagnostics import Diagnostic, warning
from ..loader.pointer import escape, split_pointer

COMPONENTS = "#/components/schemas/"
MAX_REF_CHAIN = 64


class LoadedDocument(Protocol):
    def bundled(self) -> dict[str, Any]: ...

    def resolve(self, ref: str) -> Any: ...

    def locate(self, pointer: str) -> tuple[str, int | None]: ...


class Context:
    """The bundled document (refs are local), ref resolution and located warnings."""

    def __init__(self, doc: LoadedDocument, spec_name: str) -> None:
        self.doc = doc
        self.spec_name = spec_name
        self.root: Mapping[str, Any] = doc.bundled()
        self.schemas: Mapping[str, Any] = mapping(
            mapping(self.root.get("components")).get("schemas")
        )
        self.diagnostics: list[Diagnostic] = []

    def warn(self, code: str, pointer: str, message: str, hint: str = "") -> None:
        file, line = self.doc.locate(pointer)
        self.diagnostics.append(warning(code, file, line, pointer, message, hint))

    def resolve(self, ref: str) -> Any:
        return self.doc.resolve(ref)

    def deref(self, node: Any) -> Any:
        """`node`, or what its `$ref` chain ends at."""
        for _ in range(MAX_REF_CHAIN):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                break
            node = self.resolve(node["$ref"])
        return node


def mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def component_name(ref: str) -> str | None:
    """`#/components/schemas/Foo` -> `Foo`; None for any other ref."""
    if not ref.startswith(COMPONENTS):
        return None
    segments = split_pointer(ref, percent_decode=True)
    if segments is None or len(segments) != 3:
        return None
    return segments[2]


def component_pointer(name: str) -> str:
    return COMPONENTS + escape(name)


__all__ = [
    "COMPONENTS",
    "Context",
    "LoadedDocument",
    "component_name",
    "component_pointer",
    "escape",
    "mapping",
]
