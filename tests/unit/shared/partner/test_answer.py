"""The partner's analysis, kept by allow-list: three fields in narrow formats, nothing else.

Answers are generated from a seeded RNG (the seed is in each assertion message): valid ones
must come back as exactly their allowed fields; each field spoiled in turn (another type,
another shape, a key-like value, an oversized value) must refuse the whole answer, naming
the field and never quoting the value.
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
from shared.outbound import PartnerAnswerError
from shared.partner import ANALYSIS_FIELDS, analysis_from
from tests.support.partner_answers import SEED, key_like, valid_answer

JSON = {"Content-Type": "application/json"}


def test_valid_answers_keep_exactly_the_allowed_fields() -> None:
    rng = random.Random(SEED)
    for sample in range(500):
        answer = valid_answer(rng)
        kept = analysis_from(answer)
        assert tuple(kept) == ANALYSIS_FIELDS, f"seed={SEED} sample={sample}"
        assert kept == {field: answer[field] for field in ANALYSIS_FIELDS}


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
        answer = {"analysis_id": str(uuid.uuid4()), "language": asked}
        assert analysis_from(answer)["language"] == asked, f"seed={SEED} sample={sample}"
    assert accepted > 200, "too few tags the request accepts: the draw proves little"


def test_an_absent_optional_field_is_kept_as_none() -> None:
    answer_id = str(uuid.uuid4())
    assert analysis_from({"analysis_id": answer_id}) == {
        "analysis_id": answer_id,
        "language": None,
        "sentiment": None,
    }


Spoiler = Callable[[random.Random], object]
SPOILERS: dict[str, list[Spoiler]] = {
    "analysis_id": [
        lambda rng: None,
        lambda rng: 42,
        lambda rng: key_like(rng),
        lambda rng: str(uuid.uuid4()).replace("-", ""),
        lambda rng: "{" + str(uuid.uuid4()) + "}",
        lambda rng: "urn:uuid:" + str(uuid.uuid4()),
        lambda rng: str(uuid.uuid4()) + "\n",
        lambda rng: str(uuid.uuid4()) + "x" * 10_000,
    ],
    "language": [
        lambda rng: 7,
        lambda rng: ["en"],
        lambda rng: key_like(rng),
        lambda rng: "e",
        lambda rng: "--",
        lambda rng: "12-34",
        lambda rng: "en US",
        lambda rng: "en_US",
        lambda rng: "en-" + "-".join(["ab"] * 20),
    ],
    "sentiment": [
        lambda rng: True,
        lambda rng: "Positive",
        lambda rng: "mixed",
        lambda rng: key_like(rng),
        lambda rng: {"label": "positive"},
    ],
}


@pytest.mark.parametrize(
    ("field", "index"),
    [(field, index) for field, spoilers in SPOILERS.items() for index in range(len(spoilers))],
)
def test_a_field_outside_its_format_refuses_the_answer(field: str, index: int) -> None:
    rng = random.Random(f"{SEED}-{field}-{index}")
    answer = valid_answer(rng)
    answer[field] = SPOILERS[field][index](rng)
    with pytest.raises(PartnerAnswerError, match=f"invalid '{field}'") as raised:
        analysis_from(answer)
    spoiled = answer[field]
    if isinstance(spoiled, str) and len(spoiled.strip()) >= 8:
        assert spoiled.strip()[:8] not in str(raised.value)


@pytest.mark.parametrize("answer", [None, [], "text", 3, [{"analysis_id": "x"}]])
def test_an_answer_that_is_not_an_object_is_refused(answer: object) -> None:
    with pytest.raises(PartnerAnswerError, match="not a JSON object"):
        analysis_from(answer)
