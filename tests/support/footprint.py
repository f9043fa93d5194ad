"""What a request could leave behind on a stack: job state blobs and partner calls.

Tests compare the footprint before and after a request that must change nothing (a refused
caller, a bad body, a dependency that is down); a difference is something left behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from devstack.runner import RunningStack


@dataclass(frozen=True, slots=True)
class Footprint:
    job_blobs: int
    partner_calls: int

    @classmethod
    def of(cls, stack: RunningStack) -> Footprint:
        jobs = stack.blob_service().get_container_client("jobs")
        names = [blob.name for blob in jobs.list_blobs()]
        return cls(job_blobs=len(names), partner_calls=int(stack.stats("partner")["calls"]))
