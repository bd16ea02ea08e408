"""Request encoding: path parameters, query strings, headers and JSON bodies."""

from __future__ import annotations

import datetime
import enum
import json
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pydantic
import pydantic_core

from ._lazy import ModelRef
from ._types import NOT_GIVEN
from ._validation import check_body

__all__ = [
    "build_path",
    "encode_query",
    "query_string",
    "merge_headers",
    "build_json_body",
    "dump_json",
    "encode_multipart_fields",
    "encode_scalar",
]

# op.path -> (literal pieces, parameter names): pieces[0] name[0] pieces[1] name[1] ...
_PATH_TEMPLATES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _compile_path(path: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    pieces: list[str] = []
    names: list[str] = []
    rest = path
    while True:
        start = rest.find("{")
        end = rest.find("}", start + 1) if start >= 0 else -1
        if end < 0:
            pieces.append(rest)
            break
        pieces.append(rest[:start])
        names.append(rest[start + 1 : end])
        rest = rest[end + 1 :]
    compiled = (tuple(pieces), tuple(names))
    _PATH_TEMPLATES[path] = compiled
    return compiled


def build_path(path: str, params: Mapping[str, object] | None) -> str:
    """Fill every `{name}` of `path`, percent-encoding values (`/` included).

    A missing, None or empty value raises ValueError: sending `/files/` instead of
    `/files/{id}` would hit another endpoint.
    """
    if "{" not in path:
        return path
    pieces, names = _PATH_TEMPLATES.get(path) or _compile_path(path)
    parts = [pieces[0]]
    for name, piece in zip(names, pieces[1:]):
        value = params.get(name, NOT_GIVEN) if params is not None else NOT_GIVEN
        text = "" if value is None or value is NOT_GIVEN else encode_scalar(value)
        if not text:
            raise ValueError(
                f"Expected a non-empty value for path parameter `{name}` "
                f"but received {value!r}"
            )
        parts.append(quote(text, safe=""))
        parts.append(piece)
    return "".join(parts)


def encode_scalar(value: object) -> str:
    """One query/header/path value as text: bools as `true`/`false`, enums by value."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, enum.Enum):
        return encode_scalar(value.value)
    if isinstance(value, str):  # a str subclass: its text, not its repr-like str()
        return str.__str__(value)
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


_SCALAR_TYPES = frozenset({str, int, float, bool})


def encode_query(
    query: Mapping[str, object],
    styles: Mapping[str, str],
    out: list[tuple[str, str]],
) -> None:
    """Append the (key, value) pairs of `query` to `out`, by OpenAPI style.

    NOT_GIVEN and None are dropped; lists repeat the key as written (so `include[]`
    stays `include[]`); mappings are exploded (`key=value`) or, for deepObject,
    `name[key]=value`.
    """
    for name, value in query.items():
        if value is None or value is NOT_GIVEN:
            continue
        if type(value) in _SCALAR_TYPES:  # the common case
            out.append((name, encode_scalar(value)))
            continue
        style = styles.get(name, "form") if styles else "form"
        _encode_value(name, value, style, out)


def _encode_value(
    name: str, value: object, style: str, out: list[tuple[str, str]]
) -> None:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [encode_scalar(item) for item in value if item is not None]
        separator = _ARRAY_SEPARATORS.get(style)
        if separator is None:
            out.extend((name, item) for item in items)
        elif items:
            out.append((name, separator.join(items)))
    elif isinstance(value, Mapping):
        if style == "deepObject":
            _encode_deep(name, value, out)
        elif style == "form:noexplode":
            flat = [
                text
                for key, item in value.items()
                if item is not None and item is not NOT_GIVEN
                for text in (str(key), encode_scalar(item))
            ]
            out.append((name, ",".join(flat)))
        else:
            for key, item in value.items():
                if item is not None and item is not NOT_GIVEN:
                    _encode_value(str(key), item, "form", out)
    else:
        out.append((name, encode_scalar(value)))


_ARRAY_SEPARATORS = {
    "form:noexplode": ",",
    "spaceDelimited": " ",
    "pipeDelimited": "|",
}


def _encode_deep(prefix: str, value: object, out: list[tuple[str, str]]) -> None:
    if isinstance(value, pydantic.BaseModel):
        value = value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        for key, item in value.items():
            if item is not None and item is not NOT_GIVEN:
                _encode_deep(f"{prefix}[{key}]", item, out)
    elif isinstance(value, (list, tuple)):
        for item in value:
            if item is not None:
                _encode_deep(prefix, item, out)
    else:
        out.append((prefix, encode_scalar(value)))


def query_string(pairs: list[tuple[str, str]]) -> str:
    """`pairs` percent-encoded (spaces as %20, so non-form servers read them too). The
    brackets of a name stay as written (`project_ids[]`, `effective_at[gt]`): servers
    match those names literally."""
    return "&".join(
        f"{quote(name, safe='[]')}={quote(value, safe='')}" for name, value in pairs
    )


def merge_headers(target: dict[str, str], headers: Mapping[str, object]) -> None:
    """Merge `headers` into `target` (lower-cased names); None/NOT_GIVEN values remove."""
    for name, value in headers.items():
        key = name.lower()
        if value is None or value is NOT_GIVEN:
            target.pop(key, None)
        else:
            target[key] = encode_scalar(value)


def build_json_body(
    body: object,
    body_model: type[pydantic.BaseModel] | ModelRef[Any] | None,
    extra_body: Mapping[str, object] | None,
    operation: str = "",
) -> object:
    """The JSON value to send: NOT_GIVEN members dropped, None kept as null, the rest
    as given (pydantic models inside dumped by alias when encoded).

    With `body_model` the members are checked first: a structurally wrong body raises
    RequestValidationError before any I/O; unknown enum values and extra members pass.
    """
    if body is NOT_GIVEN:
        return dict(extra_body) if extra_body else NOT_GIVEN
    if isinstance(body, Mapping):
        members = {key: value for key, value in body.items() if value is not NOT_GIVEN}
        if body_model is not None:
            supplied = extra_body.keys() if extra_body else ()
            check_body(operation, body_model, members, supplied=supplied)
        if extra_body:
            members.update(extra_body)
        return members
    if isinstance(body, pydantic.BaseModel):
        dumped = body.model_dump(mode="json", by_alias=True, exclude_unset=True)
        if extra_body and isinstance(dumped, dict):
            dumped.update(extra_body)
        return dumped
    if extra_body:
        raise TypeError("extra_body can only be merged into a JSON object body")
    return body


def dump_json(value: object) -> bytes:
    """Compact UTF-8 JSON; pydantic models and dates inside are converted on the way."""
    return json.dumps(
        value,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_json_default,
    ).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if value is NOT_GIVEN:
        raise TypeError("NOT_GIVEN cannot be sent; leave the member out instead")
    return pydantic_core.to_jsonable_python(value)


def encode_multipart_fields(pairs: list[tuple[str, str]]) -> tuple[bytes, str]:
    """A multipart/form-data body of text fields only, and its content type (httpx
    would send such a form urlencoded)."""
    boundary = os.urandom(16).hex()
    chunks: list[bytes] = []
    for name, value in pairs:
        escaped = name.replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")
        chunks.append(
            f"--{boundary}\r\nContent-Disposition: form-data; "
            f'name="{escaped}"\r\n\r\n{value}\r\n'.encode()
        )
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"
