"""The partner API stub over real HTTP: the key check, idempotency, faults and stats.

One uvicorn server per module (``reset`` can only be proven by a real server); each test
plugs a freshly built app into it and talks to it with ``requests``.
"""

from __future__ import annotations

import logging
import secrets
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from devstack.control import create_control_app
from devstack.partner import store as partner_store
from devstack.partner.analysis import analyze_text
from devstack.partner.api import create_partner_app
from devstack.partner.store import PartnerState
from tests.support.servers import BaseUrlSession, Switch, switched

HEADER = "X-Api-Key"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Switch, str]]:
    with switched(log_level="critical") as served:
        yield served


Http = BaseUrlSession


class Key:
    """The vault's current value of the partner secret, as ``accepted_key`` sees it."""

    def __init__(self) -> None:
        self.value: str | None = secrets.token_urlsafe(32)

    def __call__(self) -> str | None:
        return self.value


@pytest.fixture
def key() -> Key:
    return Key()


@pytest.fixture
def http(served: tuple[Switch, str], key: Key) -> Iterator[Http]:
    served[0].app = create_partner_app(accepted_key=key)
    with Http(served[1]) as session:
        yield session


def analyze(http: Http, key: str | None, body: Any = None, **headers: str) -> Any:
    if key is not None:
        headers[HEADER] = key
    return http.post("/v1/analyze", json=body or {"text": "a good day"}, headers=headers)


@pytest.fixture(scope="module")
def control_served() -> Iterator[tuple[Switch, str]]:
    with switched(log_level="critical") as served:
        yield served


@pytest.fixture
def control(
    served: tuple[Switch, str], control_served: tuple[Switch, str], http: Http
) -> Iterator[Http]:
    """The control plane over the partner app ``http`` talks to (faults and stats)."""
    partner = served[0].app
    control_served[0].app = create_control_app(
        faults={"partner": partner.faults}, counters={"partner": partner.counters}
    )
    with Http(control_served[1] + "/devstack") as session:
        yield session


def stats(control: Http) -> dict[str, Any]:
    result: dict[str, Any] = control.get("/stats/partner").json()
    return result


def set_fault(control: Http, **plan: Any) -> dict[str, Any]:
    response = control.put("/faults/partner", json=plan)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


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


# -- faults -----------------------------------------------------------------------------------


def test_a_status_fault_hits_the_next_n_calls_then_clears(
    control: Http, http: Http, key: Key
) -> None:
    plan = set_fault(control, mode="status", status=503, count=2, retry_after=7)
    assert plan["fault"]["mode"] == "status"
    for _ in range(2):
        response = analyze(http, key.value)
        assert response.status_code == 503
        assert response.headers["Retry-After"] == "7"
        assert response.json() == {"error": "injected_fault", "status": 503}
    assert analyze(http, key.value).status_code == 200
    assert control.get("/faults/partner").json() == {"fault": None}
    assert stats(control) | {"by_idempotency_key": {}} == {
        "calls": 3,
        "ok": 1,
        "unauthorized": 0,
        "bad_request": 0,
        "faults": 2,
        "by_idempotency_key": {},
    }


def test_faults_strike_before_the_key_is_checked(control: Http, http: Http) -> None:
    set_fault(control, mode="status", status=429)
    response = analyze(http, "wrong")
    assert response.status_code == 429
    assert "Retry-After" not in response.headers


def test_a_seeded_rate_gives_a_repeatable_pattern(control: Http, http: Http, key: Key) -> None:
    def pattern() -> list[int]:
        set_fault(control, mode="status", status=500, rate=0.5, seed=20240601, count=12)
        return [analyze(http, key.value).status_code for _ in range(12)]

    first = pattern()
    assert pattern() == first
    assert 0 < first.count(500) < 12
    assert set(first) == {200, 500}


def test_a_zero_rate_never_strikes(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode="status", rate=0)
    assert {analyze(http, key.value).status_code for _ in range(5)} == {200}


def test_a_timeout_fault_answers_504_late(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode="timeout", latency_ms=200)
    started = time.monotonic()
    response = analyze(http, key.value)
    assert time.monotonic() - started >= 0.2
    assert response.status_code == 504
    assert response.json() == {"error": "upstream_timeout"}


def test_a_slow_fault_answers_normally_but_late(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode="slow", latency_ms=200, count=1)
    started = time.monotonic()
    assert analyze(http, key.value).status_code == 200
    assert time.monotonic() - started >= 0.2
    set_fault(control, mode="slow", latency_ms=600, count=1)
    with pytest.raises(requests.exceptions.Timeout):
        analyze_with_timeout(http, key, 0.2)


def analyze_with_timeout(http: Http, key: Key, timeout: float) -> Any:
    return http.post(
        "/v1/analyze", json={"text": "x y"}, headers={HEADER: str(key.value)}, timeout=timeout
    )


def test_a_reset_fault_closes_the_connection_without_an_answer(
    control: Http, http: Http, key: Key
) -> None:
    set_fault(control, mode="reset", count=1)
    # The client sees the close either as an empty answer or as a reset, by timing.
    with pytest.raises(
        requests.exceptions.ConnectionError, match=r"without response|reset by peer"
    ):
        analyze(http, key.value)
    assert analyze(http, key.value).status_code == 200
    assert stats(control)["faults"] == 1


@pytest.mark.parametrize(
    "plan",
    [
        {"mode": "explode"},
        {},
        {"mode": "status", "rate": 1.5},
        {"mode": "status", "rate": "half"},
        {"mode": "status", "status": 200},
        {"mode": "status", "status": True},
        {"mode": "status", "count": 0},
        {"mode": "timeout", "latency_ms": -1},
        {"mode": "status", "retry_after": -5},
        {"mode": "status", "surprise": 1},
    ],
)
def test_invalid_fault_plans_are_refused(control: Http, http: Http, plan: dict[str, Any]) -> None:
    response = control.put("/faults/partner", json=plan)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_fault"
    assert control.get("/faults/partner").json() == {"fault": None}


def test_faults_can_be_read_and_cleared(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode="status", status=502, seed=7)
    assert control.get("/faults/partner").json()["fault"]["status"] == 502
    assert control.delete("/faults/partner").status_code == 204
    assert control.get("/faults/partner").json() == {"fault": None}
    assert analyze(http, key.value).status_code == 200


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


def test_a_mixed_plan_answers_errors_and_slow_calls(control: Http, http: Http, key: Key) -> None:
    set_fault(control, mode=["status", "slow"], latency_ms=300, seed=5, count=20)
    outcomes = []
    for _ in range(20):
        started = time.monotonic()
        status = analyze(http, key.value).status_code
        outcomes.append((status, time.monotonic() - started >= 0.3))
    assert (503, True) in outcomes  # an error, delayed
    assert (200, True) in outcomes  # slow but answered
    assert stats(control)["faults"] == sum(1 for _, late in outcomes if late)


def test_a_slow_call_the_caller_gave_up_on_is_still_done_and_replayed(
    control: Http, http: Http, key: Key
) -> None:
    job = str(uuid.uuid4())
    set_fault(control, mode="slow", latency_ms=400, count=1)
    with pytest.raises(requests.exceptions.Timeout):
        http.post(
            "/v1/analyze",
            json={"text": "late but done"},
            headers={HEADER: str(key.value), "Idempotency-Key": job},
            timeout=0.1,
        )
    time.sleep(0.5)  # the partner finishes the call after the caller left
    retried = analyze(http, key.value, {"text": "late but done"}, **{"Idempotency-Key": job})
    assert retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
