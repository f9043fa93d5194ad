"""devstack.provision: the local stack creates the queues and containers the app names.

The names are decided in the app (shared/storage.py, the poison queue by the host's rule in
shared/queues.py, the rotation's queue in shared/rotation, its state container by the
sample settings' URL); Bicep is held to them in tests/infra, the local stack here. The
devstack does not import the app, so the names are compared, not shared.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

from devstack import provision
from devstack.runner import ROOT
from devstack.vault import events
from shared import storage
from shared.rotation import EVENTS_QUEUE
from shared.settings import ROTATION_STATE_CONTAINER_URL


def test_the_stack_creates_the_queues_the_app_reads_and_writes() -> None:
    assert set(provision.QUEUES) == {storage.JOBS_QUEUE, storage.POISON_QUEUE, EVENTS_QUEUE}
    assert events.EVENTS_QUEUE == EVENTS_QUEUE


def test_the_stack_creates_the_containers_the_app_keeps_state_in() -> None:
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    state = urlsplit(ROTATION_STATE_CONTAINER_URL.get(sample)).path.rstrip("/").rsplit("/", 1)[1]
    app = {storage.JOBS_CONTAINER, storage.RESULTS_CONTAINER, storage.POSTURE_CONTAINER, state}
    assert set(provision.CONTAINERS) == app
