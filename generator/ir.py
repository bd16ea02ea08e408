"""The intermediate representation: what the planner decided, what templates print.

Frozen dataclasses without behaviour. No raw spec dict and no `$ref` reaches a template: every
string here is either an identifier made by `naming`, a Python type expression built by the
planner from such identifiers, or spec text that templates escape (`py_literal`, `docstring`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

ParamLocation = Literal["path", "query", "header", "body"]
BodyKind = Literal["json", "multipart", "form", "raw"]
ResponseKind = Literal["json", "sse", "binary", "text", "empty"]
StreamMode = Literal["never", "flag", "always"]


@dataclass(frozen=True, slots=True)
class Parameter:
    name: str  # Python argument name
    wire_name: (
        str  # name on the wire (path placeholder, query key, header, JSON property)
    )
    location: ParamLocation
    type_hint: str  # Python type expression, without NotGiven / defaults
    required: bool
    description: str = ""
    deprecated: bool = False
    style: str = "form"  # query style; "form:noexplode" when explode is false


@dataclass(frozen=True, slots=True)
class RequestBody:
    kind: BodyKind
    flattened: bool  # object bodies become keyword arguments; others are `body=`
    required: bool
    model: str | None  # model class validating a flattened JSON body
    params: tuple[Parameter, ...] = ()  # flattened properties (location "body")
    type_hint: str = "object"  # for a `body=` argument
    file_fields: tuple[str, ...] = ()  # multipart wire names holding files
    description: str = ""


@dataclass(frozen=True, slots=True)
class Response:
    kind: ResponseKind
    model: str | None = None  # model class for "json"
    stream_chunk: str | None = None  # model class of SSE events, None: ServerSentEvent
    description: str = ""


@dataclass(frozen=True, slots=True)
class Pagination:
    items_field: str  # "data"
    item_type: str  # model class of one item
    cursor_param: str  # "after"


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
    source: str = ""  # "POST /chat/completions", for docs and diagnostics

    @property
    def keyword_params(self) -> tuple[Parameter, ...]:
        body = self.body.params if self.body and self.body.flattened else ()
        return self.query_params + self.header_params + body


@dataclass(frozen=True, slots=True)
class Resource:
    attr: str  # attribute on the client: "vector_stores"
    module: str  # module under resources/: "vector_stores"
    class_name: str  # "VectorStoresResource" (async: "AsyncVectorStoresResource")
    operations: tuple[Operation, ...]
    label: str = ""  # the tag (or path segment) as the spec spells it


@dataclass(frozen=True, slots=True)
class Model:
    class_name: str
    module: str  # module under models/
    source_pointer: str  # "#/components/schemas/Foo" or where an inline schema sits


@dataclass(frozen=True, slots=True)
class Auth:
    kind: Literal["bearer", "basic", "header", "query", "none"] = "bearer"
    name: str = "Authorization"
    required: bool = False  # the spec's `security` applies to every operation


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
    models: tuple[Model, ...]
    model_sources: dict[str, str] = field(default_factory=dict)  # module -> source text
    package_version: str = "0.0.0"  # info.version when it is a PEP 440 version
