"""What the generator config adds to the plan: client class names, client options and
operation renames. Problems are config errors, located where the key was set."""

from __future__ import annotations

from dataclasses import replace

from .. import ir
from ..config import GeneratorConfig
from ..diagnostics import Diagnostic, GeneratorError, error
from ..layout import PACKAGE_EXPORTS
from .collect import RawOperation

# Names the package's `__init__` and `_client` modules already bind: a client class
# named like one of them would hide it.
TAKEN_CLIENT_NAMES = frozenset(
    {
        "CONFIG",
        "TYPE_CHECKING",
        "Mapping",
        "annotations",
        "cached_property",
        "httpx",
        "importlib",
        "models",
        "params",
        *PACKAGE_EXPORTS,
    }
)


def client_names(config: GeneratorConfig) -> tuple[str, str]:
    """(client class, async client class), refused where they would hide a name the
    generated package binds beside them."""
    problems: list[Diagnostic] = []
    for key, name in (
        ("client-class", config.client_class),
        ("async-client-class", config.async_client_class),
    ):
        if name in TAKEN_CLIENT_NAMES:
            file, line, pointer = config.locate(key)
            message = f"{key} {name!r} would hide a name the package exports"
            problems.append(error("E703", file, line, pointer, message))
    if problems:
        raise GeneratorError(problems)
    return config.client_class, config.async_client_class


def client_options(config: GeneratorConfig) -> tuple[ir.ClientOption, ...]:
    return tuple(
        ir.ClientOption(o.name, o.header, o.env or "", o.description.strip())
        for o in config.client_options
    )


def apply_renames(
    raws: list[RawOperation], config: GeneratorConfig
) -> tuple[list[RawOperation], dict[str, str]]:
    """The operations with their configured resources, and the configured method names
    (operationId -> name); an operationId the spec does not have is an error."""
    known = {raw.operation_id for raw in raws}
    problems: list[Diagnostic] = []
    methods: dict[str, str] = {}
    resources: dict[str, str] = {}
    for operation_id, names in config.operations:
        if operation_id not in known:
            file, line, pointer = config.locate("operations", operation_id)
            message = f"operations.{operation_id}: no operation has this operationId"
            problems.append(error("E704", file, line, pointer, message))
            continue
        if names.method is not None:
            methods[operation_id] = names.method
        if names.resource is not None:
            resources[operation_id] = names.resource
    if problems:
        raise GeneratorError(problems)
    renamed = [
        (
            replace(raw, resource=resources[raw.operation_id])
            if raw.operation_id in resources
            else raw
        )
        for raw in raws
    ]
    return renamed, methods


def method_clash(config: GeneratorConfig, operation_id: str, name: str) -> Diagnostic:
    file, line, pointer = config.locate("operations", operation_id, "method")
    message = (
        f"operations.{operation_id}.method {name!r} is already a method of its "
        "resource (another operation, a page walker or the resource's own)"
    )
    return error("E704", file, line, pointer, message)
