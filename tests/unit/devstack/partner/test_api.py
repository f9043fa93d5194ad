"""The partner API stub over real HTTP: the analysis, the key check, idempotency, stats, logs.

Its faults are in test_faults.py; the server and fixtures in conftest.py.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable

import pytest

from devstack.partner import store as partner_store
from devstack.partner.analysis import analyze_text
from devstack.partner.api import create_partner_app
from devstack.partner.store import PartnerState
from tests.support.servers import Switch
from tests.unit.devstack.partner.partnerhttp import HEADER, Http, Key, analyze, stats

# -- the analysis -----------------------------------------------------------------------------


def test_analyze_answers_the_documented_shape(http: Http, key: Key) -> None:
    text = "The deploy was great, great and fast; the docs were good."
    response = analyze(http, key.value, {"text": text})
    assert response.status_code == 200
    body = response.json()
    assert uuid.UUID(body.pop("analysis_id"))
    assert body == {
        "language": "en",
        "word_count": 11,
        "characters": len(text),
        "sentiment": "positive",
        "keywords": ["great", "deploy", "docs", "fast", "good"],
    }
    assert analyze(http, key.value, {"text": text, "language": "nl"}).json()["language"] == "nl"


@pytest.mark.parametrize(
    ("text", "sentiment"),
    [
        ("a terrible, broken build", "negative"),
        ("good but broken", "neutral"),
        ("the queue holds jobs", "neutral"),
        ("thanks, that was helpful", "positive"),
    ],
)
def test_sentiment_is_a_deterministic_word_rule(text: str, sentiment: str) -> None:
    assert analyze_text(text)["sentiment"] == sentiment
    assert analyze_text(text) == analyze_text(text)


def test_keywords_are_the_five_most_frequent_then_alphabetical() -> None:
    text = "zeta beta beta alpha alpha alpha gamma delta epsilon omega the and"
    assert analyze_text(text)["keywords"] == ["alpha", "beta", "delta", "epsilon", "gamma"]


# -- the key ----------------------------------------------------------------------------------


def test_a_missing_key_is_refused(http: Http) -> None:
    response = analyze(http, None)
    assert response.status_code == 401
    assert response.json() == {"error": "missing_api_key"}


def test_a_wrong_key_is_refused_without_being_echoed(http: Http, key: Key) -> None:
    wrong = secrets.token_urlsafe(32)
    response = analyze(http, wrong)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid_api_key"}
    assert wrong not in response.text
    assert str(key.value) not in response.text


def test_the_key_is_asked_for_on_every_call_so_rotation_applies_at_once(
    http: Http, key: Key
) -> None:
    old = str(key.value)
    assert analyze(http, old).status_code == 200
    key.value = secrets.token_urlsafe(32)
    assert analyze(http, old).status_code == 401
    assert analyze(http, key.value).status_code == 200


def test_with_no_accepted_key_every_key_is_refused(http: Http, key: Key) -> None:
    presented = str(key.value)
    key.value = None
    assert analyze(http, presented).json() == {"error": "invalid_api_key"}


def test_the_key_header_name_is_configurable(served: tuple[Switch, str], key: Key) -> None:
    served[0].app = create_partner_app(accepted_key=key, header_name="Ocp-Apim-Subscription-Key")
    with Http(served[1]) as http:
        assert analyze(http, key.value).status_code == 401
        response = analyze(http, None, **{"Ocp-Apim-Subscription-Key": str(key.value)})
        assert response.status_code == 200
    with pytest.raises(ValueError, match="header_name"):
        create_partner_app(accepted_key=key, header_name="")


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b"{}",
        b'{"text": 3}',
        b'{"text": ""}',
        b'{"text": "ok", "language": 7}',
        b'{"text": "ok", "language": "x"}',
    ],
)
def test_malformed_bodies_are_bad_requests(http: Http, key: Key, body: bytes) -> None:
    headers = {HEADER: str(key.value), "Content-Type": "application/json"}
    response = http.post("/v1/analyze", data=body, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_the_key_is_checked_before_the_body(http: Http) -> None:
    response = http.post("/v1/analyze", data=b"not json", headers={HEADER: "nope"})
    assert response.status_code == 401


# -- idempotency ------------------------------------------------------------------------------


def test_an_idempotency_key_replays_the_first_answer(control: Http, http: Http, key: Key) -> None:
    job = str(uuid.uuid4())
    first = analyze(http, key.value, **{"Idempotency-Key": job})
    again = analyze(http, key.value, **{"Idempotency-Key": job})
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    other = analyze(http, key.value, **{"Idempotency-Key": str(uuid.uuid4())})
    assert other.json()["analysis_id"] != first.json()["analysis_id"]
    unkeyed = [analyze(http, key.value).json()["analysis_id"] for _ in range(2)]
    assert unkeyed[0] != unkeyed[1]
    assert stats(control)["by_idempotency_key"][job] == 2


def test_reusing_an_idempotency_key_for_another_body_is_refused(http: Http, key: Key) -> None:
    job = str(uuid.uuid4())
    assert analyze(http, key.value, {"text": "first"}, **{"Idempotency-Key": job}).ok
    reused = analyze(http, key.value, {"text": "second"}, **{"Idempotency-Key": job})
    assert reused.status_code == 422
    assert reused.json() == {"error": "idempotency_key_reused"}


def test_an_overlong_idempotency_key_is_a_bad_request(http: Http, key: Key) -> None:
    assert analyze(http, key.value, **{"Idempotency-Key": "k" * 256}).status_code == 400


def test_remembered_answers_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(partner_store, "MAX_REMEMBERED_KEYS", 2)
    state = PartnerState()
    for name in ("a", "b", "c"):
        state.remember(name, "fingerprint", {"analysis_id": name})
    assert list(state.answers) == ["b", "c"]


# -- stats, health, logs ----------------------------------------------------------------------


def test_stats_count_outcomes_and_can_be_reset(control: Http, http: Http, key: Key) -> None:
    analyze(http, key.value, **{"Idempotency-Key": "job-1"})
    analyze(http, "wrong", **{"Idempotency-Key": "job-1"})
    analyze(http, None)
    analyze(http, key.value, {"text": ""})
    assert stats(control) == {
        "calls": 4,
        "ok": 1,
        "unauthorized": 2,
        "bad_request": 1,
        "faults": 0,
        "hostile": 0,
        "cookies": 0,
        "aborted": 0,
        "landed": 0,
        "by_idempotency_key": {"job-1": 2},
    }
    assert control.delete("/stats/partner").status_code == 204
    assert stats(control)["calls"] == 0


def test_health(http: Http) -> None:
    assert http.get("/devstack/health").json() == {"status": "ok"}


def test_logs_never_hold_the_key(http: Http, key: Key, caplog: pytest.LogCaptureFixture) -> None:
    wrong = secrets.token_urlsafe(32)

    def partner_log() -> str:
        return "\n".join(r.getMessage() for r in caplog.records if r.name == "devstack.partner")

    with caplog.at_level(logging.DEBUG, logger="devstack.partner"):
        analyze(http, key.value)
        analyze(http, wrong)
        assert wait_for(lambda: "POST /v1/analyze -> 401" in partner_log())
    assert "POST /v1/analyze -> 200" in partner_log()
    assert str(key.value) not in partner_log()
    assert wrong not in partner_log()


def wait_for(condition: Callable[[], bool]) -> bool:
    """Server-side log lines are written just after the response: give them a moment."""
    deadline = time.monotonic() + 5
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.01)
    return condition()
