"""Type trees -> Python type expressions, and the imports each expression needs.

Where the expression is printed decides its spelling: a model field reads `list[X]`,
`dict[str, X]`, `Any` and names sibling classes; an argument (in a resource or a dict
form) reads `Sequence[X]`, `Mapping[str, X]`, `object` (what a caller naturally has), and
a resource module reaches models and dict forms through `_models.` and `_params.`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from typing_extensions import assert_never

from .. import ir
from .imports import Imports
from .text import py_literal

# "result": a method's result type in a resource module (model spellings, `_models.`)
Position = Literal["model", "params", "resource", "result"]


class TypePrinter:
    def __init__(
        self,
        position: Position,
        imports: Imports,
        *,
        model_modules: Mapping[str, str],
        params_modules: Mapping[str, str] | None = None,
        module: str = "",
    ) -> None:
        self.position = position
        self.imports = imports
        self._model_modules = model_modules
        self._params_modules = params_modules or {}
        self._module = module  # the module being printed (model or params position)

    def expr(self, node: ir.TypeNode) -> str:
        if isinstance(node, ir.Scalar):
            return self._scalar(node.name)
        if isinstance(node, ir.AnyValue):
            if self.position == "model" or self.position == "result":
                self.imports.name("typing", "Any")
                return "Any"
            return "object"
        if isinstance(node, ir.NoneValue):
            return "None"
        if isinstance(node, ir.LiteralOf):
            self.imports.name("typing", "Literal")
            return "Literal[" + ", ".join(py_literal(v) for v in node.values) + "]"
        if isinstance(node, ir.ListOf):
            if self.position == "model" or self.position == "result":
                return f"list[{self.expr(node.item)}]"
            self.imports.name("collections.abc", "Sequence")
            return f"Sequence[{self.expr(node.item)}]"
        if isinstance(node, ir.MapOf):
            if self.position == "model" or self.position == "result":
                return f"dict[str, {self.expr(node.value)}]"
            self.imports.name("collections.abc", "Mapping")
            return f"Mapping[str, {self.expr(node.value)}]"
        if isinstance(node, ir.UnionOf):
            return self._union(node)
        if isinstance(node, ir.ModelRef):
            return self._model(node.name)
        if isinstance(node, ir.ParamsRef):
            return self._params(node.name)
        if isinstance(node, ir.FileInput):
            self._runtime()
            return "_rt.FileInput"
        assert_never(node)

    def _scalar(self, name: ir.ScalarName) -> str:
        if name == "str" or name == "int" or name == "float" or name == "bool":
            return name
        if name == "bytes":
            return name
        if name == "datetime" or name == "date" or name == "time":
            self.imports.name("datetime", name)
            return name
        assert_never(name)

    def _union(self, node: ir.UnionOf) -> str:
        members = [m for m in node.members if not isinstance(m, ir.NoneValue)]
        tail = " | None" if len(members) < len(node.members) else ""
        joined = " | ".join(self.expr(m) for m in members)
        if node.discriminator is not None and self.position == "model":
            self.imports.name("typing", "Annotated")
            self.imports.name("pydantic", "Field")
            tag = py_literal(node.discriminator)
            return f"Annotated[{joined}, Field(discriminator={tag})]{tail}"
        return joined + tail

    def _model(self, name: str) -> str:
        if self.position == "resource" or self.position == "result":
            return f"_models.{name}"
        module = self._model_modules[name]
        if self.position == "model":
            if module != self._module:
                self.imports.name(f".{module}", name)
        else:
            self.imports.name(f"..models.{module}", name)
        return name

    def _params(self, name: str) -> str:
        if self.position == "resource":
            return f"_params.{name}"
        if self.position == "model" or self.position == "result":
            raise ValueError(f"a model cannot refer to the dict form {name}")
        module = self._params_modules[name]
        if module != self._module:
            self.imports.name(f".{module}", name)
        return name

    def _runtime(self) -> None:
        if self.position == "resource" or self.position == "result":
            return  # resource modules always import the runtime as `_rt`
        self.imports.name("..", "_runtime", "_rt")


def mentions_package_types(node: ir.TypeNode) -> bool:
    """Whether printing `node` names a model, a dict form or the runtime (so a module-level
    alias of it would import them when the module is imported)."""
    if isinstance(node, (ir.ModelRef, ir.ParamsRef, ir.FileInput)):
        return True
    if isinstance(node, ir.ListOf):
        return mentions_package_types(node.item)
    if isinstance(node, ir.MapOf):
        return mentions_package_types(node.value)
    if isinstance(node, ir.UnionOf):
        return any(mentions_package_types(m) for m in node.members)
    return False
