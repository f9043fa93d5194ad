"""The product's flow end to end, through the devstack host and real HTTP, in both modes.

POST /api/jobs -> the partner's credential -> partner -> job state -> queue -> worker ->
result blob. The credential is the key from Key Vault (``PARTNER_AUTH=key``, the session's
stack) or a token from the partner's tenant with no secret anywhere (``PARTNER_AUTH=entra``,
the session's second stack): every test taking ``pipeline`` runs on both.
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
from tests.support.jobsapi import Api, job_blob_names
from tests.support.waiting import eventually

JSON = {"Content-Type": "application/json"}


@pytest.fixture(scope="module", params=["key", "entra"])
def pipeline(stack: RunningStack, request: pytest.FixtureRequest) -> RunningStack:
    """The session's stack of each mode (the entra one starts on first use). ``stack`` is
    requested by name so that every test here is marked ``stack`` (tests/support/marks.py)."""
    running: RunningStack = (
        stack if request.param == "key" else request.getfixturevalue("entra_stack")
    )
    assert running.partner_auth == request.param
    return running


@pytest.fixture(scope="module")
def api(pipeline: RunningStack) -> Api:
    return Api(pipeline)


@pytest.fixture
def partner_faults(pipeline: RunningStack) -> Iterator[Any]:
    url = pipeline.control("faults/partner")

    def set_faults(**plan: Any) -> None:
        requests.put(url, json=plan, timeout=10).raise_for_status()

    yield set_faults
    requests.delete(url, timeout=10)


def test_submit_to_completed_with_result(api: Api, pipeline: RunningStack) -> None:
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
    blobs = pipeline.blob_service()
    stored = json.loads(
        blobs.get_blob_client("results", f"{job['id']}.json").download_blob().readall()
    )
    assert stored == result
    state = json.loads(blobs.get_blob_client("jobs", f"{job['id']}.json").download_blob().readall())
    assert state["analysis"] == {"language": "en", "sentiment": result["sentiment"]}
    assert "analysis_id" not in result  # the partner's identifier is neither kept nor served


def test_idempotent_resubmission(api: Api, pipeline: RunningStack) -> None:
    key = f"idem-{uuid.uuid4()}"
    body = {"text": "same request twice"}
    first = api.submit(body, key=key)
    second = api.submit(body, key=key)
    assert first.status_code == second.status_code == 202
    job_id = first.json()["id"]
    assert second.json()["id"] == job_id
    assert pipeline.stats("partner")["by_idempotency_key"].get(job_id) == 1
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


def test_key_rotation_needs_one_401_and_one_refetch(stack: RunningStack) -> None:
    api = Api(stack)  # the key stack only: with entra there is no key to rotate
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


def test_partner_down_is_503_and_nothing_is_written(
    api: Api, pipeline: RunningStack, partner_faults: Any
) -> None:
    partner_faults(mode="status", status=503, rate=1.0)
    before = job_blob_names(pipeline)
    response = api.submit({"text": "partner is down"}, key=f"down-{uuid.uuid4()}")
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert job_blob_names(pipeline) == before


def test_a_job_that_always_fails_ends_failed_via_poison(api: Api, pipeline: RunningStack) -> None:
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
    blobs = pipeline.blob_service()
    blobs.get_blob_client("jobs", f"{job_id}.json").upload_blob(json.dumps(broken))
    message = json.dumps({"schema": "jobs.v1", "job_id": job_id, "attempt": 1})
    pipeline.queue_service().get_queue_client(
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
    # The retry fails the same way; it is waited for here, so that its second kept message
    # lands in this test and not in whichever test runs next on this stack.
    again = api.wait_for(job_id, "failed", timeout=90, object_id=owner)
    assert "job input has no text" in again["reason"]

    def kept_twice() -> list[str] | None:
        names = [
            b.name
            for b in blobs.get_container_client("jobs").list_blobs(
                name_starts_with=f"poison/{job_id}/"
            )
        ]
        return names if len(names) == 2 else None

    eventually(kept_twice, timeout=60)


def test_a_job_too_large_for_its_message_is_written_first_behind_an_outbox_marker(
    api: Api, pipeline: RunningStack
) -> None:
    """A new job's message carries the job (shared/jobs/_messages.py); 10,000 control
    characters, escaped in JSON, outgrow the queue's 48 KiB payload, so that job's state is
    written first behind an outbox marker, and its message names it only. It is processed
    all the same; the marker (a write and a delete in the jobs container) shows the way it
    took."""
    text = "\x01" * 10_000  # MAX_TEXT_CHARS, six bytes each once escaped
    before = pipeline.stats("storage")["by_target"]
    response = api.submit({"text": text})
    assert response.status_code == 202, response.text
    done = api.wait_for(response.json()["id"], "completed")
    assert done["result"]["characters"] == len(text)
    after = pipeline.stats("storage")["by_target"]
    deletes = after.get("blob:jobs:blob.delete", 0) - before.get("blob:jobs:blob.delete", 0)
    assert deletes >= 1, "the outbox marker was written and dropped"


# -- entra: the partner's token, no key -------------------------------------------------------


def test_a_refused_token_needs_one_401_and_one_new_token(entra_stack: RunningStack) -> None:
    """The partner revokes the tokens it has seen (as revoking the app's sessions would): the
    next job costs one 401, one new token from the tenant, and goes through."""
    api = Api(entra_stack)
    warm = api.submit({"text": "warm the token cache"})
    assert warm.status_code == 202, warm.text
    tenant_before = entra_stack.stats("tenant")["issued"]
    revoked = requests.post(
        f"{entra_stack.endpoints['partner']}/devstack/revoke-tokens",
        verify=entra_stack.ca_bundle,
        timeout=10,
    ).json()["revoked"]
    assert revoked >= 1
    partner_before = entra_stack.stats("partner")
    response = api.submit({"text": "after the revocation"})
    assert response.status_code == 202, response.text
    partner_after = entra_stack.stats("partner")
    assert partner_after["unauthorized"] - partner_before["unauthorized"] == 1
    assert partner_after["ok"] - partner_before["ok"] == 1
    assert entra_stack.stats("tenant")["issued"] - tenant_before == 1
    api.wait_for(response.json()["id"], "completed")


def test_with_entra_no_vault_is_read_and_the_partner_sees_only_its_tenant_s_token(
    entra_stack: RunningStack,
) -> None:
    api = Api(entra_stack)
    response = api.submit({"text": "no secret anywhere"})
    assert response.status_code == 202, response.text
    api.wait_for(response.json()["id"], "completed")
    vault = entra_stack.stats("vault")
    assert (vault["get_secret"], vault["total"]) == (0, 0)
    partner = entra_stack.stats("partner")
    tenant = entra_stack.endpoints["tenant"]["tenant_id"]
    assert partner["keys_presented"] == 0
    assert partner["tokens_presented"] == partner["calls"] > 0
    assert set(partner["by_tenant"]) == {tenant}
    identity = entra_stack.stats("identity")["tokens_issued"]
    assert identity.get("api://AzureADTokenExchange", 0) >= 1
