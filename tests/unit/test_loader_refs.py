"""Loader, references: pointers, escapes, files, chains, recursion, cycles, errors."""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from oapigen.diagnostics import Diagnostic, GeneratorError
from oapigen.loader import Document, load


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def errors_of(path: Path) -> list[Diagnostic]:
    with pytest.raises(GeneratorError) as info:
        load(path)
    return info.value.diagnostics


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path, so files are named relative to it, as a user would name them."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


POINTERS = """
openapi: 3.0.0
paths:
  /users/{id}:
    get: {operationId: getUser}
  /a~b:
    get: {operationId: tilde}
components:
  schemas:
    "50%":
      type: string
    Alias: {$ref: '#/components/schemas/Chain'}
    Chain: {$ref: '#/components/schemas/Target'}
    Target: {type: integer}
x-refs:
  encoded: {$ref: '#/paths/~1users~1%7Bid%7D/get'}
  raw: {$ref: '#/paths/~1users~1{id}/get'}
  tilde: {$ref: '#/paths/~1a~0b/get'}
  percent: {$ref: '#/components/schemas/50%25'}
  index: {$ref: '#/x-list/1'}
x-list: [zero, {one: 1}]
"""


def test_local_refs_with_escapes_and_percent_encoding(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "api.yaml", POINTERS))
    get_user = doc.root["paths"]["/users/{id}"]["get"]
    assert doc.resolve("#/paths/~1users~1%7Bid%7D/get") is get_user
    assert doc.resolve("#/paths/~1users~1{id}/get") is get_user
    assert doc.resolve("#/paths/~1a~0b/get")["operationId"] == "tilde"
    assert doc.resolve("#/components/schemas/50%25") == {"type": "string"}
    assert doc.resolve("#/x-list/1") == {"one": 1}
    # The bundled document keeps local refs exactly as written.
    refs = doc.bundled()["x-refs"]
    assert refs["encoded"] == {"$ref": "#/paths/~1users~1%7Bid%7D/get"}


def test_resolve_follows_chains_of_pure_refs(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "api.yaml", POINTERS))
    assert doc.resolve("#/components/schemas/Alias") == {"type": "integer"}
    assert doc.resolve("#/x-refs/index") == {"one": 1}


def test_resolve_stops_at_a_ref_with_siblings(tmp_path: Path) -> None:
    doc = load(
        write(
            tmp_path,
            "api.yaml",
            """
            openapi: 3.0.0
            components:
              schemas:
                Nullable: {$ref: '#/components/schemas/T', nullable: true}
                T: {type: string}
            """,
        )
    )
    assert doc.resolve("#/components/schemas/Nullable") == {
        "$ref": "#/components/schemas/T",
        "nullable": True,
    }


def test_resolve_reports_unknown_pointer(tmp_path: Path) -> None:
    doc = load(write(tmp_path, "api.yaml", POINTERS))
    with pytest.raises(GeneratorError) as info:
        doc.resolve("#/components/schemas/Nope")
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.code == "E102" and "no key 'Nope'" in diagnostic.message


def test_dangling_refs_one_diagnostic_each_at_the_ref_line(in_tmp: Path) -> None:
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        info: {title: t, version: "1"}
        paths: {}
        components:
          schemas:
            A:
              type: object
              properties:
                b:
                  $ref: '#/components/schemas/Missing'
                c: {$ref: '#/components/schemas/A/properties/nope'}
                d:
                  type: array
                  items: {$ref: '#/components/schemas/A/properties/b/items'}
        """,
    )
    found = [d.format() for d in errors_of(Path("api.yaml"))]
    assert found == [
        "api.yaml:10 #/components/schemas/A/properties/b: error E102: $ref target "
        "'#/components/schemas/Missing' not found: no key 'Missing' in "
        "#/components/schemas",
        "api.yaml:11 #/components/schemas/A/properties/c: error E102: $ref target "
        "'#/components/schemas/A/properties/nope' not found: no key 'nope' in "
        "#/components/schemas/A/properties",
        "api.yaml:14 #/components/schemas/A/properties/d/items: error E102: $ref "
        "target '#/components/schemas/A/properties/b/items' not found: no key "
        "'items' in #/components/schemas/A/properties/b",
    ]


def test_dangling_ref_into_another_file_names_that_file(in_tmp: Path) -> None:
    write(in_tmp, "schemas/pet.yaml", "Pet:\n  type: object\n")
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            Pet: {$ref: 'schemas/pet.yaml#/Pett'}
        """,
    )
    (diagnostic,) = errors_of(Path("api.yaml"))
    assert diagnostic.format() == (
        "api.yaml:4 #/components/schemas/Pet: error E102: $ref target "
        "'schemas/pet.yaml#/Pett' not found: no key 'Pett' in # of schemas/pet.yaml"
    )


def test_dangling_ref_inside_an_external_file(in_tmp: Path) -> None:
    write(in_tmp, "defs/pet.yaml", "Pet:\n  properties:\n    tag: {$ref: '#/Tag'}\n")
    write(in_tmp, "api.yaml", "openapi: 3.0.0\nx: {$ref: 'defs/pet.yaml#/Pet'}\n")
    (diagnostic,) = errors_of(Path("api.yaml"))
    assert (diagnostic.file, diagnostic.line) == (os.path.join("defs", "pet.yaml"), 3)
    assert diagnostic.pointer == "#/Pet/properties/tag"


def test_missing_file_remote_url_and_bad_ref_values(in_tmp: Path) -> None:
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            A: {$ref: 'nope.yaml#/A'}
            B: {$ref: 'https://example.com/schemas.yaml#/B'}
            C: {$ref: '//example.com/c.yaml'}
            D: {$ref: 42}
            E: {$ref: '#E'}
        """,
    )
    found = {d.pointer.rsplit("/", 1)[1]: d for d in errors_of(Path("api.yaml"))}
    assert [(k, d.code, d.line) for k, d in sorted(found.items())] == [
        ("A", "E103", 4),
        ("B", "E104", 5),
        ("C", "E104", 6),
        ("D", "E102", 7),
        ("E", "E102", 8),
    ]
    assert found["A"].message == "$ref 'nope.yaml#/A': nope.yaml: file not found"
    assert "remote reference" in found["B"].message and found["B"].hint


def test_parse_error_in_a_referenced_file_is_reported_there_once(in_tmp: Path) -> None:
    write(in_tmp, "bad.yaml", "A:\n  type: [string\n")
    write(
        in_tmp,
        "api.yaml",
        "openapi: 3.0.0\nx: {$ref: 'bad.yaml#/A'}\ny: {$ref: 'bad.yaml#/A'}\n",
    )
    (diagnostic,) = errors_of(Path("api.yaml"))
    assert (diagnostic.code, diagnostic.file) == ("E101", "bad.yaml")


def test_pure_ref_cycle_is_an_error(in_tmp: Path) -> None:
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            A: {$ref: '#/components/schemas/B'}
            B: {$ref: '#/components/schemas/A'}
            Self: {$ref: '#/components/schemas/Self'}
            C: {$ref: '#/components/schemas/A'}
        """,
    )
    found = [d.format() for d in errors_of(Path("api.yaml"))]
    assert found == [
        "api.yaml:4 #/components/schemas/A: error E105: reference cycle: "
        "#/components/schemas/A -> #/components/schemas/B -> #/components/schemas/A "
        "(hint: a $ref must lead to a definition, not only to other $refs)",
        "api.yaml:6 #/components/schemas/Self: error E105: reference cycle: "
        "#/components/schemas/Self -> #/components/schemas/Self "
        "(hint: a $ref must lead to a definition, not only to other $refs)",
    ]


def test_pure_ref_cycle_across_files(in_tmp: Path) -> None:
    write(in_tmp, "a.yaml", "A: {$ref: 'b.yaml#/B'}\n")
    write(in_tmp, "b.yaml", "B:\n  $ref: 'a.yaml#/A'\n")
    write(in_tmp, "api.yaml", "openapi: 3.0.0\nx: {$ref: 'a.yaml#/A'}\n")
    (diagnostic,) = errors_of(Path("api.yaml"))
    assert diagnostic.code == "E105"
    assert "a.yaml#/A -> b.yaml#/B -> a.yaml#/A" in diagnostic.message


def test_recursive_schemas_are_fine(tmp_path: Path) -> None:
    doc = load(
        write(
            tmp_path,
            "api.yaml",
            """
            openapi: 3.0.0
            components:
              schemas:
                Node:
                  type: object
                  properties:
                    next: {$ref: '#/components/schemas/Node'}
                    children: {type: array, items: {$ref: '#/components/schemas/Node'}}
                A:
                  properties:
                    b: {$ref: '#/components/schemas/B'}
                B:
                  allOf:
                    - $ref: '#/components/schemas/A'
            """,
        )
    )
    node = doc.resolve("#/components/schemas/Node")
    assert doc.resolve(node["properties"]["next"]["$ref"]) is node
    a = doc.resolve("#/components/schemas/A")
    b = doc.resolve(a["properties"]["b"]["$ref"])
    assert doc.resolve(b["allOf"][0]["$ref"]) is a


def test_ref_shaped_literals_are_not_references(tmp_path: Path) -> None:
    doc = load(
        write(
            tmp_path,
            "api.yaml",
            """
            openapi: 3.0.0
            components:
              schemas:
                S:
                  type: object
                  properties:
                    $ref: {type: string}
                    example: {$ref: '#/components/schemas/T'}
                  example: {$ref: 'not/a/file.yaml'}
                  default: {$ref: '#/nowhere'}
                  enum: [{$ref: '#/nowhere'}]
                T: {type: string}
              examples:
                E:
                  value: {$ref: 'https://example.com/literal'}
            """,
        )
    )
    schema = doc.resolve("#/components/schemas/S")
    assert schema["properties"]["$ref"] == {"type": "string"}
    assert doc.bundled()["components"]["schemas"]["S"] is schema


def test_external_refs_relative_to_the_referring_file(in_tmp: Path) -> None:
    write(in_tmp, "spec/api.yaml", "openapi: 3.0.0\nx: {$ref: 'schemas/a.yaml#/A'}\n")
    write(in_tmp, "spec/schemas/a.yaml", "A: {$ref: '../common/b.json#/B'}\n")
    write(in_tmp, "spec/common/b.json", '{"B": {"$ref": "c.yaml"}}\n')
    write(in_tmp, "spec/common/c.yaml", "type: string\n")
    doc = load(Path("spec/api.yaml"))
    assert doc.resolve(doc.bundled()["x"]["$ref"]) == {"type": "string"}
