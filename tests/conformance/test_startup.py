"""What the host does at start-up with apps it cannot (fully) run, and with functionTimeout.

Sources: the Python worker's indexing (azure-functions-python-worker
azure_functions_worker/functions.py, Registry.add_indexed_function: parameters and
bindings must match, or the whole app fails to index), host.json reference
(learn.microsoft.com/azure/azure-functions/functions-host-json: "functionTimeout"; a
missing host.json is replaced by a default, as HostJsonFileConfigurationSource does),
the host's timeout handling (WebScriptHostExceptionHandler: the invocation fails, then
the worker is restarted), and the app-settings binding expressions (%name%).
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from devstack.runner import RunningStack
from tests.conformance.conftest import AppHost, app_host, peek, run_host_once
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
def unsupported_app(stack: RunningStack, work: Path) -> Iterator[AppHost]:
    with app_host(stack, work / "unsupported", "unsupported") as host:
        yield host


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("startup")


def test_unsupported_bindings_are_refused_by_name_and_the_rest_runs(
    unsupported_app: AppHost,
) -> None:
    """Functions with bindings the devstack does not run are refused at start-up, one line
    each naming the function and the binding; never a per-call 500."""
    log = unsupported_app.log_text()
    for line in (
        "Function 'Functions.service_bus_consumer' is not loaded: binding 'msg' "
        "(serviceBusTrigger, in) is not supported by the devstack host",
        "Function 'Functions.event_hub_producer' is not loaded: binding 'event' "
        "(eventHub, out) is not supported by the devstack host",
        "Function 'Functions.cosmos_reader' is not loaded: binding 'doc' (cosmosDB, in)",
    ):
        assert line in log
    assert requests.get(unsupported_app.url("/api/still-works"), timeout=10).text == "loaded"
    assert requests.post(unsupported_app.url("/api/publish"), timeout=10).status_code == 404


def test_a_missing_app_setting_refuses_that_function(unsupported_app: AppHost) -> None:
    """%NAME% naming an app setting that is not set stops that function from indexing."""
    assert (
        "Function 'Functions.missing_setting' is not loaded: '%QUEUE_NAME_NOBODY_SET%' does not "
        "resolve: app setting 'QUEUE_NAME_NOBODY_SET' is not set"
    ) in unsupported_app.log_text()


def test_host_status_lists_the_refusals(unsupported_app: AppHost) -> None:
    """GET /admin/host/status names every refused function under "errors"."""
    status = requests.get(unsupported_app.url("/admin/host/status"), timeout=10).json()
    assert len(status["errors"]) == 4
    assert all(error.startswith("Function 'Functions.") for error in status["errors"])


def test_a_signature_the_worker_refuses_stops_the_host(stack: RunningStack, work: Path) -> None:
    """A parameter without a binding fails the worker's indexing of the whole app: the host
    stops with one line naming the function and the problem."""
    result = run_host_once(stack, work / "mismatch", "mismatch")
    assert result.returncode == 2
    assert result.stdout.strip().splitlines() == [
        "host cannot start: the worker cannot load function 'mismatched': "
        "parameter(s) ['extra'] have no binding"
    ]


def test_an_import_error_names_the_file_and_the_error(stack: RunningStack, work: Path) -> None:
    """An app that cannot be imported stops the host with one line, no traceback."""
    result = run_host_once(stack, work / "broken", "broken_import")
    assert result.returncode == 2
    assert result.stdout.strip().splitlines() == [
        "host cannot start: importing function_app.py failed: ModuleNotFoundError: "
        "No module named 'module_that_is_not_installed' (function_app.py, line 4)"
    ]
    assert "Traceback" not in result.stdout + result.stderr


def test_no_host_json_runs_with_the_default(stack: RunningStack, work: Path) -> None:
    """Without host.json the host runs with its default ({"version": "2.0"}: route prefix
    api) and says so."""
    with app_host(stack, work / "nohost", "no_host_json") as host:
        assert requests.get(host.url("/api/hello"), timeout=10).text == "hello without host.json"
        assert "No host.json in" in host.log_text()


@pytest.fixture(scope="module")
def timeouts_app(stack: RunningStack, work: Path) -> Iterator[AppHost]:
    stack.queue_service().create_queue("conf-slow")
    with app_host(stack, work / "timeouts", "timeouts") as host:
        yield host


def test_function_timeout_fails_an_http_invocation(timeouts_app: AppHost) -> None:
    """Past functionTimeout (2 s here) the invocation is abandoned and counted as failed:
    the host logs the timeout and answers 500; other functions keep answering."""
    response = requests.get(timeouts_app.url("/api/slow"), timeout=30)
    assert response.status_code == 500
    log = timeouts_app.log_text()
    assert "Timeout value of 00:00:02 exceeded by function 'Functions.slow_http'" in log
    assert "Executed 'Functions.slow_http' (Failed" in log
    assert requests.get(timeouts_app.url("/api/quick"), timeout=10).text == "in time"


def test_function_timeout_cancels_an_async_function(timeouts_app: AppHost) -> None:
    """An async function past the timeout is cancelled."""
    assert requests.get(timeouts_app.url("/api/slow-async"), timeout=30).status_code == 500
    eventually(lambda: timeouts_app.records("slow_async_cancelled"))


def test_function_timeout_fails_a_queue_message_to_poison(
    timeouts_app: AppHost, stack: RunningStack
) -> None:
    """A timed-out queue invocation is a failure: with maxDequeueCount 1 the message goes to
    the poison queue and the blob $return is never written."""
    sent = (
        stack.queue_service()
        .get_queue_client("conf-slow")
        .send_message(base64.b64encode(b"slow").decode())
    )
    eventually(lambda: sent.content in peek(stack, "conf-slow-poison"), timeout=30)
    # The abandoned function runs to its end (Azure would restart the worker instead), and
    # what it returns is dropped.
    eventually(lambda: [r for r in timeouts_app.records("slow_queue_finished")], timeout=30)
    blob = stack.blob_service().get_blob_client("conf-blobs", f"slow/{sent.id}.txt")
    assert not blob.exists()
