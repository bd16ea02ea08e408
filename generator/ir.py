"""The intermediate representation: what the planner decided, what templates print.

Frozen dataclasses without behaviour. No raw spec dict and no `$ref` reaches a template:
every identifier here was made by `naming`, every type is a small tree (`TypeNode`) that
the renderer prints, and spec text (descriptions, wire names, enum values) is escaped by
the renderer (`py_literal`, `docstring`).

Kinds are `Literal`s: code that handles one ends in `typing.assert_never`, so the type
checker names every place a new kind must be handled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Union

ParamLocation = Literal["path", "query", "header", "body"]
BodyKind = Literal["json", "multipart", "form", "raw"]
ResponseKind = Literal["json", "sse", "binary", "text", "empty"]
StreamMode = Literal["never", "flag", "always"]
QueryStyle = Literal["form", "spaceDelimited", "pipeDelimited", "deepObject"]
AuthKind = Literal["bearer", "basic", "header", "query", "none"]
ScalarName = Literal["str", "int", "float", "bool", "bytes", "datetime", "date", "time"]
LiteralValue = Union[str, int, bool]

# -- the type tree ---------------------------------------------------------------------
# One tree for both directions: printed in a model it reads `list[X]`, `dict[str, X]`,
# `Any`; printed as an argument it reads `Sequence[X]`, `Mapping[str, X]`, `object`.


@dataclass(frozen=True, slots=True)
class Scalar:
    name: ScalarName


@dataclass(frozen=True, slots=True)
class AnyValue:
    """Any JSON value (a schema without a type)."""


@dataclass(frozen=True, slots=True)
class NoneValue:
    """JSON null."""


@dataclass(frozen=True, slots=True)
class LiteralOf:
    values: tuple[LiteralValue, ...]  # enum values, in the spec's order


@dataclass(frozen=True, slots=True)
class ListOf:
    item: TypeNode


@dataclass(frozen=True, slots=True)
class MapOf:
    value: TypeNode  # keys are strings


@dataclass(frozen=True, slots=True)
class UnionOf:
    members: tuple[TypeNode, ...]  # flat: no member is a UnionOf; NoneValue last
    discriminator: str | None = None  # wire name of the tag property
    alias: str | None = None  # its name: the union component, or the place it sits


@dataclass(frozen=True, slots=True)
class ModelRef:
    name: str  # a class of `Api.models`


@dataclass(frozen=True, slots=True)
class ParamsRef:
    name: str  # a TypedDict or alias of `Api.params`: the dict form of a model


@dataclass(frozen=True, slots=True)
class FileInput:
    """A file part of a multipart body (bytes, a path, a file, a tuple)."""


TypeNode = Union[
    Scalar,
    AnyValue,
    NoneValue,
    LiteralOf,
    ListOf,
    MapOf,
    UnionOf,
    ModelRef,
    ParamsRef,
    FileInput,
]

# -- models ----------------------------------------------------------------------------


ConstraintName = Literal[
    "min_length", "max_length", "ge", "le", "gt", "lt", "multiple_of", "pattern"
]


@dataclass(frozen=True, slots=True)
class Constraint:
    name: ConstraintName  # a keyword of pydantic's Field()
    value: int | float | str


@dataclass(frozen=True, slots=True)
class Field:
    name: str  # Python attribute (or TypedDict key: then the wire name)
    wire_name: str  # the JSON property
    type: TypeNode
    required: bool  # must be present (it may still be null if `type` allows None)
    description: str = ""
    deprecated: bool = False
    constraints: tuple[Constraint, ...] = ()


ModelKind = Literal["object", "root", "alias"]


@dataclass(frozen=True, slots=True)
class Model:
    """A pydantic class: an object schema, a value-like component (kind "root": a
    RootModel), or another name for a class (kind "alias": `Owner = User`)."""

    name: str
    module: str  # module under models/ (mutually recursive models share one)
    kind: ModelKind
    pointer: str  # where its schema sits: "#/components/schemas/Foo"
    description: str = ""
    base: str | None = None  # a model this one extends (allOf of one ref + own fields)
    fields: tuple[Field, ...] = ()  # own fields (kind "object")
    root: TypeNode | None = None  # the value type (kind "root"), the target ("alias")
    deprecated: bool = False


def lineage(model: Model, models: Mapping[str, Model]) -> list[Model]:
    """`model` and its bases, nearest first, as far as `models` holds them (a chain
    that comes back to a class ends there): the last one's `base` is None when the
    chain is whole."""
    chain, seen = [model], {model.name}
    while (base := chain[-1].base) is not None and base in models and base not in seen:
        seen.add(base)
        chain.append(models[base])
    return chain


def all_fields(model: Model, models: Mapping[str, Model]) -> list[Field]:
    """`model`'s fields with the inherited ones: its bases' first (but those its own
    fields override, by wire name), then its own."""
    found: list[Field] = []
    for each in reversed(lineage(model, models)):
        own = {item.wire_name for item in each.fields}
        found = [item for item in found if item.wire_name not in own]
        found += each.fields
    return found


def tag_value(name: str, tag: str, models: Mapping[str, Model]) -> LiteralValue | None:
    """The one value of the field `tag` (a wire name) of class `name`, own or
    inherited; None when that field is not a literal of one value, or there is none."""
    model = models.get(name)
    for each in lineage(model, models) if model is not None else []:
        for item in each.fields:
            if item.wire_name == tag:
                node = item.type
                if isinstance(node, LiteralOf) and len(node.values) == 1:
                    return node.values[0]
                return None
    return None


@dataclass(frozen=True, slots=True)
class TypedDictDef:
    """The dict form of a request model: what a user may pass instead of the model."""

    name: str
    module: str  # module under params/
    model: str  # the model class it mirrors
    fields: tuple[Field, ...]  # keys are wire names; types are argument types


@dataclass(frozen=True, slots=True)
class ParamsAlias:
    """A named argument type for a value-like request component (a union of models)."""

    name: str
    module: str
    type: TypeNode


# -- operations ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str  # Python argument name
    wire_name: str  # exactly as the spec spells it (path placeholder, query key, ...)
    location: ParamLocation
    type: TypeNode  # what a caller may pass, without NotGiven / defaults
    required: bool
    description: str = ""
    deprecated: bool = False
    style: QueryStyle = "form"  # query parameters only
    explode: bool = True


@dataclass(frozen=True, slots=True)
class RequestBody:
    kind: BodyKind
    flattened: bool  # object bodies become keyword arguments; others are `body=`
    required: bool
    model: str | None  # model class validating a flattened JSON body
    params: tuple[Parameter, ...] = ()  # flattened properties (location "body")
    type: TypeNode = AnyValue()  # of the `body=` argument
    file_fields: tuple[str, ...] = ()  # multipart wire names holding files
    description: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    kind: ResponseKind
    model: str | None = None  # model class for "json"
    stream_chunk: str | None = None  # model class of SSE events, None: ServerSentEvent
    description: str = ""
    # Typed event streams: (event name, model class) by event name; events with other
    # names come through untyped. Empty: every event is a `stream_chunk`.
    events: tuple[tuple[str, str], ...] = ()
    # for "json" without a model class: the result type (the member union a root model
    # of a union stands for: results hold the member itself, no `.root`)
    type: TypeNode | None = None


@dataclass(frozen=True, slots=True)
class Pagination:
    items_field: str  # "data"
    item_type: str  # model class of one item
    cursor_param: str  # "after"
    method_name: str  # "list_files_iter"


ExampleValueKind = Literal["json", "path", "bytes"]


@dataclass(frozen=True, slots=True)
class ExampleArgument:
    """One argument of an example call (reference docs)."""

    name: str  # a Python argument, or `extra_query` / `extra_body` for undeclared keys
    value: str  # JSON text ("json"), a file's path ("path"), text sent as bytes
    kind: ExampleValueKind = "json"


@dataclass(frozen=True, slots=True)
class Example:
    """A call of the operation: the spec's example request, or one made up from the
    required arguments (`synthesized`). Arguments in signature order."""

    title: str
    arguments: tuple[ExampleArgument, ...]
    synthesized: bool = False


@dataclass(frozen=True, slots=True)
class ErrorResponse:
    """A documented non-2xx response: "404", "4XX" or "default"."""

    status: str
    description: str = ""
    model: str | None = None  # model class of its JSON body


@dataclass(frozen=True, slots=True)
class Operation:
    operation_id: str
    method_name: str  # snake_case of the operationId
    const_name: str  # module-level constant holding the runtime Operation
    http_method: str  # lower case
    path: str
    summary: str
    description: str
    deprecated: bool
    path_params: tuple[Parameter, ...]
    query_params: tuple[Parameter, ...]
    header_params: tuple[Parameter, ...]
    body: RequestBody | None
    response: Response
    stream: StreamMode = "never"
    stream_param: str | None = None  # Python name of the boolean `stream` body argument
    pagination: Pagination | None = None
    stream_end: str | None = None  # data of the event that ends a stream ("[DONE]")
    source: str = ""  # "POST /chat/completions", for docs and diagnostics
    pointer: str = ""  # "#/paths/~1chat~1completions/post"
    # required headers allowing one value: sent on every call, not arguments
    constant_headers: tuple[tuple[str, str], ...] = ()  # (wire name, value)
    examples: tuple[Example, ...] = ()  # for the reference docs
    errors: tuple[ErrorResponse, ...] = ()

    @property
    def keyword_params(self) -> tuple[Parameter, ...]:
        body = self.body.params if self.body and self.body.flattened else ()
        return self.query_params + self.header_params + body


@dataclass(frozen=True, slots=True)
class Resource:
    attr: str  # attribute on the client: "vector_stores"
    module: str  # module under resources/: "vector_stores"
    class_name: str  # "VectorStoresResource"
    async_class_name: str  # "AsyncVectorStoresResource"
    operations: tuple[Operation, ...]
    label: str = ""  # the tag (or path segment) as the spec spells it


@dataclass(frozen=True, slots=True)
class Auth:
    kind: AuthKind = "bearer"
    name: str = "Authorization"
    required: bool = False  # the spec's `security` applies to every operation


@dataclass(frozen=True, slots=True)
class ClientOption:
    """A keyword argument of both clients' `__init__`, sent as a header (config)."""

    name: str  # Python argument name
    header: str
    env: str = ""  # env var read when the argument is not given ("" for none)
    description: str = ""


@dataclass(frozen=True, slots=True)
class Api:
    title: str
    version: str  # info.version as the spec says it
    description: str
    package: str
    env_prefix: str
    default_base_url: str
    auth: Auth
    spec_name: str  # spec file name as shown in generated headers
    resources: tuple[Resource, ...]
    models: tuple[Model, ...]  # sorted by name
    params: tuple[TypedDictDef | ParamsAlias, ...] = ()  # sorted by name
    package_version: str = "0.0.0"  # info.version when it is a PEP 440 version
    client_class: str = "Client"
    async_client_class: str = "AsyncClient"
    client_options: tuple[ClientOption, ...] = ()
