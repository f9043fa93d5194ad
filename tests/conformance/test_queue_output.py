"""Queue output bindings, as the Storage Queues extension writes what the worker sends.

Sources: Azure Queue storage output binding for Azure Functions (learn.microsoft.com/
azure/azure-functions/functions-bindings-storage-queue-output), the Python developer
guide (functions-reference-python, "Outputs"), and the Python worker's end-to-end queue
tests (azure-functions-python-worker tests/endtoend/queue_functions).
"""

from __future__ import annotations

import base64
import uuid

import requests

from devstack.runner import RunningStack
from tests.conformance.conftest import AppHost, peek
from tests.support.waiting import eventually


def messages(stack: RunningStack, queue: str) -> list[str]:
    return [base64.b64decode(content).decode() for content in peek(stack, queue)]


def test_out_str_sends_one_base64_message(bindings_app: AppHost, stack: RunningStack) -> None:
    """queue-output "Usage": func.Out[str] sets one message; messageEncoding base64 (host.json
    reference, "queues") is how the extension encodes it; the queue is created on first use."""
    text = f"single {uuid.uuid4()}"
    assert requests.post(bindings_app.url("/api/queue/single"), data=text, timeout=10).text == "OK"
    assert text in eventually(lambda: messages(stack, "conf-out-single"))


def test_out_list_sends_one_message_per_item(bindings_app: AppHost, stack: RunningStack) -> None:
    """queue-output: "write multiple messages" with func.Out[typing.List[str]] (worker e2e
    put_queue_multiple_return)."""
    marker = uuid.uuid4().hex[:8]
    body = f"one-{marker},two-{marker}"
    requests.post(bindings_app.url("/api/queue/list"), data=body, timeout=10).raise_for_status()
    found = eventually(lambda: [m for m in messages(stack, "conf-out-list") if marker in m] or None)
    assert found == [f"one-{marker}", f"two-{marker}"]


def test_out_queue_message_sends_its_body(bindings_app: AppHost, stack: RunningStack) -> None:
    """A func.QueueMessage set on the output arrives as its body (worker e2e
    put_queue_message_return / queue_trigger_message_return)."""
    text = f"message {uuid.uuid4()}"
    requests.post(bindings_app.url("/api/queue/message"), data=text, timeout=10).raise_for_status()
    assert text in eventually(lambda: messages(stack, "conf-out-message"))


def test_return_value_goes_to_the_lowercased_queue(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """$return bound to a queue, the HTTP response from an Out[HttpResponse] (route
    binding_arg_name); the extension lower-cases queue names (queue-output "Configuration")."""
    text = f"returned {uuid.uuid4()}"
    response = requests.post(bindings_app.url("/api/queue/return"), data=text, timeout=10)
    assert response.status_code == 202
    assert response.text == "queued"
    assert text in eventually(lambda: messages(stack, "conf-out-return"))


def test_a_json_array_string_becomes_several_messages(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """The host parses a string that looks like JSON: an array is sent as one message per
    item, as Azure does (reported as azure-functions-python-worker issue 1492, "queue_output
    might generate several messages from 1 string")."""
    marker = uuid.uuid4().hex[:8]
    body = f'["a-{marker}", "b-{marker}"]'
    requests.post(bindings_app.url("/api/queue/single"), data=body, timeout=10).raise_for_status()
    found = eventually(
        lambda: [m for m in messages(stack, "conf-out-single") if marker in m] or None
    )
    assert found == [f"a-{marker}", f"b-{marker}"]
