"""HTTP/1.1 framing as RFC 9112 section 6 defines it: Content-Length, chunked coding with
trailers, no body for HEAD, 1xx, 204 and 304, and a response framed by neither running
until the connection closes. Bodies are streamed unchanged, byte for byte."""

from __future__ import annotations

import asyncio

import pytest

from devstack.storagefront.framing import (
    BadMessage,
    Body,
    copy_body,
    parse_head,
    read_head,
    read_whole,
    request_body,
    response_body,
)


class Sink:
    """A StreamWriter stand-in that keeps what is written."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> None:
        self.data += data

    async def drain(self) -> None:
        return None


def reader_of(data: bytes) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    reader.feed_eof()
    return reader


def copy(body: Body, length: int, data: bytes) -> tuple[bytes, bytes]:
    """(what was copied, what is left for the next message)"""

    async def run() -> tuple[bytes, bytes]:
        reader, sink = reader_of(data), Sink()
        await copy_body(body, length, reader, sink)  # type: ignore[arg-type]
        return bytes(sink.data), await reader.read()

    return asyncio.run(run())


def test_heads_are_parsed_and_kept_byte_for_byte() -> None:
    raw = b"PUT /a?b=c HTTP/1.1\r\nHost: x\r\nX-Twice: 1\r\nx-twice: 2\r\n\r\n"

    async def run() -> object:
        return await read_head(reader_of(raw + b"body"))

    found = asyncio.run(run())
    assert found is not None
    assert found.raw == raw  # type: ignore[attr-defined]
    assert found.method == "PUT"  # type: ignore[attr-defined]
    assert found.target == "/a?b=c"  # type: ignore[attr-defined]
    assert found.headers["x-twice"] == "1, 2"  # type: ignore[attr-defined]


def test_a_clean_close_between_messages_is_no_message() -> None:
    async def run() -> object:
        return await read_head(reader_of(b""))

    assert asyncio.run(run()) is None


def test_content_length_bodies_stop_at_their_length() -> None:
    head = parse_head(b"PUT / HTTP/1.1\r\nContent-Length: 5\r\n\r\n")
    assert request_body(head) == (Body.LENGTH, 5)
    assert copy(Body.LENGTH, 5, b"helloGET / HTTP/1.1") == (b"hello", b"GET / HTTP/1.1")


def test_chunked_bodies_are_copied_whole_with_trailers() -> None:
    chunked = b"5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n"
    head = parse_head(b"PUT / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
    assert request_body(head) == (Body.CHUNKED, 0)
    assert copy(Body.CHUNKED, 0, chunked + b"NEXT") == (chunked, b"NEXT")


def test_a_body_cut_short_is_an_error() -> None:
    with pytest.raises(BadMessage):
        copy(Body.LENGTH, 10, b"short")


@pytest.mark.parametrize(
    ("status_line", "method", "expected"),
    [
        ("HTTP/1.1 200 OK\r\nContent-Length: 3", "HEAD", (Body.NONE, 0)),
        ("HTTP/1.1 204 No Content", "DELETE", (Body.NONE, 0)),
        ("HTTP/1.1 304 Not Modified\r\nContent-Length: 3", "GET", (Body.NONE, 0)),
        ("HTTP/1.1 100 Continue", "PUT", (Body.NONE, 0)),
        ("HTTP/1.1 200 OK\r\nContent-Length: 3", "GET", (Body.LENGTH, 3)),
        ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", "GET", (Body.CHUNKED, 0)),
        ("HTTP/1.1 200 OK", "GET", (Body.UNTIL_CLOSE, 0)),
    ],
)
def test_response_framing(status_line: str, method: str, expected: tuple[Body, int]) -> None:
    assert response_body(parse_head(f"{status_line}\r\n\r\n".encode()), method) == expected


def test_requests_without_framing_have_no_body() -> None:
    assert request_body(parse_head(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")) == (Body.NONE, 0)
    with pytest.raises(BadMessage):
        request_body(parse_head(b"PUT / HTTP/1.1\r\nContent-Length: -1\r\n\r\n"))


def whole(body: Body, length: int, data: bytes) -> tuple[bytes, bytes]:
    async def run() -> tuple[bytes, bytes]:
        return await read_whole(body, length, reader_of(data), limit=64)

    return asyncio.run(run())


def test_a_small_body_is_read_whole_as_framed_and_as_content() -> None:
    """The front reads Azurite's UserDelegationKey answer whole (it answers chunked)."""
    chunked = b"5\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n"
    assert whole(Body.CHUNKED, 0, chunked + b"next") == (chunked, b"hello world")
    assert whole(Body.LENGTH, 3, b"abcdef") == (b"abc", b"abc")
    assert whole(Body.NONE, 0, b"x") == (b"", b"")


@pytest.mark.parametrize(
    ("body", "length", "data"),
    [
        (Body.LENGTH, 65, b"x" * 65),
        (Body.CHUNKED, 0, b"41\r\n" + b"x" * 65 + b"\r\n0\r\n\r\n"),
        (Body.CHUNKED, 0, b"zz\r\n"),
        (Body.UNTIL_CLOSE, 0, b"x"),
    ],
)
def test_a_body_too_large_or_unframed_is_not_read_whole(
    body: Body, length: int, data: bytes
) -> None:
    with pytest.raises(BadMessage):
        whole(body, length, data)
