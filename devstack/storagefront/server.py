"""The front's server: TLS on a public port, one Azurite connection per client connection.

Each client connection is paired with its own connection to Azurite's internal port, so
keep-alive, idle time-outs and closes are Azurite's own: when Azurite closes its side,
the front closes the client's. Requests are read head by head; a key-based one is
answered here with Azure's refusal (its body read and dropped first, and only after
every earlier response has gone out, so responses stay in order), every other request
is forwarded unchanged and its body streamed. Responses are streamed back as they come,
but for Azurite's answer to a bearer caller's Get User Delegation Key, which is read whole
(it is a few hundred bytes) so the key it issues is remembered (:mod:`.delegation`).

While Azurite is stopped on request the front stops listening, so clients see the
connection refused, as they would with Azurite itself gone (:meth:`StorageFront.pause`).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import ssl
from pathlib import Path

from devstack.storagefront.azuritequery import parameters, single
from devstack.storagefront.delegation import IssuedKeys, issued_key
from devstack.storagefront.framing import (
    MAX_HEAD,
    Body,
    Head,
    copy_body,
    read_head,
    read_whole,
    request_body,
    response_body,
)
from devstack.storagefront.refusal import key_based, refusal

logger = logging.getLogger("devstack.storage")

_CONNECTION_ERRORS = (OSError, ssl.SSLError, asyncio.IncompleteReadError, ValueError)
#: Azurite's UserDelegationKey answer is a few hundred bytes (chunked); a larger one closes
#: the connection rather than be forwarded unread.
MAX_KEY_ANSWER = 16 * 1024


def asks_for_delegation_key(head: Head) -> bool:
    """Get User Delegation Key (``POST /?restype=service&comp=userdelegationkey``) with a
    bearer token, the query read as Azurite reads it."""
    scheme = head.headers.get("authorization", "").split(" ", 1)[0].lower()
    if head.method != "POST" or scheme != "bearer":
        return False
    params = parameters(head.target.partition("?")[2])
    return single(params, "restype") == "service" and single(params, "comp") == "userdelegationkey"


class StorageFront:
    """One Storage service (``blob``, ``queue`` or ``table``) behind the front."""

    def __init__(
        self,
        service: str,
        *,
        host: str,
        port: int,
        upstream_port: int,
        server_cert: Path,
        server_key: Path,
        ca_cert: Path,
    ) -> None:
        self.service, self.host, self.port, self.upstream_port = service, host, port, upstream_port
        self._server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._server_tls.load_cert_chain(server_cert, server_key)
        self._client_tls = ssl.create_default_context(cafile=str(ca_cert))
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.refused = 0
        self.issued = IssuedKeys()  # delegation keys Azurite gave bearer callers (Blob only)

    async def start(self) -> None:
        """Listen (again) on the public port."""
        if self._server is None:
            self._server = await asyncio.start_server(
                self._accepted, self.host, self.port, ssl=self._server_tls, limit=MAX_HEAD
            )

    async def pause(self) -> None:
        """Stop listening; connections in flight end when Azurite closes them."""
        if self._server is not None:
            self._server.close()
            self._server = None

    async def stop(self) -> None:
        await self.pause()
        for task in list(self._connections):
            task.cancel()
        if self._connections:
            await asyncio.wait(self._connections, timeout=5)

    async def _accepted(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        try:
            await self._serve(reader, writer)
        except asyncio.CancelledError:
            pass
        finally:
            writer.close()
            if task is not None:
                self._connections.discard(task)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(
                self.host,
                self.upstream_port,
                ssl=self._client_tls,
                server_hostname=self.host,
                limit=MAX_HEAD,
            )
        except _CONNECTION_ERRORS:
            return  # Azurite is gone: the client sees its connection closed
        exchange = _Exchange(self, reader, writer, up_reader)
        requests = asyncio.create_task(exchange.requests(up_writer))
        responses = asyncio.create_task(exchange.responses())
        try:
            done, _ = await asyncio.wait({requests, responses}, return_when=asyncio.FIRST_COMPLETED)
            if requests in done:
                # The client is done sending: let the responses it waits for go out.
                idle = asyncio.create_task(exchange.idle.wait())
                await asyncio.wait(
                    {idle, responses}, timeout=300, return_when=asyncio.FIRST_COMPLETED
                )
                idle.cancel()
        finally:
            for task in (requests, responses):
                task.cancel()
            await asyncio.gather(requests, responses, return_exceptions=True)
            up_writer.transport.abort()


class _Exchange:
    """The two directions of one paired connection and what they share."""

    def __init__(
        self,
        front: StorageFront,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        up_reader: asyncio.StreamReader,
    ) -> None:
        self.front, self.reader, self.writer, self.up_reader = front, reader, writer, up_reader
        # (method, whether its answer issues a delegation key) of requests awaiting answers
        self.pending: collections.deque[tuple[str, bool]] = collections.deque()
        self.idle = asyncio.Event()
        self.idle.set()

    async def requests(self, up_writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(*_CONNECTION_ERRORS):
            while (head := await read_head(self.reader)) is not None:
                body, length = request_body(head)
                kind = key_based(head, service=self.front.service, issued=self.front.issued)
                if kind is None:
                    self.pending.append((head.method, asks_for_delegation_key(head)))
                    self.idle.clear()
                    await copy_body(body, length, self.reader, up_writer, lead=head.raw)
                    continue
                self._log_refusal(head.method, head.target, kind)
                expects = head.headers.get("expect", "").lower() == "100-continue"
                if not expects:  # the body is on its way: read it so the answer is heard
                    await copy_body(body, length, self.reader, None)
                await self.idle.wait()
                self.writer.write(refusal(head, self.front.service, close=expects))
                await self.writer.drain()
                if expects:
                    return

    async def responses(self) -> None:
        with contextlib.suppress(*_CONNECTION_ERRORS):
            while (head := await read_head(self.up_reader)) is not None:
                status = head.status
                if status < 200 and status != 101:
                    self.writer.write(head.raw)
                    await self.writer.drain()
                    continue  # an interim answer (100 Continue); the final one follows
                method, issues_key = self.pending.popleft() if self.pending else ("GET", False)
                body, length = response_body(head, method)
                if issues_key and status == 200:
                    framed, answer = await read_whole(
                        body, length, self.up_reader, limit=MAX_KEY_ANSWER
                    )
                    if (key := issued_key(answer)) is not None:
                        self.front.issued.add(key)
                    self.writer.write(head.raw + framed)
                    await self.writer.drain()
                else:
                    await copy_body(body, length, self.up_reader, self.writer, lead=head.raw)
                if not self.pending:
                    self.idle.set()
                if body is Body.UNTIL_CLOSE:
                    return

    def _log_refusal(self, method: str, target: str, kind: str) -> None:
        self.front.refused += 1
        path = target.split("?", 1)[0]  # never the query: a SAS signature is a secret
        logger.warning(
            "refused a %s request (%s %s): Azure refuses key-based requests to this "
            "account (allowSharedKeyAccess is false); use the app's identity",
            kind,
            method,
            path[:200],
        )
