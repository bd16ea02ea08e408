"""Model and dict-form modules: what `model.py.jinja` and `params.py.jinja` print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

from typing_extensions import assert_never

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


def _declaration_order(names: list[str], needs: Mapping[str, set[str]]) -> list[str]:
    """Sorted by name, except that a class comes after what its class statement
    evaluates (its base, an alias's target)."""
    done: list[str] = []
    placed: set[str] = set()

    def place(name: str, trail: frozenset[str]) -> None:
        if name in placed or name in trail:
            return
        for need in sorted(needs.get(name, ())):
            if need in names:
                place(need, trail | {name})
        placed.add(name)
        done.append(name)

    for name in sorted(names):
        place(name, frozenset())
    return done


def model_modules(api: ir.Api) -> dict[str, ModuleView]:
    """module name -> view, for every module under models/."""
    where = {m.name: m.module for m in api.models}
    grouped: dict[str, list[ir.Model]] = {}
    for model in api.models:
        grouped.setdefault(model.module, []).append(model)
    return {
        module: _model_module(module, members, where)
        for module, members in sorted(grouped.items())
    }


def _model_module(
    module: str, members: Sequence[ir.Model], where: Mapping[str, str]
) -> ModuleView:
    imports = Imports()
    imports.name("__future__", "annotations")
    printer = TypePrinter("model", imports, model_modules=where, module=module)
    by_name = {m.name: m for m in members}
    needs: dict[str, set[str]] = {}
    for model in members:
        needs[model.name] = {model.base} if model.base else set()
        if model.kind == "alias" and isinstance(model.root, ir.ModelRef):
            needs[model.name].add(model.root.name)
    order = _declaration_order(list(by_name), needs)
    classes = []
    for position, name in enumerate(order):
        later = set(order[position:])
        classes.append(_model_class(by_name[name], printer, imports, later))
    return ModuleView(tuple(imports.lines()), tuple(sorted(by_name)), tuple(classes))


def _model_class(
    model: ir.Model, printer: TypePrinter, imports: Imports, later: set[str]
) -> ClassView:
    doc = block_docstring(model.description, FIELD_INDENT) if model.description else ""
    kind = model.kind
    if kind == "alias":
        assert model.root is not None
        return ClassView(
            "alias", model.name, f"{model.name} = {printer.expr(model.root)}", ""
        )
    if kind == "root":
        assert model.root is not None
        imports.name("pydantic", "RootModel")
        plain = model.root
        if isinstance(plain, ir.UnionOf):
            plain = replace(plain, discriminator=None)
        from ..planner.models import model_names

        if model_names(plain) & later:  # not defined yet when the class statement runs
            imports.name("typing", "Any")
            parameter = "Any"
        else:
            parameter = printer.expr(plain)
        root = FieldView(f"root: {printer.expr(model.root)}", "")
        header = f"class {model.name}(RootModel[{parameter}]):"
        return ClassView("class", model.name, header, doc, (root,))
    if kind == "object":
        if model.base is None:
            imports.name("._base", "BaseModel")
            base = "BaseModel"
        else:
            base = printer.expr(ir.ModelRef(model.base))
        fields = tuple(_field(f, printer, imports) for f in model.fields)
        return ClassView(
            "class", model.name, f"class {model.name}({base}):", doc, fields
        )
    assert_never(kind)


def _field(item: ir.Field, printer: TypePrinter, imports: Imports) -> FieldView:
    annotation = printer.expr(item.type)
    arguments: list[str] = []
    if not item.required:
        if not _allows_none(item.type):
            annotation += " | None"
        arguments.append("default=None")
    if item.name != item.wire_name:
        arguments.append(f"alias={py_literal(item.wire_name)}")
    arguments += [f"{c.name}={py_literal(c.value)}" for c in item.constraints]
    if item.deprecated:
        arguments.append("deprecated=True")
    if arguments == ["default=None"]:
        value = " = None"
    elif arguments:
        imports.name("pydantic", "Field")
        value = f" = Field({', '.join(arguments)})"
    else:
        value = ""
    doc = block_docstring(item.description, FIELD_INDENT) if item.description else ""
    return FieldView(f"{item.name}: {annotation}{value}", doc)


def _allows_none(node: ir.TypeNode) -> bool:
    return isinstance(node, ir.NoneValue) or (
        isinstance(node, ir.UnionOf) and ir.NoneValue() in node.members
    )


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
