"""Request bodies checked against their operation's model before anything is sent.

The check is structural: a required member missing or a value of the wrong type raises
`RequestValidationError`; scalars are checked strictly (`"3"` is not an integer), since the
body is sent as given, never coerced. Values are the server's to judge: enum values, ranges,
lengths and patterns pass (the API gains values and lifts limits before the spec does:
`reasoning_effort="minimal"`), and so do extra members. It runs a validator built once per
model from the model's own core schema, with every Literal or Enum of several values widened
to its base type and constraints dropped; a one-value Literal is a union tag and stays
exact, so a tagged union still picks its member.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

import pydantic
import pydantic_core

from ._errors import RequestValidationError
from ._lazy import ModelRef

__all__ = ["check_body"]

# Marks the union members we label, so an error's location can skip them.
_MEMBER = "\x00member:"
# Schema keys holding no schemas (or schemas for other purposes): copied as they are.
_OPAQUE = frozenset({"cls", "metadata", "serialization", "expected", "members"})
# Wrappers an error location passes through without a step of its own.
_WRAPPED = {
    "nullable": "schema",
    "default": "schema",
    "definitions": "schema",
    "model": "schema",
    "function-before": "schema",
    "function-after": "schema",
    "function-wrap": "schema",
    "lax-or-strict": "lax_schema",
    "json-or-python": "python_schema",
}
_CONTAINERS = (dict, list, tuple)
_SEQUENCES = frozenset({"list", "set", "frozenset", "tuple", "generator"})
_STRICT_SCALARS = frozenset({"str", "int", "float", "bool"})
# Value constraints: the server's to judge.
_CONSTRAINTS = frozenset(
    {"ge", "gt", "le", "lt", "multiple_of", "min_length", "max_length", "pattern"}
)
_BASE_TYPES = {"str": "str", "int": "int", "float": "float"}
# What the model's own validator says about values, ignored when it stands in.
_VALUE_ERRORS = frozenset(
    {
        "literal_error",
        "enum",
        "greater_than",
        "greater_than_equal",
        "less_than",
        "less_than_equal",
        "multiple_of",
        "string_too_short",
        "string_too_long",
        "string_pattern_mismatch",
        "too_short",
        "too_long",
    }
)


class _Checker:
    """The widened validator of one model, and what its error locations walk."""

    __slots__ = ("validator", "schema", "definitions", "exact")

    def __init__(
        self,
        validator: pydantic_core.SchemaValidator,
        schema: Mapping[str, Any],
        exact: bool,
    ) -> None:
        self.validator = validator
        self.schema = schema
        self.definitions = _definitions(schema)
        # True: the model's own validator (the widened one could not be built), whose
        # enum errors are ignored instead.
        self.exact = exact


_CHECKERS: dict[tuple[type[pydantic.BaseModel], frozenset[str]], _Checker] = {}


def check_body(
    operation: str,
    model: type[pydantic.BaseModel] | ModelRef[Any],
    members: Mapping[str, object],
    *,
    file_fields: frozenset[str] = frozenset(),
    supplied: Collection[str] = (),
) -> None:
    """Raise RequestValidationError when `members` (wire names -> values, as they will
    be sent) lack the structure of `model`. `file_fields` (multipart) take any file
    input; members in `supplied` (from `extra_body`) count as present.

    A ref with a shape (`_shape.py`) is loaded only for a body that does not fit it."""
    if isinstance(model, ModelRef):
        shape = model.shape
        if shape is not None and not file_fields and shape.fits(members):
            return
        model = model.resolve()
    checker = prepare(model, file_fields)
    try:
        checker.validator.validate_python(members)
    except pydantic_core.ValidationError as exc:
        errors = _problems(checker, exc, supplied)
        if errors:
            raise RequestValidationError(operation, errors) from None


def prepare(
    model: type[pydantic.BaseModel], file_fields: frozenset[str] = frozenset()
) -> _Checker:
    """The checker of `model`, built once (the async client builds it in a worker
    thread before the first call: a big request model takes a while)."""
    key = (model, file_fields)
    checker = _CHECKERS.get(key)
    if checker is None:
        checker = _CHECKERS[key] = _build(model, file_fields)
    return checker


def _build(model: type[pydantic.BaseModel], file_fields: frozenset[str]) -> _Checker:
    if not model.__pydantic_complete__:
        model.model_rebuild()  # models defer their build to first use
    schema: Any = model.__pydantic_core_schema__
    try:
        widened = _widen(schema)
        if file_fields:
            _accept_any_file(widened, file_fields)
        return _Checker(pydantic_core.SchemaValidator(widened), widened, exact=False)
    except Exception:  # a core schema we do not know: check with the model itself
        return _Checker(model.__pydantic_validator__, schema, exact=True)  # type: ignore[arg-type]


def _widen(node: Any) -> Any:
    """A copy of a core schema with enums widened and union members labelled."""
    if isinstance(node, list):
        return [_widen(item) for item in node]
    if isinstance(node, tuple):  # a union member with its label
        return tuple(_widen(item) for item in node)
    if not isinstance(node, dict):
        return node
    kind = node.get("type")
    if kind == "literal" and len(node["expected"]) > 1:
        return _base_type(node, _literal_base(node["expected"]))
    if kind == "enum":
        return _base_type(node, _BASE_TYPES.get(node.get("sub_type", ""), "any"))
    # Only a schema node's own keys are dropped or kept opaque: the keys of `fields`
    # (names) and of tagged-union `choices` (tags) are data.
    is_schema = isinstance(kind, str)
    copy = {}
    for key, value in node.items():
        if is_schema and key in _CONSTRAINTS:
            continue
        # Leaves (most values) are kept without a call: this walk is part of the
        # first call of every operation with a body.
        if isinstance(value, _CONTAINERS) and not (is_schema and key in _OPAQUE):
            value = _widen(value)
        copy[key] = value
    if not is_schema:
        return copy
    if kind in _STRICT_SCALARS:
        copy["strict"] = True
    elif kind == "model":
        # pydantic-core would reuse the class's own (exact) validator: validate into a
        # stand-in class instead, which accepts instances of the model as they are.
        copy["cls"] = _stand_in(node["cls"])
        copy.pop("post_init", None)
        copy.pop("custom_init", None)
    elif kind == "union":
        copy["choices"] = [
            (choice[0] if isinstance(choice, tuple) else choice, f"{_MEMBER}{index}")
            for index, choice in enumerate(copy["choices"])
        ]
    return copy


class _StandInType(type):
    """The type of a model's stand-in: instances of the model count as its own."""

    model: type

    def __instancecheck__(cls, instance: object) -> bool:
        return isinstance(instance, cls.model)


def _stand_in(model: type) -> type:
    return _StandInType(model.__name__, (), {"model": model})


def _literal_base(values: list[Any]) -> str:
    if all(isinstance(value, str) for value in values):
        return "str"
    if all(type(value) is int for value in values):
        return "int"
    return "any"


def _base_type(node: Mapping[str, Any], kind: str) -> dict[str, Any]:
    widened: dict[str, Any] = {"type": kind}
    if kind in _STRICT_SCALARS:
        widened["strict"] = True
    if "ref" in node:  # other schemas may point at this one
        widened["ref"] = node["ref"]
    return widened


def _definitions(schema: Mapping[str, Any]) -> dict[str, Any]:
    if schema.get("type") != "definitions":
        return {}
    return {
        item["ref"]: item for item in schema.get("definitions", ()) if "ref" in item
    }


def _accept_any_file(schema: dict[str, Any], file_fields: frozenset[str]) -> None:
    """Let the multipart file fields of the top model take any file input (bytes, a
    path, a file, a tuple, a list of those); a required one must still be present."""
    fields = _top_fields(schema, _definitions(schema))
    if fields is None:
        raise ValueError("no model fields at the top of the schema")
    for name, field in fields.items():
        alias = field.get("validation_alias")
        if (alias if isinstance(alias, str) else name) not in file_fields:
            continue
        holder = field
        if holder["schema"].get("type") == "default":
            holder = holder["schema"]
        holder["schema"] = {"type": "any"}


def _top_fields(
    schema: Mapping[str, Any], definitions: Mapping[str, Any]
) -> dict[str, Any] | None:
    node: Any = schema
    for _ in range(8):
        kind = node.get("type")
        if kind == "model-fields":
            fields: dict[str, Any] = node["fields"]
            return fields
        if kind == "definition-ref":
            node = definitions.get(node["schema_ref"], {})
        elif kind in ("definitions", "model"):
            node = node["schema"]
        else:
            return None
    return None


# ---------------------------------------------------------------------------
# error messages


def _problems(
    checker: _Checker,
    exc: pydantic_core.ValidationError,
    supplied: Collection[str],
) -> list[tuple[str, str]]:
    """(path, message) of each error that counts, without repeats."""
    found: list[tuple[str, str]] = []
    for error in exc.errors(include_url=False, include_context=False):
        kind = error["type"]
        loc = error["loc"]
        if checker.exact and kind in _VALUE_ERRORS:
            continue
        if kind == "missing" and len(loc) == 1 and loc[0] in supplied:
            continue
        problem = (_path(checker, loc), _lower_first(error["msg"]))
        if problem not in found:
            found.append(problem)
    return found


def _path(checker: _Checker, loc: tuple[int | str, ...]) -> str:
    """`messages[0].content` for the location `('messages', 0, 'user', 'content')`:
    the steps through union members (tags, our labels) left out."""
    text = ""
    node: Any = checker.schema
    for item in loc:
        node = _unwrap(node, checker.definitions)
        kind = node.get("type") if isinstance(node, dict) else None
        if kind == "union" and isinstance(item, str) and item.startswith(_MEMBER):
            choice = node["choices"][int(item[len(_MEMBER) :])]
            node = choice[0] if isinstance(choice, tuple) else choice
            continue
        if kind == "tagged-union" and item in node["choices"]:
            node = node["choices"][item]
            continue
        if kind == "model-fields":
            node = _field_schema(node, item)
        elif kind in _SEQUENCES and isinstance(item, int):
            node = node.get("items_schema")
            text += f"[{item}]"
            continue
        elif kind == "dict":
            node = node.get("values_schema")
            text += f"[{item!r}]"
            continue
        else:
            node = None
        if isinstance(item, int):
            text += f"[{item}]"
        else:
            text += f".{item}" if text else str(item)
    return text


def _unwrap(node: Any, definitions: Mapping[str, Any]) -> Any:
    for _ in range(32):
        if not isinstance(node, dict):
            return None
        kind = node.get("type")
        if kind == "definition-ref":
            node = definitions.get(node.get("schema_ref", ""))
        elif kind in _WRAPPED:
            node = node.get(_WRAPPED[kind])
        else:
            return node
    return None


def _field_schema(fields_schema: Mapping[str, Any], item: int | str) -> Any:
    fields = fields_schema.get("fields", {})
    field = fields.get(item)
    if field is None:
        field = next(
            (f for f in fields.values() if f.get("validation_alias") == item), None
        )
    return field.get("schema") if field is not None else None


def _lower_first(message: str) -> str:
    """`Field required` -> `field required` (an acronym like `URL ...` kept)."""
    if len(message) > 1 and message[0].isupper() and not message[1].isupper():
        return message[0].lower() + message[1:]
    return message
