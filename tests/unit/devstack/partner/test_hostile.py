"""The hostile partner, over real HTTP, against a careless client (``requests`` as it comes):
each mode really does what the app's tests rely on it doing, and its counters show what a
careless client did (sent a cookie back, hung up on a stream, followed a redirect)."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import pytest
import requests

from devstack.faults import HOSTILE_MODES, FaultGate, FaultPlan
from devstack.partner.hostile import HUGE_BYTES, LANDING_PATH
from tests.support.waiting import eventually
from tests.unit.devstack.partner.partnerhttp import HEADER, Http, Key, analyze, set_fault, stats


def _contains(response: requests.Response, key: str) -> bool:
    return key in response.text or any(key in v for v in response.headers.values())


@pytest.mark.parametrize(
    ("mode", "where"),
    [
        ("echo_field", lambda r: r.json()["analysis_id"]),
        ("echo_nested", lambda r: r.json()["debug"]["request"]["headers"][HEADER]),
        ("echo_header", lambda r: r.headers[f"X-Echo-{HEADER}"]),
        ("echo_cookie", lambda r: r.cookies["session"]),
    ],
)
def test_echo_modes_send_the_key_back_where_they_say(
    control: Http, http: Http, key: Key, mode: str, where: Any
) -> None:
    set_fault(control, mode=mode, count=1)
    response = analyze(http, key.value)
    assert response.status_code == 200
    assert where(response) == key.value
    assert analyze(http, key.value).status_code == 200  # count=1: the next call is normal
    assert stats(control)["hostile"] == 1


def test_the_harmless_cookie_is_sent_back_by_a_careless_client(
    control: Http, http: Http, key: Key
) -> None:
    set_fault(control, mode="set_cookie", count=1)
    first = analyze(http, key.value)
    assert first.status_code == 200
    assert uuid.UUID(first.json()["analysis_id"])  # an otherwise valid analysis
    assert key.value is not None
    assert not _contains(first, key.value)
    assert analyze(http, key.value).status_code == 200  # requests' session jar replays it
    assert stats(control)["cookies"] == 1


def test_a_redirect_is_counted_when_followed(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode="redirect", count=1)
    response = analyze(http, key.value)  # requests follows a 307, re-sending the key
    assert response.history[0].status_code == 307
    assert response.history[0].headers["Location"] == LANDING_PATH
    assert response.status_code == 410
    assert stats(control)["landed"] == 1


def test_not_json_is_an_html_page(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode="not_json", count=1)
    response = analyze(http, key.value)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        response.json()


def test_huge_is_a_valid_analysis_of_over_thirty_megabytes(
    control: Http, http: Http, key: Key
) -> None:
    set_fault(control, mode="huge", count=1)
    response = analyze(http, key.value)
    assert len(response.content) > HUGE_BYTES
    body = json.loads(response.content)
    assert uuid.UUID(body["analysis_id"])
    assert body["sentiment"] == "positive"
    assert stats(control)["aborted"] == 0


@pytest.mark.parametrize("mode", ["trickle", "huge"])
def test_a_stream_the_client_hangs_up_on_is_counted(
    control: Http, http: Http, key: Key, mode: str
) -> None:
    set_fault(control, mode=mode, count=1)
    with analyze_streamed(http, key.value) as response:
        assert response.status_code == 200
        assert response.raw.read(1) == b"{"  # the headers came at once, the body is coming
    eventually(lambda: stats(control)["aborted"] == 1, timeout=30)


def analyze_streamed(http: Http, key: str | None) -> requests.Response:
    response: requests.Response = http.post(
        "/v1/analyze", json={"text": "a good day"}, headers={HEADER: key or ""}, stream=True
    )
    return response


def test_hostile_modes_still_check_the_key(control: Http, http: Http) -> None:
    set_fault(control, mode="echo_field")
    assert analyze(http, "not the key").status_code == 401


def test_only_the_partner_plays_the_hostile_modes() -> None:
    for mode in HOSTILE_MODES:
        with pytest.raises(ValueError, match="only the partner"):
            FaultGate().set_plan(FaultPlan.parse({"mode": mode}))
        FaultGate(hostile=True).set_plan(FaultPlan.parse({"mode": mode}))


@pytest.mark.parametrize("mode", ["smuggle", "smuggle_echo"])
def test_smuggle_modes_spread_the_key_without_sending_it_whole(
    control: Http, http: Http, key: Key, mode: str
) -> None:
    """Every field carries a piece of the key that a decoder gets back; no field holds the
    key, nor its whole hex or base64, so only the client's closed sets stand in the way."""
    set_fault(control, mode=mode, count=1)
    response = analyze(http, key.value, {"text": "a good day", "language": "nl"})
    assert response.status_code == 200
    assert key.value is not None
    raw = key.value.encode()
    body = response.json()
    assert uuid.UUID(body["analysis_id"]).hex == raw.hex()[:32]
    assert body["word_count"].to_bytes(6, "big") == raw[:6]
    assert base64.b64decode(body["request_id"])[::-1] == raw
    joined = b"".join(base64.b32decode(k.upper() + "=" * (-len(k) % 8)) for k in body["keywords"])
    assert joined == raw
    assert body["language"] == ("nl" if mode == "smuggle_echo" else raw.hex()[32:66])
    for form in (key.value, raw.hex(), base64.b64encode(raw).decode()):
        assert form not in response.text
