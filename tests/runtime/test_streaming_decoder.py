"""SSEDecoder: the event-stream grammar, line endings, and chunks cut anywhere."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from oag_runtime._streaming import ServerSentEvent, SSEDecoder


def decode(data: bytes) -> list[ServerSentEvent]:
    return SSEDecoder().feed(data)


def decode_in_pieces(data: bytes, cuts: list[int]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    start = 0
    for cut in [*cuts, len(data)]:
        events.extend(decoder.feed(data[start:cut]))
        start = cut
    return events


def test_data_event_is_dispatched_on_blank_line() -> None:
    assert decode(b"data: hello\n\n") == [ServerSentEvent(data="hello")]


def test_event_id_and_retry_fields() -> None:
    events = decode(b"event: delta\nid: 42\nretry: 1500\ndata: {}\n\n")
    assert events == [ServerSentEvent(event="delta", data="{}", id="42", retry=1500)]


def test_multi_line_data_is_joined_with_newlines() -> None:
    events = decode(b"data: first\ndata: second\ndata:\ndata: fourth\n\n")
    assert events[0].data == "first\nsecond\n\nfourth"


def test_comment_lines_are_ignored() -> None:
    events = decode(b": keep-alive\ndata: a\n: another comment\n\n:\n\n")
    assert events == [ServerSentEvent(data="a")]


@pytest.mark.parametrize("ending", [b"\n", b"\r\n", b"\r"], ids=["LF", "CRLF", "CR"])
def test_every_line_ending(ending: bytes) -> None:
    lines = [b"event: e", b"data: one", b"data: two", b"", b"data: three", b"", b""]
    events = decode(ending.join(lines))
    assert events == [
        ServerSentEvent(event="e", data="one\ntwo"),
        ServerSentEvent(data="three"),
    ]


def test_mixed_line_endings_in_one_stream() -> None:
    events = decode(b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r")
    assert [event.data for event in events] == ["a\nb\nc", "d"]


def test_field_without_colon_has_empty_value() -> None:
    # "data" alone appends an empty line; "event" alone clears the type.
    events = decode(b"event: x\nevent\ndata\ndata\n\n")
    assert events == [ServerSentEvent(event=None, data="\n")]


def test_only_one_leading_space_is_stripped() -> None:
    events = decode(b"data:no-space\n\ndata:  two spaces\n\ndata:\tTab\n\n")
    assert [event.data for event in events] == ["no-space", " two spaces", "\tTab"]


def test_value_may_contain_colons() -> None:
    assert decode(b"data: a: b:c\n\n")[0].data == "a: b:c"


def test_unknown_fields_are_ignored() -> None:
    assert decode(b"foo: bar\nDATA: x\ndata: y\n\n") == [ServerSentEvent(data="y")]


def test_nothing_is_dispatched_before_the_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\ndata: b\n") == []
    assert decoder.feed(b"\n") == [ServerSentEvent(data="a\nb")]


def test_unterminated_event_at_end_is_discarded() -> None:
    assert decode(b"data: done\n\ndata: partial\n") == [ServerSentEvent(data="done")]


def test_event_without_data_is_not_dispatched() -> None:
    events = decode(b"event: ping\n\nid: 7\n\ndata: x\n\n")
    # The ping is dropped (its type does not leak), but the id carries over.
    assert events == [ServerSentEvent(event=None, data="x", id="7")]


def test_last_event_id_persists_and_can_be_reset() -> None:
    events = decode(b"id: 1\ndata: a\n\ndata: b\n\nid\ndata: c\n\n")
    assert [(event.data, event.id) for event in events] == [
        ("a", "1"),
        ("b", "1"),
        ("c", None),
    ]


def test_id_with_nul_is_ignored() -> None:
    events = decode(b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n")
    assert [event.id for event in events] == ["1", "1"]


def test_retry_must_be_digits_and_is_reported_once() -> None:
    events = decode(
        b"retry: soon\ndata: a\n\nretry: 250\ndata: b\n\ndata: c\n\nretry: 9\n\ndata: d\n\n"
    )
    assert [event.retry for event in events] == [None, 250, None, 9]


def test_utf8_bom_is_stripped_from_the_first_line_only() -> None:
    events = decode(b"\xef\xbb\xbfdata: a\n\n\xef\xbb\xbfdata: b\n\n")
    assert events == [ServerSentEvent(data="a")]  # the second "field" is not "data"


def test_non_ascii_and_invalid_utf8() -> None:
    events = decode("data: héllo ✓\n\n".encode() + b"data: \xff\n\n")
    assert [event.data for event in events] == ["héllo ✓", "\ufffd"]


STREAM = (
    "\ufeff: comment\r\n"
    "event: message.delta\r\n"
    "id: evt-1\r\n"
    "retry: 100\r\n"
    'data: {"text": "héllo"}\r\n'
    "data: second line\r\n"
    "\r\n"
    "data: cr only\r"
    "\r"
    "data\n"
    "data:x\n"
    "\n"
    "data: [DONE]\r\n\r\n"
).encode()


def test_every_cut_point_gives_the_same_events() -> None:
    expected = decode(STREAM)
    assert [event.data for event in expected] == [
        '{"text": "héllo"}\nsecond line',
        "cr only",
        "\nx",
        "[DONE]",
    ]
    assert expected[0] == ServerSentEvent(
        event="message.delta", data=expected[0].data, id="evt-1", retry=100
    )
    for cut in range(1, len(STREAM)):
        assert decode_in_pieces(STREAM, [cut]) == expected, cut
    for first in range(1, len(STREAM), 7):
        for second in range(first + 1, len(STREAM), 5):
            assert decode_in_pieces(STREAM, [first, second]) == expected


def test_one_byte_at_a_time() -> None:
    assert decode_in_pieces(STREAM, list(range(1, len(STREAM)))) == decode(STREAM)


def test_crlf_split_across_chunks_is_one_line_ending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\n") == []  # the LF completes the CRLF, not a blank line
    assert decoder.feed(b"\r") == [ServerSentEvent(data="a")]
    assert decoder.feed(b"\ndata: b\r\n\r\n") == [ServerSentEvent(data="b")]


def test_cr_at_chunk_end_then_other_text() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: a\r") == []
    assert decoder.feed(b"\r") == [ServerSentEvent(data="a")]  # CR CR: a blank line
    assert decoder.feed(b"") == []
    assert decoder.feed(b"data: b\r") == []
    assert decoder.feed(b"data: c\r\r") == [ServerSentEvent(data="b\nc")]


def test_multibyte_character_split_across_chunks() -> None:
    data = "data: ✓\n\n".encode()
    cut = data.index(b"\xe2") + 1
    assert decode_in_pieces(data, [cut]) == [ServerSentEvent(data="✓")]


def test_feed_line_api() -> None:
    decoder = SSEDecoder()
    assert decoder.feed_line("event: e") is None
    assert decoder.feed_line("data: 1") is None
    assert decoder.feed_line("") == ServerSentEvent(event="e", data="1")


def test_iter_bytes_and_aiter_bytes() -> None:
    pieces = [b"data: a\n", b"\ndata: ", b"b\n\n", b"data: c"]
    events = list(SSEDecoder().iter_bytes(pieces))
    assert [event.data for event in events] == ["a", "b"]

    async def source() -> AsyncIterator[bytes]:
        for piece in pieces:
            yield piece

    async def collect() -> list[ServerSentEvent]:
        return [event async for event in SSEDecoder().aiter_bytes(source())]

    assert asyncio.run(collect()) == events


def test_json_helper() -> None:
    assert ServerSentEvent(data='{"a": [1, 2]}').json() == {"a": [1, 2]}


def test_large_chunk_of_many_lines_decodes_in_linear_time() -> None:
    # 100k events in one 2 MB chunk: quadratic rescanning would take minutes.
    data = b"data: 0123456789\n\n" * 100_000
    started = time.perf_counter()
    events = SSEDecoder().feed(data)
    assert len(events) == 100_000
    assert time.perf_counter() - started < 5.0


def test_long_line_arriving_in_many_chunks() -> None:
    decoder = SSEDecoder()
    for _ in range(2000):
        assert decoder.feed(b"x" * 1000) == []
    events = decoder.feed(b"\n\n")
    assert events == []  # a line "xxx..." is an unknown field name
    decoder.feed(b"data: " + b"y" * 10)
    assert decoder.feed(b"\n\n") == [ServerSentEvent(data="y" * 10)]
