"""A hostile partner, through the real host, vault and storage: nothing it sends back is kept.

The devstack's partner stub plays each hostile mode on cue (``PUT /devstack/faults/partner``,
:mod:`devstack.partner.hostile`; tests/unit/devstack/partner/test_hostile.py proves each mode
really echoes, trickles, floods or redirects against a careless client). For each, a job is
submitted and the test asserts the answer's status and code, that no job state or queue
message was written, and that the key is not in the answer. One test plays every answer
that echoes the key and then runs the leak canary over everything the stack holds at that
point (logs with the host's stdout and stderr, state files, every recorded response, queues,
blobs); the session's canary runs it again at the end.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.runner import RunningStack
from tests.support import canary
from tests.support.footprint import Footprint
from tests.support.jobsapi import Api
from tests.support.waiting import eventually

#: The hostile answers that carry the key (devstack/partner/hostile.py).
ECHOES = ("echo_field", "echo_nested", "echo_header", "echo_cookie")


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Api:
    return Api(stack)


@pytest.fixture
def hostile(stack: RunningStack, api: Api) -> Iterator[Any]:
    """Set one hostile answer for the partner's next call; the plan is cleared afterwards.

    A strike is decided when a call arrives, before the key is checked: a job first makes
    sure the app holds the current key (an earlier test may have rotated it), so the struck
    call is not one the partner refuses with 401 before the app retries with a fresh key.
    """
    url = stack.control("faults/partner")

    def next_answer(mode: str) -> None:
        assert api.submit({"text": "the app holds the current key"}).status_code == 202
        requests.put(url, json={"mode": mode, "count": 1}, timeout=10).raise_for_status()

    yield next_answer
    requests.delete(url, timeout=10)


def counters(stack: RunningStack) -> dict[str, int]:
    stats = stack.stats("partner")
    return {name: int(stats[name]) for name in ("hostile", "cookies", "aborted", "landed")}


def submit_refused(api: Api, stack: RunningStack, status: int, code: str) -> requests.Response:
    """Submit one job; it must be refused with ``status``/``code``, leaving no job behind."""
    before = Footprint.of(stack)
    response = api.submit({"text": "a good day for a hostile partner"}, key=str(uuid.uuid4()))
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    after = Footprint.of(stack)
    assert after.job_blobs == before.job_blobs, "a job was written from a refused answer"
    assert after.partner_calls == before.partner_calls + 1  # one call, no retry of a 2xx
    said = {"answer": response.text, "headers": str(response.headers)}
    assert canary.leaks(canary.partner_keys(stack), said) == []
    return response


@pytest.mark.parametrize("mode", ECHOES)
def test_an_answer_echoing_the_key_is_refused_and_nothing_is_kept(
    api: Api, stack: RunningStack, hostile: Any, mode: str
) -> None:
    """``echo_nested`` keeps every used field valid: only the check for registered secrets
    refuses it (the allow-list alone would have dropped ``debug`` and stored the rest)."""
    before = counters(stack)
    hostile(mode)
    submit_refused(api, stack, 502, "partner_answer_invalid")
    assert counters(stack)["hostile"] == before["hostile"] + 1


@pytest.mark.parametrize("mode", ["echo_cookie", "set_cookie"])
def test_a_partner_cookie_is_never_sent_back_and_breaks_no_later_job(
    api: Api, stack: RunningStack, hostile: Any, mode: str
) -> None:
    before = counters(stack)
    hostile(mode)
    first = api.submit({"text": "the partner sets a cookie"})
    assert first.status_code == (502 if mode == "echo_cookie" else 202), first.text
    for _ in range(3):
        later = api.submit({"text": "a later job, after the cookie"})
        assert later.status_code == 202, later.text
    assert counters(stack)["cookies"] == before["cookies"]
    api.wait_for(later.json()["id"], "completed")


def test_a_trickled_answer_is_cut_at_the_deadline(
    api: Api, stack: RunningStack, hostile: Any
) -> None:
    before = counters(stack)
    hostile("trickle")
    submit_refused(api, stack, 503, "dependency_unavailable")
    eventually(lambda: counters(stack)["aborted"] > before["aborted"], timeout=60)


def test_a_huge_answer_stops_being_read_at_its_limit(
    api: Api, stack: RunningStack, hostile: Any
) -> None:
    before = counters(stack)
    hostile("huge")
    submit_refused(api, stack, 502, "partner_answer_invalid")
    eventually(lambda: counters(stack)["aborted"] > before["aborted"], timeout=60)


def test_a_redirect_is_not_followed(api: Api, stack: RunningStack, hostile: Any) -> None:
    before = counters(stack)
    hostile("redirect")
    submit_refused(api, stack, 502, "partner_refused")
    assert counters(stack)["landed"] == before["landed"]


def test_a_non_json_answer_is_refused(api: Api, stack: RunningStack, hostile: Any) -> None:
    hostile("not_json")
    submit_refused(api, stack, 502, "partner_answer_invalid")


def test_after_every_answer_echoing_the_key_the_key_is_nowhere(
    api: Api, stack: RunningStack, hostile: Any
) -> None:
    """Each answer that carries the key, played here (whatever ran before), then the leak
    canary, now: logs (the host's stdout and stderr included), state files, every response
    recorded in the session so far, queue messages and blobs."""
    for mode in ECHOES:
        hostile(mode)
        refused = api.submit({"text": f"the partner answers with {mode}"})
        assert refused.status_code == 502, refused.text
    searched = canary.outputs(stack, canary.RESPONSES)
    assert any(name.startswith("HTTP response") for name in searched)
    assert canary.leaks(canary.partner_keys(stack), searched) == []
