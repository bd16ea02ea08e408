"""Command-line arguments read from a generated method: types, help text, conversion.

`_cli` builds the command tree; this module turns one method's signature, type hints
and docstring into argparse options. Everything is read from the method itself at run
time, so the generator only has to write the package's `__main__.py`.
"""

from __future__ import annotations

import argparse
import builtins
import collections.abc
import inspect
import json
import os
import re
import sys
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal, Union

import pydantic

from ._types import NotGiven

__all__ = ["ArgType", "Argument", "MethodDoc", "analyze", "method_arguments"]

# What a command-line value may become, from the members of the parameter's type.
Category = Literal["text", "int", "float", "bool", "null", "json", "file", "bytes"]

# Keyword arguments every generated method takes; the command line leaves them out
# (the client's `--timeout` covers the one a user needs).
CALL_OPTIONS = frozenset({"extra_headers", "extra_query", "extra_body", "timeout"})

_LITERALS_SHOWN = 8
_SEQUENCES = (
    list,
    tuple,
    set,
    frozenset,
    collections.abc.Sequence,
    collections.abc.MutableSequence,
    collections.abc.Set,
    collections.abc.Iterable,
)
_MAPPINGS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)


@dataclass(frozen=True)
class ArgType:
    """The command-line view of a parameter type."""

    categories: frozenset[str]
    display: str  # "list[Message]", "\"asc\" | \"desc\"", "file"
    repeated: bool = False  # a sequence of files: the option is given once per file

    @property
    def is_flag(self) -> bool:
        """A plain boolean: `--name` / `--no-name` instead of a value."""
        return "bool" in self.categories and self.categories <= {"bool", "null"}

    @property
    def metavar(self) -> str:
        cats = self.categories
        if "file" in cats:
            return "@FILE"
        if "json" in cats and "text" in cats:
            return "VALUE"
        if "json" in cats:
            return "JSON"
        if "text" in cats or "bytes" in cats:
            return "TEXT"
        if "float" in cats:
            return "NUMBER"
        if "int" in cats:
            return "INT"
        return "VALUE"


@dataclass(frozen=True)
class Argument:
    """One parameter of a method as a command-line option."""

    name: str  # the Python keyword argument
    option: str  # "--notebook-id"
    type: ArgType
    required: bool
    description: str

    @property
    def help(self) -> str:
        need = "required" if self.required else "optional"
        text = f"{self.type.display}, {need}."
        if self.type.repeated:
            text += " Repeat the option for several files."
        if self.description:
            text += " " + self.description
        return text.replace("%", "%%")  # argparse %-formats help strings


@dataclass(frozen=True)
class MethodDoc:
    summary: str
    description: str  # the docstring without its Args section
    params: Mapping[str, str]  # parameter name -> first paragraph of its description


# -- types ---------------------------------------------------------------------------


def analyze(hint: object) -> ArgType:
    """The categories of values a parameter annotated `hint` accepts, and how to show it."""
    members = [m for m in _members(hint) if m is not NotGiven]
    if _is_file(members):
        return ArgType(frozenset({"file"}), "file")
    if len(members) == 1:
        sequence_of = _sequence_item(members[0])
        if sequence_of is not None and _is_file(_members(sequence_of)):
            return ArgType(frozenset({"file"}), "list[file]", repeated=True)
    categories: set[str] = set()
    shown: list[str] = []
    for member in members:
        member_categories, text = _member(member)
        categories |= member_categories
        if text not in shown:
            shown.append(text)
    if not categories:
        categories = {"json", "text"}
    return ArgType(frozenset(categories), " | ".join(shown) or "any")


def _members(hint: object) -> list[object]:
    origin = typing.get_origin(hint)
    if origin is Union or origin is types.UnionType:
        return [m for arg in typing.get_args(hint) for m in _members(arg)]
    if origin is typing.Annotated:
        return _members(typing.get_args(hint)[0])
    return [hint]


def _is_file(members: list[object]) -> bool:
    """A file argument: the runtime's `FileInput` (bytes, a path, an open file...)."""
    for member in members:
        origin = typing.get_origin(member) or member
        if origin is os.PathLike or origin is IO:
            return True
    return False


def _sequence_item(hint: object) -> object | None:
    origin = typing.get_origin(hint)
    if origin in _SEQUENCES:
        args = typing.get_args(hint)
        return args[0] if args else Any
    return None


def _member(member: object) -> tuple[set[str], str]:
    if member is None or member is type(None):
        return {"null"}, "null"
    if member is bool:
        return {"bool"}, "bool"
    if member is int:
        return {"int"}, "int"
    if member is float:
        return {"float", "int"}, "float"
    if member is str:
        return {"text"}, "str"
    if member is bytes:
        return {"bytes"}, "bytes"
    if member is Any or member is object:
        return {"json", "text"}, "any"
    origin = typing.get_origin(member)
    if origin is Literal:
        return _literal(typing.get_args(member))
    item = _sequence_item(member)
    if item is not None:
        inner = " | ".join(dict.fromkeys(_member(m)[1] for m in _members(item)))
        return {"json"}, f"list[{inner}]"
    if origin in _MAPPINGS or member in _MAPPINGS:
        return {"json"}, "object"
    if isinstance(member, type) and issubclass(member, pydantic.BaseModel):
        return {"json"}, member.__name__
    return {"json", "text"}, getattr(member, "__name__", None) or "any"


def _literal(values: tuple[object, ...]) -> tuple[set[str], str]:
    categories: set[str] = set()
    for value in values:
        if value is None:
            categories.add("null")
        elif isinstance(value, bool):
            categories.add("bool")
        elif isinstance(value, int):
            categories.add("int")
        elif isinstance(value, float):
            categories.add("float")
        else:
            categories.add("text")
    shown = [json.dumps(v) for v in values[:_LITERALS_SHOWN]]
    if len(values) > _LITERALS_SHOWN:
        shown.append("...")
    return categories, " | ".join(shown)


# -- values --------------------------------------------------------------------------


def converter(arg_type: ArgType) -> Callable[[str], object]:
    """The argparse `type=` function for an option of `arg_type`."""
    categories = arg_type.categories

    def convert(text: str) -> object:
        return convert_value(text, categories, arg_type.display)

    convert.__name__ = arg_type.display  # argparse names it in "invalid ... value"
    return convert


def convert_value(text: str, categories: frozenset[str], display: str) -> object:
    """A command-line string as the value the method expects.

    Objects and lists are JSON (`@path` reads the JSON from a file, `@-` from stdin);
    file arguments are a path (`@path` or a bare path), opened by the client as it sends.
    """
    if "file" in categories:
        return _file_path(text)
    if ("json" in categories or "bytes" in categories) and text.startswith("@"):
        data = _read_at_file(text[1:], must_exist="text" not in categories)
        if data is not None:
            if "bytes" in categories:
                return data
            return _parse_json(data.decode("utf-8"))
    if "json" in categories:
        try:
            value = json.loads(text)
        except ValueError:
            pass
        else:
            if isinstance(value, (dict, list)) or "text" not in categories:
                return value
    if "int" in categories and re.fullmatch(r"[-+]?\d+", text.strip()):
        return int(text)
    if "float" in categories:
        try:
            return float(text)
        except ValueError:
            pass
    if "bool" in categories and text.lower() in ("true", "false"):
        return text.lower() == "true"
    if "null" in categories and text == "null":
        return None
    if "text" in categories or "bytes" in categories:
        return text
    if "json" in categories:
        return _parse_json(text)
    raise argparse.ArgumentTypeError(f"expected {display}, got {text!r}")


def _parse_json(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid JSON ({exc})") from None


def _read_at_file(path: str, *, must_exist: bool) -> bytes | None:
    if path == "-":
        return sys.stdin.buffer.read()
    file = Path(path).expanduser()
    if file.is_file():
        try:
            return file.read_bytes()
        except OSError as exc:
            raise argparse.ArgumentTypeError(f"cannot read {path}: {exc}") from None
    if must_exist:
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    return None  # "@name" that is not a file: the text itself


def _file_path(text: str) -> Path:
    path = Path(text[1:] if text.startswith("@") else text).expanduser()
    if not path.is_file():
        raise argparse.ArgumentTypeError(f"no such file: {path}")
    return path


# -- methods -------------------------------------------------------------------------


def method_arguments(function: Callable[..., Any]) -> list[Argument]:
    """The method's parameters as options: required first, each kind read from hints."""
    signature = inspect.signature(function)
    hints = type_hints(function)
    doc = method_doc(function)
    names = [
        p.name
        for p in signature.parameters.values()
        if p.name != "self"
        and p.name not in CALL_OPTIONS
        and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    ]
    options = _option_names(names)
    arguments = []
    for name in names:
        parameter = signature.parameters[name]
        arguments.append(
            Argument(
                name=name,
                option=options[name],
                type=analyze(hints.get(name, Any)),
                required=parameter.default is inspect.Parameter.empty,
                description=doc.params.get(name, ""),
            )
        )
    arguments.sort(key=lambda a: not a.required)
    return arguments


def _option_names(names: list[str]) -> dict[str, str]:
    """`class_` -> `--class`, `notebook_id` -> `--notebook-id`; never two alike."""
    taken: set[str] = set()
    options: dict[str, str] = {}
    # Names without a trailing underscore choose first, so `type` keeps `--type`.
    for name in sorted(names, key=lambda n: (n.endswith("_"), n)):
        base = name.strip("_").replace("_", "-") or "value"
        if base == "help":
            base = "help-value"
        option = base
        while option in taken:
            option += "-"
        taken.add(option)
        options[name] = "--" + option
    return options


def type_hints(function: Callable[..., Any]) -> dict[str, object]:
    """The evaluated annotations of `function`.

    `typing.get_type_hints` fails when an annotation names something imported only for
    type checkers; then each annotation is evaluated on its own, such names reading as
    `Any` (those arguments take JSON or text).
    """
    try:
        return typing.get_type_hints(function)
    except Exception:
        pass
    namespace = _LenientNames(getattr(function, "__globals__", {}))
    hints: dict[str, object] = {}
    for name, annotation in inspect.signature(function).parameters.items():
        value = annotation.annotation
        if value is inspect.Parameter.empty:
            continue
        if isinstance(value, str):
            try:
                value = eval(value, {"__builtins__": builtins}, namespace)
            except Exception:
                value = Any
        hints[name] = value
    return hints


class _LenientNames(dict[str, object]):
    """Names of a module for evaluating annotations; an unknown name reads as `Any`."""

    def __init__(self, module_globals: Mapping[str, object]) -> None:
        super().__init__()
        self._globals = module_globals

    def __missing__(self, key: str) -> object:
        if key in self._globals:
            return self._globals[key]
        return getattr(builtins, key, Any)


_ARG_LINE = re.compile(r"^  ([A-Za-z_][A-Za-z0-9_]*)(?: \([^)]*\))?: ?(.*)$")


def method_doc(function: Callable[..., Any]) -> MethodDoc:
    """Summary, description and parameter docs from a generated docstring.

    Generated docstrings are: summary, description paragraphs, an `Args:` block of
    `  name: text` entries (continuation lines indented further), the HTTP line.
    """
    text = inspect.getdoc(function) or ""
    kept: list[str] = []
    params: dict[str, list[str]] = {}
    current: list[str] | None = None
    in_args = False
    for line in text.splitlines():
        if line == "Args:":
            in_args = True
            continue
        if in_args:
            match = _ARG_LINE.match(line)
            if match:
                current = params.setdefault(match.group(1), [])
                current.append(match.group(2))
                continue
            if current is not None and (line.startswith("   ") or not line.strip()):
                current.append(line.strip())
                continue
            in_args = False
            current = None
        kept.append(line)
    description = re.sub(r"\n{3,}", "\n\n", "\n".join(kept)).strip()
    summary = description.split("\n\n", 1)[0].replace("\n", " ").strip()
    return MethodDoc(
        summary=summary,
        description=description,
        params={
            name: " ".join("\n".join(lines).strip().split("\n\n", 1)[0].split())
            for name, lines in params.items()
        },
    )
