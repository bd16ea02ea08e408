"""Request bodies by `Operation.body`: JSON, multipart, urlencoded form, raw bytes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pydantic

from ._encoding import (
    build_json_body,
    dump_json,
    encode_multipart_fields,
    encode_query,
    query_string,
)
from ._lazy import ModelRef, resolve
from ._types import NOT_GIVEN, Operation
from ._validation import check_body

__all__ = ["EncodedBody", "encode_body"]

# Raw bodies that can be sent again on a retry (a stream or a file cannot).
_REPLAYABLE_CONTENT = (bytes, bytearray, str)


class EncodedBody:
    """What `httpx.Client.build_request` gets for a body, and whether it can be sent
    again (a stream or an unsized file object cannot)."""

    __slots__ = ("content", "data", "files", "replayable")

    def __init__(self) -> None:
        self.content: bytes | Any = None
        self.data: dict[str, str | list[str]] | None = None
        self.files: list[tuple[str, Any]] | None = None
        self.replayable = True


def encode_body(
    op: Operation,
    body: object,
    body_model: type[pydantic.BaseModel] | ModelRef[Any] | None,
    extra_body: Mapping[str, object] | None,
    headers: dict[str, str],
) -> EncodedBody:
    """The body of a call to `op`; sets (or, for multipart with files, leaves to httpx)
    its content type in `headers`. A JSON body's model is loaded only if its shape
    does not settle the check (`_shape.py`)."""
    encoded = EncodedBody()
    kind = op.body
    if kind == "json" or (kind == "none" and extra_body):
        value = build_json_body(body, body_model, extra_body, op.name)
        if value is not NOT_GIVEN:
            encoded.content = dump_json(value)
            headers["content-type"] = "application/json"
    elif kind == "multipart":
        from ._multipart import build_multipart

        if body_model is not None:
            _check_form(op, body, resolve(body_model), extra_body)
        form, files, encoded.replayable = build_multipart(
            _form_fields(body, extra_body), op.file_fields
        )
        if files:
            encoded.data = _group_pairs(form)
            encoded.files = files
            headers.pop("content-type", None)  # httpx adds the boundary
        else:  # httpx would fall back to urlencoded without files
            encoded.content, headers["content-type"] = encode_multipart_fields(form)
    elif kind == "form":
        if body_model is not None:
            _check_form(op, body, resolve(body_model), extra_body)
        pairs: list[tuple[str, str]] = []
        encode_query(_form_fields(body, extra_body), {}, pairs)
        encoded.content = query_string(pairs).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    elif kind == "raw" and body is not NOT_GIVEN and body is not None:
        encoded.content = body
        encoded.replayable = isinstance(body, _REPLAYABLE_CONTENT)
        headers.setdefault("content-type", "application/octet-stream")
    return encoded


def _check_form(
    op: Operation,
    body: object,
    body_model: type[pydantic.BaseModel],
    extra_body: Mapping[str, object] | None,
) -> None:
    """A form body gets the checks of a JSON one, on the fields that will be sent (a
    None is left out of a form, so it counts as absent)."""
    if not isinstance(body, Mapping):
        return
    members = {
        key: value
        for key, value in body.items()
        if value is not None and value is not NOT_GIVEN
    }
    check_body(
        op.name,
        body_model,
        members,
        file_fields=op.file_fields,
        supplied=extra_body.keys() if extra_body else (),
    )


def _form_fields(
    body: object, extra_body: Mapping[str, object] | None
) -> dict[str, object]:
    """The fields of a multipart or urlencoded form, `extra_body` merged last."""
    fields = dict(body) if isinstance(body, Mapping) else {}
    if extra_body:
        fields.update(extra_body)
    return fields


def _group_pairs(pairs: list[tuple[str, str]]) -> dict[str, str | list[str]]:
    """Form pairs as httpx's `data=` mapping (a repeated name becomes a list)."""
    grouped: dict[str, str | list[str]] = {}
    for name, value in pairs:
        previous = grouped.get(name)
        if previous is None:
            grouped[name] = value
        elif isinstance(previous, list):
            previous.append(value)
        else:
            grouped[name] = [previous, value]
    return grouped
