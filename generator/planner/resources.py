"""Operations grouped into resources (`client.<resource>.<method>`), and their names."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace

from .. import ir
from ..diagnostics import Diagnostic, GeneratorError
from ..naming import Scope, identifier, pascal
from .collect import RawOperation
from .operations import OperationBuilder

Clash = Callable[[str, str], Diagnostic]  # (operationId, name) -> the config error


def resources(
    raws: list[RawOperation],
    builder: OperationBuilder,
    renames: Mapping[str, str] | None = None,
    clash: Clash | None = None,
) -> tuple[ir.Resource, ...]:
    """One resource per snake_case tag (two tags spelled alike share one), attributes
    named in the client's scope, classes and modules in the package's. `renames`:
    method names the config gives (by operationId), taken as they are."""
    groups: dict[str, list[RawOperation]] = {}
    for raw in raws:
        groups.setdefault(identifier("resource", raw.resource), []).append(raw)
    labels = {key: group[0].resource for key, group in groups.items()}
    attrs = Scope("resource").assign({key: (key,) for key in groups})
    modules = Scope("module").assign({key: (attrs[key],) for key in groups})
    classes = Scope("class")
    names = classes.assign({key: (pascal(labels[key]) + "Resource",) for key in groups})
    async_names = classes.assign({key: ("Async" + names[key],) for key in groups})
    built = []
    problems: list[Diagnostic] = []
    for key in sorted(groups, key=lambda k: attrs[k]):
        operations = _operations(groups[key], builder, renames or {}, problems, clash)
        built.append(
            ir.Resource(
                attr=attrs[key],
                module=modules[key],
                class_name=names[key],
                async_class_name=async_names[key],
                operations=operations,
                label=labels[key],
            )
        )
    if problems:
        raise GeneratorError(problems)
    return tuple(built)


def _operations(
    group: list[RawOperation],
    builder: OperationBuilder,
    renames: Mapping[str, str],
    problems: list[Diagnostic],
    clash: Clash | None,
) -> tuple[ir.Operation, ...]:
    """The resource's operations in the spec's order; configured method names first,
    exactly, then the others settled in sorted order of operationId, then the page
    walkers (`<method>_iter`) where free."""
    methods = Scope("method")
    names: dict[str, str] = {}
    # a rename may not take the name another operation of the resource has
    derived = {
        identifier("method", raw.operation_id)
        for raw in group
        if raw.operation_id not in renames
    }
    for operation_id in sorted(
        r.operation_id for r in group if r.operation_id in renames
    ):
        wanted = renames[operation_id]
        taken = methods.claim_exact(wanted) if wanted not in derived else None
        if taken is None and clash is not None:
            problems.append(clash(operation_id, wanted))
        names[operation_id] = taken or methods.claim(wanted)
    names.update(
        methods.assign(
            {
                raw.operation_id: (raw.operation_id,)
                for raw in group
                if raw.operation_id not in names
            }
        )
    )
    constants = Scope("constant")
    consts = constants.assign(
        {raw.operation_id: (names[raw.operation_id],) for raw in group}
    )
    built = {
        raw.operation_id: builder.build(
            raw, names[raw.operation_id], consts[raw.operation_id]
        )
        for raw in group
    }
    for operation_id in sorted(built):
        op = built[operation_id]
        walker = builder.pagination(op, f"{op.method_name}_iter")
        if walker is not None and methods.claim_exact(walker.method_name):
            built[operation_id] = replace(op, pagination=walker)
    return tuple(built[raw.operation_id] for raw in group)
