"""templates/runtime/_cli_args.py as plain code: parameter types as command-line
options, value conversion, annotations that cannot be evaluated, docstrings."""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

import pydantic
import pytest
from oag_runtime import FileInput, NotGiven
from oag_runtime._cli_args import (
    ArgType,
    analyze,
    convert_value,
    method_arguments,
    method_doc,
    type_hints,
)


class Message(pydantic.BaseModel):
    role: str


@pytest.mark.parametrize(
    ("hint", "categories", "display", "metavar"),
    [
        (str, {"text"}, "str", "TEXT"),
        (int | NotGiven, {"int"}, "int", "INT"),
        (float, {"float", "int"}, "float", "NUMBER"),
        (Literal["asc", "desc"], {"text"}, '"asc" | "desc"', "TEXT"),
        (str | Literal["gpt-4o"], {"text"}, 'str | "gpt-4o"', "TEXT"),
        (Sequence[str], {"json"}, "list[str]", "JSON"),
        (
            Sequence[Message | Mapping[str, object]],
            {"json"},
            "list[Message | object]",
            "JSON",
        ),
        (Mapping[str, object] | None, {"json", "null"}, "object | null", "JSON"),
        (Message, {"json"}, "Message", "JSON"),
        (str | Message, {"json", "text"}, "str | Message", "VALUE"),
        (bytes | str, {"bytes", "text"}, "bytes | str", "TEXT"),
        (Any, {"json", "text"}, "any", "VALUE"),
    ],
)
def test_analyze(
    hint: object, categories: set[str], display: str, metavar: str
) -> None:
    arg_type = analyze(hint)
    assert arg_type.categories == frozenset(categories)
    assert arg_type.display == display
    assert arg_type.metavar == metavar
    assert not arg_type.is_flag and not arg_type.repeated


def test_booleans_are_flags() -> None:
    assert analyze(bool).is_flag
    assert analyze(bool | None | NotGiven).is_flag
    assert analyze(Literal[True]).is_flag
    assert not analyze(bool | Literal["auto"]).is_flag


def test_files() -> None:
    single = analyze(FileInput)
    assert single == ArgType(frozenset({"file"}), "file")
    assert analyze(FileInput | NotGiven) == single  # the union is flattened
    many = analyze(Sequence[FileInput] | NotGiven)
    assert many.repeated and many.categories == {"file"} and many.metavar == "@FILE"


def test_long_literals_are_cut_in_help() -> None:
    display = analyze(Literal["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"]).display
    assert display == '"a" | "b" | "c" | "d" | "e" | "f" | "g" | "h" | ...'


def convert(text: str, hint: object) -> object:
    arg_type = analyze(hint)
    return convert_value(text, arg_type.categories, arg_type.display)


def test_convert_scalars() -> None:
    assert convert("42", int) == 42
    assert convert("-3", int | float) == -3
    assert convert("0.25", float) == 0.25
    assert convert("42", str) == "42"  # text stays text
    assert convert("true", bool | Literal["auto"]) is True
    assert convert("auto", bool | Literal["auto"]) == "auto"
    assert convert("null", int | None) is None
    assert convert("gpt-4o", Any) == "gpt-4o"  # not JSON: the text
    with pytest.raises(argparse.ArgumentTypeError, match="expected int, got '4x'"):
        convert("4x", int)


def test_convert_json() -> None:
    assert convert('[{"role": "user"}]', Sequence[Message]) == [{"role": "user"}]
    assert convert('{"a": 1}', Mapping[str, object]) == {"a": 1}
    assert convert('{"type": "text"}', str | Message) == {"type": "text"}
    assert convert("plain", str | Message) == "plain"
    assert convert("123", str | Message) == "123"  # a JSON scalar where text is allowed
    assert convert("null", Mapping[str, object] | None) is None
    with pytest.raises(argparse.ArgumentTypeError, match="invalid JSON"):
        convert("[1,", Sequence[int])


def test_convert_at_files(tmp_path: Path) -> None:
    data = tmp_path / "messages.json"
    data.write_text('[{"role": "user"}]')
    assert convert(f"@{data}", Sequence[Message]) == [{"role": "user"}]
    assert (
        convert(f"@{data}", bytes | str) == data.read_bytes()
    )  # raw bodies: the bytes
    assert convert("@someone", str | Message) == "@someone"  # no such file: text
    with pytest.raises(argparse.ArgumentTypeError, match="no such file"):
        convert(f"@{tmp_path / 'missing.json'}", Sequence[Message])
    assert convert(f"@{data}", FileInput) == data
    assert convert(str(data), FileInput) == data
    with pytest.raises(argparse.ArgumentTypeError, match="no such file"):
        convert(str(tmp_path / "missing.bin"), FileInput)


# A module whose annotations name an alias that exists only for type checkers, as the
# generated resource modules do (issue 13 removes that; both must work).
MODULE = '''
from __future__ import annotations
from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal
from oag_runtime import NOT_GIVEN, NotGiven

if TYPE_CHECKING:
    _Blocks = Sequence[dict[str, object]]

def create(notebook_id: str, *, title: str, blocks: _Blocks | NotGiven = NOT_GIVEN,
           order: Literal["asc", "desc"] | NotGiven = NOT_GIVEN, timeout: float = 1.0,
           extra_body: object = None) -> None:
    """Create a note

    Longer words about notes.

    Args:
      notebook_id: The notebook.
      title (deprecated): Shown on top,
          across two lines.

        Second paragraph of the title.

    `POST /notebooks/{notebook_id}/notes` (operationId `createNote`).
    """
'''


def load(source: str) -> Any:
    namespace: dict[str, Any] = {"__name__": "cli_args_sample"}
    exec(compile(source, "cli_args_sample.py", "exec"), namespace)
    return namespace["create"]


def test_type_hints_fall_back_when_an_alias_is_missing() -> None:
    create = load(MODULE)
    with pytest.raises(NameError):
        __import__("typing").get_type_hints(create)
    hints = type_hints(create)
    assert hints["title"] is str
    assert hints["blocks"] == Any | NotGiven  # the unknown alias reads as Any
    assert analyze(hints["blocks"]).categories == {"json", "text"}
    assert analyze(hints["order"]).display == '"asc" | "desc"'


def test_type_hints_when_everything_resolves() -> None:
    create = load(MODULE.replace("if TYPE_CHECKING:", "if True:"))
    hints = type_hints(create)
    assert analyze(hints["blocks"]).display == "list[object]"


def test_method_arguments_and_doc() -> None:
    create = load(MODULE)
    arguments = method_arguments(create)
    assert [(a.name, a.option, a.required) for a in arguments] == [
        ("notebook_id", "--notebook-id", True),
        ("title", "--title", True),
        ("blocks", "--blocks", False),
        ("order", "--order", False),
    ]  # call options (timeout, extra_*) are left out
    doc = method_doc(create)
    assert doc.summary == "Create a note"
    assert doc.params == {
        "notebook_id": "The notebook.",
        "title": "Shown on top, across two lines.",
    }
    assert "Args:" not in doc.description and "Longer words" in doc.description
    assert doc.description.endswith("(operationId `createNote`).")
    assert arguments[1].help == "str, required. Shown on top, across two lines."


def test_option_names_never_collide() -> None:
    source = (
        "def create(*, type: str, type_: str, class_: str, help: str, a_b: int) -> None:"
        "\n    pass\n"
    )
    options = {a.name: a.option for a in method_arguments(load(source))}
    assert options == {
        "type": "--type",
        "type_": "--type-",
        "class_": "--class",
        "help": "--help-value",
        "a_b": "--a-b",
    }


def test_help_escapes_percent_signs() -> None:
    source = (
        'def create(*, rate: float) -> None:\n    """Go\n\n    Args:\n'
        '      rate: Up to 100% of it.\n    """\n'
    )
    (argument,) = method_arguments(load(source))
    parser = argparse.ArgumentParser()
    parser.add_argument(argument.option, help=argument.help)
    assert "Up to 100% of it." in parser.format_help()
