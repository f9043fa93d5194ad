"""The partner stub's faults, over real HTTP: status, timeout, slow and reset, by count, rate
and window, struck before the key is checked."""

import uuid
from typing import Any

import pytest
import requests

from tests.support.waiting import eventually
from tests.unit.devstack.partner.partnerhttp import HEADER, Http, Key, analyze, set_fault, stats


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
        "hostile": 0,
        "cookies": 0,
        "aborted": 0,
        "landed": 0,
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


def test_a_timeout_fault_answers_504_late(
    control: Http, http: Http, key: Key, delays: list[float]
) -> None:
    set_fault(control, mode="timeout", latency_ms=200)
    response = analyze(http, key.value)
    assert response.status_code == 504
    assert response.json() == {"error": "upstream_timeout"}
    assert delays == [0.2]


def test_a_slow_fault_answers_normally_but_late(
    control: Http, http: Http, key: Key, delays: list[float]
) -> None:
    set_fault(control, mode="slow", latency_ms=200, count=1)
    assert analyze(http, key.value).status_code == 200
    assert delays == [0.2]
    assert analyze(http, key.value).status_code == 200  # the plan counted down: not delayed
    assert delays == [0.2]


def test_a_caller_that_waits_less_than_a_slow_answer_times_out(
    control: Http, http: Http, key: Key
) -> None:
    set_fault(control, mode="slow", latency_ms=2000, count=1)
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


def test_a_mixed_plan_answers_errors_and_slow_calls(
    control: Http, http: Http, key: Key, delays: list[float]
) -> None:
    set_fault(control, mode=["status", "slow"], latency_ms=300, seed=5, count=20)
    statuses = [analyze(http, key.value).status_code for _ in range(20)]
    assert set(statuses) == {503, 200}  # errors, and slow calls answered
    assert delays == [0.3] * 20  # every struck call waited, the errors too
    assert stats(control)["faults"] == 20


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
    # The partner finishes the call after the caller left, and counts it answered.
    eventually(lambda: stats(control)["ok"] == 1, timeout=10)
    retried = analyze(http, key.value, {"text": "late but done"}, **{"Idempotency-Key": job})
    assert retried.status_code == 200
    assert retried.headers["Idempotent-Replayed"] == "true"
