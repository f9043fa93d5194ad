"""The notes example blueprint (blueprints/notes.py), end to end on the devstack host.

It is registered here with ``--blueprint blueprints.notes`` on an app without functions,
behind App Service Authentication, as ``make run ARGS="--blueprint blueprints.notes"``
runs it next to the app. Sources: the queue output, queue trigger, blob output, blob
trigger and blob input binding pages (learn.microsoft.com/azure/azure-functions/
functions-bindings-storage-queue-output, -queue-trigger, -blob-output, -blob-trigger,
-blob-input), and "Manually run a non HTTP-triggered function" for the admin routes
behind authentication.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from devstack.runner import RunningStack
from tests.conformance.conftest import AppHost, app_host, auth_args
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def notes(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppHost]:
    args = (*auth_args(stack), "--blueprint", "blueprints.notes")
    with app_host(stack, tmp_path_factory.mktemp("notes"), "empty", extra_args=args) as host:
        yield host


@pytest.fixture(scope="module")
def auth(stack: RunningStack) -> dict[str, str]:
    return {"Authorization": f"Bearer {stack.caller_token()}"}


def test_a_note_goes_through_queue_blob_and_blob_trigger(
    notes: AppHost, auth: dict[str, str]
) -> None:
    """POST a note: queue output, queue trigger writing notes/<id>.txt via $return, blob
    trigger writing notes-index/<id>.json via $return, and GET reads it via blob input."""
    submitted = requests.post(
        notes.url("/api/notes"), json={"text": "Three little words"}, headers=auth, timeout=10
    )
    assert submitted.status_code == 202
    note_id = submitted.json()["id"]

    def indexed() -> dict[str, object] | None:
        response = requests.get(notes.url(f"/api/notes/{note_id}"), headers=auth, timeout=10)
        return response.json() if response.status_code == 200 else None

    assert eventually(indexed) == {"id": note_id, "characters": 18, "words": 3}
    log = notes.log_text()
    for name in ("submit_note", "store_note", "index_note", "get_note"):
        assert f"Executed 'Functions.{name}' (Succeeded" in log


def test_bad_notes_get_json_errors(notes: AppHost, auth: dict[str, str]) -> None:
    """Bad input is a 4xx with a JSON error naming the problem; no token is a 401 from App
    Service Authentication before the function."""
    cases = [
        (requests.post(notes.url("/api/notes"), data="{", headers=auth, timeout=10), 400),
        (requests.post(notes.url("/api/notes"), json={"text": ""}, headers=auth, timeout=10), 400),
        (requests.get(notes.url("/api/notes/not-an-id"), headers=auth, timeout=10), 400),
        (requests.get(notes.url(f"/api/notes/{'0' * 32}"), headers=auth, timeout=10), 404),
        (requests.post(notes.url("/api/notes"), json={"text": "x"}, timeout=10), 401),
    ]
    for response, status in cases:
        assert response.status_code == status
        assert response.json()["error"]["code"]


def test_admin_routes_sit_behind_authentication(notes: AppHost, auth: dict[str, str]) -> None:
    """The admin API needs a caller token where authentication is on; ping does not."""
    assert requests.get(notes.url("/admin/host/status"), timeout=10).status_code == 401
    assert requests.get(notes.url("/admin/host/status"), headers=auth, timeout=10).ok
    assert requests.get(notes.url("/admin/host/ping"), timeout=10).status_code == 200
