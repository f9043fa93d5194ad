"""Job state in Blob Storage: one JSON blob per job, updated with ETags.

Why blobs: the app already has Blob access through its identity, and
conditional writes (``If-None-Match: *`` to create, ``If-Match: <etag>`` to
update) give exactly the guarantees the pipeline needs: an idempotency key is
claimed once, a redelivered message cannot overwrite newer state, a result is
written once.

Every call that reads or writes a blob is a span (``jobstore ...``) with the job's id, and
an update says the status it wrote and how many tries its ETag took.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError

from shared.jobs._model import (
    IdempotencyRecord,
    JobRecord,
)
from shared.jobs.errors import JobStoreError
from shared.tracing import annotate, traced

if TYPE_CHECKING:
    from azure.storage.blob import BlobClient, ContainerClient, ContentSettings

__all__ = ["JobStore"]


@cache
def _json_content() -> ContentSettings:
    from azure.storage.blob import ContentSettings

    return ContentSettings(content_type="application/json")


def _holding(blob: BlobClient, claim: IdempotencyRecord) -> str | None:
    """The ETag of the claim blob while it holds ``claim``; None when it holds another or is
    gone."""
    try:
        downloader = blob.download_blob()
    except ResourceNotFoundError:
        return None
    if IdempotencyRecord(**json.loads(downloader.readall())) != claim:
        return None
    return str(downloader.properties.etag)


def _idempotency_blob(owner: str, key: str) -> str:
    digest = hashlib.sha256(f"{owner}\n{key}".encode()).hexdigest()
    return f"idempotency/{digest}.json"


class JobStore:
    """Job records in ``jobs/``, results in ``results/``."""

    def __init__(self, *, jobs: ContainerClient, results: ContainerClient) -> None:
        self.jobs = jobs
        self.results = results
        # The last version of each job this store read or wrote, with its ETag: one store
        # serves one request or one message, so this stays small and short-lived.
        self._known: dict[str, tuple[JobRecord, str]] = {}

    # -- jobs -----------------------------------------------------------------

    @traced("jobstore create", job="record")
    def create(self, record: JobRecord) -> bool:
        """Write a new job's state once (``If-None-Match: *``); False if it was there.

        Job ids are fresh UUIDs, so a blob that already exists holds this very job: the SDK
        retried an upload whose first answer was lost (a dropped connection), or the worker
        wrote it first from the job's message (which is sent before the state), or the
        request did, while the worker looked.
        """
        try:
            written = self.jobs.get_blob_client(f"{record.id}.json").upload_blob(
                json.dumps(record._asdict()),
                overwrite=False,
                content_settings=_json_content(),
            )
        except ResourceExistsError:
            return False
        self._known[record.id] = (record, str(written["etag"]))
        return True

    @traced("jobstore get", job="job_id")
    def get(self, job_id: str) -> tuple[JobRecord, str] | None:
        try:
            downloader = self.jobs.download_blob(f"{job_id}.json")
        except ResourceNotFoundError:
            return None
        document = json.loads(downloader.readall())
        found = JobRecord(**document), str(downloader.properties.etag)
        self._known[job_id] = found
        return found

    @traced("jobstore update", job="job_id")
    def update(
        self, job_id: str, change: Callable[[JobRecord], JobRecord | None], *, attempts: int = 8
    ) -> JobRecord | None:
        """Apply ``change`` with optimistic concurrency; ``None`` from it means no write.

        The version this store last wrote or read is tried first, without reading it again
        (the worker's second update of a job costs one request, not two); if the stored
        job has moved on, ``If-Match`` refuses the write and the job is read afresh. A "no
        change" decided on a remembered version is confirmed on the stored one.
        """
        known = self._known.pop(job_id, None)
        for tries in range(1, attempts + 1):
            fresh = known is None
            if known is None:
                known = self.get(job_id)
                if known is None:
                    return None
            record, etag = known
            known = None
            updated = change(record)
            if updated is None:
                if fresh:
                    return record
                continue
            try:
                written = self.jobs.get_blob_client(f"{job_id}.json").upload_blob(
                    json.dumps(updated._asdict()),
                    overwrite=True,
                    etag=etag,
                    match_condition=MatchConditions.IfNotModified,
                    content_settings=_json_content(),
                )
            except ResourceModifiedError:
                continue
            self._known[job_id] = (updated, str(written["etag"]))
            annotate({"app.job.status": updated.status, "app.jobstore.tries": tries})
            return updated
        raise JobStoreError(f"job {job_id}: too many concurrent updates")

    def delete(self, job_id: str) -> None:
        self._known.pop(job_id, None)
        with contextlib.suppress(ResourceNotFoundError):
            self.jobs.delete_blob(f"{job_id}.json")

    # -- idempotency ------------------------------------------------------------

    @traced("jobstore claim idempotency key")
    def claim_idempotency(
        self, owner: str, key: str, claim: IdempotencyRecord, *, attempts: int = 4
    ) -> IdempotencyRecord | None:
        """Claim ``key`` for ``claim.job_id`` (``If-None-Match: *``); return the earlier claim
        if there is one, None when this call wrote the claim (an earlier claim released while
        we looked is claimed again)."""
        name = _idempotency_blob(owner, key)
        for _ in range(attempts):
            try:
                self.jobs.upload_blob(
                    name,
                    json.dumps(claim._asdict()),
                    overwrite=False,
                    content_settings=_json_content(),
                )
                return None
            except ResourceExistsError:
                pass
            earlier = self.get_idempotency(owner, key)
            if earlier is not None:
                return earlier
        raise JobStoreError("an idempotency key kept changing hands")

    @traced("jobstore take over idempotency key")
    def take_over_idempotency(
        self, owner: str, key: str, stale: IdempotencyRecord, claim: IdempotencyRecord
    ) -> bool:
        """Replace the claim ``stale`` (whose job never appeared) by ``claim``, only if it is
        still ``stale`` (``If-Match``): of two callers taking over at once, one wins."""
        blob = self.jobs.get_blob_client(_idempotency_blob(owner, key))
        etag = _holding(blob, stale)
        if etag is None:
            return False
        try:
            blob.upload_blob(
                json.dumps(claim._asdict()),
                overwrite=True,
                etag=etag,
                match_condition=MatchConditions.IfNotModified,
                content_settings=_json_content(),
            )
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    def get_idempotency(self, owner: str, key: str) -> IdempotencyRecord | None:
        try:
            data = self.jobs.download_blob(_idempotency_blob(owner, key)).readall()
        except ResourceNotFoundError:
            return None
        return IdempotencyRecord(**json.loads(data))

    @traced("jobstore release idempotency key")
    def release_idempotency(self, owner: str, key: str, claim: IdempotencyRecord) -> bool:
        """Free ``key`` if it still holds ``claim``, the one the caller wrote (``If-Match``);
        True when this call freed it. A claim another request has taken over since is that
        request's: its job may be on its way, and the key must keep naming it."""
        blob = self.jobs.get_blob_client(_idempotency_blob(owner, key))
        etag = _holding(blob, claim)
        if etag is None:
            return False
        try:
            blob.delete_blob(etag=etag, match_condition=MatchConditions.IfNotModified)
        except (ResourceModifiedError, ResourceNotFoundError):
            return False
        return True

    # -- results and kept messages ------------------------------------------------

    @traced("jobstore write result", job="job_id")
    def write_result(self, job_id: str, result: dict[str, Any]) -> str:
        """Write the result once; a redelivered message finds it already there."""
        name = f"{job_id}.json"
        with contextlib.suppress(ResourceExistsError):
            self.results.upload_blob(
                name, json.dumps(result), overwrite=False, content_settings=_json_content()
            )
        return name

    @traced("jobstore read result", job="job_id")
    def read_result(self, job_id: str) -> dict[str, Any] | None:
        try:
            data = self.results.download_blob(f"{job_id}.json").readall()
        except ResourceNotFoundError:
            return None
        result: dict[str, Any] = json.loads(data)
        return result

    @traced("jobstore keep poison message", job="job_id")
    def keep_poison_message(self, job_id: str | None, message_id: str, content: str) -> str:
        """Keep a poisoned message verbatim, for inspection and replay."""
        name = f"poison/{job_id or 'unknown'}/{message_id}.txt"
        self.jobs.upload_blob(name, content.encode(), overwrite=True)
        return name
