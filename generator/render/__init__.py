"""IR -> {relative path: text}. The only module that imports jinja2.

Everything a template prints is computed here (`methods`, `models`, `types`, `text`):
signatures, type expressions, import blocks and docstrings are strings by the time a
template sees them, so templates are loops, ifs and interpolation. Sync and async
methods render from the same IR node.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from .. import ir, layout
from ..emit.cache import template_bytecode_cache
from ..layout import PACKAGE_EXPORTS
from ..readme import readme_view
from .docs import docs_files
from .imports import Imports
from .methods import ResourceSurface, operation_statement
from .models import params_modules
from .text import LINE_LENGTH, block_docstring, docstring, header_line, py_literal

__all__ = [
    "docstring",
    "header_line",
    "py_literal",
    "render",
    "render_resources",
    "runtime_files",
]


def _templates_dir() -> Path:
    """Installed, the templates sit inside the package (`oapigen/templates`); in the source
    tree (and an editable install) they are the repository's top-level `templates/`."""
    here = Path(__file__).resolve().parent.parent
    inside = here / "templates"
    return inside if (inside / "runtime").is_dir() else here.parent / "templates"


TEMPLATES = _templates_dir()
RUNTIME = TEMPLATES / "runtime"


@cache
def runtime_exports() -> tuple[str, ...]:
    """The names of PACKAGE_EXPORTS the runtime's `__all__` lists."""
    tree = ast.parse((RUNTIME / "__init__.py").read_text(encoding="utf-8"))
    listed: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            listed.update(ast.literal_eval(node.value))
    return tuple(name for name in PACKAGE_EXPORTS if name in listed)


@cache
def runtime_lazy_names() -> frozenset[str]:
    """The runtime's names loaded on first access (the keys of its `_LAZY`): the
    package `__init__` re-exports them lazily too, so importing it stays cheap."""
    tree = ast.parse((RUNTIME / "__init__.py").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "_LAZY" for t in node.targets
        ):
            return frozenset(ast.literal_eval(node.value))
    return frozenset()


def import_order(names: list[str]) -> list[str]:
    """As isort orders the names of one import: CONSTANTS, Classes, functions."""

    def key(name: str) -> tuple[int, str]:
        kind = 0 if name.isupper() else 1 if name[:1].isupper() else 2
        return kind, name

    return sorted(names, key=key)


def client_options_doc(api: ir.Api) -> str:
    lines = ["The client and its options, each sent as its header when set:", ""]
    for option in api.client_options:
        text = option.description or f"Sent as the `{option.header}` header."
        if option.env:
            text += f" Default: the `{option.env}` environment variable."
        lines.append(f"- `{option.name}`: {text}")
    return "\n".join(lines)


_ENVIRONMENT: dict[str, Any] = dict(
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
    autoescape=False,
)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        # compiled templates are kept between runs, keyed by these settings too
        bytecode_cache=template_bytecode_cache(repr(sorted(_ENVIRONMENT.items()))),
        **_ENVIRONMENT,
    )
    env.filters["py_literal"] = py_literal
    env.filters["docstring"] = docstring
    env.filters["block_docstring"] = block_docstring
    env.globals["operation_statement"] = operation_statement
    env.globals["lazy_imports"] = lazy_imports
    env.globals["client_options_doc"] = client_options_doc
    return env


def lazy_imports(entries: list[tuple[str, str]]) -> list[str]:
    """The `if TYPE_CHECKING:` imports of a lazy package `__init__` (name, module)."""
    imports = Imports()
    for name, module in entries:
        imports.name(f".{module}", name)
    return imports.lines(LINE_LENGTH - 4)  # printed inside `if TYPE_CHECKING:`


def resource_entries(api: ir.Api) -> list[tuple[str, str]]:
    return [
        (name, resource.module)
        for resource in api.resources
        for name in (resource.class_name, resource.async_class_name)
    ]


def render(api: ir.Api, *, resources: bool = True) -> dict[str, str]:
    """Every file of the generated project but the model modules (`modelgen` prints
    those), runtime included (resource modules only with `resources`: the pipeline
    renders their sync halves itself, see `mirror`)."""
    env = _environment()
    header = header_line(api.spec_name)
    files: dict[str, str] = {}
    context = {"api": api, "header": header, "readme": readme_view(api)}

    def put(path: str, template: str, **extra: object) -> None:
        files[path] = env.get_template(template).render(**context, **extra)

    put("pyproject.toml", "pyproject.toml.jinja")
    put("README.md", "README.md.jinja")
    exported = list(runtime_exports())
    lazy = runtime_lazy_names()
    clients = [api.client_class, api.async_client_class]
    put(
        layout.package_file(api, "__init__.py"),
        "package_init.py.jinja",
        runtime_exports=import_order([n for n in exported if n not in lazy]),
        runtime_lazy=import_order([n for n in exported if n in lazy]),
        exports=sorted([*exported, *clients, "__version__"]),
    )
    put(layout.package_file(api, "_version.py"), "version.py.jinja")
    put(layout.package_file(api, "_client.py"), "client.py.jinja")
    put(layout.package_file(api, "__main__.py"), "package_main.py.jinja")
    put(
        layout.package_file(api, "resources/__init__.py"),
        "lazy_init.py.jinja",
        doc="One module per resource; the client imports each on first use.",
        entries=resource_entries(api),
    )
    put(
        layout.package_file(api, "models/__init__.py"),
        "lazy_init.py.jinja",
        doc=f"Models of the {api.title}, one module each, imported on first use.",
        entries=[(m.name, m.module) for m in api.models],
    )
    put(layout.package_file(api, "models/_base.py"), "models_base.py.jinja")
    put(
        layout.package_file(api, "params/__init__.py"),
        "lazy_init.py.jinja",
        doc=(
            f"Dict forms of the {api.title} request models (TypedDicts), "
            "imported on first use."
        ),
        entries=[(d.name, d.module) for d in api.params],
    )
    for module, view in params_modules(api).items():
        put(layout.params_module(api, module), "params.py.jinja", module=view)
    files[layout.package_file(api, "py.typed")] = header + "\n"
    files.update(docs_files(api, env, header))  # docs/: the reference
    if resources:
        files.update(render_resources(api, env))
    files.update(runtime_files(api))
    return files


def render_resources(
    api: ir.Api, env: jinja2.Environment | None = None, *, include_async: bool = True
) -> dict[str, str]:
    """One module per resource: its operations, as sync and async classes.

    Without `include_async` the modules stop after the sync classes; `mirror` writes the
    async half from the formatted sync half."""
    env = env or _environment()
    template = env.get_template("resource.py.jinja")
    header = header_line(api.spec_name)
    files = {}
    models_by_name = {model.name: model for model in api.models}
    for resource in api.resources:
        imports = Imports()
        imports.name("__future__", "annotations")
        imports.name("functools", "cached_property")
        imports.module("httpx")
        imports.name("..", "_runtime", "_rt")
        imports.name("..", "models", "_models")
        surface = ResourceSurface(resource, imports, models_by_name)
        sync_methods = surface.methods(is_async=False)
        # the async half asks for nothing the sync half has not (same imports, refs,
        # aliases): without it, it is not worked out at all
        async_methods = surface.methods(is_async=True) if include_async else []
        if surface.uses_params:
            imports.name("..", "params", "_params")
        if surface.aliases:
            imports.name("typing", "TypeAlias")
        exports = sorted(
            [
                resource.class_name,
                resource.class_name + "WithRawResponse",
                resource.async_class_name,
                resource.async_class_name + "WithRawResponse",
            ]
        )
        files[layout.resource_module(api, resource)] = template.render(
            api=api,
            header=header,
            imports=imports.lines(),
            exports=exports,
            include_async=include_async,
            resource=resource,
            aliases=sorted(surface.aliases.items(), key=lambda item: item[1]),
            event_streams=sorted(
                surface.event_streams.values(), key=lambda view: view.alias
            ),
            refs=sorted(surface.refs.items(), key=lambda item: item[1]),
            shapes=sorted(surface.shapes.values(), key=lambda item: item[0]),
            shape_of={model: item[0] for model, item in surface.shapes.items()},
            sync_methods=sync_methods,
            async_methods=async_methods,
        )
    return files


def runtime_files(api: ir.Api) -> dict[str, str]:
    """The runtime, copied byte for byte after the header line (already black-formatted)."""
    header = header_line(api.spec_name)
    return {
        layout.runtime_module(
            api, path.name
        ): f"{header}\n{path.read_text(encoding='utf-8')}"
        for path in sorted(RUNTIME.glob("*.py"))
    }
