"""`oapigen diff`: breaking-change detection on small hand-made spec pairs, one pair per
kind of change, the snapshot round trip, and the command line (formats, exit codes).

Each pair is a base spec and a copy with one edit; the test asserts the changes the
comparison reports for it (kind, subject, argument or field, breaking or not).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from oapigen.cli import main
from oapigen.diff import Changelog, diff_specs, markdown, spec_surface
from oapigen.diff.surface import SnapshotError, dumps, loads

Spec = dict[str, Any]


def _json(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": "ok", "content": {"application/json": {"schema": ref}}}


def _body(schema: str) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    return {"required": True, "content": {"application/json": {"schema": ref}}}


ITEM_ID = {
    "name": "item_id",
    "in": "path",
    "required": True,
    "schema": {"type": "string"},
}
BASE: Spec = {
    "openapi": "3.0.3",
    "info": {"title": "Shop", "version": "1.0.0"},
    "paths": {
        "/items": {
            "get": {
                "operationId": "listItems",
                "tags": ["Items"],
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {
                        "name": "order",
                        "in": "query",
                        "schema": {"type": "string", "enum": ["asc", "desc"]},
                    },
                ],
                "responses": {"200": _json("ItemList")},
            },
            "post": {
                "operationId": "createItem",
                "tags": ["Items"],
                "requestBody": _body("CreateItemRequest"),
                "responses": {"200": _json("Item")},
            },
        },
        "/items/{item_id}": {
            "get": {
                "operationId": "getItem",
                "tags": ["Items"],
                "parameters": [ITEM_ID],
                "responses": {"200": _json("Item")},
            },
            "delete": {
                "operationId": "deleteItem",
                "tags": ["Items"],
                "parameters": [ITEM_ID],
                "responses": {"204": {"description": "gone"}},
            },
        },
    },
    "components": {
        "schemas": {
            "Item": {
                "type": "object",
                "required": ["id", "name"],
                "properties": {
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                    "color": {"type": "string", "enum": ["red", "green"]},
                    "price": {"type": "integer"},
                    "status": {"$ref": "#/components/schemas/Status"},
                },
            },
            "Status": {"type": "string", "enum": ["open", "closed"]},
            "ItemList": {
                "type": "object",
                "required": ["data"],
                "properties": {
                    "data": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Item"},
                    }
                },
            },
            "CreateItemRequest": {
                "type": "object",
                "required": ["name"],
                "properties": {
                    "name": {"type": "string"},
                    "color": {"type": "string", "enum": ["red", "green"]},
                    "size": {"type": "number"},
                },
            },
            "Tag": {"type": "object", "properties": {"label": {"type": "string"}}},
        }
    },
}


def write(path: Path, spec: Spec) -> Path:
    path.write_text(json.dumps(spec), encoding="utf-8")
    return path


def changelog(tmp_path: Path, edit: Callable[[Spec], None]) -> Changelog:
    new = copy.deepcopy(BASE)
    edit(new)
    return diff_specs(
        write(tmp_path / "old.json", BASE), write(tmp_path / "new.json", new)
    )


def summary(log: Changelog) -> set[tuple[str, str, str | None, bool]]:
    return {(c.kind, c.subject, c.name, c.breaking) for c in log.changes}


def items(spec: Spec) -> dict[str, Any]:
    paths: dict[str, Any] = spec["paths"]
    return paths


def schemas(spec: Spec) -> dict[str, Any]:
    found: dict[str, Any] = spec["components"]["schemas"]
    return found


# -- one pair per kind of change ---------------------------------------------------------


def remove_delete(spec: Spec) -> None:
    del items(spec)["/items/{item_id}"]["delete"]


def add_required_query(spec: Spec) -> None:
    params = items(spec)["/items"]["get"]["parameters"]
    params.append(
        {"name": "store", "in": "query", "required": True, "schema": {"type": "string"}}
    )
    params.append({"name": "page", "in": "query", "schema": {"type": "integer"}})


def require_color(spec: Spec) -> None:
    schemas(spec)["CreateItemRequest"]["required"].append("color")


def narrow_size(spec: Spec) -> None:
    schemas(spec)["CreateItemRequest"]["properties"]["size"] = {"type": "integer"}


def drop_enum_value(spec: Spec) -> None:
    params = items(spec)["/items"]["get"]["parameters"]
    params[1]["schema"]["enum"] = ["asc"]
    schemas(spec)["CreateItemRequest"]["properties"]["color"]["enum"].append("blue")


def drop_price(spec: Spec) -> None:
    del schemas(spec)["Item"]["properties"]["price"]


def rename_path_param(spec: Spec) -> None:
    item = items(spec).pop("/items/{item_id}")
    renamed = {**ITEM_ID, "name": "id"}
    for operation in item.values():
        operation["parameters"] = [renamed]
    items(spec)["/items/{id}"] = item


def remove_tag_model(spec: Spec) -> None:
    del schemas(spec)["Tag"]


def deprecate_listing(spec: Spec) -> None:
    items(spec)["/items"]["get"]["deprecated"] = True
    schemas(spec)["Item"]["properties"]["price"]["deprecated"] = True


LIST = "client.items.list_items"
CREATE = "client.items.create_item"
GET = "client.items.get_item"
CASES = {
    "method removed": (
        remove_delete,
        {("operation-removed", "client.items.delete_item", None, True)},
    ),
    "required argument added": (
        add_required_query,
        {
            ("argument-added", LIST, "store", True),
            ("argument-added", LIST, "page", False),
        },
    ),
    "optional -> required": (
        require_color,
        {("argument-required", CREATE, "color", True)},
    ),
    "type narrowed": (narrow_size, {("argument-type", CREATE, "size", True)}),
    "request enum value removed (and one added)": (
        drop_enum_value,
        {
            ("argument-enum", LIST, "order", True),
            ("argument-enum", CREATE, "color", False),
        },
    ),
    "response field removed": (drop_price, {("field-removed", "Item", "price", True)}),
    "path parameter renamed": (
        rename_path_param,
        {
            ("argument-renamed", GET, "id", True),
            ("argument-renamed", "client.items.delete_item", "id", True),
            ("operation-route", GET, None, False),
            ("operation-route", "client.items.delete_item", None, False),
        },
    ),
    "model removed": (remove_tag_model, {("model-removed", "Tag", None, True)}),
    "deprecation": (
        deprecate_listing,
        {
            ("operation-deprecated", LIST, None, False),
            ("field-deprecated", "Item", "price", False),
        },
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_each_kind_of_change(tmp_path: Path, case: str) -> None:
    edit, expected = CASES[case]
    log = changelog(tmp_path, edit)
    assert summary(log) == expected
    assert log.breaking == sum(1 for *_, breaking in expected if breaking)
    text = markdown(log)
    assert f"**Breaking changes: {log.breaking}**" in text
    assert text.count("**breaking**") == log.breaking + (1 if log.breaking else 0)


def test_no_change_is_empty(tmp_path: Path) -> None:
    log = changelog(tmp_path, lambda spec: None)
    assert log.changes == [] and log.breaking == 0
    assert "No changes to the Python surface." in markdown(log)


def test_widening_an_argument_or_narrowing_a_result_does_not_break(
    tmp_path: Path,
) -> None:
    def edit(spec: Spec) -> None:
        request = schemas(spec)["CreateItemRequest"]["properties"]
        request["name"] = {"type": "string", "nullable": True}  # accepts None too
        item = schemas(spec)["Item"]
        item["required"].append("price")  # always present now
        item["properties"]["color"]["enum"].append("blue")  # results may gain values

    log = changelog(tmp_path, edit)
    assert summary(log) == {
        ("argument-type", CREATE, "name", False),
        ("field-required", "Item", "price", False),
        ("field-enum", "Item", "color", False),
    }


def test_enum_values_of_a_result_come_and_go_without_breaking(tmp_path: Path) -> None:
    """`Item.status` (a result's field) may gain and lose values; the `Status` root model
    itself is used by no method (it is inlined), so it is held to both rules."""

    def edit(spec: Spec) -> None:
        schemas(spec)["Status"]["enum"] = ["open", "archived"]

    log = changelog(tmp_path, edit)
    assert summary(log) == {
        ("field-enum", "Item", "status", False),
        ("root-enum", "Status", None, True),
    }
    (field,) = [c for c in log.changes if c.kind == "field-enum"]
    assert field.message == (
        "`status`: enum values added: `'archived'`; enum values removed: `'closed'`"
    )


def test_results_that_may_be_missing_break_readers(tmp_path: Path) -> None:
    def edit(spec: Spec) -> None:
        schemas(spec)["Item"]["required"] = ["id"]  # name may be missing now
        schemas(spec)["Item"]["properties"]["id"] = {"type": "integer"}

    log = changelog(tmp_path, edit)
    assert summary(log) == {
        ("field-optional", "Item", "name", True),
        ("field-type", "Item", "id", True),
    }
    (change,) = [c for c in log.changes if c.kind == "field-type"]
    assert (change.old, change.new) == ("str", "int")


def test_an_operation_id_rename_with_a_path_parameter_rename_is_one_operation(
    tmp_path: Path,
) -> None:
    def edit(spec: Spec) -> None:
        rename_path_param(spec)
        items(spec)["/items/{id}"]["get"]["operationId"] = "fetchItem"

    log = changelog(tmp_path, edit)
    fetch = "client.items.fetch_item"
    assert ("operation-renamed", fetch, None, True) in summary(log)
    assert ("argument-renamed", fetch, "id", True) in summary(log)
    assert not [
        c for c in log.changes if c.kind in ("operation-added", "operation-removed")
    ]
    assert (log.operations.added, log.operations.removed, log.operations.renamed) == (
        0,
        0,
        1,
    )


def test_snapshot_round_trips_and_is_deterministic(tmp_path: Path) -> None:
    surface = spec_surface(write(tmp_path / "spec.json", BASE))
    text = dumps(surface, "# Generated by oapigen from spec.json. Do not edit by hand.")
    assert text.startswith('{"generated":"Generated by oapigen from spec.json.')
    again = loads(text)
    assert again.methods == surface.methods and again.models == surface.models
    assert again.params == surface.params
    assert (
        dumps(again, "# Generated by oapigen from spec.json. Do not edit by hand.")
        == text
    )
    with pytest.raises(SnapshotError):
        loads(text.replace('"format":1', '"format":99'))
    with pytest.raises(SnapshotError):
        loads(text[: len(text) // 2])


def _union_result(spec: Spec, members: list[str]) -> None:
    """`getItem` answers a union of models (a value-like result: no RootModel)."""
    for name in members:
        schemas(spec).setdefault(
            name, {"type": "object", "properties": {"kind": {"type": "string"}}}
        )
    schemas(spec)["AnyItem"] = {
        "oneOf": [{"$ref": f"#/components/schemas/{m}"} for m in members]
    }
    spec["paths"]["/items/{item_id}"]["get"]["responses"]["200"] = _json("AnyItem")


def test_a_union_result_is_compared_by_its_members(tmp_path: Path) -> None:
    old = copy.deepcopy(BASE)
    _union_result(old, ["Item", "Tag"])
    new = copy.deepcopy(BASE)
    _union_result(new, ["Item", "Tag", "Bundle"])
    log = diff_specs(
        write(tmp_path / "old.json", old), write(tmp_path / "new.json", new)
    )
    (result,) = [c for c in log.changes if c.kind == "result"]
    assert result.subject == GET
    assert result.message == "returns `Item | Tag | Bundle` (was `Item | Tag`)"
    surface = spec_surface(write(tmp_path / "union.json", old))
    again = loads(dumps(surface, "# header"))
    assert again.methods == surface.methods  # the value type survives the snapshot
    unchanged = diff_specs(tmp_path / "old.json", write(tmp_path / "same.json", old))
    assert unchanged.changes == []


# -- the command line --------------------------------------------------------------------


@pytest.fixture
def pair(tmp_path: Path) -> tuple[Path, Path, Path]:
    """(old, new with a breaking change, new without one)."""
    broken = copy.deepcopy(BASE)
    remove_delete(broken)
    fine = copy.deepcopy(BASE)
    fine["info"]["version"] = "1.1.0"
    add_required_query(fine)
    items(fine)["/items"]["get"]["parameters"].pop(-2)  # keep the optional one only
    return (
        write(tmp_path / "old.json", BASE),
        write(tmp_path / "broken.json", broken),
        write(tmp_path / "fine.json", fine),
    )


def test_json_format(
    pair: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, broken, _ = pair
    assert main(["diff", str(old), str(broken), "--format", "json", "--no-config"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"old", "new", "breaking", "summary", "changes"}
    assert data["old"] == {
        "title": "Shop",
        "version": "1.0.0",
        "package": "shop",
        "package_version": "1.0.0",
    }
    assert data["breaking"] == 1
    assert data["summary"]["operations"] == {
        "added": 0,
        "removed": 1,
        "changed": 0,
        "renamed": 0,
    }
    assert data["changes"] == [
        {
            "section": "operations",
            "kind": "operation-removed",
            "subject": "client.items.delete_item",
            "breaking": True,
            "message": "operation removed: `DELETE /items/{item_id}`",
            "operation_id": "deleteItem",
            "old": "DELETE /items/{item_id}",
        }
    ]


def test_fail_on_breaking_exit_codes(
    pair: tuple[Path, Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    old, broken, fine = pair
    base = ["diff", str(old)]
    assert main([*base, str(broken), "--fail-on-breaking", "--no-config"]) == 1
    out = capsys.readouterr().out
    assert out.startswith(
        "# API changes: Shop 1.0.0 -> 1.0.0\n\n**Breaking changes: 1**"
    )
    assert main([*base, str(broken), "--no-config"]) == 0
    capsys.readouterr()
    assert main([*base, str(fine), "--fail-on-breaking", "--no-config"]) == 0
    out = capsys.readouterr().out
    assert "**Breaking changes: 0**" in out and "argument `page: int` added" in out


def test_errors_exit_2_with_located_diagnostics(
    pair: tuple[Path, Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, _, _ = pair
    missing = tmp_path / "nowhere.yaml"
    assert main(["diff", str(old), str(missing), "--no-config"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"{missing} #: error E103: spec file not found\n"
    bad = tmp_path / "bad.yaml"
    bad.write_text("openapi: 3.0.3\npaths: [\n")
    assert main(["diff", str(bad), str(old), "--no-config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{bad}:") and "error E101" in err and "Traceback" not in err


def test_spec_argument_still_generates(tmp_path: Path) -> None:
    """`oapigen SPEC` is unchanged next to `oapigen diff`."""
    spec = write(tmp_path / "spec.json", BASE)
    assert (
        main([str(spec), "--output", str(tmp_path / "out"), "--quiet", "--no-config"])
        == 0
    )
    assert (tmp_path / "out" / "shop" / ".oapigen" / "api.json").is_file()
