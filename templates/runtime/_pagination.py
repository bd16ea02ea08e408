"""Cursor pagination (`after` + `has_more` / `last_id`): lazy item iterators."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from typing import Any, TypeVar, cast

import pydantic

__all__ = ["paginate_sync", "paginate_async"]

P = TypeVar("P")
I = TypeVar("I")  # the item type


def paginate_sync(
    fetch_page: Callable[[Mapping[str, object]], P],
    items_field: str,
    cursor_param: str,
) -> Iterator[I]:
    """Yield the items of every page, fetching a page only when iteration reaches it.

    `fetch_page` gets the extra query of the page to fetch: `{}` first, then
    `{cursor_param: cursor}`. The cursor is the page's `last_id`, else the `id` of its
    last item. Iteration ends when a page says `has_more` is false (or leaves it out),
    is empty, or would not move the cursor.
    """
    query: Mapping[str, object] = {}
    sent: object = None
    while True:
        page = fetch_page(query)
        items: list[I] = _items(page, items_field)
        yield from items
        cursor = _next_cursor(page, items, sent)
        if cursor is None:
            return
        sent = cursor
        query = {cursor_param: cursor}


async def paginate_async(
    fetch_page: Callable[[Mapping[str, object]], Awaitable[P]],
    items_field: str,
    cursor_param: str,
) -> AsyncIterator[I]:
    """The async `paginate_sync`: `fetch_page` returns an awaitable page."""
    query: Mapping[str, object] = {}
    sent: object = None
    while True:
        page = await fetch_page(query)
        items: list[I] = _items(page, items_field)
        for item in items:
            yield item
        cursor = _next_cursor(page, items, sent)
        if cursor is None:
            return
        sent = cursor
        query = {cursor_param: cursor}


def _next_cursor(page: object, items: list[I], sent: object) -> object:
    """The cursor of the next page, or None when there is no next page."""
    if not items or not _get(page, "has_more"):
        return None
    cursor = _get(page, "last_id")
    if cursor is None:
        cursor = _get(items[-1], "id")
    if cursor is None or cursor == sent:  # a cursor that does not move would loop
        return None
    return cursor


def _items(page: object, items_field: str) -> list[I]:
    items = _get(page, items_field)
    if items is None:
        return []
    if not isinstance(items, list):
        raise TypeError(
            f"page field {items_field!r} is {type(items).__name__}, not a list"
        )
    return cast(list[I], items)


def _get(obj: object, wire_name: str) -> Any:
    """A field of a page or item by its name on the wire; None when absent."""
    if isinstance(obj, Mapping):
        return obj.get(wire_name)
    if isinstance(obj, pydantic.BaseModel):
        for name, info in type(obj).model_fields.items():
            if (info.alias or name) == wire_name:
                return getattr(obj, name, None)
        extra = obj.model_extra
        return extra.get(wire_name) if extra else None
    return getattr(obj, wire_name, None)
