"""What a caller may pass: argument types, and the dict forms of request models.

An argument whose schema is an object model accepts the model or a `TypedDict` made from
the same schema (`ChatCompletionTool | ChatCompletionToolParam`), so a dict literal with a
misspelled key, a missing required key or a wrong literal is a type error, as with the
official SDK. A union component whose members include models gets a named argument type
(`ChatCompletionRequestMessageParam`), which keeps signatures short.

Three passes keep names independent of the order operations are met: `need` every
argument type, `settle` the names (sorted), then `argument` builds the types.
"""

from __future__ import annotations

from collections.abc import Iterable

from .. import ir
from ..naming import Scope
from .graph import strongly_connected
from .types import union


class ParamsPlanner:
    def __init__(self, models: Iterable[ir.Model], classes: Scope) -> None:
        self._models = {m.name: m for m in models}
        self._classes = classes
        self._dicts: dict[str, str] = {}  # model -> TypedDict name
        self._aliases: dict[ir.UnionOf, str] = {}  # named union -> alias name
        self._wanted_dicts: set[str] = set()
        self._wanted_aliases: set[ir.UnionOf] = set()
        self._settled = False

    # -- pass 1 ----------------------------------------------------------------------

    def need(self, node: ir.TypeNode) -> None:
        """Note every dict form and alias that `argument(node)` will refer to."""
        if isinstance(node, ir.ModelRef):
            model = self._target(node.name)
            if model.kind == "object" and model.name not in self._wanted_dicts:
                self._wanted_dicts.add(model.name)
                for item in ir.all_fields(model, self._models):
                    self.need(item.type)
        elif isinstance(node, ir.UnionOf):
            if self._alias_wanted(node):
                self._wanted_aliases.add(node)
            for member in node.members:
                self.need(member)
        elif isinstance(node, ir.ListOf):
            self.need(node.item)
        elif isinstance(node, ir.MapOf):
            self.need(node.value)

    def _alias_wanted(self, node: ir.UnionOf) -> bool:
        return node.alias is not None and any(
            isinstance(m, ir.ModelRef) for m in node.members
        )

    def _target(self, name: str) -> ir.Model:
        model = self._models[name]
        seen = {name}
        while (
            model.kind == "alias"
            and isinstance(model.root, ir.ModelRef)
            and model.root.name not in seen
        ):
            seen.add(model.root.name)
            model = self._models[model.root.name]
        return model

    # -- pass 2 ----------------------------------------------------------------------

    def settle(self) -> None:
        wishes: dict[tuple[int, str, str], tuple[str, ...]] = {}
        unions = {(node.alias or "", repr(node)): node for node in self._wanted_aliases}
        for alias, text in unions:
            wishes[(0, alias, text)] = (f"{alias}Param",)
        for name in self._wanted_dicts:
            wishes[(1, name, "")] = (f"{name}Param",)
        for (kind, name, text), claimed in self._classes.assign(wishes).items():
            if kind == 0:
                self._aliases[unions[(name, text)]] = claimed
            else:
                self._dicts[name] = claimed
        self._settled = True

    # -- pass 3 ----------------------------------------------------------------------

    def argument(self, node: ir.TypeNode, *, files: bool = False) -> ir.TypeNode:
        """The type a caller may pass where a value of `node` is sent."""
        assert self._settled, "settle() first"
        if isinstance(node, ir.ModelRef):
            model = self._target(node.name)
            if model.kind == "object":
                return ir.UnionOf(
                    (ir.ModelRef(model.name), ir.ParamsRef(self._dicts[model.name]))
                )
            return ir.ModelRef(model.name)
        if isinstance(node, ir.UnionOf):
            if node.alias is not None and node in self._aliases:
                return ir.ParamsRef(self._aliases[node])
            return union([self.argument(m, files=files) for m in node.members])
        if isinstance(node, ir.ListOf):
            return ir.ListOf(self.argument(node.item, files=files))
        if isinstance(node, ir.MapOf):
            return ir.MapOf(self.argument(node.value, files=files))
        if files and isinstance(node, ir.Scalar) and node.name == "bytes":
            return ir.FileInput()
        return node

    def definitions(self, modules: Scope) -> list[ir.TypedDictDef | ir.ParamsAlias]:
        """Every dict form and alias, each in its module under params/."""
        found: list[ir.TypedDictDef | ir.ParamsAlias] = []
        for union_node, name in self._aliases.items():
            members = union([self.argument(m) for m in union_node.members])
            found.append(ir.ParamsAlias(name, "", members))
        for model_name, name in self._dicts.items():
            model = self._models[model_name]
            fields = tuple(
                ir.Field(
                    name=item.wire_name,
                    wire_name=item.wire_name,
                    type=self.argument(item.type),
                    required=item.required,
                    description=item.description,
                    deprecated=item.deprecated,
                )
                for item in ir.all_fields(model, self._models)
            )
            found.append(ir.TypedDictDef(name, "", model_name, fields))
        return _with_modules(found, modules)


def _with_modules(
    found: list[ir.TypedDictDef | ir.ParamsAlias], modules: Scope
) -> list[ir.TypedDictDef | ir.ParamsAlias]:
    from dataclasses import replace

    names = {d.name for d in found}
    edges: dict[str, list[str]] = {}
    for definition in found:
        nodes = (
            [f.type for f in definition.fields]
            if isinstance(definition, ir.TypedDictDef)
            else [definition.type]
        )
        refs: set[str] = set()
        for node in nodes:
            refs |= params_names(node)
        edges[definition.name] = sorted(refs & names)
    module_of: dict[str, str] = {}
    for group in sorted(strongly_connected(edges), key=min):
        module = modules.claim(min(group))
        for name in group:
            module_of[name] = module
    return sorted(
        (replace(d, module=module_of[d.name]) for d in found), key=lambda d: d.name
    )


def params_names(node: ir.TypeNode) -> set[str]:
    if isinstance(node, ir.ParamsRef):
        return {node.name}
    if isinstance(node, ir.ListOf):
        return params_names(node.item)
    if isinstance(node, ir.MapOf):
        return params_names(node.value)
    if isinstance(node, ir.UnionOf):
        return set().union(*(params_names(m) for m in node.members))
    return set()
