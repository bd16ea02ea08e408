"""OpenAPI Overlays applied by the loader: each action kind, in order, with located
diagnostics, no mutation of the loaded document, and source locations that follow."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from oapigen.diagnostics import Diagnostic, GeneratorError, Severity
from oapigen.loader import Document, load
from tests.conftest import openai_spec

ROOT = Path(__file__).resolve().parents[2]
OPENAI_OVERLAY = ROOT / "specs" / "openai.overlay.yaml"

SPEC = """
openapi: 3.0.3
info: {title: Pets, version: "1.0"}
paths:
  /pets:
    get:
      operationId: listPets
      tags: [Pets, Public]
      parameters:
        - &limit {name: limit, in: query, schema: {type: integer}}
        - {name: dummy, in: query, schema: {type: string}}
        - {name: after, in: query, schema: {type: string}}
        - {name: dummy, in: header, schema: {type: string}}
      responses:
        "200": {description: ok}
    post:
      operationId: createPet
      tags: [Pets]
      responses:
        "201": {description: created}
  /owners:
    get:
      operationId: listOwners
      tags: [Owners]
      parameters:
        - *limit
      responses:
        "200": {description: ok}
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so files are named relative to it, as a user would name them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def overlay(actions: str, version: str = "1.0.0") -> str:
    head = f"overlay: {version}\ninfo: {{title: test, version: '1'}}\nactions:\n"
    return head + textwrap.indent(textwrap.dedent(actions).strip("\n"), "  ") + "\n"


def apply(directory: Path, *overlays: str, spec: str = SPEC) -> Document:
    """Load spec.yaml with o0.yaml, o1.yaml... (named relative to the working directory)."""
    write(directory, "spec.yaml", spec)
    paths = []
    for number, text in enumerate(overlays):
        write(directory, f"o{number}.yaml", text)
        paths.append(Path(f"o{number}.yaml"))
    return load(Path("spec.yaml"), overlays=paths)


def errors(directory: Path, *overlays: str, spec: str = SPEC) -> list[str]:
    with pytest.raises(GeneratorError) as info:
        apply(directory, *overlays, spec=spec)
    return [d.format() for d in info.value.diagnostics]


def op(document: Document, path: str, method: str) -> dict[str, Any]:
    found: dict[str, Any] = document.bundled()["paths"][path][method]
    return found


def names(parameters: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return [(p["name"], p["in"]) for p in parameters]


# -- update ----------------------------------------------------------------------------


def test_update_merges_objects_recursively(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths['/pets'].get
          update:
            summary: List the pets
            responses:
              "200": {description: the pets, x-cache: 60}
              "404": {description: none}
        """),
    )
    get = op(document, "/pets", "get")
    assert get["summary"] == "List the pets"
    assert get["operationId"] == "listPets"  # untouched siblings stay
    assert get["responses"] == {
        "200": {"description": "the pets", "x-cache": 60},  # primitive replaced
        "404": {"description": "none"},  # inserted
    }


def test_update_of_an_array_target_appends_one_entry(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths['/pets'].post.tags
          update: Writes
        - target: $.paths['/owners'].get.tags
          update: [A, B]
        """),
    )
    assert op(document, "/pets", "post")["tags"] == ["Pets", "Writes"]
    # 1.0: "an entry to append": a list is one entry
    assert op(document, "/owners", "get")["tags"] == ["Owners", ["A", "B"]]


def test_overlay_1_1_concatenates_arrays_and_replaces_primitives(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay(
            """
            - target: $.paths['/owners'].get.tags
              update: [A, B]
            - target: $.paths['/pets'].get.operationId
              update: listAllPets
            - target: $.paths['/pets'].get.tags[?@ == 'Public']
              remove: true
            """,
            version="1.1.0",
        ),
    )
    assert op(document, "/owners", "get")["tags"] == ["Owners", "A", "B"]
    assert op(document, "/pets", "get")["operationId"] == "listAllPets"
    assert op(document, "/pets", "get")["tags"] == ["Pets"]


def test_arrays_inside_an_update_are_appended(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths.*[?@.tags[?@ == 'Pets']]
          update:
            parameters:
              - {name: X-Trace, in: header, schema: {type: string}}
        """),
    )
    assert names(op(document, "/pets", "get")["parameters"])[-1] == (
        "X-Trace",
        "header",
    )
    assert len(op(document, "/pets", "get")["parameters"]) == 5
    # createPet had no parameters: the list is inserted
    assert names(op(document, "/pets", "post")["parameters"]) == [("X-Trace", "header")]
    assert "X-Trace" not in str(op(document, "/owners", "get"))


def test_a_null_in_the_update_leaves_a_container_alone(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $
          update:
            info: {x-reviewed: true}
            paths:
        """),
    )
    assert document.bundled()["info"]["x-reviewed"] is True
    assert set(document.bundled()["paths"]) == {"/pets", "/owners"}


def test_one_target_matching_many_nodes_updates_each(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths.*.get
          update: {x-safe: true}
        """),
    )
    assert op(document, "/pets", "get")["x-safe"] is True
    assert op(document, "/owners", "get")["x-safe"] is True
    assert "x-safe" not in op(document, "/pets", "post")


# -- remove ----------------------------------------------------------------------------


def test_remove_every_match_from_its_array_and_map(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths.*.get.parameters[?@.name == 'dummy']
          remove: true
        - target: $.paths['/pets'].post
          remove: true
        """),
    )
    assert names(op(document, "/pets", "get")["parameters"]) == [
        ("limit", "query"),
        ("after", "query"),
    ]
    assert set(document.bundled()["paths"]["/pets"]) == {"get"}


def test_actions_apply_in_order_each_to_the_previous_result(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths['/pets'].post
          remove: true
        - target: $.paths['/pets']
          update:
            post: {operationId: addPet, responses: {"201": {description: made}}}
        - target: $.paths.*[?@.operationId == 'addPet']
          update: {x-new: true}
        """),
        overlay("""
        - target: $.paths.*[?@['x-new'] == true]
          update: {summary: from the second overlay}
        """),
    )
    post = op(document, "/pets", "post")
    assert post == {
        "operationId": "addPet",
        "responses": {"201": {"description": "made"}},
        "x-new": True,
        "summary": "from the second overlay",
    }


def test_copy_merges_a_node_of_the_document_overlay_1_1(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay(
            """
            - target: $.paths
              update: {/animals: {}}
            - target: $.paths['/animals']
              copy: $.paths['/pets']
            """,
            version="1.1.0",
        ),
    )
    paths = document.bundled()["paths"]
    assert paths["/animals"] == paths["/pets"]
    file, line = document.locate("#/paths/~1animals/get/operationId")
    assert (file, line) == ("spec.yaml", 6)  # where the copied node came from


# -- nothing loaded is mutated; locations follow ----------------------------------------


def test_loaded_nodes_are_never_mutated(in_tmp: Path) -> None:
    spec_path = write(in_tmp, "spec.yaml", SPEC)
    plain = load(spec_path)
    before = repr(plain.bundled())
    overlay_path = write(
        in_tmp,
        "o.yaml",
        overlay("""
        - target: $.paths['/pets'].get.parameters[?@.name == 'limit']
          update: {description: page size}
        - target: $.paths['/pets'].get.parameters[?@.name == 'after']
          remove: true
        """),
    )
    document = load(spec_path, overlays=[overlay_path])
    assert repr(plain.bundled()) == before
    assert repr(load(spec_path).bundled()) == before
    pets = op(document, "/pets", "get")["parameters"][0]
    owners = op(document, "/owners", "get")["parameters"][0]
    assert pets["description"] == "page size"
    # `*limit` shared the object with `&limit`: the alias site is unchanged
    assert "description" not in owners


def test_added_nodes_locate_to_the_overlay_others_keep_the_spec(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths['/pets'].get.parameters[?@.name == 'dummy']
          remove: true
        - target: $.paths['/pets'].get
          update:
            parameters:
              - name: X-Trace
                in: header
                schema: {type: string}
        """),
    )
    parameters = op(document, "/pets", "get")["parameters"]
    assert names(parameters) == [
        ("limit", "query"),
        ("after", "query"),
        ("X-Trace", "header"),
    ]
    # `after` moved from index 2 to 1 and still locates to its line in the spec
    assert document.locate("#/paths/~1pets/get/parameters/1") == ("spec.yaml", 11)
    assert document.locate("#/paths/~1pets/get/parameters/2/in") == ("o0.yaml", 10)
    assert document.locate("#/paths/~1pets/get/parameters/2/schema/type") == (
        "o0.yaml",
        11,
    )
    assert document.locate("#/paths/~1owners/get") == ("spec.yaml", 21)


def test_nodes_bundled_from_other_files_keep_their_files(in_tmp: Path) -> None:
    write(
        in_tmp,
        "o.yaml",
        overlay(
            """
        - target: $.components.schemas.Error.properties
          update:
            retry_after: {type: integer}
        - target: $.components.schemas.Error.required[?@ == 'param']
          remove: true
        """,
            version="1.1.0",
        ),
    )
    example = ROOT / "specs" / "example.yaml"
    document = load(example, overlays=[Path("o.yaml")])
    error = document.bundled()["components"]["schemas"]["Error"]
    assert error["required"] == ["message", "type", "code"]
    assert list(error["properties"])[-1] == "retry_after"
    common = str(ROOT / "specs" / "example-common.yaml")
    base = "#/components/schemas/Error"
    assert document.locate(f"{base}/properties/message") == (common, 52)
    assert document.locate(f"{base}/properties/retry_after/type") == ("o.yaml", 6)
    # `code` moved from required/3 to required/2 and keeps its place in the other file
    assert document.locate(f"{base}/required/2") == (common, 50)


# -- diagnostics -----------------------------------------------------------------------


def test_a_target_that_matches_nothing_is_a_located_warning(in_tmp: Path) -> None:
    document = apply(
        in_tmp,
        overlay("""
        - target: $.paths['/pets'].get
          update: {x-a: 1}
        - target: $.paths['/nope'].get
          update: {x-b: 1}
        - target: $.paths['/nowhere']
          x-oapigen-optional: true
          remove: true
        """),
    )
    assert [d.format() for d in document.warnings] == [
        "o0.yaml:6 #/actions/1/target: warning W653: target $.paths['/nope'].get "
        "matches nothing in the document "
        "(hint: check the path, or mark the action x-oapigen-optional: true)"
    ]
    assert all(d.severity is Severity.WARNING for d in document.warnings)


INVALID = [
    (
        "- a\n- b\n",
        [
            "o0.yaml:1 #: error E651: an overlay must be a mapping at the top, found a list"
        ],
    ),
    (
        "info: {title: t, version: '1'}\nactions: [{target: $, remove: true}]\n",
        [
            "o0.yaml:1 #: error E651: missing required field 'overlay' "
            "(the Overlay version, e.g. 1.0.0)"
        ],
    ),
    (
        "overlay: 1.0.0\ninfo: {title: t, version: '1'}\n",
        [
            "o0.yaml:1 #: error E651: missing required field 'actions' (a list of actions)"
        ],
    ),
    (
        "overlay: 2.0.0\ninfo: {title: t, version: '1'}\nactions: [{target: $, remove: true}]\n",
        [
            "o0.yaml:1 #/overlay: error E651: Overlay version 2.0.0 is not supported "
            "(oapigen applies 1.0.x and 1.1.x)"
        ],
    ),
    (
        overlay("- target: $.paths\n  description: forgot the update"),
        [
            "o0.yaml:4 #/actions/0: error E651: the action has neither update or remove: "
            "it would do nothing"
        ],
    ),
    (
        overlay("- target: $.paths\n  udpate: {x-a: 1}"),
        [
            "o0.yaml:5 #/actions/0/udpate: error E651: unknown action field 'udpate' "
            "(hint: did you mean 'update'?)",
            "o0.yaml:4 #/actions/0: error E651: the action has neither update or remove: "
            "it would do nothing",
        ],
    ),
    (
        overlay("- target: $.paths\n  copy: $.info"),
        [
            "o0.yaml:5 #/actions/0/copy: error E651: unknown action field 'copy' "
            "(hint: copy is an Overlay 1.1 field: declare overlay: 1.1.0)",
        ],
    ),
    (
        overlay("- target: $.paths[?@.x ==]\n  remove: true"),
        [
            "o0.yaml:4 #/actions/0/target: error E652: target '$.paths[?@.x ==]' is not "
            "an RFC 9535 JSONPath: unexpected end of expression at column 16"
        ],
    ),
    (
        overlay("- target: paths.x\n  remove: true"),
        [
            "o0.yaml:4 #/actions/0/target: error E652: target 'paths.x' is not an "
            "RFC 9535 JSONPath: it must start with $ (the document root)"
        ],
    ),
]


@pytest.mark.parametrize("text, expected", INVALID)
def test_an_invalid_overlay_is_a_located_error(
    in_tmp: Path, text: str, expected: list[str]
) -> None:
    assert errors(in_tmp, text) == expected


def test_incompatible_updates_are_located_errors(in_tmp: Path) -> None:
    found = errors(
        in_tmp,
        overlay("""
        - target: $.paths['/pets'].get
          update:
            tags: {not: a list}
        - target: $.paths['/pets'].get.operationId
          update: renamed
        - target: $.paths.*.get
          update: [a]
        """),
    )
    assert found == [
        "o0.yaml:6 #/actions/0/update/tags: error E654: cannot merge a mapping into a "
        "list at #/paths/~1pets/get/tags "
        "(hint: remove the property in an earlier action to replace it)",
        "o0.yaml:7 #/actions/1/target: error E654: target $.paths['/pets'].get.operationId "
        "selects a primitive value at #/paths/~1pets/get/operationId; Overlay 1.0 targets "
        "must be objects or arrays (hint: select the containing object and update the "
        "property, or declare overlay: 1.1.0)",
        # one error for the action, not one per match (it matches two operations)
        "o0.yaml:10 #/actions/2/update: error E654: the update is a list; merging into "
        "the mapping at #/paths/~1pets/get needs a mapping",
    ]


def test_a_missing_overlay_file_is_reported(in_tmp: Path) -> None:
    spec_path = write(in_tmp, "spec.yaml", SPEC)
    with pytest.raises(GeneratorError) as info:
        load(spec_path, overlays=[Path("missing.yaml")])
    assert [d.format() for d in info.value.diagnostics] == [
        "missing.yaml #: error E103: file not found"
    ]


# -- the project's OpenAI overlay ----------------------------------------------------------

# (operations with the OpenAI-Beta header, of them tagged Vector stores, effective_at
# parameters with style deepObject) per version
OPENAI_EXPECTED = {"1.1.0": (0, 0, 0), "2.0.0": (28, 0, 0), "2.3.0": (36, 13, 1)}


@pytest.mark.openai
@pytest.mark.parametrize("version", sorted(OPENAI_EXPECTED))
def test_the_openai_overlay_on_each_version(version: str) -> None:
    spec = openai_spec(version)
    document = load(spec, overlays=[OPENAI_OVERLAY])
    assert document.warnings == load(spec).warnings  # no target warnings of its own
    beta: list[tuple[str, str]] = []
    vector_stores = 0
    deep: list[str] = []
    for path, item in document.bundled()["paths"].items():
        for method, operation in item.items():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            for index, parameter in enumerate(operation.get("parameters", [])):
                pointer = (
                    f"#/paths/{path.replace('/', '~1')}/{method}/parameters/{index}"
                )
                if (
                    parameter.get("in") == "header"
                    and parameter["name"] == "OpenAI-Beta"
                ):
                    assert parameter["required"] is True
                    assert parameter["schema"] == {
                        "type": "string",
                        "enum": ["assistants=v2"],
                    }
                    assert document.locate(pointer)[0] == str(OPENAI_OVERLAY)
                    beta.append((method, path))
                    vector_stores += "Vector stores" in operation["tags"]
                if parameter.get("name") == "effective_at":
                    assert parameter["in"] == "query" and parameter["explode"] is True
                    if parameter.get("style") == "deepObject":
                        deep.append(path)
    expected_beta, expected_vector_stores, expected_deep = OPENAI_EXPECTED[version]
    assert len(beta) == expected_beta
    assert vector_stores == expected_vector_stores
    assert len(deep) == expected_deep
    prefixes = ("/assistants", "/threads", "/vector_stores")
    assert all(path.startswith(prefixes) for _, path in beta)
    if version != "1.1.0":
        # every operation under those paths has it, and nothing else does
        under = [
            (m, p)
            for p, item in document.bundled()["paths"].items()
            if p.startswith(prefixes)
            for m in item
            if m in ("get", "post", "delete")
        ]
        assert sorted(under) == sorted(beta)
    if deep:
        assert deep == ["/organization/audit_logs"]
