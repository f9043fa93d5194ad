"""A third party's 2xx answer, read with care: bounded, uncompressed, never holding a secret.

The outbound client reads the answer's body itself, from the socket (``stream=True``),
instead of letting requests load it whole:

* **Bounded.** A declared ``Content-Length`` over the limit is refused unread; otherwise the
  body is read in chunks and reading stops at the first byte past the limit, so a 30 MB
  answer costs the limit and a closed connection, not 30 MB of memory.
* **Uncompressed.** The client asks for ``Accept-Encoding: identity``; an answer that is
  compressed anyway is refused, so the limit is the size of what is held (a small gzip
  body can inflate a thousandfold).
* **Holding no registered secret**, in any header (``Set-Cookie`` included) or anywhere in
  the body, in any encoding :func:`shared.redaction.encodings` knows, or inside a JSON
  string once decoded (``\\u`` escapes): a partner that echoes the key is not answering a
  question, and nothing of what it said is kept.

Every refusal is a :class:`~shared.outbound.errors.PartnerAnswerError` whose message says what was
wrong and never quotes the answer.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Final

import requests
from urllib3 import BaseHTTPResponse
from urllib3.exceptions import HTTPError

from shared.outbound.errors import PartnerAnswerError
from shared.redaction import holds_secret

__all__ = ["check_headers", "check_json", "decode_json", "read_answer", "read_body"]

CHUNK_BYTES: Final = 64 * 1024
_NOT_JSON: Final = object()


def read_answer(response: requests.Response, *, limit: int, where: str) -> bytes | None:
    """The checked body of a 2xx ``response`` (streamed); None when the connection broke off
    while it was read (a cut at the deadline, a reset), for the caller to say which.

    :raises PartnerAnswerError: a header or the body holds a registered secret, or the body
        is compressed or too large. The response is closed: the rest is never read.
    """
    try:
        check_headers(response.headers, where=where)
        return read_body(response.raw, response.headers, limit=limit, where=where)
    except PartnerAnswerError:
        response.close()
        raise
    except (HTTPError, requests.RequestException, OSError):
        response.close()
        return None  # not re-raised: the read error may hold part of the body


def decode_json(content: bytes, *, status: int, where: str) -> Any:
    """The JSON document of an answer's body, its strings checked for registered secrets.

    :raises PartnerAnswerError: not JSON (the decoder's message, which quotes the body, is
        dropped), or a string holds a registered secret once decoded.
    """
    try:
        document = json.loads(content)
    except (ValueError, RecursionError):
        document = _NOT_JSON
    if document is _NOT_JSON:  # raised here, not in the except: JSONDecodeError.doc is the body
        raise PartnerAnswerError(f"{where}: answered {status} with a non-JSON body")
    check_json(document, where=where)
    return document


def read_body(
    raw: BaseHTTPResponse, headers: Mapping[str, str], *, limit: int, where: str
) -> bytes:
    """The whole body, at most ``limit`` bytes, as sent (never decompressed).

    :raises PartnerAnswerError: compressed, or larger than ``limit`` (declared or read).
    Errors reading the socket (a broken connection, a cut at the deadline) propagate.
    """
    encoding = (headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise PartnerAnswerError(f"{where}: answered with a compressed body; identity was asked")
    declared = (headers.get("Content-Length") or "").strip()
    if declared.isdigit() and int(declared) > limit:
        raise PartnerAnswerError(f"{where}: answer of {int(declared)} bytes exceeds {limit}")
    chunks: list[bytes] = []
    size = 0
    while chunk := raw.read(CHUNK_BYTES, decode_content=False):
        size += len(chunk)
        if size > limit:
            raise PartnerAnswerError(f"{where}: answer exceeds {limit} bytes; reading stopped")
        chunks.append(chunk)
    body = b"".join(chunks)
    if holds_secret(body.decode("latin-1")) or holds_secret(body.decode("utf-8", "replace")):
        raise PartnerAnswerError(f"{where}: the answer's body holds a registered secret")
    return body


def check_headers(headers: Mapping[str, str], *, where: str) -> None:
    """:raises PartnerAnswerError: a header name or value holds a registered secret."""
    for name, value in headers.items():
        if holds_secret(name) or holds_secret(value):
            raise PartnerAnswerError(f"{where}: an answer header holds a registered secret")


def check_json(document: Any, *, where: str) -> None:
    """:raises PartnerAnswerError: a string (key or value) of ``document`` holds a
    registered secret once decoded. Iterative: a deep document cannot exhaust the stack."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if holds_secret(item):
                raise PartnerAnswerError(
                    f"{where}: a string in the answer holds a registered secret"
                )
        elif isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
