"""The `text/event-stream` grammar: an incremental decoder of server-sent events."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["ServerSentEvent", "SSEDecoder"]

_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event: `event` is None for the default ("message") type."""

    event: str | None = None
    data: str = ""
    id: str | None = None
    retry: int | None = None

    def json(self) -> Any:
        """The data parsed as JSON (raises `json.JSONDecodeError` when it is not)."""
        return json.loads(self.data)


class SSEDecoder:
    """Incremental `text/event-stream` parser (WHATWG HTML, "event stream interpretation").

    `feed(bytes)` takes chunks cut anywhere (inside a line, a UTF-8 character or a CRLF)
    and returns the events they complete; `feed_line(str)` takes one line without its
    terminator. An event is dispatched on a blank line and only when it has data; the
    last event id carries over to later events, as the standard says; `retry` is
    reported on the next dispatched event. An unterminated event at the end of the
    stream is discarded, as the standard says; `pending` tells whether there is one.
    """

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0  # bytes at the start of _buffer known to hold no line break
        # The last chunk ended in CR: an LF starting the next one belongs to it.
        self._skip_lf = False
        self._first_line = True
        self._event: str | None = None
        self._data: list[str] = []
        self._last_id: str | None = None
        self._retry: int | None = None

    @property
    def pending(self) -> bool:
        """Whether the bytes fed so far end inside an event (an unfinished line, or
        data lines not yet dispatched by a blank line)."""
        return bool(self._buffer) or bool(self._data)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Add bytes of the stream; return the events completed by them, in order."""
        if not chunk:
            return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        buffer = self._buffer
        buffer += chunk
        events: list[ServerSentEvent] = []
        start = 0
        scan = self._scanned
        size = len(buffer)
        # Next CR / LF at or after `scan` (-1: none left); each is searched for again
        # only once passed, so a chunk of many lines is scanned in linear time.
        cr = buffer.find(b"\r", scan)
        lf = buffer.find(b"\n", scan)
        while cr != -1 or lf != -1:
            if cr == -1 or (lf != -1 and lf < cr):
                end, scan = lf, lf + 1
            elif cr + 1 < size:
                end = cr
                scan = cr + 2 if buffer[cr + 1] == 0x0A else cr + 1
            else:
                end, scan = cr, cr + 1
                self._skip_lf = True
            event = self.feed_line(buffer[start:end].decode("utf-8", "replace"))
            if event is not None:
                events.append(event)
            start = scan
            if cr != -1 and cr < scan:
                cr = buffer.find(b"\r", scan)
            if lf != -1 and lf < scan:
                lf = buffer.find(b"\n", scan)
        del buffer[:start]
        self._scanned = len(buffer)
        return events

    def feed_line(self, line: str) -> ServerSentEvent | None:
        """Process one line (no terminator); return the event a blank line dispatches."""
        if self._first_line:
            self._first_line = False
            if line.startswith(_BOM):
                line = line[1:]
        if not line:
            return self._dispatch()
        if line[0] == ":":
            return None  # a comment (often a keep-alive)
        name, _, value = line.partition(":")
        if value[:1] == " ":
            value = value[1:]
        if name == "data":
            self._data.append(value)
        elif name == "event":
            self._event = value or None
        elif name == "id":
            if "\0" not in value:
                self._last_id = value or None
        elif name == "retry":
            if value.isascii() and value.isdigit():
                self._retry = int(value)
        return None  # other field names are ignored, as the standard says

    def iter_bytes(self, chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
        """Decode a whole byte stream lazily."""
        for chunk in chunks:
            yield from self.feed(chunk)

    async def aiter_bytes(
        self, chunks: AsyncIterable[bytes]
    ) -> AsyncIterator[ServerSentEvent]:
        """Decode a whole async byte stream lazily."""
        async for chunk in chunks:
            for event in self.feed(chunk):
                yield event

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = None
            return None
        event = ServerSentEvent(
            event=self._event,
            data="\n".join(self._data),
            id=self._last_id,
            retry=self._retry,
        )
        self._event = None
        self._data = []
        self._retry = None
        return event
