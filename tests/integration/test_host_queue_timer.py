"""The devstack host's queue and timer triggers (docs/devstack.md, "What the host does")."""

from __future__ import annotations

import base64
import uuid

from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import TextBase64EncodePolicy

from tests.integration.conftest import HostApp
from tests.support.waiting import eventually


def _drained(hostapp: HostApp, queue: str) -> bool:
    client = hostapp.queues.get_queue_client(queue)
    return client.get_queue_properties().approximate_message_count == 0


def _poison_contents(hostapp: HostApp, queue: str) -> list[str]:
    client = hostapp.queues.get_queue_client(f"{queue}-poison")
    try:
        return [m.content for m in client.peek_messages(max_messages=32)]
    except ResourceNotFoundError:  # the host makes the poison queue on the first poison
        return []


def test_base64_message_runs_once_and_is_deleted(hostapp: HostApp) -> None:
    marker = f"ok-{uuid.uuid4()}"
    sender = hostapp.queues.get_queue_client(
        "hostapp-ok", message_encode_policy=TextBase64EncodePolicy()
    )
    sender.send_message(marker)
    runs = eventually(lambda: [r for r in hostapp.records("queue_ok") if r["body"] == marker])
    eventually(lambda: _drained(hostapp, "hostapp-ok"))
    assert len(runs) == 1
    assert runs[0]["dequeue_count"] == 1
    assert all(r["body"] != marker for r in hostapp.records("queue_fail"))


def test_non_base64_message_is_poisoned_raw_without_running(hostapp: HostApp) -> None:
    raw = f"not base64 !! {uuid.uuid4()}"
    hostapp.queues.get_queue_client("hostapp-ok").send_message(raw)
    eventually(lambda: raw in _poison_contents(hostapp, "hostapp-ok"))
    assert all(raw not in str(r["body"]) for r in hostapp.records("queue_ok"))
    # The copy goes to the poison queue first and the message is deleted after it, as the
    # Storage Queues extension moves a poison message (azure-sdk-for-net,
    # Microsoft.Azure.WebJobs.Extensions.Storage.Queues, QueueProcessor.HandlePoisonMessageAsync):
    # the delete may still be on its way.
    eventually(lambda: _drained(hostapp, "hostapp-ok"))


def test_failing_message_runs_max_dequeue_count_times_then_poison(hostapp: HostApp) -> None:
    marker = f"fail-{uuid.uuid4()}"
    encoded = base64.b64encode(marker.encode()).decode()
    hostapp.queues.get_queue_client("hostapp-fail").send_message(encoded)
    eventually(lambda: encoded in _poison_contents(hostapp, "hostapp-fail"), timeout=60)
    runs = [r for r in hostapp.records("queue_fail") if r["body"] == marker]
    # tests/hostapp/host.json sets maxDequeueCount to 3.
    assert sorted(int(str(r["dequeue_count"])) for r in runs) == [1, 2, 3]
    assert "Moving message to queue 'hostapp-fail-poison'" in hostapp.log_text()


def test_a_message_outliving_its_lease_is_renewed_and_runs_once(hostapp: HostApp) -> None:
    sender = hostapp.queues.get_queue_client(
        "hostapp-slow", message_encode_policy=TextBase64EncodePolicy()
    )
    sent = sender.send_message("slow")
    # The function sleeps 12 s; the lease is 10 s. Without renewal the message would be
    # received again at 10 s and run a second time.
    eventually(
        lambda: [r for r in hostapp.records("queue_slow_end") if r["id"] == sent.id], timeout=40
    )
    eventually(lambda: _drained(hostapp, "hostapp-slow"))
    starts = [r for r in hostapp.records("queue_slow_start") if r["id"] == sent.id]
    assert len(starts) == 1
    assert starts[0]["dequeue_count"] == 1


def test_timer_runs_on_startup_and_on_its_seconds_schedule(hostapp: HostApp) -> None:
    ticks = eventually(
        lambda: len(hostapp.records("tick")) >= 3 and hostapp.records("tick"), timeout=20
    )
    assert ticks[0]["past_due"] is False
    assert "Reason='Timer fired at host startup.'" in hostapp.log_text()
