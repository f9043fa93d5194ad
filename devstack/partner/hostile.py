"""The partner stub playing a hostile partner: a served call whose answer is spoiled on cue.

A fault plan with one of :data:`devstack.faults.HOSTILE_MODES` (``PUT /devstack/faults/partner``)
lets the stub check the key and do the work as usual, then answer with:

``echo_field``   the analysis with the key as its ``analysis_id``, ``language`` and ``sentiment``
``echo_nested``  a valid analysis plus ``debug.request.headers.<key header>``: the key
``echo_header``  a valid analysis with the key in a response header (``X-Echo-<key header>``)
``echo_cookie``  a valid analysis with ``Set-Cookie: session=<the key>``
``smuggle``      the key cut into pieces, none of them the key in any usual encoding, spread
                 over every field the answer has (:func:`smuggled`): hex in ``language``, a
                 UUID of its bytes as ``analysis_id``, its bytes as the counts, base32 in the
                 keywords, base64 of it reversed in an extra field, a sentiment chosen by it
``smuggle_echo`` as ``smuggle``, but with the language the job asked for (or ``en``): the one
                 field a careful client checks against its own value looks right
``set_cookie``   a valid analysis with a harmless ``Set-Cookie`` (a fresh random session id)
``trickle``      a valid analysis sent one byte every :data:`TRICKLE_INTERVAL` seconds, padded
                 to last :data:`TRICKLE_SECONDS` (headers at once, so no read timeout fires)
``huge``         a valid analysis with a :data:`HUGE_BYTES` padding field, streamed
``redirect``     ``307`` to ``/v1/landing`` (a route that counts who follows it)
``not_json``     ``200`` with an HTML page

Like every fault, a hostile strike is decided when the call arrives: a call then refused for
its key (401) uses it up. A careful client stores none of it, sends no cookie back, stops
reading a trickle at its deadline and a huge answer at its size limit, and never follows the
redirect. The stub counts what a careless one would do: ``cookies`` (calls that arrived with
a ``Cookie`` header), ``aborted`` (streamed answers the client hung up on before their end),
``landed`` (redirects followed). It never logs the key it echoes.
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
import uuid
from collections.abc import AsyncIterator
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from devstack.partner.store import PartnerState

__all__ = [
    "HUGE_BYTES",
    "LANDING_PATH",
    "TRICKLE_INTERVAL",
    "TRICKLE_SECONDS",
    "smuggled",
    "spoiled",
]

LANDING_PATH: Final = "/v1/landing"
TRICKLE_INTERVAL: Final = 0.25
TRICKLE_SECONDS: Final = 180.0
HUGE_BYTES: Final = 30 * 1024 * 1024
_CHUNK: Final = 64 * 1024


def spoiled(
    mode: str, *, key: str, header_name: str, answer: dict[str, Any], state: PartnerState
) -> Response:
    """The hostile answer ``mode`` gives to a call that asked for ``answer``."""
    state.counters["hostile"] += 1
    if mode == "echo_field":
        return JSONResponse({**answer, "analysis_id": key, "language": key, "sentiment": key})
    if mode in ("smuggle", "smuggle_echo"):
        return JSONResponse(smuggled(key, answer, echo_language=mode == "smuggle_echo"))
    if mode == "echo_nested":
        return JSONResponse({**answer, "debug": {"request": {"headers": {header_name: key}}}})
    if mode == "echo_header":
        return JSONResponse(answer, headers={f"X-Echo-{header_name}": key})
    if mode in ("echo_cookie", "set_cookie"):
        response = JSONResponse(answer)
        value = key if mode == "echo_cookie" else secrets.token_hex(16)
        response.set_cookie("session", value, path="/", httponly=True)
        return response
    if mode == "trickle":
        text = json.dumps(answer)
        padded = text[:-1] + " " * int(TRICKLE_SECONDS / TRICKLE_INTERVAL - len(text)) + "}"
        return _streamed(state, _trickled(padded.encode()))
    if mode == "huge":
        head = json.dumps({**answer, "padding": ""})[:-2].encode()  # up to the opening quote
        return _streamed(state, _huge(head))
    if mode == "redirect":
        return Response(status_code=307, headers={"Location": LANDING_PATH})
    if mode == "not_json":
        return Response("<html><body>down for maintenance</body></html>", media_type="text/html")
    raise ValueError(f"not a hostile mode: {mode!r}")


def smuggled(key: str, answer: dict[str, Any], *, echo_language: bool) -> dict[str, Any]:
    """``answer`` with the key spread over every field, as a partner that wants it kept would.

    No piece is the key, nor the key in an encoding a registry of secret forms would hold
    (whole hex, base64 or URL-encoding of it): each is a part, a transform or a number, so only
    a client that keeps nothing it did not choose itself keeps none of it. Deterministic, so a
    test can compute every piece and look for it in whatever the app wrote.
    """
    raw = key.encode()
    hexed = raw.hex()
    chunks = [raw[i : i + 5] for i in range(0, len(raw), 5)]
    return {
        **answer,
        "analysis_id": str(uuid.UUID(hex=hexed[:32].ljust(32, "0"))),
        "language": answer["language"] if echo_language else hexed[32:66] or "zz",
        "sentiment": ("positive", "negative", "neutral")[raw[0] % 3],
        "word_count": int.from_bytes(raw[:6], "big"),
        "characters": int.from_bytes(raw[6:12], "big"),
        "keywords": [base64.b32encode(chunk).decode().rstrip("=").lower() for chunk in chunks],
        "request_id": base64.b64encode(raw[::-1]).decode(),
    }


async def landing(request: Request) -> Response:
    """Where ``redirect`` sends the client: counted, so following it shows."""
    state: PartnerState = request.app.counters
    state.counters["landed"] += 1
    return JSONResponse({"error": "you followed a redirect"}, status_code=410)


def _streamed(state: PartnerState, chunks: AsyncIterator[bytes]) -> Response:
    async def counted() -> AsyncIterator[bytes]:
        finished = False
        try:
            async for chunk in chunks:
                yield chunk
            finished = True
        finally:
            if not finished:  # the client hung up (or the stub is stopping)
                state.counters["aborted"] += 1

    return StreamingResponse(counted(), media_type="application/json")


async def _trickled(body: bytes) -> AsyncIterator[bytes]:
    for index in range(len(body)):
        yield body[index : index + 1]
        await asyncio.sleep(TRICKLE_INTERVAL)


async def _huge(head: bytes) -> AsyncIterator[bytes]:
    yield head
    padding = b"x" * _CHUNK
    for _ in range(HUGE_BYTES // _CHUNK):
        yield padding
        # uvicorn drops a send after the client left without awaiting anything: yielding to
        # the loop lets Starlette's disconnect listener stop the stream (and count it).
        await asyncio.sleep(0)
    yield b'"}'
