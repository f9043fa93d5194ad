"""Where the devstack host differed from the Functions host, end to end on the session's stack.

- The Python worker's queue end-to-end tests (azure-functions-python-worker
  tests/endtoend/test_queue_functions.py) go HTTP -> queue output -> queue trigger -> blob
  output and expect the blob soon after the call: the Storage Queues extension wakes its
  listener when its own binding writes (azure-sdk-for-net, sdk/storage/
  Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/Config/
  QueuesExtensionConfigProvider.cs, ``QueueAsyncCollector.AddAsync`` -> ``Notify``). Here the
  app host polls at most every ten minutes, so the round trip completes within the
  test's wait only through that wake-up (its deterministic proof, with the listener in an
  hour's back-off, is tests/unit/devstack/host/test_queues.py).
- An unhandled exception: the line ``Exception: ZeroDivisionError: division by zero``
  (the worker's tests/unittests/test_http_functions.py ``check_log_unhandled_error``;
  azure-functions-host src/WebJobs.Script/Workers/Rpc/RpcException.cs), no traceback.
- The library's and the worker's loggers are system logs, kept off the console
  (azure_functions_worker/logging.py ``is_system_log_category``;
  tests/unittests/test_log_filtering_functions.py).
- Generic bindings whose ``type`` the host knows run like the typed decorators (the
  decorators only write ``function.json`` entries: azure-functions-python-library
  azure/functions/decorators/function_app.py ``generic_trigger``, ``generic_output_binding``).
"""

from __future__ import annotations

import base64
import contextlib
import uuid
from collections.abc import Iterator

import pytest
import requests
from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

from devstack.runner import RunningStack
from tests.conformance.conftest import AppHost, app_host, peek
from tests.support.waiting import eventually

#: The host's longest wait between polls of an empty queue: far beyond the waits below.
POLLING = {"AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:10:00"}


@pytest.fixture(scope="module")
def differences(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppHost]:
    for queue in ("conf-roundtrip", "conf-generic-trigger"):
        with contextlib.suppress(ResourceExistsError):
            stack.queue_service().create_queue(queue)
    for container in ("conf-roundtrip", "conf-generic"):
        with contextlib.suppress(ResourceExistsError):
            stack.blob_service().create_container(container)
    work = tmp_path_factory.mktemp("differences")
    with app_host(stack, work, "differences", extra_env=POLLING) as host:
        yield host


def blob_text(stack: RunningStack, container: str, name: str) -> str | None:
    client = stack.blob_service().get_blob_client(container, name)
    try:
        return client.download_blob().readall().decode()
    except ResourceNotFoundError:
        return None


def test_the_round_trip_through_the_hosts_own_output_binding(
    differences: AppHost, stack: RunningStack
) -> None:
    text = f"round trip {uuid.uuid4()}"
    answer = requests.post(differences.url("/api/roundtrip"), data=text, timeout=30)
    assert answer.status_code == 202
    note = answer.json()
    assert eventually(lambda: blob_text(stack, "conf-roundtrip", f"{note['id']}.txt")) == text


def test_an_unhandled_exception_is_logged_as_the_host_logs_it(differences: AppHost) -> None:
    answer = requests.get(differences.url("/api/unhandled"), timeout=30)
    assert answer.status_code == 500
    lines = eventually(
        lambda: (
            [line.strip() for line in differences.log_text().splitlines()]
            if "Exception: ZeroDivisionError" in differences.log_text()
            else None
        )
    )
    assert "Exception: ZeroDivisionError: division by zero" in lines
    assert "Exception while executing function: Functions.unhandled. Result: Failure" in lines
    assert "Traceback (most recent call last):" not in lines


def test_system_logs_stay_off_the_console(differences: AppHost) -> None:
    assert requests.get(differences.url("/api/sdk-logging"), timeout=30).text == "OK"
    log = eventually(
        lambda: differences.log_text() if "user logger" in differences.log_text() else None
    )
    assert "user logger warning" in log
    assert "sdk logger warning" not in log
    assert "worker logger error" not in log
    system = (differences.log_path.parent / "state" / "system.log").read_text()
    assert "sdk logger warning" in system
    assert "worker logger error" in system


def test_generic_bindings_of_known_types_run(differences: AppHost, stack: RunningStack) -> None:
    marker = f"generic {uuid.uuid4()}"
    sent = requests.post(differences.url("/api/generic-out"), data=marker, timeout=30)
    assert sent.text == "OK"
    assert marker in eventually(
        lambda: [base64.b64decode(m).decode() for m in peek(stack, "conf-generic-out")]
    )
    other = f"triggered {uuid.uuid4()}"
    stack.queue_service().get_queue_client("conf-generic-trigger").send_message(
        base64.b64encode(other.encode()).decode()
    )
    container = stack.blob_service().get_container_client("conf-generic")

    def written() -> list[str]:
        return [
            text
            for blob in container.list_blobs()
            if (text := blob_text(stack, "conf-generic", blob.name)) == other
        ]

    assert eventually(written, timeout=60) == [other]
