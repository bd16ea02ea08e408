"""BinaryResponse / AsyncBinaryResponse over real sockets."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from oag_runtime import (
    AsyncAPIClient,
    ClientConfig,
    Operation,
    SyncAPIClient,
)
from oag_runtime._binary import AsyncBinaryResponse, BinaryResponse
from oag_runtime._errors import APIConnectionError

from servers.payloads import (
    PayloadServer,
    binary_payload,
    binary_payload_sha256,
)

SIZE = 3 * 1024 * 1024 + 17  # several socket reads, not a multiple of any chunk size


def payload(size: int) -> bytes:
    return b"".join(binary_payload(size))


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


def download(
    client: httpx.Client, server: PayloadServer, size: int = SIZE, **query: str
) -> BinaryResponse:
    request = client.build_request(
        "GET", server.url + "/binary", params={"size": size, **query}
    )
    return BinaryResponse(client.send(request, stream=True))


async def adownload(
    client: httpx.AsyncClient, server: PayloadServer, size: int = SIZE, **query: str
) -> AsyncBinaryResponse:
    request = client.build_request(
        "GET", server.url + "/binary", params={"size": size, **query}
    )
    return AsyncBinaryResponse(await client.send(request, stream=True))


def test_payload_helper_is_not_trivially_periodic() -> None:
    data = payload(200_000)
    assert data[:65536] != data[65536:131072]
    assert hashlib.sha256(data).hexdigest() == binary_payload_sha256(200_000)


def test_content_reads_everything_once(
    client: httpx.Client, server: PayloadServer
) -> None:
    binary = download(client, server, type="audio/mpeg")
    assert binary.status_code == 200
    assert binary.headers["content-type"] == "audio/mpeg"
    assert binary.response.is_stream_consumed is False  # handed over unread
    content = binary.content
    assert content == payload(SIZE)
    assert binary.content is content  # cached, not read again
    assert binary.response.is_closed


def test_iter_bytes_streams_without_buffering(
    client: httpx.Client, server: PayloadServer
) -> None:
    binary = download(client, server)
    digest = hashlib.sha256()
    chunks = 0
    for chunk in binary.iter_bytes():
        digest.update(chunk)
        chunks += 1
    assert digest.hexdigest() == binary_payload_sha256(SIZE)
    assert chunks > 1
    assert binary.response.is_closed
    with pytest.raises(httpx.ResponseNotRead):
        binary.response.content  # nothing was kept in memory


def test_iter_bytes_with_chunk_size(
    client: httpx.Client, server: PayloadServer
) -> None:
    sizes = [len(chunk) for chunk in download(client, server).iter_bytes(100_000)]
    assert sizes[:-1] == [100_000] * (len(sizes) - 1)
    assert sum(sizes) == SIZE


def test_write_to_file(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    target = tmp_path / "speech.mp3"
    target.write_bytes(b"old content that must be replaced" * 200_000)
    binary = download(client, server)
    binary.write_to_file(target)
    assert target.stat().st_size == SIZE
    assert hashlib.sha256(target.read_bytes()).hexdigest() == binary_payload_sha256(
        SIZE
    )
    assert binary.response.is_closed
    with pytest.raises(httpx.ResponseNotRead):
        binary.response.content


def test_context_manager_closes_unread_response(
    client: httpx.Client, server: PayloadServer
) -> None:
    with download(client, server) as binary:
        first = next(binary.iter_bytes())
        assert first == payload(len(first))
    assert binary.response.is_closed


def test_connection_lost_mid_body(
    tmp_path: Path, client: httpx.Client, server: PayloadServer
) -> None:
    with pytest.raises(APIConnectionError):
        download(client, server, abort_at="100000").write_to_file(tmp_path / "x")
    with pytest.raises(APIConnectionError):
        download(client, server, abort_at="5").content


def test_empty_body(client: httpx.Client, server: PayloadServer) -> None:
    binary = download(client, server, size=0)
    assert list(binary.iter_bytes()) == []


async def test_async_read_and_content(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    binary = await adownload(async_client, server)
    with pytest.raises(httpx.ResponseNotRead):
        binary.content
    content = await binary.read()
    assert content == payload(SIZE) and binary.content is content
    assert binary.status_code == 200 and binary.response.is_closed


async def test_async_aiter_bytes(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    binary = await adownload(async_client, server)
    digest = hashlib.sha256()
    async for chunk in binary.aiter_bytes(65536):
        assert len(chunk) <= 65536
        digest.update(chunk)
    assert digest.hexdigest() == binary_payload_sha256(SIZE)
    with pytest.raises(httpx.ResponseNotRead):
        binary.response.content


async def test_async_write_to_file(
    tmp_path: Path, async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    binary = await adownload(async_client, server)
    await binary.write_to_file(tmp_path / "out.bin")
    data = (tmp_path / "out.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest() == binary_payload_sha256(SIZE)
    assert binary.response.is_closed


async def test_async_context_manager_and_errors(
    async_client: httpx.AsyncClient, server: PayloadServer
) -> None:
    async with await adownload(async_client, server) as binary:
        assert binary.headers["content-length"] == str(SIZE)
    assert binary.response.is_closed
    broken = await adownload(async_client, server, abort_at="1000")
    with pytest.raises(APIConnectionError):
        await broken.read()
    broken = await adownload(async_client, server, abort_at="1000")
    with pytest.raises(APIConnectionError):
        async for _ in broken.aiter_bytes():
            pass


# through the runtime client (request with a hand-written binary Operation)

CONFIG = ClientConfig(
    package="payloadtest", version="0.1.0", env_prefix="", default_base_url=""
)
DOWNLOAD_OP = Operation("downloadFile", "get", "/binary", response="binary")


class PayloadClient(SyncAPIClient):
    _config = CONFIG


class AsyncPayloadClient(AsyncAPIClient):
    _config = CONFIG


def test_client_binary_request(tmp_path: Path, server: PayloadServer) -> None:
    with PayloadClient(base_url=server.url, max_retries=0) as api:
        binary = api.request(DOWNLOAD_OP, BinaryResponse, query={"size": SIZE})
        assert isinstance(binary, BinaryResponse)
        assert binary.response.is_stream_consumed is False
        binary.write_to_file(tmp_path / "out.bin")
        with api.request(DOWNLOAD_OP, BinaryResponse, query={"size": 10}) as small:
            assert small.content == payload(10)
    data = (tmp_path / "out.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest() == binary_payload_sha256(SIZE)


async def test_async_client_binary_request(
    tmp_path: Path, server: PayloadServer
) -> None:
    async with AsyncPayloadClient(base_url=server.url, max_retries=0) as api:
        binary = await api.request(
            DOWNLOAD_OP, AsyncBinaryResponse, query={"size": SIZE}
        )
        assert isinstance(binary, AsyncBinaryResponse)
        await binary.write_to_file(tmp_path / "out.bin")
    data = (tmp_path / "out.bin").read_bytes()
    assert hashlib.sha256(data).hexdigest() == binary_payload_sha256(SIZE)
