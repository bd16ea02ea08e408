"""Document -> IR. Each step is its own module:

- `api`: title, package, version, servers, auth;
- `collect`: paths -> raw operations (content kinds and schemas, no names yet);
- `checks`: schema mistakes the client works around, reported where they sit;
- `models`: which schemas become classes, their names, fields and modules (`types`
  turns schemas into the IR's type tree, `graph` groups mutually recursive classes);
- `params`: argument types and the dict forms (TypedDicts) of request models;
- `operations`: arguments, body, result, streaming and pagination of each operation;
- `resources`: operations grouped under `client.<resource>`, with their names.
"""

from __future__ import annotations

from collections.abc import Callable

from .. import ir
from ..config import GeneratorConfig
from ..diagnostics import Diagnostic
from ..naming import Scope
from .api import api_info
from .checks import check_schemas
from .collect import RawOperation, SchemaAt, collect
from .configured import apply_renames, client_names, client_options, method_clash
from .context import Context, LoadedDocument, component_pointer
from .examples import with_examples
from .models import ModelPlanner, Root, assign_modules, component_roots
from .operations import OperationBuilder
from .params import ParamsPlanner
from .resources import resources

__all__ = ["LoadedDocument", "plan"]

MODEL_MODULES_RESERVED = ("_base",)


def plan(
    doc: LoadedDocument,
    *,
    spec_name: str,
    package: str | None = None,
    config: GeneratorConfig | None = None,
    stream_end_marker: str | None = None,
    on_models: Callable[[str, tuple[ir.Model, ...]], None] | None = None,
) -> tuple[ir.Api, list[Diagnostic]]:
    """`package` and `stream_end_marker` (given here) win over the config's.
    `on_models(package, models)` hears of the models as soon as they are final, before
    the operations are planned (the models stage starts printing them meanwhile)."""
    config = config or GeneratorConfig()
    if stream_end_marker is None:
        stream_end_marker = config.stream_end_marker
    context = Context(doc, spec_name)
    info = api_info(
        context, package or config.package, config.package_version, config.env_prefix
    )
    client_class, async_client_class = client_names(config)
    raws, renames = apply_renames(collect(context), config)
    checked_from = len(context.diagnostics)
    classes = Scope("class")
    planned = ModelPlanner(context, classes).plan(
        component_roots(context) + [root for raw in raws for root in _roots(raw)]
    )
    models = assign_modules(planned.models, Scope("module", MODEL_MODULES_RESERVED))
    planned.models = models
    if on_models is not None:
        on_models(info.package, tuple(models))
    # warnings only, so checked once the models are out (GitHub's spec: ~0.7 s);
    # reported before the models' warnings, as the schemas they are about come first
    after = context.diagnostics[checked_from:]
    del context.diagnostics[checked_from:]
    check_schemas(
        context,
        [(component_pointer(n), s) for n, s in context.schemas.items()]
        + [(at.pointer, at.schema) for raw in raws for at in _inline(raw)],
    )
    context.diagnostics += after
    params = ParamsPlanner(models, classes)
    builder = OperationBuilder(
        context, planned, params, stream_end_marker=stream_end_marker
    )
    for raw in raws:
        for node in builder.arguments_of(raw):
            params.need(node)
    params.settle()
    api = ir.Api(
        title=info.title,
        version=info.version,
        package_version=info.package_version,
        description=info.description,
        package=info.package,
        env_prefix=info.env_prefix,
        default_base_url=info.default_base_url,
        auth=info.auth,
        spec_name=spec_name,
        resources=resources(
            raws, builder, renames, lambda op, name: method_clash(config, op, name)
        ),
        models=tuple(models),
        params=tuple(params.definitions(Scope("module"))),
        client_class=client_class,
        async_client_class=async_client_class,
        client_options=client_options(config),
    )
    api = with_examples(context, api)  # example calls and errors, for the docs
    return api, context.diagnostics


def _inline(raw: RawOperation) -> list[SchemaAt]:
    return [at for at in (raw.body, raw.response, raw.events) if at is not None]


def _roots(raw: RawOperation) -> list[Root]:
    """An operation's inline schemas, named after it (`createNote` -> `CreateNoteRequest`,
    or the next wish when a component took that name)."""
    from ..naming import pascal

    base = pascal(raw.operation_id)
    found: list[Root] = []
    wishes: tuple[str, ...]
    if raw.body is not None:
        wishes = (f"{base}Request", f"{base}RequestBody", f"{base}Body")
        found.append(Root(raw.body.pointer, raw.body.schema, wishes, 1, False))
    if raw.response is not None:
        wishes = (f"{base}Response", f"{base}Result")
        found.append(Root(raw.response.pointer, raw.response.schema, wishes, 1, True))
    if raw.events is not None:
        wishes = (f"{base}Event", f"{base}StreamEvent")
        found.append(Root(raw.events.pointer, raw.events.schema, wishes, 1, True))
    for (_, name), at in sorted(raw.parameter_schemas.items()):
        wishes = (base + pascal(name),)
        found.append(Root(at.pointer, at.schema, wishes, 1, False))
    return found
