"""Planner: tiny inline specs -> IR (hoisting, discriminators, repairs, resources,
streaming and pagination detection)."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from oapigen import ir
from oapigen.diagnostics import Diagnostic, Severity
from oapigen.loader import load
from oapigen.planner import plan
from oapigen.planner.context import Context
from oapigen.planner.types import Shapes


def plan_text(
    directory: Path, text: str, name: str = "spec.yaml"
) -> tuple[ir.Api, list[Diagnostic]]:
    """Plan `text` saved as `directory/name`; the cwd must be `directory`, so that
    diagnostics name the file as a user would (`spec.yaml`)."""
    (directory / name).write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return plan(load(Path(name)), spec_name=name)


def operations(api: ir.Api) -> dict[str, ir.Operation]:
    return {op.operation_id: op for r in api.resources for op in r.operations}


def line_of(text: str, needle: str, after: str = "") -> int:
    """1-based line of the first `needle` that comes after the line holding `after`."""
    lines = textwrap.dedent(text).lstrip("\n").splitlines()
    start = next(i for i, line in enumerate(lines) if after in line) if after else 0
    return next(i for i in range(start, len(lines)) if needle in lines[i]) + 1


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


# -- one spec with most constructs, planned once ---------------------------------------

SPEC = """
openapi: 3.0.3
info: {title: Planner Cases, version: "1"}
paths:
  /things:
    get:
      operationId: listThings
      parameters:
        - {name: after, in: query, schema: {type: string}}
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/ThingPage"}}}
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [name]
              properties:
                name: {type: string}
                stream: {type: boolean, nullable: true}
      responses:
        "201":
          description: created
          content:
            application/json:
              schema: {type: object, properties: {id: {type: string}}}
  /things/{thing_id}/events:
    get:
      operationId: followThing
      parameters:
        - {name: thing_id, in: path, required: true, schema: {type: string}}
      responses:
        "200":
          description: events
          content: {text/event-stream: {schema: {$ref: "#/components/schemas/Thing"}}}
  /reports/{report_id}:
    get:
      operationId: getReport
      parameters:
        - {name: report_id, in: path, required: true, schema: {type: string}}
      responses:
        "200": {description: ok, content: {text/plain: {schema: {type: string}}}}
  /{tenant}/audits:
    get:
      operationId: listAudits
      parameters:
        - {name: tenant, in: path, required: true, schema: {type: string}}
        - {name: after, in: query, schema: {type: string}}
      responses:
        "200":
          description: no has_more, so no pagination
          content:
            application/json:
              schema:
                type: object
                properties:
                  data: {type: array, items: {$ref: "#/components/schemas/Thing"}}
  /search:
    post:
      operationId: searchThings
      tags: [Search things]
      parameters:
        - {name: after, in: query, schema: {type: string}}
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                stream: {type: string, description: a name, not a flag}
      responses:
        "200":
          description: a POST is never paginated
          content: {application/json: {schema: {$ref: "#/components/schemas/ThingPage"}}}
  /search/live:
    post:
      operationId: searchLive
      tags: [Search things]
      requestBody:
        content:
          application/json:
            schema:
              type: object
              properties:
                stream: {type: boolean}
      responses:
        "200":
          description: json or events
          content:
            application/json: {schema: {$ref: "#/components/schemas/ThingPage"}}
            text/event-stream: {schema: {$ref: "#/components/schemas/Thing"}}
components:
  schemas:
    Thing:
      type: object
      required: [id]
      properties: {id: {type: string}}
    ThingPage:
      type: object
      required: [data, has_more]
      properties:
        data: {type: array, items: {$ref: "#/components/schemas/Thing"}}
        has_more: {type: boolean}
"""


@pytest.fixture(scope="module")
def planned(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ir.Api]:
    directory = tmp_path_factory.mktemp("planner")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(directory)
        api, diagnostics = plan_text(directory, SPEC)
    assert [d for d in diagnostics if d.severity is Severity.ERROR] == []
    yield api


def test_inline_body_and_response_are_hoisted_into_named_models(
    planned: ir.Api,
) -> None:
    op = operations(planned)["createThing"]
    assert op.body is not None and op.body.flattened
    assert op.body.model == "CreateThingRequest"
    assert [(p.name, p.required) for p in op.body.params] == [
        ("name", True),
        ("stream", False),
    ]
    assert op.response.kind == "json" and op.response.model == "CreateThingResponse"
    models = {m.name: m for m in planned.models}
    body = models["CreateThingRequest"]
    assert body.pointer == (
        "#/paths/~1things/post/requestBody/content/application~1json/schema"
    )
    assert [(f.name, f.required) for f in body.fields] == [
        ("name", True),
        ("stream", False),
    ]
    assert models["CreateThingResponse"].kind == "object"


def test_untagged_operations_go_to_a_resource_named_after_the_first_path_segment(
    planned: ir.Api,
) -> None:
    by_resource = {
        r.attr: sorted(op.operation_id for op in r.operations)
        for r in planned.resources
    }
    assert by_resource == {
        "things": ["createThing", "followThing", "listThings"],
        "reports": ["getReport"],
        "audits": ["listAudits"],  # `{tenant}` is skipped: it is not a name
        "search_things": ["searchLive", "searchThings"],  # tagged
    }
    assert {r.class_name for r in planned.resources} >= {
        "ThingsResource",
        "SearchThingsResource",
    }


def test_operations_keep_the_spec_order_within_a_resource(planned: ir.Api) -> None:
    things = next(r for r in planned.resources if r.attr == "things")
    assert [op.method_name for op in things.operations] == [
        "list_things",
        "create_thing",
        "follow_thing",
    ]


@pytest.mark.parametrize(
    ("operation_id", "mode", "param", "kind", "chunk"),
    [
        ("createThing", "flag", "stream", "json", None),  # nullable boolean flag
        ("searchLive", "flag", "stream", "json", "Thing"),  # flag, SSE chunks typed
        ("followThing", "always", None, "sse", "Thing"),  # SSE only
        ("searchThings", "never", None, "json", None),  # `stream` is a string
        ("listThings", "never", None, "json", None),
    ],
)
def test_stream_mode_is_detected(
    planned: ir.Api,
    operation_id: str,
    mode: str,
    param: str | None,
    kind: str,
    chunk: str | None,
) -> None:
    op = operations(planned)[operation_id]
    assert (op.stream, op.stream_param) == (mode, param)
    assert (op.response.kind, op.response.stream_chunk) == (kind, chunk)


def test_cursor_pagination_is_detected(planned: ir.Api) -> None:
    op = operations(planned)["listThings"]
    assert op.pagination == ir.Pagination(
        items_field="data",
        item_type="Thing",
        cursor_param="after",
        method_name="list_things_iter",
    )


@pytest.mark.parametrize(
    "operation_id",
    ["listAudits", "searchThings", "createThing", "getReport", "followThing"],
    ids=["no-has_more", "post", "no-after", "text", "sse"],
)
def test_operations_without_the_cursor_shape_are_not_paginated(
    planned: ir.Api, operation_id: str
) -> None:
    assert operations(planned)[operation_id].pagination is None


def test_parameters_are_split_by_location_in_path_order(in_tmp: Path) -> None:
    api, _ = plan_text(
        in_tmp,
        """
        openapi: 3.0.3
        info: {title: P, version: "1"}
        paths:
          /a/{second}/{first}:
            parameters:
              - {name: first, in: path, required: true, schema: {type: integer}}
            get:
              operationId: getA
              parameters:
                - {name: X-Req, in: header, schema: {type: string}}
                - {name: second, in: path, required: true, schema: {type: string}}
                - {name: "tag[]", in: query, schema: {type: array, items: {type: string}}}
              responses: {"204": {description: none}}
        """,
    )
    op = operations(api)["getA"]
    assert [(p.name, p.wire_name, p.type) for p in op.path_params] == [
        ("second", "second", ir.Scalar("str")),
        ("first", "first", ir.Scalar("int")),
    ]
    assert [(p.name, p.wire_name, p.type) for p in op.query_params] == [
        ("tag", "tag[]", ir.ListOf(ir.Scalar("str")))
    ]
    assert [(p.name, p.wire_name) for p in op.header_params] == [("x_req", "X-Req")]
    assert op.response.kind == "empty"


def test_a_taken_component_name_makes_the_hoisted_model_take_the_next_suffix(
    in_tmp: Path,
) -> None:
    api, _ = plan_text(
        in_tmp,
        """
        openapi: 3.0.3
        info: {title: H, version: "1"}
        paths:
          /x:
            post:
              operationId: makeX
              requestBody:
                content:
                  application/json:
                    schema: {type: object, properties: {a: {type: string}}}
              responses:
                "200":
                  description: ok
                  content:
                    application/json:
                      schema: {type: object, properties: {b: {type: string}}}
        components:
          schemas:
            MakeXRequest: {type: object, properties: {taken: {type: boolean}}}
            MakeXResponse: {type: object, properties: {taken: {type: boolean}}}
        """,
    )
    op = operations(api)["makeX"]
    assert op.body is not None and op.body.model == "MakeXRequestBody"
    assert op.response.model == "MakeXResult"
    names = {m.name for m in api.models}
    assert {"MakeXRequest", "MakeXResponse", "MakeXRequestBody", "MakeXResult"} <= names


def test_a_non_object_body_is_passed_as_body(in_tmp: Path) -> None:
    api, _ = plan_text(
        in_tmp,
        """
        openapi: 3.0.3
        info: {title: B, version: "1"}
        paths:
          /tags:
            put:
              operationId: putTags
              requestBody:
                required: true
                content:
                  application/json:
                    schema: {type: array, items: {type: string}}
              responses: {"204": {description: none}}
        """,
    )
    body = operations(api)["putTags"].body
    assert body is not None
    assert (body.flattened, body.required, body.params) == (False, True, ())
    assert body.type == ir.ListOf(ir.Scalar("str"))


# -- repaired mistakes -------------------------------------------------------------------

MISTAKES = """
openapi: 3.0.3
info: {title: Mistakes, version: "1"}
paths: {}
components:
  schemas:
    Settings:
      type: object
      required: [size, ghost]
      properties:
        size:
          type: integer
          default: inf
        enabled:
          type: boolean
          default: "false"
        ratio: {type: number, default: 1}
        label: {type: string, default: null}
"""


def test_repaired_mistakes_warn_with_file_line_and_pointer(in_tmp: Path) -> None:
    api, diagnostics = plan_text(in_tmp, MISTAKES)
    found = {(d.code, d.pointer): d for d in diagnostics}
    base = "#/components/schemas/Settings"
    assert set(found) == {
        ("W201", f"{base}/properties/size/default"),
        ("W201", f"{base}/properties/enabled/default"),
        ("W202", f"{base}/required"),
    }
    size = found["W201", f"{base}/properties/size/default"]
    enabled = found["W201", f"{base}/properties/enabled/default"]
    ghost = found["W202", f"{base}/required"]
    assert all(
        d.severity is Severity.WARNING and d.file == "spec.yaml" for d in found.values()
    )
    assert size.line == line_of(MISTAKES, "default: inf")
    assert enabled.line == line_of(MISTAKES, 'default: "false"')
    assert ghost.line == line_of(MISTAKES, "required: [size, ghost]")
    assert "'inf'" in size.message and "integer" in size.message
    assert "'ghost'" in ghost.message
    assert size.format().startswith(
        f"spec.yaml:{size.line} {base}/properties/size/default: warning W201: "
    )
    [settings] = [m for m in api.models if m.name == "Settings"]
    assert {f.wire_name: f.required for f in settings.fields} == {
        "size": True,  # the repaired `required` keeps what exists, drops `ghost`
        "enabled": False,
        "ratio": False,
        "label": False,
    }


def test_a_mistake_in_an_inline_body_is_located_where_it_is(in_tmp: Path) -> None:
    text = """
    openapi: 3.0.3
    info: {title: Inline, version: "1"}
    paths:
      /things:
        post:
          operationId: makeThing
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    size: {type: integer, default: inf}
          responses: {"204": {description: none}}
    """
    _, diagnostics = plan_text(in_tmp, text)
    [warning] = [d for d in diagnostics if d.code == "W201"]
    assert warning.pointer == (
        "#/paths/~1things/post/requestBody/content/application~1json/schema"
        "/properties/size/default"
    )
    assert warning.line == line_of(text, "default: inf")


# -- implicit discriminators ---------------------------------------------------------------


class _Schemas:
    """A loaded document holding only `components.schemas`."""

    def __init__(self, schemas: Mapping[str, Any]) -> None:
        self.schemas = schemas

    def bundled(self) -> dict[str, Any]:
        return {"components": {"schemas": dict(self.schemas)}}

    def resolve(self, ref: str) -> Any:
        return self.schemas[ref.rsplit("/", 1)[1]]

    def locate(self, pointer: str) -> tuple[str, int | None]:
        return "spec.yaml", None


def _tag(schemas: Mapping[str, Any], union: str = "Pet") -> str | None:
    """The discriminator the planner finds for the union component `union`."""
    shapes = Shapes(Context(_Schemas(schemas), "spec.yaml"))
    node = schemas[union]
    return shapes.discriminator(node, node["oneOf"])


def _variant(tag: str, value: object, **more: Any) -> dict[str, Any]:
    return {
        "type": "object",
        "required": [tag, *more],
        "properties": {
            tag: {
                "type": "string",
                "enum": value if isinstance(value, list) else [value],
            },
            **{name: {"type": "string"} for name in more},
        },
    }


def _union(*names: str) -> dict[str, Any]:
    return {"oneOf": [{"$ref": f"#/components/schemas/{n}"} for n in names]}


def test_a_union_of_tagged_objects_gets_an_implicit_discriminator() -> None:
    schemas = {
        "Pet": _union("Cat", "Dog"),
        "Cat": _variant("type", "cat"),
        "Dog": _variant("type", "dog"),
    }
    assert _tag(schemas) == "type"


def test_the_preferred_tag_wins_over_other_one_value_enums() -> None:
    cat = _variant("kind", "feline")
    cat["properties"]["object"] = {
        "type": "string",
        "enum": ["pet"],
    }  # same value twice
    cat["properties"]["role"] = {"type": "string", "enum": ["cat-role"]}
    cat["required"] += ["object", "role"]
    dog = _variant("kind", "canine")
    dog["properties"]["object"] = {"type": "string", "enum": ["pet"]}
    dog["properties"]["role"] = {"type": "string", "enum": ["dog-role"]}
    dog["required"] += ["object", "role"]
    assert _tag({"Pet": _union("Cat", "Dog"), "Cat": cat, "Dog": dog}) == "role"


@pytest.mark.parametrize(
    "schemas",
    [
        {"Cat": _variant("type", ["cat", "kitten"]), "Dog": _variant("type", "dog")},
        {"Cat": _variant("type", "pet"), "Dog": _variant("type", "pet")},
        {
            "Cat": {"type": "object", "properties": {"type": {"enum": ["cat"]}}},
            "Dog": _variant("type", "dog"),
        },
    ],
    ids=["two-values", "same-value", "not-required"],
)
def test_no_discriminator_without_a_distinct_required_one_value_tag(
    schemas: dict[str, Any],
) -> None:
    assert _tag({"Pet": _union("Cat", "Dog"), **schemas}) is None


def test_an_explicit_discriminator_is_used_when_the_members_carry_it() -> None:
    schemas = {
        "Pet": {**_union("Cat", "Dog"), "discriminator": {"propertyName": "name"}},
        "Cat": _variant("name", "tom", type="x"),
        "Dog": _variant("name", "rex", type="y"),
    }
    assert _tag(schemas) == "name"
    schemas["Dog"] = _variant("type", "dog", name="y")  # `name` is not a literal here
    assert _tag(schemas) is None


def test_inline_variants_are_told_apart_by_their_tag_too() -> None:
    schemas = {"Pet": {"oneOf": [_variant("type", "cat"), _variant("type", "dog")]}}
    assert _tag(schemas) == "type"


def test_the_implicit_discriminator_reaches_the_generated_union(in_tmp: Path) -> None:
    api, _ = plan_text(
        in_tmp,
        """
        openapi: 3.0.3
        info: {title: Pets, version: "1"}
        paths: {}
        components:
          schemas:
            Pet:
              oneOf:
                - $ref: "#/components/schemas/Cat"
                - $ref: "#/components/schemas/Dog"
            Cat:
              type: object
              required: [type]
              properties: {type: {type: string, enum: [cat]}, purrs: {type: boolean}}
            Dog:
              type: object
              required: [type]
              properties: {type: {type: string, enum: [dog]}, barks: {type: boolean}}
        """,
    )
    [pet] = [m for m in api.models if m.name == "Pet"]
    assert pet.kind == "root" and isinstance(pet.root, ir.UnionOf)
    assert pet.root.members == (ir.ModelRef("Cat"), ir.ModelRef("Dog"))
    assert pet.root.discriminator == "type"


def test_argument_names_do_not_depend_on_property_order(in_tmp: Path) -> None:
    template = """
    openapi: 3.0.3
    info: {{title: Order, version: "1"}}
    paths:
      /x:
        post:
          operationId: makeX
          requestBody:
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    {first}: {{type: string}}
                    {second}: {{type: integer}}
          responses: {{"204": {{description: none}}}}
    """
    mappings = []
    for first, second in [("self-link", "self_link"), ("self_link", "self-link")]:
        api, _ = plan_text(in_tmp, template.format(first=first, second=second))
        body = operations(api)["makeX"].body
        assert body is not None
        mappings.append({p.wire_name: p.name for p in body.params})
    assert mappings[0] == mappings[1]


# -- type tree and class names --------------------------------------------------------


def test_openapi_3_1_type_lists_become_unions(in_tmp: Path) -> None:
    """`type: [string, number]` once crashed the planner (unhashable list)."""
    api, _ = plan_text(
        in_tmp,
        """
        openapi: 3.1.0
        info: {title: T, version: "1"}
        paths:
          /x:
            post:
              operationId: makeX
              requestBody:
                content:
                  application/json:
                    schema:
                      type: object
                      properties:
                        either: {type: [string, number]}
                        maybe: {type: [string, "null"]}
                        many: {type: [array, "null"], items: {type: integer}}
              responses: {"204": {description: none}}
        """,
    )
    body = operations(api)["makeX"].body
    assert body is not None
    types = {p.wire_name: p.type for p in body.params}
    assert types == {
        "either": ir.UnionOf((ir.Scalar("str"), ir.Scalar("float"))),
        "maybe": ir.UnionOf((ir.Scalar("str"), ir.NoneValue())),
        "many": ir.UnionOf((ir.ListOf(ir.Scalar("int")), ir.NoneValue())),
    }


EVENTS = """
openapi: 3.0.3
info: {title: Events, version: "1"}
paths:
  /runs:
    post:
      operationId: createRun
      responses:
        "200":
          description: events
          content:
            text/event-stream: {schema: {$ref: "#/components/schemas/StreamEvent"}}
components:
  schemas:
    StreamEvent:
      oneOf:
        - $ref: "#/components/schemas/ThreadStreamEvent"
        - $ref: "#/components/schemas/DoneEvent"
    ThreadStreamEvent:
      oneOf:
        - type: object
          required: [event, data]
          properties:
            event: {type: string, enum: [thread.created]}
            data: {type: object, properties: {id: {type: string}}}
        - type: object
          required: [event, data]
          properties:
            event: {type: string, enum: [thread.deleted]}
            data: {type: object, properties: {id: {type: string}}}
    DoneEvent:
      type: object
      required: [event]
      properties:
        event: {type: string, enum: [done]}
    EndEvent:
      type: object
      required: [event]
      properties:
        event: {type: string, enum: [done]}
"""


def test_union_variants_are_named_by_their_tag_not_by_their_path(
    in_tmp: Path,
) -> None:
    api, _ = plan_text(in_tmp, EVENTS)
    models = {m.name: m for m in api.models}
    # Inline variants are named once, where they are defined, from their tag value and
    # the union's last word; the union that includes ThreadStreamEvent repeats nothing.
    assert {"ThreadCreatedEvent", "ThreadDeletedEvent"} <= set(models)
    assert not [name for name in models if "StreamEventStreamEvent" in name]
    stream = models["StreamEvent"].root
    assert isinstance(stream, ir.UnionOf)
    assert stream.members == (
        ir.ModelRef("ThreadCreatedEvent"),
        ir.ModelRef("ThreadDeletedEvent"),
        ir.ModelRef("DoneEvent"),
    )
    assert stream.discriminator == "event"
    # The two `data` objects have the same content: one class, named where it is met first.
    data = [m for m in api.models if m.fields and m.fields[0].wire_name == "id"]
    assert [m.name for m in data] == ["ThreadCreatedEventData"]


def test_components_keep_their_own_class_even_when_identical(in_tmp: Path) -> None:
    """The spec names them (and results are instances of the class it names); an inline
    schema with the same content is the first of them."""
    api, _ = plan_text(in_tmp, EVENTS)
    models = {m.name: m for m in api.models}
    assert models["EndEvent"].kind == "object"
    assert models["EndEvent"].fields == models["DoneEvent"].fields


def test_keyword_component_names_get_safe_modules(in_tmp: Path) -> None:
    api, _ = plan_text(
        in_tmp,
        """
        openapi: 3.0.3
        info: {title: K, version: "1"}
        paths: {}
        components:
          schemas:
            import: {type: object, properties: {a: {type: string}}}
            class: {type: object, properties: {b: {type: string}}}
            Foo: {type: object, properties: {c: {type: string}}}
            foo: {type: object, properties: {d: {type: string}}}
        """,
    )
    placed = {m.name: m.module for m in api.models}
    assert placed == {
        "Import": "import_",
        "Class": "class_",
        "Foo": "foo",
        "Foo_": "foo_",
    }


def test_request_objects_get_a_dict_form(in_tmp: Path) -> None:
    api, _ = plan_text(
        in_tmp,
        EVENTS.replace(
            "paths:",
            "paths:\n  /x:\n    post:\n      operationId: sendX\n      requestBody:\n        content:\n          application/json:\n            schema:\n              type: object\n              properties:\n                item: {$ref: '#/components/schemas/DoneEvent'}\n      responses: {'204': {description: none}}",
            1,
        ),
    )
    body = operations(api)["sendX"].body
    assert body is not None
    [item] = body.params
    assert item.type == ir.UnionOf(
        (ir.ModelRef("DoneEvent"), ir.ParamsRef("DoneEventParam"))
    )
    [form] = [d for d in api.params if d.name == "DoneEventParam"]
    assert isinstance(form, ir.TypedDictDef) and form.model == "DoneEvent"
    assert [(f.name, f.required) for f in form.fields] == [("event", True)]


def test_a_pattern_the_models_cannot_check_is_dropped_with_a_warning(
    in_tmp: Path,
) -> None:
    text = """
    openapi: 3.0.3
    info: {title: P, version: "1"}
    paths: {}
    components:
      schemas:
        Name:
          type: object
          properties:
            letters: {type: string, pattern: "^\\\\p{Lu}+$"}
            digits: {type: string, pattern: "^[0-9]+$", maxLength: 5}
    """
    api, diagnostics = plan_text(in_tmp, text)
    [warned] = [d for d in diagnostics if d.code == "W602"]
    assert warned.pointer == "#/components/schemas/Name/properties/letters/pattern"
    assert warned.line == line_of(text, "letters:")
    [model] = [m for m in api.models if m.name == "Name"]
    constraints = {f.wire_name: f.constraints for f in model.fields}
    assert constraints["letters"] == ()
    assert constraints["digits"] == (
        ir.Constraint("max_length", 5),
        ir.Constraint("pattern", "^[0-9]+$"),
    )


CHAINED_COPIES = """
openapi: 3.0.3
info: {title: C, version: "1"}
paths: {}
components:
  schemas:
    A:
      type: object
      properties:
        x:
          type: object
          properties:
            y:
              type: object
              properties:
                z: {type: string, example: one}
    B:
      type: object
      properties:
        x:
          type: object
          properties:
            y:
              type: object
              properties:
                z: {type: string, example: two}
"""


def test_classes_that_print_alike_merge_level_by_level_as_a_full_rebuild_would(
    in_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """B's inline objects differ from A's only in an example: the innermost merge
    first, then (naming the merged class) their parents. Each round rebuilds only the
    classes a merge touches; the plan is the one rebuilding everything gives."""
    from oapigen.planner import models as planner_models

    api, _ = plan_text(in_tmp, CHAINED_COPIES)
    assert sorted(m.name for m in api.models) == ["A", "AX", "AXY", "B"]
    fields = {m.name: m.fields for m in api.models}
    assert fields["B"][0].type == ir.ModelRef("AX") == fields["A"][0].type
    assert fields["AX"][0].type == ir.ModelRef("AXY")

    def everything(models: list[ir.Model], merged: set[str]) -> set[str]:
        return {m.name for m in models} | merged

    monkeypatch.setattr(planner_models, "_stale", everything)
    rebuilt, _ = plan_text(in_tmp, CHAINED_COPIES)
    assert rebuilt == api
