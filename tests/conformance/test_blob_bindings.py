"""Blob input, output and trigger bindings, and binding expressions in their paths.

Sources: Azure Blob storage input binding (learn.microsoft.com/azure/azure-functions/
functions-bindings-storage-blob-input), output binding (...-blob-output), trigger
(...-blob-trigger: "Polling", "Blob receipts", "Poison blobs"), binding expression
patterns (functions-bindings-expressions-patterns), the Python developer guide, and the
worker's end-to-end blob tests (tests/endtoend/blob_functions).
"""

from __future__ import annotations

import base64
import json
import re
import uuid

import requests
from azure.core.exceptions import ResourceNotFoundError

from devstack.runner import RunningStack
from tests.conformance.conftest import AppHost, peek
from tests.support.waiting import eventually


def blob_text(stack: RunningStack, container: str, name: str) -> str | None:
    """The blob's text; None while it is not written (any other failure is raised)."""
    client = stack.blob_service().get_blob_client(container, name)
    try:
        return client.download_blob().readall().decode()
    except ResourceNotFoundError:
        return None


def test_out_str_then_in_str_bytes_and_stream(bindings_app: AppHost) -> None:
    """blob-output with func.Out[str]; blob-input with dataType STRING gives str, BINARY
    gives bytes, no dataType and func.InputStream gives a stream (blob-input "Usage",
    Python; worker e2e get_blob_as_str / get_blob_as_bytes / get_blob_str). An input
    InputStream carries no name: only a trigger's has metadata."""
    name = f"{uuid.uuid4().hex}.txt"
    text = "caf\u00e9 and more"
    put = requests.post(bindings_app.url(f"/api/blob/put/{name}"), data=text.encode(), timeout=10)
    assert put.text == "OK"
    as_str = requests.get(bindings_app.url(f"/api/blob/str/{name}"), timeout=10).json()
    assert as_str == {"type": "str", "value": text}
    as_bytes = requests.get(bindings_app.url(f"/api/blob/bytes/{name}"), timeout=10).json()
    assert as_bytes == {"type": "bytes", "hex": text.encode().hex()}
    stream = requests.get(bindings_app.url(f"/api/blob/stream/{name}"), timeout=10).json()
    assert stream == {"type": "InputStream", "name": None, "content": text}


def test_out_bytes_keeps_every_byte(bindings_app: AppHost, stack: RunningStack) -> None:
    """blob-output with func.Out[bytes] and dataType BINARY (worker e2e put_blob_bytes)."""
    name = f"{uuid.uuid4().hex}.bin"
    payload = bytes(range(256))
    requests.post(
        bindings_app.url(f"/api/blob/putbytes/{name}"), data=payload, timeout=10
    ).raise_for_status()
    content = stack.blob_service().get_blob_client("conf-blobs", f"in/{name}").download_blob()
    assert content.readall() == payload


def test_missing_input_blob_is_none(bindings_app: AppHost) -> None:
    """blob-input: a blob that does not exist binds as None."""
    response = requests.get(bindings_app.url(f"/api/blob/stream/{uuid.uuid4().hex}"), timeout=10)
    assert response.json() == {"missing": True}


def test_path_expressions_query_datetime_and_rand_guid(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """Binding expressions: a query parameter ({who}), {DateTime} (UTC,
    yyyy-MM-ddTHH-mm-ssZ) and {rand-guid} (functions-bindings-expressions-patterns)."""
    who = uuid.uuid4().hex[:10]
    for _ in range(2):
        response = requests.post(bindings_app.url(f"/api/blob/expr?who={who}"), timeout=10)
        assert response.text == "OK"
    container = stack.blob_service().get_container_client("conf-blobs")
    names = [b.name for b in container.list_blobs(name_starts_with=f"expr/{who}/")]
    assert len(names) == 2, names
    shape = re.compile(
        rf"^expr/{who}/\d{{4}}-\d\d-\d\dT\d\d-\d\d-\d\dZ-"
        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.txt$"
    )
    assert all(shape.match(name) for name in names), names


def test_unresolvable_expression_fails_the_invocation(bindings_app: AppHost) -> None:
    """An expression nothing provides fails the invocation (HTTP 500), nothing is written."""
    response = requests.post(bindings_app.url("/api/blob/badexpr"), timeout=10)
    assert response.status_code == 500
    assert "Unable to resolve binding parameter 'nothing_provides_this'" in bindings_app.log_text()


def test_queue_trigger_blob_return_with_metadata_path(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """Queue trigger with a blob output on $return whose path uses the message {Id}
    (queue-trigger "Message metadata"); the function gets a func.QueueMessage with its
    metadata (worker e2e queue_trigger)."""
    sent = (
        stack.queue_service()
        .get_queue_client("conf-to-blob")
        .send_message(base64.b64encode(b"to a blob").decode())
    )
    stored = eventually(lambda: blob_text(stack, "conf-blobs", f"queue/{sent.id}.json"))
    assert json.loads(stored) == {
        "id": sent.id,
        "body": "to a blob",
        "dequeue_count": 1,
        "has_times": True,
        "pop_receipt": True,
    }


def test_str_parameter_and_json_property_expression(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """A queue trigger parameter annotated str receives the text (worker e2e
    queue_trigger_untyped); a JSON message's property ({name}) resolves in another
    binding's path (expressions "JSON payloads"; azure-functions-host issue 8865)."""
    name = uuid.uuid4().hex
    message = json.dumps({"name": name, "n": 1})
    stack.queue_service().get_queue_client("conf-str-param").send_message(
        base64.b64encode(message.encode()).decode()
    )
    stored = eventually(lambda: blob_text(stack, "conf-blobs", f"str/{name}.json"))
    assert json.loads(stored) == {"type": "str", "value": message}


def test_none_for_a_blob_return_fails_and_poisons(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """The worker cannot send None to a blob $return: each run fails, so after
    maxDequeueCount (2 in this app's host.json) the message is in <queue>-poison
    (queue-trigger "Poison messages")."""
    sent = (
        stack.queue_service()
        .get_queue_client("conf-none-return")
        .send_message(base64.b64encode(b"none").decode())
    )
    eventually(lambda: sent.content in peek(stack, "conf-none-return-poison"))
    runs = [r for r in bindings_app.records("queue_none_return") if r["id"] == sent.id]
    assert [r["dequeue_count"] for r in runs] == [1, 2]
    assert blob_text(stack, "conf-blobs", f"none/{sent.id}.txt") is None


def test_blob_trigger_runs_once_per_version(bindings_app: AppHost, stack: RunningStack) -> None:
    """Blob trigger with a blob $return: InputStream name is container/blob, length and URI
    set (worker e2e blob_trigger); a receipt makes each version run once, and a new
    version (new ETag) runs again (blob-trigger "Blob receipts")."""
    stem = uuid.uuid4().hex
    source = stack.blob_service().get_blob_client("conf-trigger", f"{stem}.txt")
    source.upload_blob(b"first version")
    first = json.loads(eventually(lambda: blob_text(stack, "conf-blobs", f"triggered/{stem}.json")))
    assert first["name"] == f"conf-trigger/{stem}.txt"
    assert first["length"] == len(b"first version")
    assert first["content"] == "first version"
    assert first["uri"].endswith(f"/conf-trigger/{stem}.txt")
    # Another blob processed later means the container was scanned again since: the first
    # version's receipt kept it from running twice.
    barrier = uuid.uuid4().hex
    stack.blob_service().get_blob_client("conf-trigger", f"{barrier}.txt").upload_blob(b"x")
    eventually(lambda: blob_text(stack, "conf-blobs", f"triggered/{barrier}.json"))
    assert len([r for r in bindings_app.records("blob_triggered") if stem in r["name"]]) == 1
    source.upload_blob(b"second version", overwrite=True)
    eventually(
        lambda: "second version" in (blob_text(stack, "conf-blobs", f"triggered/{stem}.json") or "")
    )
    runs = [r for r in bindings_app.records("blob_triggered") if stem in r["name"]]
    assert len(runs) == 2
    assert runs[0]["invocation"] != runs[1]["invocation"]


def test_failing_blob_goes_to_the_blob_poison_queue(
    bindings_app: AppHost, stack: RunningStack
) -> None:
    """A blob whose function keeps failing runs maxDequeueCount times, then its trigger
    message goes to webjobs-blobtrigger-poison (blob-trigger "Poison blobs")."""
    name = f"{uuid.uuid4().hex}.bin"
    stack.blob_service().get_blob_client("conf-poison", name).upload_blob(b"poison")

    def poisoned() -> list[dict[str, str]]:
        found = [json.loads(base64.b64decode(m)) for m in peek(stack, "webjobs-blobtrigger-poison")]
        return [m for m in found if m.get("BlobName") == name]

    message = eventually(poisoned, timeout=40)[0]
    assert message["FunctionId"] == "Host.Functions.blob_always_fails"
    assert message["ContainerName"] == "conf-poison"
    runs = [r for r in bindings_app.records("blob_always_fails") if r["name"].endswith(name)]
    assert len(runs) == 2
