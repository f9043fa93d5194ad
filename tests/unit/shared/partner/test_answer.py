"""The partner's analysis, kept by closed sets: nothing the partner wrote is stored as it wrote it.

Answers are generated from a seeded RNG (the seed is in each assertion message): valid ones
must come back as exactly the kept fields, each one of the app's own values; each field
spoiled in turn (another type, another value, a key-like value, an oversized value) must
refuse the whole answer, naming the field and never quoting the value. The partner's own
identifiers and counts are never kept, whatever they hold.
"""

from __future__ import annotations

import json
import random
import string
import uuid
from collections.abc import Callable

import azure.functions as func
import pytest

from blueprints.http.errors import BadRequest
from blueprints.jobs import job_body
from devstack.partner.hostile import smuggled
from shared.outbound import PartnerAnswerError
from shared.partner import ANALYSIS_FIELDS, DETECTED_LANGUAGES, analysis_from
from tests.support.partner_answers import SEED, key_like, valid_answer

JSON = {"Content-Type": "application/json"}
ASKED = ["en", "nl", "pt-BR", "zh-Hant", "de-CH", None]


def test_valid_answers_keep_exactly_the_app_s_own_values() -> None:
    rng = random.Random(SEED)
    for sample in range(500):
        asked = rng.choice(ASKED)
        answer = valid_answer(rng, asked)
        kept = analysis_from(answer, requested_language=asked)
        where = f"seed={SEED} sample={sample}"
        assert tuple(kept) == ANALYSIS_FIELDS, where
        if asked is not None:
            assert kept["language"] == (asked if answer["language"] is not None else None), where
        else:
            assert kept["language"] in (*DETECTED_LANGUAGES, None), where
        assert kept["sentiment"] == answer["sentiment"], where


def test_the_partner_s_identifiers_and_counts_are_never_kept() -> None:
    """``analysis_id`` is 122 free bits: not stored, not served, whatever it holds (the
    job's own id names the analysis)."""
    rng = random.Random(SEED)
    answer = valid_answer(rng, "en")
    kept = analysis_from(answer, requested_language="en")
    assert set(kept) == {"language", "sentiment"}
    assert answer["analysis_id"] not in json.dumps(kept)


def test_the_kept_language_is_the_tag_the_job_sent_not_the_partner_s_spelling() -> None:
    """Letter case is a channel too: the partner's ``PT-br`` is checked, the job's ``pt-BR``
    is kept."""
    assert analysis_from({"language": "PT-br"}, requested_language="pt-BR")["language"] == "pt-BR"
    assert analysis_from({"language": "EN"}, requested_language=None)["language"] == "en"


def test_every_language_a_job_may_ask_for_passes_when_echoed() -> None:
    """The request's rule (blueprints/jobs.py, job_body): 2-8 characters, ASCII letters and
    hyphens, at least one letter. The partner stub echoes it; so may a real partner."""
    rng = random.Random(SEED)
    accepted = 0
    for sample in range(2000):
        tag = "".join(
            rng.choices(string.ascii_letters + string.digits + "-_ ", k=rng.randint(1, 9))
        )
        body = json.dumps({"text": "x", "language": tag}).encode()
        request = func.HttpRequest("POST", "/api/jobs", headers=JSON, body=body)
        try:
            asked = job_body(request)["language"]
        except BadRequest:
            continue
        accepted += 1
        kept = analysis_from({"language": asked}, requested_language=asked)
        assert kept["language"] == asked, f"seed={SEED} sample={sample}"
    assert accepted > 200, "too few tags the request accepts: the draw proves little"


def test_an_absent_field_is_kept_as_none() -> None:
    assert analysis_from({"analysis_id": str(uuid.uuid4())}, requested_language="en") == {
        "language": None,
        "sentiment": None,
    }


Spoiler = Callable[[random.Random, str | None], object]
SPOILERS: dict[str, list[Spoiler]] = {
    "language": [
        lambda rng, asked: 7,
        lambda rng, asked: ["en"],
        lambda rng, asked: key_like(rng),
        lambda rng, asked: "fr" if asked else "xx",  # a real tag not asked; a tag not in the set
        lambda rng, asked: b"key-part".hex(),  # hex: a tag's shape, not a tag of the set
        lambda rng, asked: "x-" + key_like(rng)[:30],
        lambda rng, asked: (asked or "en") + " ",
        lambda rng, asked: (asked or "en") + "-" + "ab" * 10,
    ],
    "sentiment": [
        lambda rng, asked: True,
        lambda rng, asked: "Positive",
        lambda rng, asked: "mixed",
        lambda rng, asked: key_like(rng),
        lambda rng, asked: {"label": "positive"},
    ],
}


@pytest.mark.parametrize("asked", ["en", "pt-BR", None])
@pytest.mark.parametrize(
    ("field", "index"),
    [(field, index) for field, spoilers in SPOILERS.items() for index in range(len(spoilers))],
)
def test_a_field_outside_its_set_refuses_the_answer(
    field: str, index: int, asked: str | None
) -> None:
    rng = random.Random(f"{SEED}-{field}-{index}-{asked}")
    answer = valid_answer(rng, asked)
    answer[field] = SPOILERS[field][index](rng, asked)
    with pytest.raises(PartnerAnswerError, match=f"invalid '{field}'") as raised:
        analysis_from(answer, requested_language=asked)
    spoiled = answer[field]
    if isinstance(spoiled, str) and len(spoiled.strip()) >= 8:
        assert spoiled.strip()[:8] not in str(raised.value)


@pytest.mark.parametrize("answer", [None, [], "text", 3, [{"analysis_id": "x"}]])
def test_an_answer_that_is_not_an_object_is_refused(answer: object) -> None:
    with pytest.raises(PartnerAnswerError, match="not a JSON object"):
        analysis_from(answer, requested_language=None)


@pytest.mark.parametrize("asked", ["en", "pt-BR", None])
def test_a_key_spread_over_every_field_keeps_nothing_of_it(asked: str | None) -> None:
    """The hostile partner's ``smuggle_echo`` (devstack/partner/hostile.py): hex, a UUID of the
    key's bytes, numbers, base32 keywords, base64 reversed, a sentiment it picks. What is kept
    is the job's own language and one of three words: nothing else it sent."""
    key = key_like(random.Random(SEED))
    base = {"language": asked or "en", "sentiment": "neutral", "word_count": 3}
    answer = smuggled(key, base, echo_language=True)
    kept = analysis_from(answer, requested_language=asked)
    assert kept == {"language": asked or "en", "sentiment": answer["sentiment"]}
    pieces = [str(v) for k, v in answer.items() if k not in ("language", "sentiment")]
    assert all(piece not in json.dumps(kept) for piece in pieces)
    with pytest.raises(PartnerAnswerError, match="invalid 'language'"):
        analysis_from(smuggled(key, base, echo_language=False), requested_language=asked)
