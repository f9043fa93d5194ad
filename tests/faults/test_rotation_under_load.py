"""1,000 jobs submitted while the partner key rotates twice: none fails, none is lost, none
is done twice, the app reads the vault no more than its cache and the rotations call for,
and no key is written anywhere.

The load is bench/rotation_case.py's (the P10 benchmark's), on a stack of its own with a
2 s secret cache and a 6 s grace (> cache + 1 s skew). Each rotation is driven by the
vault's near-expiry event (devstack/vault/events.py). "One extra vault read per rotation
per instance" is the refetch a 401 would cost; with the grace longer than the cache no
instance is refused, so the partner counts no 401 at all.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator

import pytest

from bench import rotation_case
from devstack.runner import RunningStack
from tests.support.canary import leaks, outputs, partner_keys
from tests.support.stacks import Stacks

pytestmark = [pytest.mark.slow, pytest.mark.integration]

JOBS = int(os.environ.get("ROTATION_LOAD_JOBS", "1000"))


@pytest.fixture(scope="module")
def load_stack(stacks: Stacks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    state = tmp_path_factory.mktemp("rotation-load")
    with stacks.running(state, app_settings=rotation_case.SETTINGS) as stack:
        yield stack


@pytest.mark.timeout(900)
def test_jobs_flow_through_two_rotations_with_nothing_lost(load_stack: RunningStack) -> None:
    run = rotation_case.drive(load_stack, jobs=JOBS, rotations=2)
    assert len(run.versions) == 2, "two rotations happened"
    assert len(set(run.versions)) == 2
    # Every submission accepted once, every job settled, completed ones with one result.
    assert run.refused == [], Counter(run.refused)
    assert len(run.accepted) == JOBS
    assert set(run.statuses) == set(run.accepted.values())
    assert Counter(run.statuses.values()) == {"completed": JOBS}
    assert run.results >= set(run.accepted.values())
    # No duplicated side effect: each job called the partner exactly once.
    calls = run.partner["by_idempotency_key"]
    per_job = [calls.get(job, 0) for job in run.accepted.values()]
    assert min(per_job) == 1
    assert max(per_job) == 1
    # No 401 (the grace outlives every cached key), so no refetch beyond the cache's own.
    assert run.partner["unauthorized"] == 0
    assert run.extra_vault_reads() <= len(run.windows), run.vault_gets
    # The leak canary: no key of the vault or the partner in any output.
    assert leaks(partner_keys(load_stack), outputs(load_stack, run.responses)) == []
