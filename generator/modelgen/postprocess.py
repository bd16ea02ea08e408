"""What dmcg cannot do, done on the parsed module (never by regular expressions over
code): the import block rebuilt (relative imports of the base model, only what the
module uses, sorted as isort's black profile sorts), `__all__`, the module-level
`model_rebuild()` calls dropped (validators are built on first use: importing a model
must stay cheap; forward references resolve then), `from __future__ import
annotations` only where an annotation refers forward (see `_forward_references`), and
strings quoted as black quotes them (dmcg prints `repr`), so that black only sees the
lines that are too long.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

from ..render.imports import Imports
from ..render.text import LINE_LENGTH, py_literal
from .prepare import BASE_MODULE


def module_body(source: str, exports: Sequence[str]) -> str:
    """dmcg's module -> ours, without the header line."""
    tree = ast.parse(source)
    strings, used = _strings_and_names(tree)
    lines = _requoted(source.split("\n"), strings)
    imports = Imports()
    if _forward_references(tree):
        imports.name("__future__", "annotations")
    kept: list[str] = []
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            module = _module_path(node)
            for alias in node.names:
                bound = alias.asname or alias.name
                if module != "__future__" and bound in used:
                    imports.name(module, alias.name, alias.asname)
            continue
        if isinstance(node, ast.Import):
            for alias in node.names:
                if (alias.asname or alias.name.split(".")[0]) in used:
                    imports.module(alias.name)  # dmcg writes no `import x as y`
            continue
        if _is_model_rebuild(node):
            continue
        start = node.lineno - 1
        if hasattr(node, "decorator_list") and node.decorator_list:
            start = node.decorator_list[0].lineno - 1
        assert node.end_lineno is not None
        kept.append("\n".join(lines[start : node.end_lineno]))
    head = "\n".join(imports.lines()) + "\n\n" + _all_list(sorted(exports))
    return "\n\n\n".join([head, *kept]) + "\n"


def _all_list(names: list[str]) -> str:
    """`__all__ = [...]`, split as black splits it when too long: one name a line,
    with a trailing comma unless there is only one."""
    quoted = [f'"{name}"' for name in names]
    line = f"__all__ = [{', '.join(quoted)}]"
    if len(line) <= LINE_LENGTH:
        return line
    if len(quoted) == 1:
        return f"__all__ = [\n    {quoted[0]}\n]"
    return "__all__ = [\n" + "".join(f"    {q},\n" for q in quoted) + "]"


# line index -> (start, end, value) of each one-line string constant on it
_Strings = dict[int, list[tuple[int, int, str]]]


def _strings_and_names(tree: ast.Module) -> tuple[_Strings, set[str]]:
    """One walk (the module's largest cost on a big spec): the one-line strings of the
    module, and the names its statements use (imports and `model_rebuild()` calls,
    which are rewritten or dropped, not counted)."""
    strings: _Strings = {}
    used: set[str] = set()
    for statement in tree.body:
        skipped = isinstance(statement, (ast.Import, ast.ImportFrom))
        skipped = skipped or _is_model_rebuild(statement)
        for node in ast.walk(statement):
            if isinstance(node, ast.Name):
                if not skipped:
                    used.add(node.id)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.lineno == node.end_lineno
                and node.end_col_offset is not None
            ):
                strings.setdefault(node.lineno - 1, []).append(
                    (node.col_offset, node.end_col_offset, node.value)
                )
    return strings, used


def _requoted(lines: list[str], spots: _Strings) -> list[str]:
    """`lines` with every one-line string dmcg wrote in single quotes spelled as
    `py_literal` spells it (an implicit concatenation, which is not one token, is left).
    """
    for index, found in spots.items():
        line = lines[index].encode("utf-8")  # ast's columns count UTF-8 bytes
        for start, end, value in sorted(found, reverse=True):
            written = line[start:end].decode("utf-8")
            if written.startswith("'") and written == repr(value):
                line = line[:start] + py_literal(value).encode("utf-8") + line[end:]
        lines[index] = line.decode("utf-8")
    return lines


def _forward_references(tree: ast.Module) -> bool:
    """Whether a class annotation needs postponed evaluation: it names a class of this
    module not defined yet (itself included) or a field name of its class (which the
    class body would bind first). Otherwise annotations are evaluated as the class
    body runs, instead of pydantic compiling and evaluating each one's text when it
    builds the class: a third of a model class's creation."""
    ours = {
        target.id
        for node in tree.body
        for target in _bound(node)
        if isinstance(target, ast.Name)
    }
    defined: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            fields = {
                item.target.id
                for item in node.body
                if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
            }
            for item in node.body:
                if not isinstance(item, ast.AnnAssign):
                    continue
                for child in ast.walk(item.annotation):
                    if isinstance(child, ast.Name) and (
                        child.id in fields
                        or (child.id in ours and child.id not in defined)
                    ):
                        return True
        defined.update(t.id for t in _bound(node) if isinstance(t, ast.Name))
    return False


def _bound(node: ast.stmt) -> list[ast.expr]:
    """The names a top-level statement binds (classes and assignments)."""
    if isinstance(node, ast.ClassDef):
        return [ast.Name(id=node.name)]
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, ast.AnnAssign):
        return [node.target]
    return []


def _module_path(node: ast.ImportFrom) -> str:
    module = node.module or ""
    if node.level:
        return "." * node.level + module
    if module == BASE_MODULE:  # the base class, named absolutely for dmcg
        return "." + module
    return module


def _is_model_rebuild(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Call)
        and isinstance(node.value.func, ast.Attribute)
        and node.value.func.attr == "model_rebuild"
        and isinstance(node.value.func.value, ast.Name)
    )
