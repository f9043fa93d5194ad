"""Just enough HTTP/1.1 to forward messages: where a head ends and how long its body is.

Heads are forwarded as received (byte for byte); only their framing headers are read.
A body is streamed in pieces, never held whole: ``Content-Length`` bytes, chunked
coding copied chunk by chunk (trailers included), or, for a response framed by neither,
everything until the connection closes (RFC 9112, section 6).
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass

MAX_HEAD = 64 * 1024
PIECE = 256 * 1024

Writer = asyncio.StreamWriter | None  # None: read the body and drop it


class BadMessage(ValueError):
    """A message the front cannot frame; the connection is closed."""


class Body(enum.Enum):
    NONE = "none"
    LENGTH = "length"
    CHUNKED = "chunked"
    UNTIL_CLOSE = "until-close"


@dataclass(frozen=True, slots=True)
class Head:
    raw: bytes
    start_line: str
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "

    @property
    def method(self) -> str:
        return self.start_line.split(" ", 1)[0]

    @property
    def target(self) -> str:
        parts = self.start_line.split(" ")
        return parts[1] if len(parts) > 1 else ""

    @property
    def status(self) -> int:
        parts = self.start_line.split(" ")
        try:
            return int(parts[1])
        except (IndexError, ValueError):
            raise BadMessage(f"not a status line: {self.start_line[:40]!r}") from None


def parse_head(raw: bytes) -> Head:
    try:
        text = raw.decode("latin-1")
    except UnicodeDecodeError as exc:  # pragma: no cover - latin-1 decodes any byte
        raise BadMessage("undecodable head") from exc
    lines = text.split("\r\n")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise BadMessage("a header line without a colon")
        key = name.strip().lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return Head(raw=raw, start_line=lines[0], headers=headers)


async def read_head(reader: asyncio.StreamReader) -> Head | None:
    """The next head, or None when the peer closed cleanly between messages."""
    try:
        raw = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        if not exc.partial.strip():
            return None
        raise BadMessage("the connection closed inside a head") from None
    except asyncio.LimitOverrunError:
        raise BadMessage(f"a head over {MAX_HEAD} bytes") from None
    return parse_head(raw)


def request_body(head: Head) -> tuple[Body, int]:
    return _framed(head) or (Body.NONE, 0)


def response_body(head: Head, request_method: str) -> tuple[Body, int]:
    status = head.status
    if request_method == "HEAD" or status < 200 or status in (204, 304):
        return Body.NONE, 0
    return _framed(head) or (Body.UNTIL_CLOSE, 0)


def _framed(head: Head) -> tuple[Body, int] | None:
    if "chunked" in head.headers.get("transfer-encoding", "").lower():
        return Body.CHUNKED, 0
    raw = head.headers.get("content-length")
    if raw is None:
        return None
    try:
        length = int(raw.split(",")[0])
    except ValueError:
        raise BadMessage("a malformed Content-Length") from None
    if length < 0:
        raise BadMessage("a negative Content-Length")
    return (Body.LENGTH, length) if length else (Body.NONE, 0)


async def copy_body(
    body: Body,
    length: int,
    reader: asyncio.StreamReader,
    writer: Writer,
    *,
    lead: bytes = b"",
) -> None:
    """Stream one body from ``reader`` to ``writer`` (None: read and drop it).

    ``lead`` (the message's head) goes out with the first piece of the body, so a small
    message leaves in one write.
    """
    if body is Body.LENGTH:
        await _copy_exactly(length, reader, writer, lead)
    elif body is Body.CHUNKED:
        await _copy_chunked(reader, writer, lead)
    elif body is Body.UNTIL_CLOSE:
        while piece := await reader.read(PIECE):
            await _put(writer, lead + piece)
            lead = b""
        await _put(writer, lead)
    else:
        await _put(writer, lead)


async def read_whole(
    body: Body, length: int, reader: asyncio.StreamReader, *, limit: int
) -> tuple[bytes, bytes]:
    """Read one small body whole: (its bytes as framed, to forward unchanged; its content).

    For a body the front must look into (a few hundred bytes). Chunked coding is undone for
    the content only; trailers are kept in the framed bytes.

    :raises BadMessage: over ``limit`` bytes, or framed until the connection closes.
    """
    if body is Body.NONE:
        return b"", b""
    if body is Body.LENGTH:
        if length > limit:
            raise BadMessage(f"a body over {limit} bytes where the front reads it whole")
        data = await reader.readexactly(length)
        return data, data
    if body is not Body.CHUNKED:
        raise BadMessage("a body framed by the connection's end where the front reads it whole")
    framed, content = bytearray(), bytearray()
    while True:
        line = await _line(reader, "a broken chunk size line")
        framed += line
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadMessage("a malformed chunk size") from None
        if size == 0:
            while (trailer := await _line(reader, "broken trailers")) != b"\r\n":
                framed += trailer
            return bytes(framed + b"\r\n"), bytes(content)
        if len(content) + size > limit:
            raise BadMessage(f"a body over {limit} bytes where the front reads it whole")
        chunk = await reader.readexactly(size + 2)
        framed += chunk
        content += chunk[:-2]


async def _line(reader: asyncio.StreamReader, problem: str) -> bytes:
    try:
        return await reader.readuntil(b"\r\n")
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        raise BadMessage(problem) from None


async def _put(writer: Writer, data: bytes) -> None:
    if writer is not None and data:
        writer.write(data)
        await writer.drain()


async def _copy_exactly(
    length: int, reader: asyncio.StreamReader, writer: Writer, lead: bytes = b""
) -> None:
    remaining = length
    while remaining:
        piece = await reader.read(min(PIECE, remaining))
        if not piece:
            raise BadMessage("the connection closed inside a body")
        remaining -= len(piece)
        await _put(writer, lead + piece)
        lead = b""
    await _put(writer, lead)


async def _copy_chunked(reader: asyncio.StreamReader, writer: Writer, lead: bytes) -> None:
    while True:
        try:
            line = await reader.readuntil(b"\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            raise BadMessage("a broken chunk size line") from None
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise BadMessage("a malformed chunk size") from None
        if size == 0:
            await _put(writer, lead + line)
            while True:  # trailers, then the empty line
                try:
                    trailer = await reader.readuntil(b"\r\n")
                except (asyncio.IncompleteReadError, asyncio.LimitOverrunError):
                    raise BadMessage("broken trailers") from None
                await _put(writer, trailer)
                if trailer == b"\r\n":
                    return
        await _copy_exactly(size + 2, reader, writer, lead + line)  # the chunk and its CRLF
        lead = b""
