"""Rules every generated package keeps, checked on its files (and, for the import rules,
on a copy of the package under another name, in a fresh interpreter).

Each function returns the violations it found (empty: the rule holds), so a failing test
names every offending file and line.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import isort

LINE_LENGTH = 88
RENAMED = "renamed_copy_pkg"


def python_files(package: Path) -> Iterator[Path]:
    yield from sorted(p for p in package.rglob("*.py") if "__pycache__" not in p.parts)


def _class_body_key(node: ast.ClassDef) -> str:
    """A class without its name: bases, keywords and body."""
    parts = [*node.bases, *node.keywords, *node.body, *node.decorator_list]
    return "|".join(ast.dump(part) for part in parts)


def duplicate_classes(package: Path, spec_names: frozenset[str]) -> list[str]:
    """Classes of models/ and params/ identical apart from their name, unless both are
    named by the spec (components the spec wrote twice keep their names)."""
    seen: dict[str, str] = {}
    found = []
    for folder in ("models", "params"):
        for path in python_files(package / folder):
            for node in ast.parse(path.read_text(encoding="utf-8")).body:
                if isinstance(node, ast.ClassDef):
                    key = _class_body_key(node)
                    where = f"{path.relative_to(package)}:{node.name}"
                    if key not in seen:
                        seen[key] = where
                    elif not {node.name, seen[key].split(":")[1]} <= spec_names:
                        found.append(f"{where} is {seen[key]} renamed")
    return found


def missing_all(package: Path) -> list[str]:
    found = []
    for path in python_files(package):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {
            target.id
            for node in tree.body
            if isinstance(node, (ast.Assign, ast.AnnAssign))
            for target in (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
            if isinstance(target, ast.Name)
        }
        if "__all__" not in names:
            found.append(str(path.relative_to(package)))
    return found


def unsorted_imports(package: Path) -> list[str]:
    """Files isort (black profile) would change."""
    return [
        str(path.relative_to(package))
        for path in python_files(package)
        if not isort.check_code(
            path.read_text(encoding="utf-8"), profile="black", show_diff=False
        )
    ]


def absolute_self_imports(package: Path) -> list[str]:
    """Lines importing the package by its own name (a renamed copy could not load them)."""
    name = package.name
    found = []
    for path in python_files(package):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            module = None
            if isinstance(node, ast.ImportFrom) and node.level == 0:
                module = node.module or ""
            elif isinstance(node, ast.Import):
                module = ",".join(alias.name for alias in node.names)
            if module and (module == name or module.startswith(name + ".")):
                found.append(f"{path.relative_to(package)}:{node.lineno}")
    return found


def whitespace(package: Path) -> list[str]:
    found = []
    for path in sorted(package.parent.rglob("*")):
        if not path.is_file() or "__pycache__" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        for number, line in enumerate(text.split("\n"), 1):
            if line != line.rstrip():
                found.append(f"{path.relative_to(package.parent)}:{number}")
        if not text.endswith("\n") or text.endswith("\n\n"):
            found.append(f"{path.relative_to(package.parent)}: end of file")
    return found


def _docstrings(tree: ast.AST) -> Iterator[tuple[ast.Constant, bool]]:
    """(docstring node, whether it documents an attribute)."""
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if not isinstance(body, list):
            continue
        for index, item in enumerate(body):
            if not (
                isinstance(item, ast.Expr)
                and isinstance(item.value, ast.Constant)
                and isinstance(item.value.value, str)
            ):
                continue
            first = index == 0 and not isinstance(node, ast.Module)
            attribute = index > 0 and isinstance(body[index - 1], ast.AnnAssign)
            if first or attribute or (index == 0 and isinstance(node, ast.Module)):
                yield item.value, attribute


def docstring_layout(package: Path) -> list[str]:
    """Docstring lines within the line length unless they cannot be broken (one long
    word, a table row, a code block); attribute docstrings on one line where they fit.
    """
    found = []
    for path in python_files(package):
        if "_runtime" in path.parts:
            continue  # hand-written, copied as is
        source = path.read_text(encoding="utf-8")
        lines = source.split("\n")
        for node, attribute in _docstrings(ast.parse(source)):
            assert node.end_lineno is not None
            where = f"{path.relative_to(package)}:{node.lineno}"
            fenced = False
            for line in lines[node.lineno - 1 : node.end_lineno]:
                stripped = line.strip().strip('"')
                if stripped.startswith("```"):
                    fenced = not fenced
                if fenced or stripped.startswith("|") or len(line) <= LINE_LENGTH:
                    continue
                if _breakable(line):
                    found.append(f"{where}: {line.strip()[:60]}...")
            text = node.value
            assert isinstance(text, str)
            indent = node.col_offset
            if (
                attribute
                and node.end_lineno > node.lineno
                and "\n" not in text.strip()
                and indent + len(text.strip()) + 6 <= LINE_LENGTH
            ):
                found.append(f"{where}: fits on one line")
    return found


def _breakable(line: str) -> bool:
    indent = len(line) - len(line.lstrip())
    position = line.find(" ", indent)
    while position != -1:
        if position <= LINE_LENGTH and line[indent:position].strip():
            return True
        position = line.find(" ", position + 1)
    return False


def repeated_words(names: list[str]) -> list[str]:
    from oapigen.naming import repeats_words

    return [name for name in names if repeats_words(name)]


_LOADER = textwrap.dedent("""
    import functools, importlib, inspect, json, pkgutil, sys, typing

    name = sys.argv[1]
    package = importlib.import_module(name)
    problems = []
    modules = [package]
    for info in pkgutil.walk_packages(package.__path__, name + "."):
        modules.append(importlib.import_module(info.name))
    original = sys.argv[2]
    leaked = sorted(m for m in sys.modules if m == original or m.startswith(original + "."))
    if leaked:
        problems.append("the original package was imported: " + ", ".join(leaked[:5]))

    def hints(what, label):
        try:
            typing.get_type_hints(what, include_extras=True)
        except Exception as exc:
            problems.append(f"get_type_hints({label}): {type(exc).__name__}: {exc}")

    import pydantic

    checked = 0
    for module in modules:
        if "._runtime" in module.__name__:
            continue  # hand-written runtime: its own tests
        for attr, value in sorted(vars(module).items()):
            if not inspect.isclass(value) or value.__module__ != module.__name__:
                continue
            if attr.startswith("_"):
                continue
            label = f"{module.__name__}.{attr}"
            if issubclass(value, pydantic.BaseModel):
                try:
                    value.model_rebuild(force=True)
                    value.model_json_schema()
                except Exception as exc:
                    problems.append(f"{label} does not build: {type(exc).__name__}: {exc}")
                hints(value, label)
                checked += 1
                continue
            if isinstance(value, type) and typing.is_typeddict(value):
                hints(value, label)
                checked += 1
                continue
            for member, item in sorted(vars(value).items()):
                if member.startswith("_"):
                    continue
                if isinstance(item, functools.cached_property):
                    item = item.func
                if inspect.isfunction(item):
                    hints(item, f"{label}.{member}")
                    checked += 1
    print(json.dumps({"problems": problems, "checked": checked}))
    """)


def load_renamed_copy(package: Path, scratch: Path) -> tuple[list[str], int]:
    """Copy the package folder as `renamed_copy_pkg`, import every module of it in a
    fresh interpreter, build every model, and call `typing.get_type_hints` on every
    model, dict form and public method the generator wrote (client and resources; the
    runtime base classes are hand-written and tested on their own)."""
    copy = scratch / RENAMED
    if copy.exists():
        shutil.rmtree(copy)
    shutil.copytree(package, copy, ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run(
        [sys.executable, "-c", _LOADER, RENAMED, package.name],
        cwd=scratch,
        env={"PATH": "", "PYTHONPATH": str(scratch)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode != 0:
        return [result.stderr[-3000:]], 0
    report = json.loads(result.stdout.strip().splitlines()[-1])
    return list(report["problems"]), int(report["checked"])
