"""A hostile partner, through the real host, vault and storage: nothing it sends back is kept.

The devstack's partner stub plays each hostile mode on cue (``PUT /devstack/faults/partner``,
:mod:`devstack.partner.hostile`; tests/unit/devstack/partner/test_hostile.py proves each mode
really echoes, trickles, floods or redirects against a careless client). For each, a job is
submitted and the test asserts the answer's status and code, that no job state or queue
message was written, and that the key is not in the answer. One test plays every answer
that echoes the key and then runs the leak canary over everything the stack holds at that
point (logs with the host's stdout and stderr, state files and the app's spans among them,
every recorded response, queues, blobs); the session's canary runs it again at the end.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.partner.hostile import smuggled
from devstack.runner import RunningStack
from tests.support import canary
from tests.support.footprint import Footprint
from tests.support.jobsapi import Api
from tests.support.waiting import eventually

#: The hostile answers that carry the key, whole or in pieces (devstack/partner/hostile.py).
ECHOES = ("echo_field", "echo_nested", "echo_header", "echo_cookie", "smuggle")


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
    refuses it (the allow-list alone would have dropped ``debug`` and stored the rest).
    ``smuggle`` holds no registered form of the key, only pieces of it: its ``language`` is
    not the one the job asked for, which refuses it."""
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


def smuggled_pieces(stack: RunningStack) -> set[str]:
    """Every piece ``smuggle_echo`` would send for any key the stack ever held, as it would be
    written: 12 characters or more each (the numbers have 14 digits or more, the keywords
    are looked for as the list), so ordinary text cannot hold one by chance."""
    pieces: set[str] = set()
    for key in canary.partner_keys(stack):
        answer = smuggled(key, {"language": "en"}, echo_language=True)
        pieces |= {answer["analysis_id"], answer["request_id"], json.dumps(answer["keywords"])}
        pieces |= {str(answer["word_count"]), str(answer["characters"])}
    return {piece for piece in pieces if len(piece) >= 12}


@pytest.mark.parametrize("asked", ["pt-BR", None])
def test_a_key_spread_over_every_field_is_kept_nowhere(
    api: Api, stack: RunningStack, hostile: Any, asked: str | None
) -> None:
    """``smuggle_echo`` answers with the right language and the key in pieces everywhere
    else (devstack/partner/hostile.py). The job completes; its result holds the job's own
    language and one of three sentiments, and no piece is in anything the stack wrote."""
    hostile("smuggle_echo")
    body = {"text": "a good day for a hostile partner", **({"language": asked} if asked else {})}
    response = api.submit(body)
    assert response.status_code == 202, response.text
    result = api.wait_for(response.json()["id"], "completed")["result"]
    assert result["language"] == (asked or "en")  # the stub reports "en" when none is asked
    assert result["sentiment"] in ("positive", "negative", "neutral")
    assert "analysis_id" not in result
    canary.settled_spans(stack)  # the job's spans are exported, then searched too
    pieces = smuggled_pieces(stack)
    # Three pieces per key always reach 12 characters (the id, the request id, the keywords);
    # the two numbers do unless their leading bytes happen to be small.
    assert len(pieces) >= 3 * len(canary.partner_keys(stack))
    searched = canary.outputs(stack, canary.RESPONSES)
    assert [name for name, text in searched.items() if any(p in text for p in pieces)] == []


def test_after_every_answer_echoing_the_key_the_key_is_nowhere(
    api: Api, stack: RunningStack, hostile: Any
) -> None:
    """Each answer that carries the key, played here (whatever ran before), then the leak
    canary, now: logs (the host's stdout and stderr included), state files, every response
    recorded in the session so far, the app's spans, queue messages and blobs."""
    for mode in ECHOES:
        hostile(mode)
        refused = api.submit({"text": f"the partner answers with {mode}"})
        assert refused.status_code == 502, refused.text
    canary.settled_spans(stack)  # the refused calls' spans are exported, then searched
    searched = canary.outputs(stack, canary.RESPONSES)
    assert any(name.startswith("HTTP response") for name in searched)
    assert str(canary.spans_file(stack)) in searched  # the export requests, as kept
    spans = json.loads(searched[canary.DECODED_SPANS])  # and their spans, decoded
    calls = [span for span in spans if span["name"] == "partner POST"]
    assert any(span["status"] == "error" for span in calls)  # the hostile answers' calls
    assert canary.leaks(canary.partner_keys(stack), searched) == []
