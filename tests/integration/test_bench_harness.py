"""The benchmark harness against the stack (bench/harness.py).

P4 empties the jobs container before each level it measures (Azurite's in-memory store
slows every write as blobs pile up); the container must come back empty and writable,
with the same name, or every later call of the level would fail.
"""

from __future__ import annotations

import uuid

import pytest

from bench.harness import Bench
from devstack.runner import RunningStack


@pytest.fixture
def bench(stack: RunningStack, monkeypatch: pytest.MonkeyPatch) -> Bench:
    # Bench sets the app's settings in this process: set them here first, so that they are
    # put back as they were when the test ends.
    for name, value in stack.app_env.items():
        monkeypatch.setenv(name, value)
    return Bench(stack)


def test_empty_container_leaves_it_empty_and_writable(bench: Bench) -> None:
    name = f"bench-empty-{uuid.uuid4().hex[:8]}"  # not the app's: other tests use it
    container = bench.blobs.get_container_client(name)
    container.create_container()
    try:
        for index in range(3):
            container.upload_blob(f"job-{index}.json", b"{}")
        assert len(list(container.list_blobs())) == 3

        bench.empty_container(name)

        assert list(container.list_blobs()) == []
        container.upload_blob("job-0.json", b"{}")  # the same name again: a fresh container
        assert [blob.name for blob in container.list_blobs()] == ["job-0.json"]
    finally:
        container.delete_container()
