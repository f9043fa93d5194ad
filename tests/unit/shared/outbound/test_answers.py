"""A partner's 2xx answer, as the outbound client reads it: bounded, uncompressed, never
holding a registered secret, and never leaving a cookie behind.

Against this directory's scripted partner (a real HTTP server on loopback) and, for
answers without a ``Content-Length``, a chunked one here. Sources held to: requests'
``Session.prepare_request`` merges the session's cookie jar into every request and
``Session.send`` stores an answer's cookies in it (requests/sessions.py), while
``HTTPAdapter.build_response`` stores them only on the response (requests/adapters.py);
``http.cookiejar.DefaultCookiePolicy(allowed_domains=[])`` neither stores nor returns any
(Python docs, http.cookiejar, "blocked_domains / allowed_domains").
"""

from __future__ import annotations

import base64
import gzip
import json
import secrets
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import quote

import pytest
import requests

from shared.outbound import OutboundClient, PartnerAnswerError
from shared.redaction import Secret
from tests.support.scripted_partner import FAST, Keys, Partner, Reply

LIMIT = 4096


@pytest.fixture
def client(partner: Partner, keys: Keys) -> Iterator[OutboundClient]:
    with OutboundClient(partner.url, key_provider=keys, max_answer_bytes=LIMIT, **FAST) as c:
        yield c


def _echoes(key: str) -> dict[str, Reply]:
    raw = key.encode()
    return {
        "raw in a field": Reply(body={"analysis_id": key}),
        "nested": Reply(body={"debug": {"headers": {"X-Api-Key": key}}}),
        "as a JSON key": Reply(body={key: 1}),
        "\\u-escaped": Reply(body=json.dumps({"a": key}, ensure_ascii=False).replace(
            key[0], f"\\u{ord(key[0]):04x}").encode()),
        "base64": Reply(body={"a": base64.b64encode(raw).decode()}),
        "base64url unpadded": Reply(body={"a": base64.urlsafe_b64encode(raw).decode().rstrip("=")}),
        "hex": Reply(body={"a": raw.hex()}),
        "HEX": Reply(body={"a": raw.hex().upper()}),
        "url-encoded": Reply(body={"a": quote(key, safe="")}),
        "in a non-JSON body": Reply(body=b"<html>" + raw + b"</html>"),
        "in a header": Reply(body={"ok": True}, headers={"X-Echo": key}),
        "in a cookie": Reply(body={"ok": True}, headers={"Set-Cookie": f"s={key}; Path=/"}),
    }  # fmt: skip


@pytest.mark.parametrize("case", sorted(_echoes("x" * 16)))
def test_an_answer_that_echoes_the_key_in_any_form_is_refused(
    partner: Partner, keys: Keys, client: OutboundClient, case: str
) -> None:
    partner.then(_echoes(keys.current)[case])
    with pytest.raises(PartnerAnswerError, match="registered secret") as raised:
        client.post_json("/analyze", json={"text": "x"})
    assert keys.current not in str(raised.value)
    assert raised.value.endpoint == partner.url.removeprefix("http://")


def test_an_answer_with_another_registered_secret_is_refused_too(
    partner: Partner, client: OutboundClient
) -> None:
    other = Secret(secrets.token_urlsafe(24), name="another-secret")
    partner.then(Reply(body={"token": other.reveal()}))
    with pytest.raises(PartnerAnswerError, match="registered secret"):
        client.post_json("/analyze", json={"text": "x"})


def test_a_clean_answer_is_returned_whole(partner: Partner, client: OutboundClient) -> None:
    partner.then(Reply(body={"analysis_id": "a", "note": "é" * 100}))
    assert client.post_json("/analyze", json={}) == {"analysis_id": "a", "note": "é" * 100}


def test_an_answer_declared_too_large_is_refused_unread(
    partner: Partner, client: OutboundClient
) -> None:
    partner.then(Reply(body={"pad": "x" * LIMIT}))
    with pytest.raises(PartnerAnswerError, match=f"bytes exceeds {LIMIT}"):
        client.post_json("/analyze", json={})


def test_a_compressed_answer_is_refused_and_identity_was_asked(
    partner: Partner, client: OutboundClient
) -> None:
    bomb = gzip.compress(json.dumps({"pad": "x" * 100 * LIMIT}).encode())
    assert len(bomb) < LIMIT  # small on the wire, a hundred times the limit once inflated
    partner.then(Reply(body=bomb, headers={"Content-Encoding": "gzip"}))
    with pytest.raises(PartnerAnswerError, match="compressed"):
        client.post_json("/analyze", json={})
    assert partner.hits[0].headers["Accept-Encoding"] == "identity"


def test_a_non_json_answer_is_refused_without_quoting_it(
    partner: Partner, client: OutboundClient
) -> None:
    partner.then(Reply(body=b"<html>maintenance page</html>"))
    with pytest.raises(PartnerAnswerError, match="non-JSON") as raised:
        client.post_json("/analyze", json={})
    assert "maintenance" not in str(raised.value)
    assert raised.value.__context__ is None
    assert raised.value.__cause__ is None


# -- a chunked answer without Content-Length -----------------------------------------------


class Chunked:
    """Answers every POST with ``size`` bytes, chunked; records how much it managed to send."""

    def __init__(self, size: int) -> None:
        self.sent = 0
        self.done = threading.Event()
        chunked = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                piece = b"x" * 8192
                try:
                    while chunked.sent < size:
                        self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                        chunked.sent += len(piece)
                    self.wfile.write(b"0\r\n\r\n")
                except OSError:
                    pass  # the client hung up: what we hoped for
                finally:
                    chunked.done.set()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def test_a_streamed_answer_past_the_limit_stops_being_read() -> None:
    huge = Chunked(size=64 * 1024 * 1024)
    keys = Keys()
    try:
        with (
            OutboundClient(huge.url, key_provider=keys, max_answer_bytes=LIMIT) as client,
            pytest.raises(PartnerAnswerError, match=f"exceeds {LIMIT} bytes; reading stopped"),
        ):
            client.post_json("/analyze", json={})
        assert huge.done.wait(30)
        assert huge.sent < 64 * 1024 * 1024  # the client closed; the server could not finish
    finally:
        huge.server.shutdown()
        huge.server.server_close()


# -- cookies ---------------------------------------------------------------------------------


def test_a_partner_cookie_is_never_sent_back(partner: Partner, client: OutboundClient) -> None:
    partner.then(Reply(body={"ok": True}, headers={"Set-Cookie": "session=abc123; Path=/"}))
    client.post_json("/analyze", json={})
    client.post_json("/analyze", json={})
    assert [hit.headers.get("Cookie") for hit in partner.hits] == [None, None]


def test_a_passed_in_sessions_cookies_are_not_sent_either(partner: Partner, keys: Keys) -> None:
    session = requests.Session()
    session.cookies.set("tracking", "abc123")
    with OutboundClient(partner.url, key_provider=keys, session=session) as client:
        client.post_json("/analyze", json={})
    assert "Cookie" not in partner.hits[0].headers


def test_the_cookie_policy_is_what_keeps_the_jar_empty(partner: Partner, keys: Keys) -> None:
    """A positive control: requests' own Session.send would store and replay the cookie;
    with the client's policy on the same session's jar, it stores nothing."""
    partner.then(Reply(body={"ok": True}, headers={"Set-Cookie": "session=abc123; Path=/"}))
    plain = requests.Session()
    plain.post(partner.url + "/x", json={}, timeout=5)
    assert plain.cookies.get("session") == "abc123"
    with OutboundClient(partner.url, key_provider=keys) as client:
        partner.then(Reply(body={"ok": True}, headers={"Set-Cookie": "session=abc123; Path=/"}))
        session = client._session
        session.post(partner.url + "/x", json={}, timeout=5)
        assert len(session.cookies) == 0


def test_a_caller_cannot_add_a_cookie_or_ask_for_compression(client: OutboundClient) -> None:
    for name in ("Cookie", "accept-encoding"):
        with pytest.raises(ValueError, match="refused"):
            client.request("GET", "/x", headers={name: "a=1"})
