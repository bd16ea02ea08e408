"""Loader, parsing: YAML 1.2 scalars, anchors, keys, JSON, parse errors, source lines."""

from __future__ import annotations

import copy
import json
import math
import random
import textwrap
from pathlib import Path
from typing import Any

import pytest

from oapigen.diagnostics import GeneratorError, Severity
from oapigen.loader import Document, load
from oapigen.loader.yaml12 import HAVE_LIBYAML, compose_yaml, load_yaml


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_text(tmp_path: Path, text: str, name: str = "api.yaml") -> Document:
    return load(write(tmp_path, name, text))


def load_error(path: Path) -> GeneratorError:
    with pytest.raises(GeneratorError) as info:
        load(path)
    return info.value


SCALARS = """
on: x
off: y
yes: no
octal: 0777
octal12: 0o17
hex: 0x1F
underscored: 1_000
sexagesimal: 12:30
date: 2024-01-02
timestamp: 2001-12-14t21:59:43.10-05:00
binary_looking: 0b101
inf: .inf
minus_inf: -.Inf
nan: .NaN
exponent: 1e3
float: 1.5
bool_true: True
bool_false: FALSE
tilde: ~
empty:
null_word: null
quoted_true: "true"
negative: -12
plus: +12
"""


def test_yaml_12_core_schema_scalars(tmp_path: Path) -> None:
    root = load_text(tmp_path, SCALARS).root
    assert root["on"] == "x" and root["off"] == "y"
    assert root["yes"] == "no"
    assert root["octal"] == 777 and root["octal12"] == 15 and root["hex"] == 31
    assert root["underscored"] == "1_000"
    assert root["sexagesimal"] == "12:30"
    assert root["date"] == "2024-01-02"
    assert root["timestamp"] == "2001-12-14t21:59:43.10-05:00"
    assert root["binary_looking"] == "0b101"
    assert root["inf"] == math.inf and root["minus_inf"] == -math.inf
    assert math.isnan(root["nan"])
    assert root["exponent"] == 1000.0 and isinstance(root["exponent"], float)
    assert root["float"] == 1.5
    assert root["bool_true"] is True and root["bool_false"] is False
    assert root["tilde"] is None and root["empty"] is None and root["null_word"] is None
    assert root["quoted_true"] == "true"
    assert root["negative"] == -12 and root["plus"] == 12


@pytest.mark.skipif(not HAVE_LIBYAML, reason="PyYAML built without libyaml")
def test_pure_python_fallback_builds_the_same_data() -> None:
    raw = textwrap.dedent(SCALARS).encode()
    with_c, _ = load_yaml(raw, libyaml=True)
    pure, _ = load_yaml(raw, libyaml=False)
    assert repr(with_c) == repr(pure)  # repr: nan != nan
    assert compose_yaml(raw, libyaml=False) is not None


def test_non_string_keys_become_the_text_written(tmp_path: Path) -> None:
    root = load_text(
        tmp_path,
        """
        responses:
          200: {description: ok}
          4XX: {description: client}
        flags: {true: 1, 1.5: 2, 0x10: 3, null: 4}
        """,
    ).root
    assert list(root["responses"]) == ["200", "4XX"]
    assert root["flags"] == {"true": 1, "1.5": 2, "0x10": 3, "null": 4}


def test_anchors_and_aliases_share_objects_that_are_never_mutated(
    tmp_path: Path,
) -> None:
    doc = load_text(
        tmp_path,
        """
        openapi: 3.0.0
        components:
          schemas:
            A:
              type: object
              properties:
                x: &shared
                  type: string
                  description: shared
                y: *shared
                z: *shared
        """,
    )
    props = doc.root["components"]["schemas"]["A"]["properties"]
    assert props["x"] is props["y"] is props["z"]
    before = copy.deepcopy(doc.root)
    bundled = doc.bundled()
    assert bundled["components"]["schemas"]["A"]["properties"]["y"] is props["x"]
    assert doc.resolve("#/components/schemas/A/properties/z") is props["x"]
    # An alias is located where its text is: the key that holds the alias.
    assert doc.locate("#/components/schemas/A/properties/y") == (str(doc.path), 10)
    assert doc.locate("#/components/schemas/A/properties/y/type") == (str(doc.path), 8)
    assert doc.root == before
    assert bundled is doc.bundled()  # cached


def test_merge_keys_merge_and_own_keys_win(tmp_path: Path) -> None:
    root = load_text(
        tmp_path,
        """
        base: &base {type: string, description: base}
        other: &other {format: uuid, description: other}
        derived:
          <<: [*base, *other]
          description: own
        """,
    ).root
    assert root["derived"] == {"type": "string", "format": "uuid", "description": "own"}
    assert root["base"]["description"] == "base"


def test_duplicate_keys_are_an_error_at_the_later_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "api.yaml",
        """
        openapi: 3.0.0
        info:
          title: first
          version: "1"
          title: second
        """,
    )
    (diagnostic,) = load_error(path).diagnostics
    assert diagnostic.format() == (
        f"{path}:5 #/info/title: error E109: duplicate key 'title': the keys of a "
        "mapping must be unique (hint: merge the two entries; one of them would be lost)"
    )
    assert diagnostic.severity is Severity.ERROR


def test_json_duplicate_keys_are_an_error_at_the_later_key(tmp_path: Path) -> None:
    text = '{\n  "openapi": "3.0.0",\n  "info": {\n    "title": "a",\n    "title": "b"\n  }\n}\n'
    found = load_error(write(tmp_path, "api.json", text)).diagnostics
    assert [(d.code, d.line, d.pointer) for d in found] == [("E109", 5, "#/info/title")]


def test_json_content_is_read_as_json_whatever_the_extension(tmp_path: Path) -> None:
    text = (
        '{\n  "openapi": "3.0.0",\n  "paths": {\n    "/a/{id}": {\n'
        '      "get": {"operationId": "on", "x-n": 10, "x-s": "yes"}\n'
        "    }\n  }\n}\n"
    )
    doc = load_text(tmp_path, text, "spec.yaml")
    assert doc.root["paths"]["/a/{id}"]["get"] == {
        "operationId": "on",
        "x-n": 10,
        "x-s": "yes",
    }
    assert doc.locate("#/paths/~1a~1{id}/get/x-s") == (str(doc.path), 5)
    assert doc.locate("#/paths/~1a~1{id}") == (str(doc.path), 4)


def test_json_lines_with_tabs_escapes_and_arrays(tmp_path: Path) -> None:
    text = (
        '{\n\t"a\\"b": [\n\t\t1,\n\t\t{"k": "v"}\n\t],\n' '\t"c": {},\n\t"d": []\n}\n'
    )
    doc = load_text(tmp_path, text, "api.json")
    assert doc.root == {'a"b': [1, {"k": "v"}], "c": {}, "d": []}
    name = str(doc.path)
    assert doc.locate('#/a"b/1/k') == (name, 4)
    assert doc.locate('#/a"b/0') == (name, 3)
    assert doc.locate("#/d") == (name, 7)
    assert doc.locate("#/c/missing") == (name, 6)  # deepest existing ancestor


Segments = tuple[str, ...]


def _json_lines(
    value: Any, out: list[str], lines: dict[Segments, int], at: Segments
) -> None:
    """Write `value` as JSON, one member or item per line, noting each one's line."""
    if isinstance(value, dict):
        out.append("{")
        for index, (key, item) in enumerate(value.items()):
            lines[(*at, key)] = len(out) + 1
            out.append(json.dumps(key) + ":")
            _json_lines(item, out, lines, (*at, key))
            out.append("," if index < len(value) - 1 else "")
        out.append("}")
    elif isinstance(value, list):
        out.append("[")
        for index, item in enumerate(value):
            lines[(*at, str(index))] = len(out) + 1
            _json_lines(item, out, lines, (*at, str(index)))
            out.append("," if index < len(value) - 1 else "")
        out.append("]")
    else:
        out.append(json.dumps(value))


def test_json_lines_of_every_pointer_in_any_order(tmp_path: Path) -> None:
    """Lookups resume where earlier ones stopped reading: every member and item of a
    nested document is found at its line, whatever the order of the lookups."""
    root = {
        "paths": {f"/p{n}": {"get": {"x": [n, {"deep": [n] * 3}]}} for n in range(30)},
        'we"ird~': {"a/b": "é", "": [[], {}]},
        "components": {"schemas": {f"S{n}": {"type": "object"} for n in range(30)}},
    }
    out: list[str] = []
    lines: dict[Segments, int] = {}
    _json_lines(root, out, lines, ())
    doc = load_text(tmp_path, "\n".join(out) + "\n", "api.json")
    assert doc.root == root
    order = sorted(lines)
    random.Random(12).shuffle(order)
    for segments in order:
        pointer = "#/" + "/".join(
            s.replace("~", "~0").replace("/", "~1") for s in segments
        )
        assert doc.locate(pointer) == (str(doc.path), lines[segments]), pointer


@pytest.mark.parametrize("name", ["api.yaml", "api.json"])
def test_byte_order_mark_is_accepted(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + b'{"openapi": "3.0.0"}\n')
    assert load(path).root == {"openapi": "3.0.0"}
    path.write_bytes(b"\xef\xbb\xbfopenapi: 3.0.0\n")
    if name.endswith(".json"):  # YAML in a .json file: a JSON error
        assert load_error(path).diagnostics[0].code == "E101"
    else:
        assert load(path).root == {"openapi": "3.0.0"}


def test_flow_yaml_in_a_json_file_is_invalid_json(tmp_path: Path) -> None:
    path = write(tmp_path, "api.json", "{openapi: 3.0.0, info: {title: t}}\n")
    (diagnostic,) = load_error(path).diagnostics
    assert (diagnostic.code, diagnostic.line) == ("E101", 1)
    assert diagnostic.message.startswith("invalid JSON: Expecting property name")
    doc = load_text(tmp_path, "{openapi: 3.0.0, info: {title: t}}\n", "api.yaml")
    assert doc.root == {"openapi": "3.0.0", "info": {"title": "t"}}


def test_yaml_parse_error_is_located(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "api.yaml",
        """
        openapi: 3.0.0
        info:
          title: x
           bad: indentation
        """,
    )
    (diagnostic,) = load_error(path).diagnostics
    assert (diagnostic.code, diagnostic.file, diagnostic.line) == ("E101", str(path), 4)
    assert "mapping values are not allowed" in diagnostic.message
    assert "\n" not in diagnostic.format()


def test_json_parse_error_is_located(tmp_path: Path) -> None:
    text = '{\n  "openapi": "3.0.0",\n  "info": {"t": 1 "u": 2}\n}\n'
    (diagnostic,) = load_error(write(tmp_path, "api.json", text)).diagnostics
    assert (diagnostic.code, diagnostic.line) == ("E101", 3)
    assert diagnostic.message == "invalid JSON: Expecting ',' delimiter (column 19)"


def test_trailing_comma_in_a_json_file_is_an_error_with_a_hint(tmp_path: Path) -> None:
    text = '{"openapi": "3.0.0",\n "info": {"t": 1,}}'
    (diagnostic,) = load_error(write(tmp_path, "api.json", text)).diagnostics
    assert (diagnostic.code, diagnostic.line, diagnostic.hint) == (
        "E101",
        2,
        "remove the trailing comma",
    )
    # the same text is valid YAML (a flow mapping), so a .yaml file holding it loads
    assert load_text(tmp_path, text, "api.yaml").root["info"] == {"t": 1}


def test_multi_document_stream_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "api.yaml", "openapi: 3.0.0\n---\nopenapi: 3.1.0\n")
    (diagnostic,) = load_error(path).diagnostics
    assert (diagnostic.code, diagnostic.line) == ("E101", 2)
    assert "more than one YAML document" in diagnostic.message


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("a: 1\nb: !!binary aGVsbG8=\n", 2, "unsupported YAML tag"),
        ("a: 1\nb: !Ref x\n", 2, "unsupported YAML tag '!Ref'"),
        ("a: 1\n? [x, y]\n: 2\n", 2, "mapping key must be a scalar"),
        ("a: &r\n  b: *r\n", 2, "contains it"),
    ],
)
def test_data_that_is_not_json_like_is_rejected(
    tmp_path: Path, text: str, line: int, words: str
) -> None:
    (diagnostic,) = load_error(write(tmp_path, "api.yaml", text)).diagnostics
    assert (diagnostic.code, diagnostic.line) == ("E101", line)
    assert words in diagnostic.message


@pytest.mark.parametrize(
    ("text", "found"), [("", "an empty document"), ("- a\n", "a list")]
)
def test_root_must_be_a_mapping(tmp_path: Path, text: str, found: str) -> None:
    (diagnostic,) = load_error(write(tmp_path, "api.yaml", text)).diagnostics
    assert diagnostic.code == "E101" and found in diagnostic.message


def test_missing_root_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.yaml"
    (diagnostic,) = load_error(path).diagnostics
    assert diagnostic.format() == f"{path} #: error E103: file not found"


def test_locate_yaml_lines(tmp_path: Path) -> None:
    doc = load_text(
        tmp_path,
        """
        # a comment
        openapi: 3.0.0
        paths:
          /users/{id}:
            get:
              parameters:
                - name: id
                  in: path
                -
                  name: q
        """,
    )
    name = str(doc.path)
    assert doc.locate("#") == (name, 2)
    assert doc.locate("#/paths/~1users~1{id}/get") == (name, 5)
    assert doc.locate("#/paths/~1users~1%7Bid%7D/get") == (name, 5)
    assert doc.locate("#/paths/~1users~1{id}/get/parameters/0/in") == (name, 8)
    assert doc.locate("#/paths/~1users~1{id}/get/parameters/1") == (name, 10)
    assert doc.locate("#/paths/~1users~1{id}/get/parameters/7") == (name, 6)


# Every construct the text walk of `lines.YamlLines` follows or must hand over to the
# full composer: block and compact sequences, quoted keys, a key written twice, aliases
# and merge keys, flow collections, block scalars with key-like lines, comments.
TRICKY = """
openapi: 3.1.0
# a comment: at the top
tags:
- name: one
- name: two
paths:
  "/a/{id}":
    get:
      parameters:
      - name: id
        in: path
      - &param
        name: q
        in: query
      responses:
        '200':
          description: |
            ok:
            not_a_key: really
          content: {application/json: {schema: {type: string}}}
    put:
      parameters:
      - *param
components:
  schemas:
    Base: &base
      type: object
      properties:
        id: {type: integer}
    Merged:
      <<: *base
      description: merged
    Twice:
      type: string
    Twice:
      type: integer
      minimum: 1
    Folded:
      description: >
        text

      type: string
    Deep:
      properties:
        inner:
          properties:
            leaf:
              type: string   # trailing comment
"""


def _pointers(value: Any, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [path, (*path, "missing")]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _pointers(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _pointers(item, (*path, str(index)))
    return found


def test_text_walk_lines_equal_the_composed_lines() -> None:
    from oapigen.loader.lines import YamlLines

    raw = TRICKY.lstrip("\n").encode("utf-8")
    data, _ = load_yaml(raw)
    for pointer in _pointers(data):
        composed = YamlLines(raw).line_of(pointer)  # no data: composes the file
        assert YamlLines(raw, data).line_of(pointer) == composed, pointer


def test_text_walk_composes_only_the_member_it_reaches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from oapigen.loader import lines

    raw = TRICKY.lstrip("\n").encode("utf-8")
    data, _ = load_yaml(raw)
    composed: list[int] = []

    def compose(text: bytes) -> Any:
        composed.append(text.count(b"\n"))
        return compose_yaml(text)

    monkeypatch.setattr(lines, "compose_yaml", compose)
    index = lines.YamlLines(raw, data)
    assert index.line_of(("components", "schemas", "Deep", "properties")) == 44
    assert index.line_of(("components", "schemas", "Twice", "minimum")) == 37
    assert composed == [6, 1]  # `properties:` of Deep; `minimum:` of the later Twice
    # through an alias: `parameters:` alone does not compose (the anchor is elsewhere),
    # so the whole file is, once; later lookups use it
    assert index.line_of(("paths", "/a/{id}", "put", "parameters", "0", "in")) == 14
    assert composed[2:] == [2, raw.count(b"\n")]
    assert index.line_of(("components", "schemas", "Folded", "type")) == 42
    assert len(composed) == 4


def test_loaded_data_is_plain_json_types(tmp_path: Path) -> None:
    doc = load_text(tmp_path, SCALARS)

    def check(node: Any) -> None:
        if isinstance(node, dict):
            assert all(isinstance(k, str) for k in node)
            for value in node.values():
                check(value)
        elif isinstance(node, list):
            for value in node:
                check(value)
        else:
            assert node is None or isinstance(node, (str, int, float, bool))

    check(doc.root)


@pytest.mark.parametrize(
    ("name", "depth"), [("api.json", 100_000), ("api.yaml", 5_000)]
)
def test_absurd_nesting_is_a_diagnostic_not_a_crash(
    tmp_path: Path, name: str, depth: int
) -> None:
    path = tmp_path / name
    path.write_text('{"a": ' + "[" * depth + "]" * depth + "}\n", encoding="utf-8")
    (diagnostic,) = load_error(path).diagnostics
    assert diagnostic.code == "E107" and diagnostic.line == 1
