"""The worker's computation: the partner's analysis enters a result by its allowed fields only."""

from __future__ import annotations

import random
import uuid
from typing import Any

import pytest

from blueprints.worker import InvalidJobError, compute_result
from shared.jobs import QUEUED, JobRecord
from tests.support.partner_answers import SEED, key_like, valid_answer


def _record(analysis: dict[str, Any]) -> JobRecord:
    return JobRecord(
        id=str(uuid.uuid4()),
        owner="caller",
        status=QUEUED,
        input={"text": "a good day"},
        request_hash="0" * 64,
        analysis=analysis,
    )


def test_the_worker_keeps_only_the_allowed_fields_of_a_stored_analysis() -> None:
    """A job stored before the allow-list may hold the partner's whole answer."""
    stored = valid_answer(random.Random(SEED))
    result = compute_result(_record(stored))
    assert result["analysis_id"] == stored["analysis_id"]
    assert "debug" not in result
    assert "keywords" not in result


def test_the_worker_refuses_a_stored_analysis_outside_the_allow_list() -> None:
    stored = {**valid_answer(random.Random(SEED)), "language": key_like(random.Random(SEED))}
    with pytest.raises(InvalidJobError, match="invalid 'language'") as raised:
        compute_result(_record(stored))
    assert stored["language"] not in str(raised.value)
