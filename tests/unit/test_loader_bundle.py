"""Loader, bundling: refs into other files become local; names, sharing, source lines."""

from __future__ import annotations

import copy
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from oapigen.diagnostics import GeneratorError
from oapigen.loader import Document, load


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def refs_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("$ref"), str):
            yield node["$ref"]
        for value in node.values():
            yield from refs_in(value)
    elif isinstance(node, list):
        for value in node:
            yield from refs_in(value)


def loaded_files(doc: Document) -> dict[str, Any]:
    """Every loaded file's data (white-box: the public API exposes only the root)."""
    return {s.name: s.data for s in doc._lazy.files.files.values()}


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def split_spec(in_tmp: Path) -> Document:
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        info: {title: t, version: "1"}
        paths:
          /pets:
            $ref: paths/pets.yaml
        components:
          schemas:
            Pet:
              $ref: schemas/pet.yaml
            Error:
              type: object
            Local:
              type: string
        """,
    )
    write(
        in_tmp,
        "paths/pets.yaml",
        """
        get:
          responses:
            "200":
              description: ok
              content:
                application/json:
                  schema:
                    type: array
                    items: {$ref: ../schemas/pet.yaml}
            default:
              description: error
              content:
                application/json:
                  schema: {$ref: '../schemas/common.yaml#/Error'}
        """,
    )
    write(
        in_tmp,
        "schemas/pet.yaml",
        """
        type: object
        properties:
          owner: {$ref: 'common.yaml#/Owner'}
          tag: {$ref: '#/definitions/Tag'}
        definitions:
          Tag: {type: string}
        """,
    )
    write(
        in_tmp,
        "schemas/common.yaml",
        """
        Error:
          type: object
          properties: {code: {type: integer}}
        Owner:
          type: object
          properties:
            pets: {type: array, items: {$ref: pet.yaml}}
        """,
    )
    return load(Path("api.yaml"))


def test_bundled_refs_are_all_local_and_resolve(split_spec: Document) -> None:
    bundled = split_spec.bundled()
    refs = list(refs_in(bundled))
    assert refs and all(ref.startswith("#/") for ref in refs)
    for ref in refs:
        split_spec.resolve(ref)
    schemas = bundled["components"]["schemas"]
    assert sorted(schemas) == ["CommonError", "Error", "Local", "Owner", "Pet", "Tag"]
    assert schemas["Pet"]["properties"] == {
        "owner": {"$ref": "#/components/schemas/Owner"},
        "tag": {"$ref": "#/components/schemas/Tag"},
    }
    assert schemas["Owner"]["properties"]["pets"]["items"] == {
        "$ref": "#/components/schemas/Pet"
    }
    assert schemas["CommonError"]["properties"] == {"code": {"type": "integer"}}
    assert schemas["Error"] == {"type": "object"}  # the root's own, untouched
    responses = bundled["paths"]["/pets"]["get"]["responses"]  # a path item inlined
    schema = responses["default"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/CommonError"}


def test_bundling_shares_unchanged_subtrees_and_mutates_nothing(
    split_spec: Document,
) -> None:
    before = copy.deepcopy(loaded_files(split_spec))
    bundled = split_spec.bundled()
    assert loaded_files(split_spec) == before
    assert bundled is not split_spec.root
    assert bundled["info"] is split_spec.root["info"]
    schemas = bundled["components"]["schemas"]
    assert schemas["Local"] is split_spec.root["components"]["schemas"]["Local"]
    pet = loaded_files(split_spec)["schemas/pet.yaml"]
    assert schemas["Tag"] is pet["definitions"]["Tag"]
    assert schemas["Pet"]["definitions"] is pet["definitions"]
    assert schemas["Pet"] is not pet
    assert split_spec.bundled() is bundled


def test_locate_copied_nodes_in_their_own_files(split_spec: Document) -> None:
    locate = split_spec.locate
    assert locate("#/components/schemas/Owner") == ("schemas/common.yaml", 4)
    assert locate("#/components/schemas/Owner/properties/pets") == (
        "schemas/common.yaml",
        7,
    )
    assert locate("#/components/schemas/Pet/properties/tag") == ("schemas/pet.yaml", 4)
    assert locate("#/components/schemas/Tag") == ("schemas/pet.yaml", 6)
    assert locate("#/components/schemas/Error") == ("api.yaml", 10)
    assert locate("#/paths/~1pets") == ("paths/pets.yaml", 1)
    assert locate("#/paths/~1pets/get/responses/default") == ("paths/pets.yaml", 10)
    assert locate("#/info") == ("api.yaml", 2)


def test_name_clash_with_a_root_component_gets_the_file_stem(in_tmp: Path) -> None:
    write(in_tmp, "pets.yaml", "Pet: {type: object}\n")
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            Pet: {type: string}
            UsesPet: {items: {$ref: 'pets.yaml#/Pet'}}
        """,
    )
    schemas = load(Path("api.yaml")).bundled()["components"]["schemas"]
    assert schemas["UsesPet"]["items"] == {"$ref": "#/components/schemas/PetsPet"}
    assert schemas["PetsPet"] == {"type": "object"}
    assert schemas["Pet"] == {"type": "string"}


def test_same_stem_in_two_directories_and_same_name_in_one_file(in_tmp: Path) -> None:
    write(in_tmp, "a/common.yaml", "Pet: {type: string}\n")
    write(in_tmp, "b/common.yaml", "Pet: {type: integer}\n")
    write(
        in_tmp, "x.yaml", "one: {Item: {type: boolean}}\ntwo: {Item: {type: number}}\n"
    )
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            Refs:
              anyOf:
                - $ref: 'b/common.yaml#/Pet'
                - $ref: 'x.yaml#/two/Item'
                - $ref: 'a/common.yaml#/Pet'
                - $ref: 'x.yaml#/one/Item'
        """,
    )
    bundled = load(Path("api.yaml")).bundled()
    names = [r["$ref"] for r in bundled["components"]["schemas"]["Refs"]["anyOf"]]
    assert names == [
        "#/components/schemas/BCommonPet",
        "#/components/schemas/XItem3",
        "#/components/schemas/ACommonPet",
        "#/components/schemas/XItem2",
    ]
    schemas = bundled["components"]["schemas"]
    assert schemas["XItem2"] == {"type": "boolean"}
    assert schemas["ACommonPet"] == {"type": "string"}


def test_names_do_not_depend_on_the_order_refs_are_met(in_tmp: Path) -> None:
    write(in_tmp, "a/m.yaml", "S: {type: string}\n")
    write(in_tmp, "b/m.yaml", "S: {type: integer}\n")
    write(in_tmp, "c.yaml", "S: {type: boolean}\n")
    order = ["a/m.yaml#/S", "c.yaml#/S", "b/m.yaml#/S"]
    results = []
    for name, refs in (("one.yaml", order), ("two.yaml", order[::-1])):
        items = ", ".join(f"{{$ref: '{ref}'}}" for ref in refs)
        write(in_tmp, name, f"openapi: 3.0.0\nx: {{anyOf: [{items}]}}\n")
        schemas = load(Path(name)).bundled()["components"]["schemas"]
        results.append({key: value["type"] for key, value in schemas.items()})
    assert (
        results[0]
        == results[1]
        == {
            "AMS": "string",
            "BMS": "integer",
            "CS": "boolean",
        }
    )


def test_whole_file_ref_named_after_the_file_and_chains_across_files(
    in_tmp: Path,
) -> None:
    write(in_tmp, "first.yaml", "A: {$ref: 'second-thing.yaml'}\n")
    write(in_tmp, "second-thing.yaml", "type: string\nminLength: 1\n")
    write(
        in_tmp,
        "api.yaml",
        "openapi: 3.0.0\nx:\n  schema: {$ref: 'first.yaml#/A'}\n",
    )
    doc = load(Path("api.yaml"))
    schemas = doc.bundled()["components"]["schemas"]
    assert schemas["A"] == {"$ref": "#/components/schemas/SecondThing"}
    assert doc.resolve("#/components/schemas/A") == {"type": "string", "minLength": 1}
    assert doc.locate("#/components/schemas/SecondThing/minLength") == (
        "second-thing.yaml",
        2,
    )


def test_external_ref_back_into_the_root_and_self_ref_by_file_name(
    in_tmp: Path,
) -> None:
    write(
        in_tmp,
        "other.yaml",
        """
        B: {items: {$ref: 'api.yaml#/components/schemas/A'}}
        D: {items: {$ref: 'api.yaml#/x-defs/a%20b~1%7Bc%7D'}}
        """,
    )
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        x-defs: {"a b/{c}": {type: boolean}}
        components:
          schemas:
            A: {type: string}
            B: {$ref: 'other.yaml#/B'}
            C: {$ref: 'api.yaml#/components/schemas/A'}
            D: {$ref: 'other.yaml#/D'}
        """,
    )
    doc = load(Path("api.yaml"))
    schemas = doc.bundled()["components"]["schemas"]
    assert schemas["B"] == {"items": {"$ref": "#/components/schemas/A"}}
    assert schemas["C"] == {"$ref": "#/components/schemas/A"}
    ref = schemas["D"]["items"]["$ref"]
    assert ref == "#/x-defs/a%20b~1%7Bc%7D"
    assert doc.resolve(ref) == {"type": "boolean"}


def test_wrapper_with_another_name_stays_a_ref_to_the_copy(in_tmp: Path) -> None:
    write(in_tmp, "common.yaml", "User: {type: object}\nError: {type: string}\n")
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            Author: {$ref: 'common.yaml#/User'}
            Error: {$ref: 'common.yaml#/Error'}
        """,
    )
    doc = load(Path("api.yaml"))
    schemas = doc.bundled()["components"]["schemas"]
    assert schemas == {
        "Author": {"$ref": "#/components/schemas/User"},
        "Error": {"type": "string"},
        "User": {"type": "object"},
    }
    assert doc.locate("#/components/schemas/Error") == ("common.yaml", 2)
    assert doc.locate("#/components/schemas/Author") == ("api.yaml", 4)


def test_sections_follow_the_referring_place(in_tmp: Path) -> None:
    write(
        in_tmp,
        "parts.yaml",
        """
        components:
          parameters:
            Limit: {name: limit, in: query, schema: {$ref: '#/components/schemas/N'}}
          schemas:
            N: {type: integer}
        NotFound: {description: missing}
        Cat: {type: object}
        """,
    )
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        paths:
          /a:
            get:
              parameters:
                - $ref: 'parts.yaml#/components/parameters/Limit'
              responses:
                "404": {$ref: 'parts.yaml#/NotFound'}
        components:
          schemas:
            Pet:
              oneOf: [{$ref: 'parts.yaml#/Cat'}]
              discriminator:
                propertyName: kind
                mapping: {cat: 'parts.yaml#/Cat', dog: Dog}
        """,
    )
    bundled = load(Path("api.yaml")).bundled()
    components = bundled["components"]
    assert components["parameters"]["Limit"]["schema"] == {
        "$ref": "#/components/schemas/N"
    }
    assert components["responses"]["NotFound"] == {"description": "missing"}
    assert components["schemas"]["Pet"]["discriminator"]["mapping"] == {
        "cat": "#/components/schemas/Cat",
        "dog": "Dog",
    }
    operation = bundled["paths"]["/a"]["get"]
    assert operation["parameters"] == [{"$ref": "#/components/parameters/Limit"}]
    assert operation["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}


def test_aliased_node_with_an_external_ref_is_copied_not_mutated(in_tmp: Path) -> None:
    write(in_tmp, "t.yaml", "T: {type: string}\n")
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        components:
          schemas:
            A:
              properties:
                x: &shared {$ref: 't.yaml#/T'}
                y: *shared
        """,
    )
    doc = load(Path("api.yaml"))
    props = doc.root["components"]["schemas"]["A"]["properties"]
    bundled = doc.bundled()["components"]["schemas"]["A"]["properties"]
    assert bundled["x"] == bundled["y"] == {"$ref": "#/components/schemas/T"}
    assert props["x"] is props["y"] and props["x"] == {"$ref": "t.yaml#/T"}


def test_inlining_a_path_item_that_leads_back_to_itself_is_an_error(
    in_tmp: Path,
) -> None:
    write(
        in_tmp,
        "items.yaml",
        """
        items:
          A:
            post:
              callbacks:
                onEvent:
                  "{$request.body#/url}": {$ref: '#/items/A'}
        """,
    )
    write(
        in_tmp,
        "api.yaml",
        "openapi: 3.0.0\npaths:\n  /a: {$ref: 'items.yaml#/items/A'}\n",
    )
    with pytest.raises(GeneratorError) as info:
        load(Path("api.yaml"))
    (diagnostic,) = info.value.diagnostics
    assert diagnostic.format().startswith(
        "items.yaml:6 #/items/A/post/callbacks/onEvent/{$request.body#~1url}: error E105:"
    )


def test_one_file_named_two_ways_is_copied_once(in_tmp: Path) -> None:
    write(in_tmp, "a.yaml", "A: {type: string}\n")
    write(in_tmp, "sub/keep.txt", "\n")
    write(
        in_tmp,
        "api.yaml",
        """
        openapi: 3.0.0
        x:
          anyOf:
            - $ref: 'a.yaml#/A'
            - $ref: './sub/../a.yaml#/A'
            - $ref: 'a.yaml#'
        """,
    )
    bundled = load(Path("api.yaml")).bundled()
    # The whole file (named "A" after its stem) and its member A clash twice ("A",
    # then "AA"), so numbers settle it, in (file, pointer) order: the file first.
    assert [r["$ref"] for r in bundled["x"]["anyOf"]] == [
        "#/components/schemas/AA3",
        "#/components/schemas/AA3",
        "#/components/schemas/AA2",
    ]
    assert bundled["components"]["schemas"] == {
        "AA2": {"A": {"type": "string"}},
        "AA3": {"type": "string"},
    }
