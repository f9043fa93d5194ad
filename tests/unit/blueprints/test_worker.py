"""The worker's computation: the partner's analysis enters a result by its kept fields only."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from blueprints.worker import InvalidJobError, compute_result
from shared.jobs import QUEUED, JobRecord, now
from tests.support.partner_answers import SEED, key_like, valid_answer


def _record(analysis: dict[str, Any], language: str | None = None) -> JobRecord:
    body: dict[str, Any] = {"text": "a good day"}
    if language:
        body["language"] = language
    return JobRecord(
        id=str(uuid.uuid4()),
        owner="caller",
        status=QUEUED,
        input=body,
        request_hash="0" * 64,
        created=now(),
        updated=now(),
        analysis=analysis,
    )


def test_the_worker_keeps_only_the_kept_fields_of_a_stored_analysis() -> None:
    """A job stored before the closed sets may hold the partner's whole answer, its
    ``analysis_id`` included: none of it reaches the result."""
    stored = {**valid_answer(random.Random(SEED), "pt-BR"), "language": "PT-BR"}
    record = _record(stored, "pt-BR")
    result = compute_result(record)
    assert result["job_id"] == record.id
    assert result["language"] == "pt-BR"
    assert result["sentiment"] == stored["sentiment"]
    assert not {"analysis_id", "debug", "keywords"} & set(result)
    assert stored["analysis_id"] not in str(result)


def test_the_worker_refuses_a_stored_analysis_outside_the_sets() -> None:
    stored = {**valid_answer(random.Random(SEED)), "language": key_like(random.Random(SEED))}
    with pytest.raises(InvalidJobError, match="invalid 'language'") as raised:
        compute_result(_record(stored))
    assert stored["language"] not in str(raised.value)


def test_the_worker_refuses_a_stored_language_the_job_did_not_ask_for() -> None:
    stored = {**valid_answer(random.Random(SEED), "en"), "language": "nl"}
    with pytest.raises(InvalidJobError, match="invalid 'language'"):
        compute_result(_record(stored, "en"))
