"""Import a generated package completely: every module, every model class built.

Models are built lazily (`defer_build`), so importing a module proves little: a pattern
pydantic-core cannot compile, or a forward reference that does not resolve, fails only when
the class is first used. `check_package` imports every module of the package and forces every
pydantic model class to build its validator and its JSON schema.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from pathlib import Path

import pydantic


def check_package(project: Path, package: str | None = None) -> list[str]:
    """Problems found importing `project/<package>` fully ([] when it all builds).

    `project` is a generated project folder (it holds `<package>/`); the folder is put on
    sys.path for the import.
    """
    package = package or project.name
    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    problems: list[str] = []
    root = importlib.import_module(package)
    names = [package]
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        names.append(info.name)
    for name in sorted(names):
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # every failure is a finding, reported by name
            problems.append(f"{name}: import failed: {type(exc).__name__}: {exc}")
            continue
        problems.extend(_check_models(module))
    return problems


def model_classes(module: object) -> list[type[pydantic.BaseModel]]:
    """Pydantic model classes defined in (not imported into) `module`."""
    name = getattr(module, "__name__", "")
    return [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and issubclass(value, pydantic.BaseModel)
        and value.__module__ == name
    ]


def _check_models(module: object) -> list[str]:
    problems = []
    for cls in model_classes(module):
        where = f"{cls.__module__}.{cls.__qualname__}"
        try:
            cls.model_rebuild(force=True)
            cls.model_json_schema()
        except Exception as exc:
            text = " ".join(str(exc).split())[:300]
            problems.append(f"{where}: {type(exc).__name__}: {text}")
    return problems
