"""The devstack host refuses a request head where the Functions host's Kestrel would.

Sources: Azure/azure-functions-host ``src/WebJobs.Script.WebHost/Program.cs`` (its
``ConfigureKestrel`` sets only ``MaxRequestBodySize``, so the head limits are Kestrel's
defaults) and dotnet/aspnetcore ``src/Servers/Kestrel/Core/src/KestrelServerLimits.cs``
(``MaxRequestHeadersTotalSize`` 32 KB, ``MaxRequestHeaderCount`` 100, ``MaxRequestLineSize``
8 KB; ``Http1Connection`` starts the header budget at the limit plus two, for the empty
line that ends the head). Each limit is met exactly, then passed by one byte or one line.
"""

from __future__ import annotations

from devstack.host.limits import (
    INCOMPLETE_HEAD_BYTES,
    MAX_HEADER_COUNT,
    MAX_HEADERS_TOTAL,
    MAX_REQUEST_LINE,
    head_refusal,
)

HOST = (b"host", b"127.0.0.1:7071")


def judged(
    headers: list[tuple[bytes, bytes]], *, path: bytes = b"/api/jobs", query: bytes = b""
) -> int | None:
    return head_refusal(
        method="POST", raw_path=path, query_string=query, http_version="1.1", headers=headers
    )


def padded_to(total: int) -> list[tuple[bytes, bytes]]:
    """Host plus one header whose lines, counted as sent ("name: value\\r\\n"), make ``total``."""
    used = len(b"host: 127.0.0.1:7071\r\n") + len(b"x-pad: \r\n")
    return [HOST, (b"x-pad", b"p" * (total - used))]


def test_header_lines_up_to_32_kib_pass_and_one_byte_more_is_431() -> None:
    assert judged(padded_to(MAX_HEADERS_TOTAL)) is None
    assert judged(padded_to(MAX_HEADERS_TOTAL + 1)) == 431
    assert judged(padded_to(200 * 1024)) == 431, "the red team's 200 KB header"


def test_a_hundred_header_lines_pass_and_one_more_is_431() -> None:
    lines = [HOST] + [(f"x-{i}".encode(), b"v") for i in range(MAX_HEADER_COUNT - 1)]
    assert judged(lines) is None
    assert judged([*lines, (b"x-one-more", b"v")]) == 431


def test_a_request_line_up_to_8_kib_passes_and_one_byte_more_is_414() -> None:
    fixed = len("POST ") + len(" HTTP/1.1\r\n") + len("/api/jobs?")
    query = b"q=" + b"a" * (MAX_REQUEST_LINE - fixed - 2)
    assert judged([HOST], query=query) is None
    assert judged([HOST], query=query + b"a") == 414


def test_uvicorn_may_buffer_a_whole_head_at_the_limits_before_it_is_judged() -> None:
    assert INCOMPLETE_HEAD_BYTES > MAX_REQUEST_LINE + MAX_HEADERS_TOTAL
