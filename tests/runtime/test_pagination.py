"""paginate_sync / paginate_async: cursors, stop rules, laziness, a real server."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any

import httpx
import pydantic
import pytest

from oag_runtime import (
    AsyncAPIClient,
    ClientConfig,
    Operation,
    SyncAPIClient,
)
from oag_runtime._pagination import paginate_async, paginate_sync

from servers.payloads import PayloadServer


class Item(pydantic.BaseModel):
    id: str
    object: str = "item"


class Page(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    object: str = "list"
    data: list[Item]
    has_more: bool = False
    first_id: str | None = None
    last_id: str | None = None


class PageRecorder:
    """A fake `fetch_page` over fixed pages, recording the queries it gets."""

    def __init__(self, pages: list[Any]) -> None:
        self.pages = pages
        self.queries: list[dict[str, object]] = []

    def __call__(self, query: Mapping[str, object]) -> Any:
        self.queries.append(dict(query))
        return self.pages[len(self.queries) - 1]

    async def fetch_async(self, query: Mapping[str, object]) -> Any:
        return self(query)


def model_pages() -> list[Page]:
    return [
        Page(data=[Item(id="a"), Item(id="b")], has_more=True, last_id="b"),
        Page(data=[Item(id="c"), Item(id="d")], has_more=True, last_id="d"),
        Page(data=[Item(id="e")], has_more=False, last_id="e"),
    ]


def test_walks_model_pages_by_last_id() -> None:
    fetch = PageRecorder(model_pages())
    items: Iterator[Item] = paginate_sync(fetch, "data", "after")
    assert [item.id for item in items] == ["a", "b", "c", "d", "e"]
    assert fetch.queries == [{}, {"after": "b"}, {"after": "d"}]


def test_is_lazy() -> None:
    fetch = PageRecorder(model_pages())
    items: Iterator[Item] = paginate_sync(fetch, "data", "after")
    assert fetch.queries == []  # nothing fetched before iteration
    assert next(items).id == "a"
    assert next(items).id == "b"
    assert len(fetch.queries) == 1  # page 2 only once item 3 is asked for
    assert next(items).id == "c"
    assert len(fetch.queries) == 2


def test_falls_back_to_last_item_id_with_dict_pages() -> None:
    pages = [
        {"items": [{"id": "x1"}, {"id": "x2"}], "has_more": True},
        {"items": [{"id": "x3"}], "has_more": True, "last_id": None},
        {"items": [{"id": "x4"}], "has_more": False},
    ]
    fetch = PageRecorder(pages)
    items: Iterator[dict[str, str]] = paginate_sync(fetch, "items", "starting_after")
    assert [item["id"] for item in items] == ["x1", "x2", "x3", "x4"]
    assert fetch.queries == [{}, {"starting_after": "x2"}, {"starting_after": "x3"}]


@pytest.mark.parametrize(
    ("second_page", "expected_ids", "fetches"),
    [
        ({"data": [{"id": "b"}]}, ["a", "b"], 2),  # has_more absent: last page
        ({"data": [], "has_more": True, "last_id": "z"}, ["a"], 2),  # empty page
        ({"data": [{"id": "b"}], "has_more": True, "last_id": "a"}, ["a", "b"], 2),
        ({"data": None, "has_more": True}, ["a"], 2),
    ],
    ids=["has-more-absent", "empty-page", "cursor-stuck", "null-items"],
)
def test_stop_rules(
    second_page: dict[str, Any], expected_ids: list[str], fetches: int
) -> None:
    first = {"data": [{"id": "a"}], "has_more": True, "last_id": "a"}
    fetch = PageRecorder([first, second_page, {"data": [{"id": "never"}]}])
    items: Iterator[dict[str, str]] = paginate_sync(fetch, "data", "after")
    assert [item["id"] for item in items] == expected_ids
    assert len(fetch.queries) == fetches


def test_first_page_without_has_more_is_the_only_page() -> None:
    fetch = PageRecorder([{"data": [{"id": "a"}], "last_id": "a"}])
    assert len(list(paginate_sync(fetch, "data", "after"))) == 1
    assert len(fetch.queries) == 1


def test_items_field_by_alias_and_extra() -> None:
    class AliasPage(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(extra="allow")
        entries: list[Item] = pydantic.Field(alias="results")

    pages = [
        AliasPage.model_validate({"results": [{"id": "a"}], "has_more": True}),
        AliasPage.model_validate({"results": [{"id": "b"}], "has_more": False}),
    ]
    fetch = PageRecorder(pages)
    items: Iterator[Item] = paginate_sync(fetch, "results", "after")
    assert [item.id for item in items] == ["a", "b"]  # has_more read from model_extra
    assert fetch.queries == [{}, {"after": "a"}]


def test_items_that_are_not_a_list_raise() -> None:
    fetch = PageRecorder([{"data": {"id": "a"}, "has_more": False}])
    with pytest.raises(TypeError, match="not a list"):
        list(paginate_sync(fetch, "data", "after"))


async def test_async_walks_pages_lazily() -> None:
    fetch = PageRecorder(model_pages())
    items: AsyncIterator[Item] = paginate_async(fetch.fetch_async, "data", "after")
    assert fetch.queries == []
    assert (await items.__anext__()).id == "a"
    assert len(fetch.queries) == 1
    assert [item.id async for item in items] == ["b", "c", "d", "e"]
    assert fetch.queries == [{}, {"after": "b"}, {"after": "d"}]


# against the server


@pytest.fixture(scope="module")
def server() -> Iterator[PayloadServer]:
    with PayloadServer(max_requests=100) as running:
        yield running


def page_requests(server: PayloadServer, tag: str) -> list[dict[str, str]]:
    return [
        {key: value for key, value in entry["query"].items() if key == "after"}
        for entry in server.requests
        if entry["path"] == "/pages" and entry["query"].get("tag") == tag
    ]


@pytest.mark.parametrize("last_id", ["1", "0"], ids=["last-id", "item-id"])
def test_three_pages_from_server(server: PayloadServer, last_id: str) -> None:
    tag = f"sync-{last_id}"
    with httpx.Client(base_url=server.url, timeout=10) as client:

        def fetch_page(extra: Mapping[str, object]) -> Page:
            params: dict[str, Any] = {"limit": 3, "total": 7, "last_id": last_id}
            params.update(tag=tag, **extra)
            response = client.get("/pages", params=params)
            return Page.model_validate_json(response.content)

        items: Iterator[Item] = paginate_sync(fetch_page, "data", "after")
        assert [item.id for item in items] == [f"item-{i}" for i in range(7)]
    assert page_requests(server, tag) == [
        {},
        {"after": "item-2"},
        {"after": "item-5"},
    ]


async def test_three_pages_from_server_async(server: PayloadServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=10) as client:

        async def fetch_page(extra: Mapping[str, object]) -> dict[str, Any]:
            params: dict[str, Any] = {"limit": 3, "total": 9, "tag": "async", **extra}
            response = await client.get("/pages", params=params)
            page: dict[str, Any] = response.json()
            return page

        items: AsyncIterator[dict[str, Any]] = paginate_async(
            fetch_page, "data", "after"
        )
        assert [item["id"] async for item in items] == [f"item-{i}" for i in range(9)]
    # 9 items in pages of 3: the third page says has_more false, so no fourth fetch.
    assert page_requests(server, "async") == [
        {},
        {"after": "item-2"},
        {"after": "item-5"},
    ]


# through the runtime client (paginate with a hand-written list Operation)

CONFIG = ClientConfig(
    package="payloadtest", version="0.1.0", env_prefix="", default_base_url=""
)
LIST_OP = Operation("listItems", "get", "/pages")


class PayloadClient(SyncAPIClient):
    _config = CONFIG


class AsyncPayloadClient(AsyncAPIClient):
    _config = CONFIG


def test_client_paginate(server: PayloadServer) -> None:
    with PayloadClient(base_url=server.url, max_retries=0) as api:
        items = api.paginate(
            LIST_OP, Page, Item, query={"limit": 3, "total": 7, "tag": "client"}
        )
        assert page_requests(server, "client") == []  # lazy
        assert [item.id for item in items] == [f"item-{i}" for i in range(7)]
    assert page_requests(server, "client") == [
        {},
        {"after": "item-2"},
        {"after": "item-5"},
    ]


async def test_async_client_paginate(server: PayloadServer) -> None:
    async with AsyncPayloadClient(base_url=server.url, max_retries=0) as api:
        items = api.paginate(
            LIST_OP,
            Page,
            Item,
            query={"limit": 2, "total": 6, "last_id": "0", "tag": "async-client"},
        )
        assert [item.id async for item in items] == [f"item-{i}" for i in range(6)]
    assert page_requests(server, "async-client") == [
        {},
        {"after": "item-1"},
        {"after": "item-3"},
    ]
