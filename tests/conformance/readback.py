"""Do the fields of a JSON body read back equal from the parsed model?

Walks the JSON value and the parsed object side by side: every key present in the JSON
must be readable from the model (a field by its wire name or alias, else
`model_extra`) with an equal value; lists must have the same length. Enum members
compare by value; `True` never equals `1`.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from typing import Any

import pydantic

_MISSING = object()


def read_back_mismatches(parsed: Any, data: Any, path: str = "") -> list[str]:
    parsed = _unwrap(parsed)
    where = path or "<root>"
    if isinstance(data, Mapping):
        found: list[str] = []
        for key, value in data.items():
            got = _member(parsed, str(key))
            if got is _MISSING:
                found.append(f"{where}: key {key!r} not readable from {_kind(parsed)}")
                continue
            found.extend(read_back_mismatches(got, value, f"{path}/{key}"))
        return found
    if isinstance(data, list):
        if not isinstance(parsed, Sequence) or isinstance(parsed, (str, bytes)):
            return [f"{where}: expected a list, read {_kind(parsed)}"]
        if len(parsed) != len(data):
            return [f"{where}: {len(data)} items sent, {len(parsed)} read"]
        found = []
        for index, (got, value) in enumerate(zip(parsed, data)):
            found.extend(read_back_mismatches(got, value, f"{path}/{index}"))
        return found
    if isinstance(parsed, enum.Enum):
        parsed = parsed.value
    if isinstance(parsed, bool) != isinstance(data, bool) or parsed != data:
        return [f"{where}: {data!r} read back as {parsed!r}"]
    return []


def _unwrap(value: Any) -> Any:
    while isinstance(value, pydantic.RootModel):
        value = value.root
    return value


def _member(parsed: Any, key: str) -> Any:
    if isinstance(parsed, pydantic.BaseModel):
        for name, field in type(parsed).model_fields.items():
            aliases = {name, field.alias, field.serialization_alias}
            choices = field.validation_alias
            if isinstance(choices, str):
                aliases.add(choices)
            elif isinstance(choices, pydantic.AliasChoices):
                aliases.update(c for c in choices.choices if isinstance(c, str))
            if key in aliases:
                # read the stored value: getattr warns for `deprecated` fields
                return parsed.__dict__.get(name, _MISSING)
        extra = parsed.model_extra or {}
        return extra.get(key, _MISSING)
    if isinstance(parsed, Mapping):
        return parsed.get(key, _MISSING)
    return _MISSING


def _kind(value: Any) -> str:
    return type(value).__name__
