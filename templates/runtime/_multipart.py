"""Multipart/form-data request bodies: form fields and files for httpx's `files=`."""

from __future__ import annotations

import datetime
import decimal
import enum
import io
import json
import os
import uuid
from collections.abc import Mapping
from typing import IO, Any, cast

import pydantic

from ._types import NotGiven

__all__ = ["build_multipart", "FormPairs", "FileParts"]

FormPairs = list[tuple[str, str]]
FileParts = list[tuple[str, tuple[str | None, object, str | None]]]

_DEFAULT_FILENAME = "upload"  # what httpx names a bare bytes upload


def build_multipart(
    fields: Mapping[str, object], file_fields: frozenset[str]
) -> tuple[FormPairs, FileParts, bool]:
    """Split a body mapping (wire names) into form pairs and httpx file parts.

    Returns `(form pairs, files, replayable)`: `replayable` is False when a file is a
    stream that cannot be rewound, so the request must not be retried. Fields named in
    `file_fields` take bytes, a path (streamed from disk when sent, never read into
    memory here), an open binary file, a `(filename, content[, content_type])` tuple, or
    a list of those (repeated parts). NOT_GIVEN and None values are left out.
    """
    form: FormPairs = []
    files: FileParts = []
    replayable = True
    for name, value in fields.items():
        if value is None or isinstance(value, NotGiven):
            continue
        if name in file_fields:
            for item in _file_items(value):
                part, rewindable = _file_part(name, item)
                files.append((name, part))
                replayable = replayable and rewindable
        else:
            form.extend((name, text) for text in _form_values(value))
    return form, files, replayable


def _file_items(value: object) -> list[object]:
    if isinstance(value, list) or (
        isinstance(value, tuple) and not _is_file_tuple(value)
    ):
        return [item for item in value if not isinstance(item, NotGiven)]
    return [value]


def _is_file_tuple(value: tuple[Any, ...]) -> bool:
    return len(value) in (2, 3) and (value[0] is None or isinstance(value[0], str))


def _file_part(
    name: str, item: object
) -> tuple[tuple[str | None, object, str | None], bool]:
    """One httpx file tuple `(filename, content, content_type)` and its replayability."""
    filename: str | None
    content_type: str | None = None
    if isinstance(item, tuple) and _is_file_tuple(item):
        filename, content = item[0], item[1]
        if isinstance(content, str):  # named explicitly, so surely content, not a path
            content = content.encode("utf-8")
        if len(item) == 3:
            content_type = item[2]
            if content_type is not None and not isinstance(content_type, str):
                raise TypeError(f"content type of file field {name!r} must be a str")
    else:
        filename, content = _default_filename(item), item
    body, replayable = _file_content(name, content)
    return (filename, body, content_type), replayable


def _default_filename(content: object) -> str:
    if isinstance(content, os.PathLike):
        return os.path.basename(os.fsdecode(content))
    file_name = getattr(content, "name", None)
    if isinstance(file_name, str) and file_name:
        return os.path.basename(file_name)
    return _DEFAULT_FILENAME


def _file_content(name: str, content: object) -> tuple[object, bool]:
    if isinstance(content, (bytes, bytearray, memoryview)):
        return bytes(content), True
    if isinstance(content, os.PathLike):
        return LazyFile(content), True
    if isinstance(content, io.TextIOBase):
        raise TypeError(
            f"file field {name!r} needs a file opened in binary mode ('rb'), not text"
        )
    if callable(getattr(content, "read", None)):
        if _is_seekable(content):
            return content, True
        # httpx would take a pipe's fstat size (0) as its length; hide it so the
        # body is sent chunked instead.
        return UnsizedStream(cast(IO[bytes], content)), False
    if isinstance(content, str):
        raise TypeError(
            f"file field {name!r} got a str: pass pathlib.Path(...) for a file on disk "
            "or bytes for content"
        )
    raise TypeError(
        f"file field {name!r} takes bytes, a path, an open binary file or a "
        f"(filename, content, content_type) tuple, not {type(content).__name__}"
    )


def _is_seekable(stream: object) -> bool:
    seekable = getattr(stream, "seekable", None)
    if callable(seekable):
        try:
            return bool(seekable())
        except (OSError, ValueError):
            return False
    return callable(getattr(stream, "seek", None))


def _form_values(value: object) -> list[str]:
    """Text for a form field: lists of scalars repeat the field, objects become JSON."""
    if isinstance(value, (list, tuple)):
        items = [item for item in value if not isinstance(item, NotGiven)]
        if all(_is_scalar(item) for item in items):
            return [_scalar_text(item) for item in items if item is not None]
        return [_json_text(items)]
    if _is_scalar(value):
        return [_scalar_text(value)]
    return [_json_text(value)]


def _is_scalar(value: object) -> bool:
    return value is None or isinstance(
        value,
        (
            str,
            bool,
            int,
            float,
            decimal.Decimal,
            uuid.UUID,
            enum.Enum,
            datetime.date,
            datetime.time,
        ),
    )


def _scalar_text(value: object) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    return str(value)


def _json_text(value: object) -> str:
    return json.dumps(_jsonable(value), separators=(",", ":"), ensure_ascii=False)


def _jsonable(value: object) -> object:
    if isinstance(value, pydantic.BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {
            str(key): _jsonable(item)
            for key, item in value.items()
            if not isinstance(item, NotGiven)
        }
    if isinstance(value, (list, tuple)):
        return [_jsonable(item) for item in value if not isinstance(item, NotGiven)]
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


class LazyFile(io.RawIOBase):
    """A file on disk opened only when httpx reads it, and closed at end of file.

    httpx asks for the size (via seek/tell, answered from `os.stat` without opening),
    seeks to 0 and reads 64 KiB chunks; a retry seeks to 0 again and reopens.
    """

    def __init__(self, path: os.PathLike[str] | os.PathLike[bytes]) -> None:
        super().__init__()
        self._path = os.fspath(path)
        self.name = os.path.basename(os.fsdecode(self._path))
        self._file: IO[bytes] | None = None
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            position = offset
        elif whence == os.SEEK_CUR:
            position = self._position + offset
        elif whence == os.SEEK_END:
            position = os.stat(self._path).st_size + offset
        else:
            raise ValueError(f"invalid whence {whence!r}")
        if position < 0:
            raise ValueError("negative seek position")
        self._position = position
        if self._file is not None:
            self._file.seek(position)
        return position

    def read(self, size: int = -1) -> bytes:
        if self._file is None:
            self._file = open(self._path, "rb")
            self._file.seek(self._position)
        data = self._file.read(size)
        self._position += len(data)
        if not data or size < 0:
            self._release()
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self._release()
        super().close()

    def _release(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __repr__(self) -> str:
        return f"LazyFile({self._path!r})"


class UnsizedStream:
    """A one-pass binary stream, without the `fileno`/`seek` httpx sizes bodies by."""

    def __init__(self, stream: IO[bytes]) -> None:
        self.stream = stream

    def read(self, size: int = -1) -> bytes:
        return self.stream.read(size)

    def __repr__(self) -> str:
        return f"UnsizedStream({self.stream!r})"
