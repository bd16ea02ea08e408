"""Document -> IR: the planner decides everything templates will print."""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from .. import ir
from ..diagnostics import Diagnostic, GeneratorError, error, warning
from ..naming import CLIENT_RESERVED, package_name, pascal, python_identifier, snake
from ..naming import env_prefix as make_env_prefix
from .models import ModelClass, ModelsResult, generate_models
from .operations import COMPONENT, OperationBuilder, OperationCollector, RawOperation
from .schemas import SchemaPreparer
from .types import TypeHints

RESOURCE_RESERVED = frozenset({"with_raw_response"})
PEP440 = re.compile(r"\d+(\.\d+)*((a|b|rc)\d+)?(\.post\d+)?(\.dev\d+)?")


class LoadedDocument(Protocol):
    def bundled(self) -> dict[str, Any]: ...

    def resolve(self, ref: str) -> Any: ...

    def locate(self, pointer: str) -> tuple[str, int | None]: ...


@dataclass
class Draft:
    """Everything the planner knows before the models exist."""

    doc: LoadedDocument
    root: Mapping[str, Any]
    info: Mapping[str, Any]
    title: str
    package: str
    spec_name: str
    header: str
    raws: list[RawOperation]
    hoisted: dict[str, Any]
    # class name -> schema, handed to datamodel-code-generator
    prepared: dict[str, Any]
    diagnostics: list[Diagnostic]
    renamed: dict[str, str] = field(default_factory=dict)  # component -> class name

    def resolve(self, ref: str) -> Any:
        name = ref[len(COMPONENT) :] if ref.startswith(COMPONENT) else None
        if name is not None and name in self.hoisted:
            return self.hoisted[name]
        return self.doc.resolve(ref)


def draft(
    doc: LoadedDocument, *, spec_name: str, header: str, package: str | None = None
) -> Draft:
    """Walk the operations, hoist inline bodies and responses, prepare the schemas."""
    root = doc.bundled()
    info = _mapping(root.get("info"))
    title = str(info.get("title") or "API")
    pkg = package or package_name(title)
    if not pkg.isidentifier() or pkg.startswith("_") or keyword.iskeyword(pkg):
        raise GeneratorError(
            [
                error(
                    "E401",
                    spec_name,
                    None,
                    "#/info/title",
                    f"package name {pkg!r} is not a valid Python package name",
                    "pass --package NAME",
                )
            ]
        )
    schemas = _mapping(_mapping(root.get("components")).get("schemas"))

    collector = OperationCollector(root, doc.resolve, doc.locate, set(schemas))
    raws = collector.collect()
    hoisted = {name: schema for raw in raws for name, schema in raw.hoisted.items()}
    hoisted_at = {name: at for raw in raws for name, at in raw.hoisted_at.items()}
    result = Draft(
        doc, root, info, title, pkg, spec_name, header, raws, hoisted, {}, []
    )
    preparer = SchemaPreparer(result.resolve, doc.locate)
    prepared = preparer.prepare(schemas, COMPONENT.rstrip("/"))
    for name, schema in hoisted.items():
        prepared[name] = preparer.schema(schema, hoisted_at[name])
    result.prepared = prepared
    result.renamed = preparer.renamed
    result.diagnostics = [*collector.diagnostics, *preparer.diagnostics]
    return result


def run_models(draft: Draft) -> ModelsResult:
    """datamodel-code-generator on the prepared schemas (the slow part: ~3 s on 2.3.0)."""
    return generate_models(
        draft.prepared,
        package=draft.package,
        header=draft.header,
        title=draft.title,
        spec_file=draft.spec_name,
    )


def guess_models(draft: Draft) -> ModelsResult:
    """The class names datamodel-code-generator gives components whose name is already a
    class name. Lets the resources render while the models are still being generated;
    `finish` with the real models afterwards and compare."""
    classes = tuple(
        ModelClass(name, "", COMPONENT + name, ())
        for name in draft.prepared
        if name.isidentifier() and name[:1].isupper()
    )
    return ModelsResult({}, classes)


def finish(draft: Draft, models: ModelsResult) -> tuple[ir.Api, list[Diagnostic]]:
    class_of = {c.source_ref: c.class_name for c in models.classes}
    for component, name in draft.renamed.items():  # refs in the spec use the old name
        if COMPONENT + name in class_of:
            class_of[COMPONENT + component] = class_of[COMPONENT + name]
    hints = TypeHints(
        draft.resolve,
        {ref: name for ref, name in class_of.items() if ref.count("/") == 3},
    )
    builder = OperationBuilder(draft.resolve, class_of, hints, draft.doc.locate)
    resources = _resources(draft.raws, builder)
    info = draft.info
    version = str(info.get("version") or "0.0.0")
    diagnostics = [*draft.diagnostics, *builder.diagnostics]
    package_version = version
    if not PEP440.fullmatch(version):
        package_version = "0.0.0"
        file, line = draft.doc.locate("#/info/version")
        diagnostics.append(
            warning(
                "W203",
                file,
                line,
                "#/info/version",
                f"info.version {version!r} is not a PEP 440 version; the package is 0.0.0",
            )
        )
    api = ir.Api(
        title=draft.title,
        version=version,
        package_version=package_version,
        description=str(info.get("description") or "").strip(),
        package=draft.package,
        env_prefix=make_env_prefix(draft.title),
        default_base_url=_base_url(draft.root),
        auth=_auth(draft.root),
        spec_name=draft.spec_name,
        resources=resources,
        models=tuple(
            ir.Model(c.class_name, c.module, c.source_ref)
            for c in _unique_classes(models)
        ),
        model_sources=models.sources,
    )
    return api, diagnostics


def plan(
    doc: LoadedDocument, *, spec_name: str, header: str, package: str | None = None
) -> tuple[ir.Api, list[Diagnostic]]:
    """The whole planner in one call: draft, models, finish."""
    drafted = draft(doc, spec_name=spec_name, header=header, package=package)
    return finish(drafted, run_models(drafted))


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _unique_classes(models: ModelsResult) -> list[Any]:
    seen: dict[str, Any] = {}
    for cls in models.classes:
        seen.setdefault(cls.class_name, cls)
    return sorted(seen.values(), key=lambda c: c.class_name)


def _resources(
    raws: list[RawOperation], builder: OperationBuilder
) -> tuple[ir.Resource, ...]:
    groups: dict[str, list[RawOperation]] = {}
    labels: dict[str, str] = {}
    for raw in raws:
        attr = python_identifier(snake(raw.resource))
        if attr in CLIENT_RESERVED or attr.startswith("_"):
            attr = f"{attr.strip('_') or 'default'}_"
        groups.setdefault(attr, []).append(raw)
        labels.setdefault(attr, raw.resource)
    resources = []
    for attr in sorted(groups):
        ops = []
        taken: set[str] = set(RESOURCE_RESERVED)
        for raw in sorted(groups[attr], key=lambda r: r.operation_id):
            name = python_identifier(snake(raw.operation_id))  # `import` -> `import_`
            if name in taken or name.startswith("_"):
                base, n = f"{name.strip('_') or 'call'}_", 2
                name = base
                while name in taken:
                    name, n = f"{base}{n}", n + 1
            taken.add(name)
            ops.append((raw, name))
        built = [builder.build(raw, name) for raw, name in ops]
        # keep the spec's order of operations in the resource (stable, and how users read it)
        order = {id(raw): i for i, raw in enumerate(groups[attr])}
        pairs = sorted(zip(ops, built), key=lambda pair: order[id(pair[0][0])])
        final = []
        names = {op.method_name for op in built}
        for _, op in pairs:
            if op.pagination and f"{op.method_name}_iter" in names:
                op = _without_pagination(op)
            final.append(op)
        resources.append(
            ir.Resource(
                attr=attr,
                module=attr,
                class_name=_class_name(labels[attr]) + "Resource",
                operations=tuple(final),
                label=labels[attr],
            )
        )
    return tuple(resources)


def _class_name(label: str) -> str:
    name = pascal(label)
    return name if name.isidentifier() else f"R{python_identifier(name)}"


def _without_pagination(op: ir.Operation) -> ir.Operation:
    from dataclasses import replace

    return replace(op, pagination=None)


def _base_url(root: Mapping[str, Any]) -> str:
    servers = root.get("servers")
    if (
        not isinstance(servers, list)
        or not servers
        or not isinstance(servers[0], Mapping)
    ):
        return ""
    url = str(servers[0].get("url") or "")
    variables = servers[0].get("variables")
    if isinstance(variables, Mapping):
        for name, spec in variables.items():
            if isinstance(spec, Mapping) and "default" in spec:
                url = url.replace("{" + str(name) + "}", str(spec["default"]))
    return url.rstrip("/")


def _auth(root: Mapping[str, Any]) -> ir.Auth:
    return replace(_auth_scheme(root), required=_auth_required(root))


def _auth_required(root: Mapping[str, Any]) -> bool:
    """The document's `security` names a declared scheme in every requirement and
    offers no anonymous one (`{}`): a client without a key could only get 401s."""
    schemes = _mapping(root.get("components")).get("securitySchemes")
    security = root.get("security")
    if not isinstance(schemes, Mapping) or not isinstance(security, list):
        return False
    return bool(security) and all(
        isinstance(requirement, Mapping)
        and any(name in schemes for name in requirement)
        for requirement in security
    )


def _auth_scheme(root: Mapping[str, Any]) -> ir.Auth:
    schemes = _mapping(root.get("components")).get("securitySchemes")
    if not isinstance(schemes, Mapping) or not schemes:
        return ir.Auth()
    chosen = None
    security = root.get("security")
    if isinstance(security, list):
        for requirement in security:
            if isinstance(requirement, Mapping):
                chosen = next(
                    (schemes.get(name) for name in requirement if name in schemes), None
                )
                if chosen is not None:
                    break
    if chosen is None:
        chosen = next(iter(schemes.values()))
    if not isinstance(chosen, Mapping):
        return ir.Auth()
    kind = chosen.get("type")
    if kind == "http" and str(chosen.get("scheme", "")).lower() == "basic":
        return ir.Auth(kind="basic")
    if kind == "apiKey":
        where = chosen.get("in")
        name = str(chosen.get("name") or "Authorization")
        if where == "query":
            return ir.Auth(kind="query", name=name)
        if where == "header":
            return ir.Auth(kind="header", name=name)
    return ir.Auth()
