"""Import a generated package completely: every module, every model class built.

Models are built lazily (`defer_build`), so importing a module proves little: a pattern
pydantic-core cannot compile, or a forward reference that does not resolve, fails only when
the class is first used. `check_package` imports every module of the package and forces every
pydantic model class to build its validator and serializer.

(Not its JSON schema: pydantic 2.14 cannot write one for some valid models, e.g. a
RootModel of `Literal[-1] | Any`, raising LookupError; clients never need it.)
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path

import pydantic
from pydantic_core import SchemaValidator


def check_package(project: Path, package: str | None = None) -> list[str]:
    """Problems found importing `project/<package>` fully ([] when it all builds).

    `project` is a generated project folder (it holds `<package>/`); the folder is put on
    sys.path for the import.
    """
    package = package or project.name
    if str(project) not in sys.path:
        sys.path.insert(0, str(project))
    problems: list[str] = []
    folder = project / package
    names = [
        ".".join(
            (package, *path.relative_to(folder).with_suffix("").parts)
        ).removesuffix(".__init__")
        for path in folder.rglob("*.py")
    ]
    for name in sorted(names):
        try:
            module = importlib.import_module(name)
        except Exception as exc:  # every failure is a finding, reported by name
            if isinstance(exc, SyntaxError):
                exc = SyntaxError(f"{exc.msg} ({exc.filename}:{exc.lineno})")
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
            if not isinstance(cls.__pydantic_validator__, SchemaValidator):
                raise TypeError("the validator was not built")
        except Exception as exc:
            text = " ".join(str(exc).split())[:300]
            problems.append(f"{where}: {type(exc).__name__}: {text}")
    return problems
