"""The product's flow end to end, through the devstack host and real HTTP.

POST /api/jobs -> Key Vault -> partner -> job state -> queue -> worker -> result blob.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from azure.keyvault.secrets import SecretClient
from azure.storage.queue import TextBase64EncodePolicy

from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential
from tests.support.jobsapi import Api

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module")
def api(stack: RunningStack) -> Api:
    return Api(stack)


@pytest.fixture
def partner_faults(stack: RunningStack) -> Iterator[Any]:
    url = stack.control("faults/partner")

    def set_faults(**plan: Any) -> None:
        requests.put(url, json=plan, timeout=10).raise_for_status()

    yield set_faults
    requests.delete(url, timeout=10)


def test_submit_to_completed_with_result(api: Api, stack: RunningStack) -> None:
    text = "The quick brown fox jumps over the lazy dog. The dog sleeps."
    response = api.submit({"text": text, "language": "en"})
    assert response.status_code == 202, response.text
    job = response.json()
    assert response.headers["Location"] == f"/api/jobs/{job['id']}"
    assert job["status"] == "queued"
    done = api.wait_for(job["id"], "completed")
    result = done["result"]
    assert result["job_id"] == job["id"]
    assert result["word_count"] == 12
    assert result["top_words"][0] == "the"
    assert result["language"] == "en"
    blobs = stack.blob_service()
    stored = json.loads(
        blobs.get_blob_client("results", f"{job['id']}.json").download_blob().readall()
    )
    assert stored["analysis_id"] == result["analysis_id"]


def test_idempotent_resubmission(api: Api, stack: RunningStack) -> None:
    key = f"idem-{uuid.uuid4()}"
    body = {"text": "same request twice"}
    first = api.submit(body, key=key)
    second = api.submit(body, key=key)
    assert first.status_code == second.status_code == 202
    job_id = first.json()["id"]
    assert second.json()["id"] == job_id
    assert stack.stats("partner")["by_idempotency_key"].get(job_id) == 1
    done = api.wait_for(job_id, "completed")
    assert done["result"]["job_id"] == job_id
    conflict = api.submit({"text": "a different body"}, key=key)
    assert conflict.status_code == 409
    assert conflict.json()["error"]["target"] == "Idempotency-Key"


@pytest.mark.parametrize(
    ("body", "status", "code", "target"),
    [
        (b"{not json", 400, "invalid_json", None),
        (b"\xff\xfe", 400, "invalid_encoding", None),
        ({"language": "en"}, 400, "invalid_field", "text"),
        ({"text": 42}, 400, "invalid_field", "text"),
        ({"text": "ok", "priority": "high"}, 400, "unknown_field", "priority"),
        ({"text": "ok", "language": "english!"}, 400, "invalid_field", "language"),
        (["text"], 400, "invalid_body", None),
        ({"text": "x" * (70 * 1024)}, 413, "payload_too_large", None),
    ],
)
def test_bad_bodies_get_a_named_4xx(
    api: Api, body: Any, status: int, code: str, target: str | None
) -> None:
    response = api.submit(body)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert error.get("target") == target


def test_non_json_content_type_is_415(api: Api) -> None:
    response = api.submit(b"text=hello", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415


def test_missing_role_is_403_and_no_token_401(api: Api) -> None:
    forbidden = api.submit({"text": "hi"}, roles=("Posture.Read",))
    assert forbidden.status_code == 403
    assert forbidden.json()["error"]["code"] == "forbidden"
    anonymous = requests.post(f"{api.base}/jobs", json={"text": "hi"}, timeout=10)
    assert anonymous.status_code == 401


def test_unknown_and_foreign_jobs_are_404(api: Api) -> None:
    assert api.job(str(uuid.uuid4())).status_code == 404
    assert api.job("not-a-uuid").status_code == 404
    owner = str(uuid.uuid4())
    created = api.submit({"text": "mine"}, object_id=owner)
    assert created.status_code == 202
    job_id = created.json()["id"]
    assert api.job(job_id, object_id=owner).status_code == 200
    assert api.job(job_id, object_id=str(uuid.uuid4())).status_code == 404


def test_key_rotation_needs_one_401_and_one_refetch(api: Api, stack: RunningStack) -> None:
    warm = api.submit({"text": "warm the key cache"})
    assert warm.status_code == 202
    name = stack.endpoints["partner_secret_name"]
    with stack.as_app():
        vault = SecretClient(stack.endpoints["vault"], IssuerCredential(stack.issuer()))
        vault.set_secret(name, secrets.token_urlsafe(32))
    partner_before = stack.stats("partner")
    response = api.submit({"text": "after rotation"})
    assert response.status_code == 202, response.text
    partner_after = stack.stats("partner")
    assert partner_after["unauthorized"] - partner_before["unauthorized"] == 1
    assert partner_after["ok"] - partner_before["ok"] == 1
    api.wait_for(response.json()["id"], "completed")


def _job_blob_names(stack: RunningStack) -> set[str]:
    blobs = stack.blob_service()
    return {b.name for b in blobs.get_container_client("jobs").list_blobs()}


def test_partner_down_is_503_and_nothing_is_written(
    api: Api, stack: RunningStack, partner_faults: Any
) -> None:
    partner_faults(mode="status", status=503, rate=1.0)
    before = _job_blob_names(stack)
    response = api.submit({"text": "partner is down"}, key=f"down-{uuid.uuid4()}")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert _job_blob_names(stack) == before


def test_a_job_that_always_fails_ends_failed_via_poison(api: Api, stack: RunningStack) -> None:
    owner = str(uuid.uuid4())
    job_id = str(uuid.uuid4())
    broken = {
        "id": job_id,
        "owner": owner,
        "status": "queued",
        "input": {"text": ""},
        "request_hash": "0" * 64,
        "created": "2026-01-01T00:00:00+00:00",
        "updated": "2026-01-01T00:00:00+00:00",
    }
    blobs = stack.blob_service()
    blobs.get_blob_client("jobs", f"{job_id}.json").upload_blob(json.dumps(broken))
    message = json.dumps({"schema": "jobs.v1", "job_id": job_id, "attempt": 1})
    stack.queue_service().get_queue_client(
        "jobs", message_encode_policy=TextBase64EncodePolicy()
    ).send_message(message)
    failed = api.wait_for(job_id, "failed", timeout=90, object_id=owner)
    assert "5 attempt(s)" in failed["reason"]
    assert "job input has no text" in failed["reason"]
    kept = [
        b.name
        for b in blobs.get_container_client("jobs").list_blobs(name_starts_with=f"poison/{job_id}/")
    ]
    assert len(kept) == 1
    assert json.loads(
        blobs.get_blob_client("jobs", kept[0]).download_blob().readall()
    ) == json.loads(message)
    not_admin = api.session.post(
        f"{api.base}/jobs/{job_id}/retry", headers=api.headers("Jobs.Submit"), timeout=10
    )
    assert not_admin.status_code == 403
    retried = api.session.post(
        f"{api.base}/jobs/{job_id}/retry", headers=api.headers("Jobs.Admin"), timeout=10
    )
    assert retried.status_code == 202
    assert retried.json()["status"] == "queued"


def test_a_job_too_large_for_its_message_is_written_first_behind_an_outbox_marker(
    api: Api, stack: RunningStack
) -> None:
    """A new job's message carries the job (shared/jobs/_messages.py); 10,000 control
    characters, escaped in JSON, outgrow the queue's 48 KiB payload, so that job's state is
    written first behind an outbox marker, and its message names it only. It is processed
    all the same; the marker (a write and a delete in the jobs container) shows the way it
    took."""
    text = "\x01" * 10_000  # MAX_TEXT_CHARS, six bytes each once escaped
    before = stack.stats("storage")["by_target"]
    response = api.submit({"text": text})
    assert response.status_code == 202, response.text
    done = api.wait_for(response.json()["id"], "completed")
    assert done["result"]["characters"] == len(text)
    after = stack.stats("storage")["by_target"]
    deletes = after.get("blob:jobs:blob.delete", 0) - before.get("blob:jobs:blob.delete", 0)
    assert deletes >= 1, "the outbox marker was written and dropped"
