"""``python -m devstack trace``: the waterfall, the spans as JSON, and one-line refusals."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from devstack.__main__ import main
from devstack.traces.store import store_at
from tests.support.otlp_requests import request_bytes
from tests.unit.devstack.traces.spans import job_trace

FIELDS = {"trace_id", "span_id", "parent_id", "name", "start", "end", "status", "attributes"}


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / ".devstack"


def test_the_waterfall_and_the_json(state: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = str(uuid.uuid4())
    store_at(state).append_request(request_bytes(job_trace(job)))
    assert main(["--state-dir", str(state), "trace", job]) == 0
    text = capsys.readouterr().out
    assert "POST /api/jobs" in text
    assert "process jobs" in text
    assert "6 spans over 400.0 ms" in text
    assert main(["--state-dir", str(state), "trace", job, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["job_id"] == job
    assert len(document["spans"]) == 6
    assert all(set(span) >= FIELDS for span in document["spans"])


def test_a_bad_id_and_a_missing_trace_say_so_in_one_line(
    state: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["--state-dir", str(state), "trace", "nope"]) == 2
    assert "is not a job id" in capsys.readouterr().err
    job = str(uuid.uuid4())
    assert main(["--state-dir", str(state), "trace", job]) == 1
    error = capsys.readouterr().err
    assert "no spans under" in error
    assert len(error.strip().splitlines()) == 1
    store_at(state).append_request(request_bytes(job_trace(str(uuid.uuid4()))))
    assert main(["--state-dir", str(state), "trace", job]) == 1
    error = capsys.readouterr().err
    assert f"no span of job {job}" in error
    assert len(error.strip().splitlines()) == 1
