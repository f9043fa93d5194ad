"""The request-head limits of the Functions host's web server, applied by the devstack host.

The Functions host serves HTTP with Kestrel and changes none of Kestrel's head limits: its
``Program.cs`` (Azure/azure-functions-host, ``src/WebJobs.Script.WebHost/Program.cs``,
``ConfigureKestrel``) sets only ``MaxRequestBodySize``. Kestrel's defaults
(dotnet/aspnetcore, ``src/Servers/Kestrel/Core/src/KestrelServerLimits.cs``) are therefore
the limits in Azure:

* ``MaxRequestHeadersTotalSize``: 32,768 bytes of header lines (each line with its CRLF;
  the empty line that ends the head is allowed on top: ``Http1Connection`` starts its
  budget at the limit plus two), else ``431 Request Header Fields Too Large``;
* ``MaxRequestHeaderCount``: 100 header lines, else 431;
* ``MaxRequestLineSize``: 8,192 bytes of request line, else ``414 URI Too Long``.

uvicorn, which serves the devstack host, parsed a head of 200 KB that arrived in one read,
so these are checked on every request before anything else runs. The parsed head no longer
has the whitespace after each colon, so a header line is counted as ``name: value`` with one
space (what clients send); a head that pads with more spaces passes here a few bytes above
the limit. uvicorn's own buffer for a head still arriving is set just above these limits
(:data:`INCOMPLETE_HEAD_BYTES`): a larger head sent in pieces is refused there, with its
``400``, not Kestrel's 431.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

__all__ = [
    "INCOMPLETE_HEAD_BYTES",
    "MAX_HEADERS_TOTAL",
    "MAX_HEADER_COUNT",
    "MAX_REQUEST_LINE",
    "head_refusal",
]

MAX_HEADERS_TOTAL: Final = 32 * 1024
MAX_HEADER_COUNT: Final = 100
MAX_REQUEST_LINE: Final = 8 * 1024
#: What uvicorn (h11) may buffer of a head that has not fully arrived: both limits and room
#: for the refusal to be decided here, on the whole head.
INCOMPLETE_HEAD_BYTES: Final = MAX_REQUEST_LINE + MAX_HEADERS_TOTAL + 4 * 1024

_CRLF: Final = 2


def head_refusal(
    *,
    method: str,
    raw_path: bytes,
    query_string: bytes,
    http_version: str,
    headers: Iterable[tuple[bytes, bytes]],
) -> int | None:
    """The status Kestrel would answer this head with (414 or 431), or None when it fits."""
    target = len(raw_path) + (1 + len(query_string) if query_string else 0)
    request_line = len(method) + 1 + target + 1 + len(f"HTTP/{http_version}") + _CRLF
    if request_line > MAX_REQUEST_LINE:
        return 414
    count = total = 0
    for name, value in headers:
        count += 1
        total += len(name) + 2 + len(value) + _CRLF  # "name: value\r\n"
    if count > MAX_HEADER_COUNT or total > MAX_HEADERS_TOTAL:
        return 431
    return None
