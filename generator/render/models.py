"""Dict-form modules (`params/`): what `params.py.jinja` prints.

The dict forms are argument types, printed from the same type trees as the resources'
arguments (`Sequence`, `Mapping`, `object`, file inputs, `Required[...]`). The model
modules are printed by datamodel-code-generator (see `modelgen`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .. import ir
from .imports import Imports
from .text import block_docstring, py_literal
from .types import TypePrinter

FIELD_INDENT = 4


@dataclass(frozen=True, slots=True)
class FieldView:
    line: str  # "name: str | None = Field(default=None, alias='x')"
    doc: str  # docstring body, or ""


@dataclass(frozen=True, slots=True)
class ClassView:
    kind: str  # "class" | "alias" | "functional"
    name: str
    header: str  # "class Foo(BaseModel):" or "Foo = Bar" or the functional call
    doc: str
    fields: tuple[FieldView, ...] = ()


@dataclass(frozen=True, slots=True)
class ModuleView:
    imports: tuple[str, ...]
    exports: tuple[str, ...]  # __all__
    classes: tuple[ClassView, ...]


def params_modules(api: ir.Api) -> dict[str, ModuleView]:
    """module name -> view, for every module under params/."""
    where_models = {m.name: m.module for m in api.models}
    where = {d.name: d.module for d in api.params}
    grouped: dict[str, list[ir.TypedDictDef | ir.ParamsAlias]] = {}
    for definition in api.params:
        grouped.setdefault(definition.module, []).append(definition)
    views = {}
    for module, members in sorted(grouped.items()):
        imports = Imports()
        imports.name("__future__", "annotations")
        printer = TypePrinter(
            "params",
            imports,
            model_modules=where_models,
            params_modules=where,
            module=module,
        )
        # TypedDicts (annotations evaluated late) first, then the aliases, whose
        # expressions run when the module is imported.
        ordered = sorted(members, key=lambda d: (isinstance(d, ir.ParamsAlias), d.name))
        classes = tuple(_params_class(d, printer, imports) for d in ordered)
        exports = tuple(sorted(d.name for d in members))
        views[module] = ModuleView(tuple(imports.lines()), exports, classes)
    return views


def _params_class(
    definition: ir.TypedDictDef | ir.ParamsAlias, printer: TypePrinter, imports: Imports
) -> ClassView:
    if isinstance(definition, ir.ParamsAlias):
        imports.name("typing", "TypeAlias")
        header = f"{definition.name}: TypeAlias = {printer.expr(definition.type)}"
        return ClassView("alias", definition.name, header, "")
    imports.name("typing_extensions", "TypedDict")
    doc = block_docstring(
        f"The dict form of `models.{definition.model}` (what a request accepts).",
        FIELD_INDENT,
    )
    entries: list[tuple[str, str]] = []
    for item in definition.fields:
        annotation = printer.expr(item.type)
        if item.required:
            imports.name("typing_extensions", "Required")
            annotation = f"Required[{annotation}]"
        entries.append((item.wire_name, annotation))
    if all(_plain_key(key) for key, _ in entries):
        fields = tuple(FieldView(f"{key}: {value}", "") for key, value in entries)
        header = f"class {definition.name}(TypedDict, total=False):"
        return ClassView("class", definition.name, header, doc, fields)
    # Keys that are not identifiers (`hate/threatening`, `from`): the functional form,
    # values quoted because they may name classes defined later in the module.
    body = ", ".join(
        f"{py_literal(key)}: {py_literal(value)}" for key, value in entries
    )
    header = (
        f"{definition.name} = TypedDict({py_literal(definition.name)}, "
        f"{{{body}}}, total=False)"
    )
    return ClassView("functional", definition.name, header, "")


def _plain_key(key: str) -> bool:
    import keyword

    return key.isidentifier() and not keyword.iskeyword(key) and key.isascii()
