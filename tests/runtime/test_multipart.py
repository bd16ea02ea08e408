"""build_multipart: field encoding, file inputs, and round trips through a real server
that parses the multipart body and echoes each part's size and SHA-256."""

from __future__ import annotations

import contextlib
import enum
import hashlib
import io
import json
import mimetypes
import os
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import IO, Any, cast

import httpx
import pydantic
import pytest

from oag_runtime import (
    AsyncAPIClient,
    ClientConfig,
    InternalServerError,
    Operation,
    SyncAPIClient,
)
from oag_runtime._multipart import LazyFile, UnsizedStream, build_multipart
from oag_runtime._types import NOT_GIVEN

from servers.payloads import PayloadServer

# Text that looks like multipart framing: delimiters, a closing delimiter, CRLFs.
BOUNDARY_LIKE = (
    b"\r\n--" + b"a" * 32 + b'\r\nContent-Disposition: form-data; name="x"\r\n\r\n'
    b"\r\n--" + os.urandom(16).hex().encode() + b"--\r\n"
    b"--\r\n\r\n\r\n--\r\n" + bytes(range(256))
)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=100) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=30) as http:
        yield http


@pytest.fixture
async def async_client() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as http:
        yield http


def as_httpx(
    form: list[tuple[str, str]], files: list[tuple[str, Any]]
) -> dict[str, Any]:
    """httpx wants `data` as a mapping: repeated fields become lists."""
    data: dict[str, list[str]] = {}
    for name, value in form:
        data.setdefault(name, []).append(value)
    return {"data": data, "files": cast(Any, files)}


def upload(
    client: httpx.Client,
    server: PayloadServer,
    fields: dict[str, object],
    file_fields: frozenset[str],
) -> dict[str, Any]:
    form, files, _ = build_multipart(fields, file_fields)
    response = client.post(server.url + "/multipart", **as_httpx(form, files))
    assert response.status_code == 200, response.text
    return cast(dict[str, Any], response.json())


@contextlib.contextmanager
def pipe_of(content: bytes) -> Iterator[IO[bytes]]:
    """The read end of a pipe a thread fills with `content` (more than its buffer)."""
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as reader, open(write_end, "wb") as writer:

        def feed() -> None:
            writer.write(content)
            writer.close()

        feeder = threading.Thread(target=feed, daemon=True)
        feeder.start()
        yield reader
        feeder.join(5)


# field encoding


class Color(enum.Enum):
    RED = "red"


class Options(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    top_k: int = pydantic.Field(alias="topK")
    label: str | None = None


def test_form_field_encoding() -> None:
    fields: dict[str, object] = {
        "model": "whisper-1",
        "stream": True,
        "echo": False,
        "temperature": 0.5,
        "n": 3,
        "color": Color.RED,
        "metadata": {"a": 1, "b": [True, None], "c": "é"},
        "tools": [{"type": "x"}, {"type": "y"}],
        "include[]": ["logprobs", "segments"],
        "flags": [1, False],
        "options": Options.model_validate({"topK": 2}),
        "skipped": NOT_GIVEN,
        "also_skipped": None,
    }
    form, files, replayable = build_multipart(fields, frozenset())
    assert files == [] and replayable
    assert form == [
        ("model", "whisper-1"),
        ("stream", "true"),
        ("echo", "false"),
        ("temperature", "0.5"),
        ("n", "3"),
        ("color", "red"),
        ("metadata", '{"a":1,"b":[true,null],"c":"é"}'),
        ("tools", '[{"type":"x"},{"type":"y"}]'),
        ("include[]", "logprobs"),
        ("include[]", "segments"),
        ("flags", "1"),
        ("flags", "false"),
        ("options", '{"topK":2}'),
    ]


def test_file_inputs(tmp_path: Path) -> None:
    path = tmp_path / "speech.mp3"
    path.write_bytes(b"ID3")
    with open(path, "rb") as opened:
        fields: dict[str, object] = {
            "raw": b"abc",
            "path": path,
            "opened": opened,
            "pair": ("notes.txt", b"n"),
            "triple": ("data.bin", b"d", "application/x-custom"),
            "nameless": (None, b"z"),
            "many": [b"1", ("two.txt", b"2"), path],
            "absent": NOT_GIVEN,
        }
        form, files, replayable = build_multipart(fields, frozenset(fields))
    assert form == [] and replayable
    summary = [(name, part[0], part[2]) for name, part in files]
    assert summary == [
        ("raw", "upload", None),
        ("path", "speech.mp3", None),
        ("opened", "speech.mp3", None),
        ("pair", "notes.txt", None),
        ("triple", "data.bin", "application/x-custom"),
        ("nameless", None, None),
        ("many", "upload", None),
        ("many", "two.txt", None),
        ("many", "speech.mp3", None),
    ]
    assert isinstance(files[1][1][1], LazyFile) and files[2][1][1] is opened


def test_path_is_opened_only_when_sent(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    path = tmp_path / "late.bin"  # does not exist yet when the body is built
    form, files, replayable = build_multipart({"file": path}, frozenset({"file"}))
    lazy = files[0][1][1]
    assert isinstance(lazy, LazyFile) and replayable
    path.write_bytes(b"written after build_multipart")
    response = client.post(server.url + "/multipart", **as_httpx(form, files))
    part = response.json()["parts"][0]
    assert part["text"] == "written after build_multipart"
    assert response.json()["content_length"] is not None  # size known without reading
    assert lazy._file is None  # closed again at end of file


def test_non_seekable_stream_is_not_replayable() -> None:
    read_end, write_end = os.pipe()
    with open(read_end, "rb") as pipe, open(write_end, "wb"):
        _, files, replayable = build_multipart({"file": pipe}, frozenset({"file"}))
        assert not replayable
        wrapped = files[0][1][1]
        assert isinstance(wrapped, UnsizedStream) and wrapped.stream is pipe
    _, _, replayable = build_multipart(
        {"file": io.BytesIO(b"x"), "other": ("a", io.BytesIO(b"y"))},
        frozenset({"file", "other"}),
    )
    assert replayable


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("speech.mp3", "pathlib.Path"),
        (io.StringIO("text"), "binary mode"),
        (12, "takes bytes"),
        (("name.txt", 3.5), "takes bytes"),
    ],
)
def test_bad_file_values_raise_before_io(value: object, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        build_multipart({"file": value}, frozenset({"file"}))


# round trips


def test_round_trip_of_every_file_kind(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    from_path = os.urandom(300_000) + BOUNDARY_LIKE
    path = tmp_path / "report.pdf"
    path.write_bytes(from_path)
    from_file = BOUNDARY_LIKE * 3 + os.urandom(1000)
    file_path = tmp_path / "opened.dat"
    file_path.write_bytes(from_file)
    with open(file_path, "rb") as opened:
        echo = upload(
            client,
            server,
            {
                "purpose": "assistants",
                "bytes": BOUNDARY_LIKE,
                "path": path,
                "opened": opened,
                "tuple": ("custom.json", '{"k": "é"}', "application/json"),
                "text": "line\r\n--not-a-boundary\r\n",
            },
            frozenset({"bytes", "path", "opened", "tuple"}),
        )
    parts = {part["name"]: part for part in echo["parts"]}
    assert list(parts) == ["purpose", "text", "bytes", "path", "opened", "tuple"]
    assert (
        parts["purpose"]["text"] == "assistants"
        and parts["purpose"]["filename"] is None
    )
    assert parts["text"]["text"] == "line\r\n--not-a-boundary\r\n"
    expected = {
        "bytes": (BOUNDARY_LIKE, "upload", "application/octet-stream"),
        "path": (from_path, "report.pdf", "application/pdf"),
        "opened": (from_file, "opened.dat", "application/octet-stream"),
        "tuple": ('{"k": "é"}'.encode(), "custom.json", "application/json"),
    }
    for name, (content, filename, content_type) in expected.items():
        part = parts[name]
        assert (part["size"], part["sha256"]) == (len(content), sha256(content)), name
        assert (part["filename"], part["content_type"]) == (filename, content_type)


def test_two_files_in_one_request(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    first, second = os.urandom(70_000), os.urandom(5)
    (tmp_path / "a.bin").write_bytes(first)
    echo = upload(
        client,
        server,
        {"image": tmp_path / "a.bin", "mask": ("mask.png", second, "image/png")},
        frozenset({"image", "mask"}),
    )
    assert [(p["name"], p["sha256"]) for p in echo["parts"]] == [
        ("image", sha256(first)),
        ("mask", sha256(second)),
    ]


def test_array_of_files_sends_repeated_parts(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    contents = [os.urandom(10), os.urandom(100_000), BOUNDARY_LIKE]
    (tmp_path / "two.bin").write_bytes(contents[1])
    echo = upload(
        client,
        server,
        {"files": [contents[0], tmp_path / "two.bin", ("three.txt", contents[2])]},
        frozenset({"files"}),
    )
    assert [(p["name"], p["filename"], p["sha256"]) for p in echo["parts"]] == [
        ("files", "upload", sha256(contents[0])),
        ("files", "two.bin", sha256(contents[1])),
        ("files", "three.txt", sha256(contents[2])),
    ]


def test_form_fields_round_trip(client: httpx.Client, server: PayloadServer) -> None:
    echo = upload(
        client,
        server,
        {"file": b"x", "meta": {"k": [1, 2]}, "tags": ["a", "b"], "ok": True},
        frozenset({"file"}),
    )
    assert [(p["name"], p["text"]) for p in echo["parts"]] == [
        ("meta", '{"k":[1,2]}'),
        ("tags", "a"),
        ("tags", "b"),
        ("ok", "true"),
        ("file", "x"),
    ]


def test_unseekable_stream_upload_is_chunked(
    client: httpx.Client, server: PayloadServer
) -> None:
    content = os.urandom(200_000)
    with pipe_of(content) as pipe:
        form, files, replayable = build_multipart({"file": pipe}, frozenset({"file"}))
        assert not replayable
        response = client.post(server.url + "/multipart", **as_httpx(form, files))
    echo = response.json()
    assert echo["transfer_encoding"] == "chunked"
    assert echo["parts"][0]["sha256"] == sha256(content)


def test_lazy_file_can_be_sent_twice(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    content = os.urandom(150_000)
    (tmp_path / "again.bin").write_bytes(content)
    form, files, replayable = build_multipart(
        {"file": tmp_path / "again.bin"}, frozenset({"file"})
    )
    assert replayable
    for _ in range(2):  # what a retry does
        response = client.post(server.url + "/multipart", **as_httpx(form, files))
        assert response.json()["parts"][0]["sha256"] == sha256(content)


async def test_async_round_trip(
    tmp_path: Path, async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    content = os.urandom(100_000) + BOUNDARY_LIKE
    (tmp_path / "async.bin").write_bytes(content)
    form, files, _ = build_multipart(
        {"file": tmp_path / "async.bin", "extra": [b"e1", b"e2"], "n": 1},
        frozenset({"file", "extra"}),
    )
    response = await async_client.post(
        server.url + "/multipart", **as_httpx(form, files)
    )
    parts = response.json()["parts"]
    assert [(p["name"], p["sha256"]) for p in parts] == [
        ("n", sha256(b"1")),
        ("file", sha256(content)),
        ("extra", sha256(b"e1")),
        ("extra", sha256(b"e2")),
    ]


def test_server_parser_detects_corruption(
    client: httpx.Client, server: PayloadServer
) -> None:
    # Guards the guard: a body cut short must not be reported as parsed.
    body = b'--b\r\nContent-Disposition: form-data; name="a"\r\n\r\nvalue\r\n--b'
    response = client.post(
        server.url + "/multipart",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 400
    response = client.post(
        server.url + "/multipart",
        content=body + b"--\r\n",
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert json.loads(response.text)["parts"][0]["text"] == "value"


# through the runtime client (request with a hand-written multipart Operation)

CONFIG = ClientConfig(
    package="payloadtest", version="0.1.0", env_prefix="", default_base_url=""
)
UPLOAD_OP = Operation(
    "createUpload",
    "post",
    "/multipart",
    body="multipart",
    file_fields=frozenset({"file", "files"}),
)


class PayloadClient(SyncAPIClient):
    _config = CONFIG


class AsyncPayloadClient(AsyncAPIClient):
    _config = CONFIG


def test_client_multipart_request(tmp_path: Path, server: PayloadServer) -> None:
    content = os.urandom(250_000) + BOUNDARY_LIKE
    (tmp_path / "train.jsonl").write_bytes(content)
    body = {
        "file": tmp_path / "train.jsonl",
        "files": [b"one", ("two.txt", b"two", "text/plain")],
        "purpose": "fine-tune",
        "metadata": {"k": "v"},
        "suffix": NOT_GIVEN,
    }
    with PayloadClient(base_url=server.url, max_retries=0) as api:
        echo: Any = api.request(UPLOAD_OP, object, body=body, extra_body={"x": 1})
    assert [(p["name"], p["filename"], p["sha256"]) for p in echo["parts"]] == [
        ("purpose", None, sha256(b"fine-tune")),
        ("metadata", None, sha256(b'{"k":"v"}')),
        ("x", None, sha256(b"1")),
        ("file", "train.jsonl", sha256(content)),
        ("files", "upload", sha256(b"one")),
        ("files", "two.txt", sha256(b"two")),
    ]


def test_client_retry_replays_a_path_but_not_a_pipe(
    tmp_path: Path, server: PayloadServer
) -> None:
    content = os.urandom(300_000)
    (tmp_path / "retry.bin").write_bytes(content)
    with PayloadClient(base_url=server.url, max_retries=2) as api:
        with pytest.raises(InternalServerError):
            api.request(
                UPLOAD_OP,
                object,
                query={"status": 500, "tag": "path"},
                body={"file": tmp_path / "retry.bin"},
            )
        with pipe_of(content) as pipe:
            with pytest.raises(InternalServerError):
                api.request(
                    UPLOAD_OP,
                    object,
                    query={"status": 500, "tag": "pipe"},
                    body={"file": pipe},
                )

    def digests(tag: str) -> list[str]:
        return [
            upload["parts"][0]["sha256"]
            for upload in server.uploads
            if upload["query"].get("tag") == tag
        ]

    assert digests("path") == [sha256(content)] * 3  # re-read from disk each attempt
    assert digests("pipe") == [sha256(content)]  # a one-pass stream is sent once


async def test_async_client_multipart_request(
    tmp_path: Path, server: PayloadServer
) -> None:
    content = os.urandom(100_000)
    (tmp_path / "a.wav").write_bytes(content)
    async with AsyncPayloadClient(base_url=server.url, max_retries=0) as api:
        echo: Any = await api.request(
            UPLOAD_OP, object, body={"file": tmp_path / "a.wav", "model": "m"}
        )
    assert [(p["name"], p["content_type"], p["sha256"]) for p in echo["parts"]] == [
        ("model", None, sha256(b"m")),
        ("file", mimetypes.guess_type("a.wav")[0], sha256(content)),
    ]
