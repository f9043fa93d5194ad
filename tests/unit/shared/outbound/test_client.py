"""OutboundClient against a real HTTP server on loopback with scripted answers.

(Longer than most test modules on purpose: where the key goes, retries, rotation and
what is said about a failure are one contract over one scripted partner.)
"""

from __future__ import annotations

import json
import logging
import secrets
import socket
import time
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from shared.outbound import (
    KeyPlacementError,
    OutboundClient,
    OutboundError,
    PartnerAuthError,
    PartnerRejectedError,
    PartnerUnavailableError,
)
from shared.redaction import Secret
from tests.support.redaction_values import chained_texts
from tests.support.scripted_partner import FAST, Keys, Partner, Reply


@pytest.fixture
def client(partner: Partner, keys: Keys) -> Iterator[OutboundClient]:
    with OutboundClient(partner.url + "/v1", key_provider=keys, **FAST) as c:
        yield c


# -- where the key goes -----------------------------------------------------------------


def test_key_travels_only_in_its_header(partner, keys, client):
    assert client.post_json("/jobs?page=1", json={"n": 1}) == {"ok": True}
    (hit,) = partner.hits
    assert hit.headers["X-Api-Key"] == keys.current
    others = {k: v for k, v in hit.headers.items() if k != "X-Api-Key"}
    assert keys.current not in json.dumps(others)
    assert keys.current not in hit.path
    assert keys.current.encode() not in hit.body
    assert hit.path == "/v1/jobs?page=1"
    assert json.loads(hit.body) == {"n": 1}


def test_custom_header_name(partner, keys):
    with OutboundClient(
        partner.url, key_provider=keys, header_name="Ocp-Apim-Subscription-Key"
    ) as c:
        c.request("GET", "/status")
    assert partner.hits[0].headers["Ocp-Apim-Subscription-Key"] == keys.current
    assert "X-Api-Key" not in partner.hits[0].headers


@pytest.mark.parametrize(
    "header",
    ["Host", "Content-Type", "content-length", "X-Forwarded-For", "Cookie", "Referer",
     "Idempotency-Key", "Accept", "Proxy-Authorization", "bad header", "X-Api-Key\r\n"],
)  # fmt: skip
def test_headers_that_get_logged_or_forwarded_are_refused(partner, keys, header):
    with pytest.raises(KeyPlacementError):
        OutboundClient(partner.url, key_provider=keys, header_name=header)


def test_key_in_path_or_query_is_refused(partner, keys, client):
    for path in (
        f"/jobs/{keys.current}",
        f"/jobs?key={keys.current}",
        f"/jobs?key={quote(keys.current, safe='')}",
    ):
        with pytest.raises(KeyPlacementError) as caught:
            client.request("GET", path)
        assert keys.current not in str(caught.value)
    assert partner.hits == []


def test_key_in_session_params_is_refused(partner, keys):
    session = requests.Session()
    session.params = {"api_key": keys.current}
    with (
        OutboundClient(partner.url, key_provider=keys, session=session) as c,
        pytest.raises(KeyPlacementError, match="URL"),
    ):
        c.request("GET", "/jobs")
    assert partner.hits == []


def test_key_in_body_or_other_header_is_refused(partner, keys, client):
    with pytest.raises(KeyPlacementError, match="body"):
        client.request("POST", "/jobs", json={"copy": keys.current})
    with pytest.raises(KeyPlacementError, match="other header"):
        client.request("GET", "/jobs", headers={"X-Note": keys.current})
    with pytest.raises(KeyPlacementError, match="set by the client"):
        client.request("GET", "/jobs", headers={"x-api-key": "something else"})
    assert partner.hits == []


@pytest.mark.parametrize(
    "base_url",
    ["http://partner.example.com", "ftp://127.0.0.1", "/relative",
     f"https://user:{secrets.token_hex(4)}@partner.example.com",
     "https://partner.example.com/?key=1"],
    ids=["http", "ftp", "relative", "user and password", "query"],
)  # fmt: skip
def test_unsafe_base_urls_are_refused(keys, base_url):
    with pytest.raises(ValueError, match="base_url"):
        OutboundClient(base_url, key_provider=keys)


@pytest.mark.parametrize("path", ["https://elsewhere.example.com/x", "//elsewhere.example.com/x"])
def test_paths_cannot_leave_base_url(partner, client, path):
    with pytest.raises(ValueError, match="relative"):
        client.request("GET", path)
    assert partner.hits == []


def test_key_that_is_not_a_header_value_is_refused_without_echo(partner):
    value = secrets.token_urlsafe(16) + "\r\nX-Injected: 1"
    c = OutboundClient(partner.url, key_provider=lambda **_: Secret(value))
    with c, pytest.raises(OutboundError) as caught:
        c.request("GET", "/jobs")
    assert value.splitlines()[0] not in chained_texts(caught.value)
    assert partner.hits == []


# -- retries ----------------------------------------------------------------------------


def test_503_is_retried_then_succeeds(partner, client):
    partner.then(Reply(503), Reply(503))
    assert client.request("GET", "/jobs").json() == {"ok": True}
    assert len(partner.hits) == 3


def test_retries_are_bounded(partner, client):
    partner.default = Reply(503)
    with pytest.raises(PartnerUnavailableError) as caught:
        client.request("GET", "/jobs")
    assert caught.value.status == 503
    assert len(partner.hits) == 4  # first attempt + total_retries=3


@pytest.mark.slow
def test_retry_after_is_honoured(partner, client):
    partner.then(Reply(429, headers={"Retry-After": "1"}))
    started = time.perf_counter()
    client.request("GET", "/jobs")
    assert time.perf_counter() - started >= 0.9
    assert len(partner.hits) == 2


def test_retry_after_beyond_the_bound_fails_at_once_with_the_hint(partner, keys):
    partner.default = Reply(503, headers={"Retry-After": "120"})
    with OutboundClient(partner.url, key_provider=keys, max_retry_after=5, **FAST) as c:
        started = time.perf_counter()
        with pytest.raises(PartnerUnavailableError) as caught:
            c.request("GET", "/jobs")
    assert time.perf_counter() - started < 1
    assert (caught.value.status, caught.value.retry_after) == (503, 120.0)
    assert len(partner.hits) == 1


def test_post_is_not_retried_without_idempotency_key(partner, client):
    partner.then(Reply(503))
    with pytest.raises(PartnerUnavailableError):
        client.post_json("/jobs", json={"n": 1})
    assert len(partner.hits) == 1


def test_post_with_idempotency_key_is_retried_with_the_same_key(partner, client):
    partner.then(Reply(503), Reply(502))
    assert client.post_json("/jobs", json={"n": 1}, idempotency_key="job-42") == {"ok": True}
    assert [h.headers["Idempotency-Key"] for h in partner.hits] == ["job-42"] * 3


def test_read_timeout_on_get_is_retried_then_unavailable(partner, keys):
    partner.default = Reply(delay=0.3)
    with (
        OutboundClient(
            partner.url, key_provider=keys, read_timeout=0.1, total_retries=1, backoff_factor=0
        ) as c,
        pytest.raises(PartnerUnavailableError, match="timed out") as caught,
    ):
        c.request("GET", "/jobs")
    assert caught.value.status is None
    assert len(partner.hits) == 2


def test_read_timeout_on_post_is_retried_only_with_idempotency_key(partner, keys):
    with OutboundClient(
        partner.url, key_provider=keys, read_timeout=0.1, total_retries=1, backoff_factor=0
    ) as c:
        partner.then(Reply(delay=0.3))
        with pytest.raises(PartnerUnavailableError):
            c.post_json("/jobs", json={})
        assert len(partner.hits) == 1
        partner.then(Reply(delay=0.3))
        assert c.post_json("/jobs", json={}, idempotency_key="k1") == {"ok": True}
        assert len(partner.hits) == 3


def test_unreachable_partner_is_unavailable(keys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed when the block ends: nothing listens there
    c = OutboundClient(f"http://127.0.0.1:{port}", key_provider=keys, **FAST)
    with c, pytest.raises(PartnerUnavailableError, match="connection failed") as caught:
        c.request("GET", "/jobs")
    assert caught.value.status is None
    assert isinstance(caught.value.__cause__, requests.ConnectionError)
    assert keys.current not in chained_texts(caught.value)


# -- key rotation and refusals ----------------------------------------------------------


def test_401_refetches_the_key_once_and_retries(partner, keys, client):
    partner.accepted = {keys.values[1]}  # the partner already has the rotated key
    assert client.post_json("/jobs", json={"n": 1}) == {"ok": True}
    assert keys.calls == [False, True]
    assert [h.headers["X-Api-Key"] for h in partner.hits] == keys.values


@pytest.mark.parametrize("status", [401, 403])
def test_refused_twice_is_an_auth_error(partner, keys, client, status):
    partner.default = Reply(status, {"error": "no"})
    with pytest.raises(PartnerAuthError) as caught:
        client.request("GET", "/jobs")
    assert caught.value.status == status
    assert keys.calls == [False, True]
    assert len(partner.hits) == 2


@pytest.mark.parametrize("status", [400, 404, 409, 422])
def test_other_4xx_is_rejected_without_the_body(partner, client, status):
    marker = secrets.token_hex(8)
    partner.default = Reply(status, {"detail": marker})
    with pytest.raises(PartnerRejectedError) as caught:
        client.request("GET", "/jobs")
    assert caught.value.status == status
    assert marker not in chained_texts(caught.value)
    assert len(partner.hits) == 1


def test_redirects_are_not_followed(partner, client):
    partner.then(Reply(302, headers={"Location": partner.url + "/elsewhere"}))
    with pytest.raises(PartnerRejectedError, match="redirect not followed"):
        client.request("GET", "/jobs")
    assert [h.path for h in partner.hits] == ["/v1/jobs"]


def test_post_json_returns_none_for_an_empty_body_and_refuses_non_json(partner, client):
    partner.then(Reply(204, b""), Reply(200, b"<html>" + secrets.token_hex(4).encode()))
    assert client.post_json("/jobs") is None
    with pytest.raises(OutboundError, match="non-JSON") as caught:
        client.post_json("/jobs")
    assert "<html>" not in chained_texts(caught.value)


# -- what is said about it --------------------------------------------------------------


def test_nothing_said_contains_the_key(partner, keys, caplog):
    """Every failure path, with requests/urllib3 debug logging on: the key never shows,
    and nothing needed scrubbing (so it was never handed over in the first place)."""
    partner.then(Reply(503), Reply(200), Reply(401), Reply(401), Reply(400), Reply(503, delay=0.3))
    errors: list[BaseException] = []
    with (
        caplog.at_level(logging.DEBUG),
        OutboundClient(
            partner.url, key_provider=keys, read_timeout=0.1, backoff_factor=0, total_retries=0
        ) as c,
    ):
        said = [repr(c), str(c)]
        for path in ("/a", "/b", "/c", "/d", "/e"):
            try:
                c.request("GET", path)
            except OutboundError as exc:
                errors.append(exc)
    said += [chained_texts(e) for e in errors] + [caplog.text]
    said += [str(r.args) for r in caplog.records]
    text = "\n".join(said)
    assert len(errors) == 4
    for key in keys.values:
        assert key not in text
        assert quote(key, safe="") not in text
    assert "REDACTED" not in text


def test_one_debug_line_per_call(partner, client, caplog):
    partner.then(Reply(503))
    with caplog.at_level(logging.DEBUG, logger="shared.outbound"):
        client.request("GET", "/jobs?secret-looking=no")
    (record,) = [r for r in caplog.records if r.name == "shared.outbound"]
    message = record.getMessage()
    assert message.startswith("GET /v1/jobs -> 200, 2 attempt(s), ")
    assert message.endswith(" ms")
    assert "secret-looking" not in message


def test_caller_headers_are_sent(partner, client):
    client.request("PUT", "/jobs/1", headers={"X-Trace": "t1"}, json=[1])
    assert partner.hits[0].headers["X-Trace"] == "t1"
    assert partner.hits[0].method == "PUT"
