"""Names that collide with what generated code uses, driven through MockTransport.

The golden case tests/golden/name_clash/spec.yaml is generated and called here; the
collisions between class names and the names model modules import use tiny inline specs.
"""

from __future__ import annotations

import importlib
import json
import textwrap
from pathlib import Path
from types import ModuleType

import httpx
import pytest

from oapigen.diagnostics import GeneratorError
from tests.conftest import GeneratedPackages

from .mock import Recorder, reply

NAME_CLASH_SPEC = Path(__file__).resolve().parents[1] / "golden/name_clash/spec.yaml"


@pytest.fixture(scope="module")
def clash(generated: GeneratedPackages) -> ModuleType:
    return imported(generated, NAME_CLASH_SPEC)


def imported(
    generated: GeneratedPackages, spec: Path, package: str | None = None
) -> ModuleType:
    """The generated package, with its `models` subpackage imported."""
    module: ModuleType = generated.module(spec, package)
    importlib.import_module(f"{module.__name__}.models")
    return module


def test_every_wire_name_gets_its_own_argument(clash: ModuleType) -> None:
    """`self`, `timeout`, `extra_query` in query/header and `self`, `timeout`,
    `extra_headers`, `body`, `from` in the body, next to the method's own arguments."""
    recorder = Recorder(reply({"id": "c_1"}))
    client = clash.Client(http_client=recorder.sync_client())
    result = client.audit_logs.list(
        self_="q-self",
        extra_query_=True,
        timeout_=7,
        self__="b-self",
        timeout__=1.5,
        extra_headers_={"k": "v"},
        body_="b-body",
        from_="b-from",
        stream="not-a-flag",
        extra_headers={"X-Own": "1"},
        extra_query={"own": "q"},
        timeout=4.0,
    )
    assert type(result) is clash.models.Client and result.id == "c_1"
    request = recorder.last
    assert sorted(request.url.params.multi_items()) == [
        ("extra_query", "true"),
        ("own", "q"),
        ("self", "q-self"),
    ]
    assert request.headers["timeout"] == "7"
    assert request.headers["x-own"] == "1"
    assert request.extensions["timeout"]["read"] == 4.0
    assert json.loads(request.content) == {
        "self": "b-self",
        "timeout": 1.5,
        "extra_headers": {"k": "v"},
        "body": "b-body",
        "from": "b-from",
        "stream": "not-a-flag",
    }


def test_a_path_parameter_named_body(clash: ModuleType) -> None:
    recorder = Recorder(reply({"client": {"id": "c_1"}}))
    client = clash.Client(http_client=recorder.sync_client())
    result = client.audit_logs.type("x/y")
    assert recorder.last.url.raw_path == b"/things/x%2Fy"
    assert type(result) is clash.models.Stream
    assert type(result.client) is clash.models.Client


def test_a_method_named_with_raw_response_keeps_the_raw_wrapper(
    clash: ModuleType,
) -> None:
    recorder = Recorder(lambda request: httpx.Response(204))
    resource = clash.Client(http_client=recorder.sync_client()).audit_logs
    raw = resource.with_raw_response.type("a")  # the attribute is still the wrapper
    assert raw.status_code == 204
    assert [name for name in dir(type(resource)) if name.startswith("with_raw")] == [
        "with_raw_response",
        "with_raw_response_",
    ]
    assert resource.with_raw_response_("a", field={"alias": "x"}) is None
    assert recorder.last.method == "PUT"
    assert json.loads(recorder.last.content) == {"field": {"alias": "x"}}


def test_tags_with_one_snake_case_name_share_a_resource(clash: ModuleType) -> None:
    client = clash.Client(base_url="https://x.test")
    operations = {"list", "type", "with_raw_response_"}
    assert operations <= set(dir(type(client.audit_logs)))


def test_a_resource_named_like_a_client_method_does_not_shadow_it(
    clash: ModuleType,
) -> None:
    recorder = Recorder(reply({"BaseModel": "field"}))
    client = clash.Client(http_client=recorder.sync_client())
    copy = client.with_options(max_retries=0)
    assert type(copy) is clash.Client
    result = copy.with_options_.get_options()
    assert result.model_dump(by_alias=True) == {"BaseModel": "field"}


def test_schemas_named_like_runtime_classes_are_separate_models(
    clash: ModuleType,
) -> None:
    models = clash.models
    assert models.Client is not clash.Client
    assert models.Stream is not clash.Stream
    parsed = models.Client.model_validate(
        {"id": "c", "base_model": {"schema": "s", "json": "j"}, "field": {"alias": "a"}}
    )
    assert parsed.field.alias == "a"
    dumped = parsed.base_model.model_dump(by_alias=True, exclude_unset=True)
    assert dumped == {"schema": "s", "json": "j"}


# -- known bugs ------------------------------------------------------------------------


def write_spec(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


KEYWORD_OPERATION_IDS = """
openapi: 3.0.3
info: {title: Keyword Ops, version: "1"}
servers: [{url: "https://kw.example.com"}]
paths:
  /things:
    get:
      operationId: import
      responses: {"204": {description: none}}
    post:
      operationId: class
      responses: {"204": {description: none}}
"""


def test_keyword_operation_ids_become_valid_methods(
    generated: GeneratedPackages, tmp_path: Path
) -> None:
    spec = write_spec(tmp_path, "keywords.yaml", KEYWORD_OPERATION_IDS)
    api = imported(generated, spec, "keyword_ops_api")
    recorder = Recorder(lambda request: httpx.Response(204))
    client = api.Client(http_client=recorder.sync_client())
    assert client.things.import_() is None
    assert client.things.class_() is None
    assert [r.method for r in recorder.requests] == ["GET", "POST"]


FIELD_SCHEMA = """
openapi: 3.0.3
info: {title: Field Clash, version: "1"}
servers: [{url: "https://f.example.com"}]
paths:
  /c:
    get:
      operationId: getC
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Holder"}}}
components:
  schemas:
    Field: {type: object, properties: {alias: {type: string}}}
    Holder:
      type: object
      properties:
        self-link: {type: string}
        field: {$ref: "#/components/schemas/Field"}
"""


def test_a_schema_named_field_next_to_an_aliased_property(
    generated: GeneratedPackages, tmp_path: Path
) -> None:
    spec = write_spec(tmp_path, "field.yaml", FIELD_SCHEMA)
    api = imported(generated, spec, "field_clash_api")
    holder = api.models.Holder.model_validate(
        {"self-link": "l", "field": {"alias": "a"}}
    )
    assert holder.self_link == "l" and holder.field.alias == "a"


SAME_CLASS_NAME = """
openapi: 3.0.3
info: {title: Same Class, version: "1"}
servers: [{url: "https://s.example.com"}]
paths:
  /a:
    get:
      operationId: getA
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/ItemType"}}}
  /b:
    get:
      operationId: getB
      responses:
        "200":
          description: ok
          content: {application/json: {schema: {$ref: "#/components/schemas/Item-Type"}}}
components:
  schemas:
    ItemType: {type: object, required: [a], properties: {a: {type: string}}}
    Item-Type: {type: object, required: [b], properties: {b: {type: string}}}
"""


def test_schemas_with_one_class_name_get_distinct_classes(
    generated: GeneratedPackages, tmp_path: Path
) -> None:
    spec = write_spec(tmp_path, "same.yaml", SAME_CLASS_NAME)
    api = imported(generated, spec, "same_class_api")

    def respond(request: httpx.Request) -> httpx.Response:
        key = request.url.path.strip("/")
        return httpx.Response(200, json={key: key.upper()})

    client = api.Client(http_client=Recorder(respond).sync_client())
    a, b = client.a.get_a(), client.b.get_b()
    assert type(a) is not type(b)
    assert (a.a, b.b) == ("A", "B")
