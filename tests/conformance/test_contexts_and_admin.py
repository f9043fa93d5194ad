"""The invocation context, retry policies, and running functions by hand.

Sources: the Python developer guide ("Context": invocation_id, trace_context,
retry_context, thread_local_storage), Azure Functions error handling and retries
(learn.microsoft.com/azure/azure-functions/functions-bindings-error-pages: retry
policies for timer triggers, fixed and exponential strategies, "Retries are not
supported" for other triggers), "Manually run a non HTTP-triggered function"
(functions-manually-run-non-http: POST /admin/functions/{name} with {"input": ...},
202), the host's FunctionsController and HostController (admin routes), and the worker's
dispatcher (a return value without a $return binding fails the invocation).
"""

from __future__ import annotations

import base64
import secrets
import uuid

import requests
from azure.core.exceptions import ResourceNotFoundError

from devstack.runner import RunningStack
from tests.conformance.conftest import AppHost, peek
from tests.support.waiting import eventually

TRACE_ID, SPAN_ID = secrets.token_hex(16), secrets.token_hex(8)  # made at run time
PARENT = f"00-{TRACE_ID}-{SPAN_ID}-01"


def run_by_hand(app: AppHost, name: str, text: str = "") -> requests.Response:
    return requests.post(app.url(f"/admin/functions/{name}"), json={"input": text}, timeout=10)


def test_context_carries_ids_and_a_w3c_trace(bindings_app: AppHost) -> None:
    """An incoming traceparent is continued: same trace id, new span id, same flags; the
    retry context is 0 of 0 without a policy; the invocation id is on the thread-local."""
    response = requests.get(
        bindings_app.url("/api/http/context"),
        headers={"traceparent": PARENT, "tracestate": "vendor=1"},
        timeout=10,
    )
    body = response.json()
    version, trace_id, span_id, flags = body["trace_parent"].split("-")
    assert (version, trace_id, flags) == ("00", PARENT.split("-")[1], "01")
    assert span_id != PARENT.split("-")[2]
    assert body["trace_state"] == "vendor=1"
    assert (body["retry_count"], body["max_retry_count"]) == (0, 0)
    assert body["function_name"] == "http_context"
    assert body["thread_invocation_id"] == body["invocation_id"]
    assert f"Id={body['invocation_id']}" in bindings_app.log_text()
    fresh = requests.get(bindings_app.url("/api/http/context"), timeout=10).json()
    assert fresh["trace_parent"].split("-")[1] != trace_id


def test_fixed_delay_retry_of_a_timer(bindings_app: AppHost) -> None:
    """A timer with a fixed_delay policy (2 retries) is retried, each attempt a new
    invocation whose retry_context counts it and carries the previous failure."""
    assert run_by_hand(bindings_app, "timer_retry_fixed").status_code == 202
    attempts = eventually(
        lambda: (
            len(bindings_app.records("timer_retry_fixed")) == 3
            and (bindings_app.records("timer_retry_fixed"))
        )
    )
    assert [(a["retry_count"], a["max_retry_count"]) for a in attempts] == [(0, 2), (1, 2), (2, 2)]
    assert attempts[0]["previous"] == ""
    assert attempts[1]["previous"] == "RuntimeError: attempt 0 fails"
    assert len({a["invocation"] for a in attempts}) == 3
    eventually(
        lambda: (
            "Waiting for `00:00:01` before retrying function execution. Next "
            "attempt: '2'. Max retry count: '2'." in bindings_app.log_text()
        )
    )


def test_exponential_retry_gives_up_after_max_retries(bindings_app: AppHost) -> None:
    """exponential_backoff: 1 run + max_retry_count retries, then the host gives up."""
    assert run_by_hand(bindings_app, "timer_retry_exponential").status_code == 202
    eventually(lambda: "Function execution failed after '2' retries." in bindings_app.log_text())
    counts = [a["retry_count"] for a in bindings_app.records("timer_retry_exponential")]
    assert counts == [0, 1, 2]


def test_retry_policy_on_a_queue_trigger_is_ignored(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """Queue triggers do not support retry policies: the host says so at start-up and the
    queue's own maxDequeueCount (2 here) is what retries the message."""
    assert "Retries are not supported for function 'Functions.queue_with_retry'" in (
        bindings_app.log_text()
    )
    stack.queue_service().get_queue_client("conf-queue-retry").send_message(
        base64.b64encode(b"retry?").decode()
    )
    eventually(lambda: len(peek(stack, "conf-queue-retry-poison")) == 1)
    assert [r["dequeue_count"] for r in bindings_app.records("queue_with_retry")] == [1, 2]


def test_admin_runs_a_timer_by_hand(bindings_app: AppHost) -> None:
    """POST /admin/functions/{name} runs a timer once: not past due, no schedule status."""
    response = run_by_hand(bindings_app, "timer_manual")
    assert (response.status_code, response.content) == (202, b"")
    record = eventually(lambda: bindings_app.records("timer_manual"))[0]
    assert record == {"past_due": False, "status": {}}


def test_admin_runs_a_queue_function_with_the_input_as_message(bindings_app: AppHost) -> None:
    """For a queue trigger the input is the message text."""
    text = f"by hand {uuid.uuid4()}"
    assert run_by_hand(bindings_app, "queue_manual", text).status_code == 202
    records = eventually(
        lambda: [r for r in bindings_app.records("queue_manual") if r["body"] == text]
    )
    assert records[0]["dequeue_count"] == 0


def test_admin_refuses_what_it_cannot_run(bindings_app: AppHost) -> None:
    """404 for a function the host does not have; 400 with a JSON error for a body that is
    not a JSON object, or for an HTTP function (call its route)."""
    missing = requests.post(bindings_app.url("/admin/functions/nope"), json={}, timeout=10)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    garbage = requests.post(bindings_app.url("/admin/functions/timer_manual"), data="{", timeout=10)
    assert (garbage.status_code, garbage.json()["error"]["code"]) == (400, "invalid_body")
    http = run_by_hand(bindings_app, "http_str")
    assert (http.status_code, http.json()["error"]["code"]) == (400, "http_function")


def test_a_value_returned_without_a_return_binding_fails(bindings_app: AppHost) -> None:
    """The worker fails an invocation that returns a value with no $return binding."""
    assert run_by_hand(bindings_app, "timer_returns_value").status_code == 202
    eventually(
        lambda: "Executed 'Functions.timer_returns_value' (Failed" in bindings_app.log_text()
    )
    assert "has no $return binding but returned a value" in bindings_app.log_text()


def test_timer_return_value_to_a_blob(bindings_app: AppHost, stack: RunningStack) -> None:
    """$return on a timer: a blob whose path uses {sys.MethodName}."""
    assert run_by_hand(bindings_app, "timer_return_blob").status_code == 202
    blob = stack.blob_service().get_blob_client("conf-blobs", "timer/timer_return_blob.txt")

    def content() -> bytes:
        return bytes(blob.download_blob().readall())

    assert eventually(content, ignoring=(ResourceNotFoundError,)) == b"timer $return"


def test_host_status(bindings_app: AppHost) -> None:
    """GET /admin/host/status reports the host's id, state and uptime."""
    status = requests.get(bindings_app.url("/admin/host/status"), timeout=10).json()
    assert status["state"] == "Running"
    assert status["id"].startswith("devstack-")
    assert isinstance(status["processUptime"], int)
    assert "errors" not in status
