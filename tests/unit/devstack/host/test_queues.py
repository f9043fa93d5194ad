"""The queue listener's polling and concurrency, held to the Storage Queues extension.

Sources (azure-sdk-for-net, sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Common/
src/Shared/Queues/QueueListener.cs): ``GetMessageReceiveCount`` asks for ``BatchSize``
messages and ``WaitForNewBatchThreshold`` waits only while more than ``NewBatchThreshold``
run, so up to ``batchSize + newBatchThreshold`` run at once (24 with the defaults; the
trigger's page, learn.microsoft.com/azure/azure-functions/functions-bindings-storage-queue-
trigger#concurrency, says the same); ``Notify`` ends the back-off, and the queue output
binding calls it through ``SharedQueueWatcher`` after every message it adds
(sdk/storage/Microsoft.Azure.WebJobs.Extensions.Storage.Queues/src/Config/
QueuesExtensionConfigProvider.cs, ``QueueAsyncCollector.AddAsync``).

The queue is an in-memory fake (:mod:`tests.unit.devstack.host.fakequeue`); the function
and the invoker are the host's own.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from devstack.host import queues
from devstack.host.bindings.connections import StorageClients
from devstack.host.bindings.expressions import BindingData
from devstack.host.config import QueueOptions
from devstack.host.functions import IndexedFunction, index_functions
from devstack.host.invocation import HostBindings, Invoker
from devstack.host.queues import QueueListener
from devstack.host.queuewatcher import QueueWatcher
from tests.support.waiting import eventually
from tests.unit.devstack.host.fakequeue import FakeQueue, FakeQueueService


class World:
    """What one test's functions saw and did: each test has its own, so an invocation left
    running by an earlier test cannot write into a later one's."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.running: list[str] = []
        self.peak = 0
        self.gate = threading.Event()
        self.state = threading.Lock()


def functions(world: World) -> dict[str, IndexedFunction]:
    app = func.FunctionApp()

    @app.queue_trigger(arg_name="msg", queue_name="wake", connection="AzureWebJobsStorage")
    def woken(msg: str) -> None:
        world.seen.append(msg)

    @app.queue_trigger(arg_name="msg", queue_name="busy", connection="AzureWebJobsStorage")
    def busy(msg: str) -> None:
        with world.state:
            world.running.append(msg)
            world.peak = max(world.peak, len(world.running))
        if msg.startswith("hold"):
            world.gate.wait(30)
        with world.state:
            world.running.remove(msg)

    @app.route(route="send")
    @app.queue_output(arg_name="out", queue_name="wake", connection="AzureWebJobsStorage")
    def sender(req: func.HttpRequest, out: func.Out[str]) -> str:
        out.set("sent by the output binding")
        return "ok"

    return {f.name: f for f in index_functions(app)}


class FakeClients(StorageClients):
    """The host's storage clients, every queue in one in-memory service."""

    def __init__(self, service: FakeQueueService) -> None:
        super().__init__(credential=None, environ={})  # type: ignore[arg-type]
        self.service = service

    def queue(self, connection: str) -> Any:
        return self.service


@pytest.fixture
def service() -> FakeQueueService:
    return FakeQueueService()


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def invoker(tmp_path: Path, service: FakeQueueService, world: World) -> Iterator[Invoker]:
    invoker = Invoker(app_dir=tmp_path)
    yield invoker
    world.gate.set()
    invoker.shutdown()


def encoded(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


@contextmanager
def backing_off(
    function: IndexedFunction,
    invoker: Invoker,
    service: FakeQueueService,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[tuple[QueueWatcher, FakeQueue]]:
    """A listener of the ``wake`` queue that has polled it once, found it empty and now
    waits half an hour to an hour before the next poll; its watcher and its queue."""
    monkeypatch.setattr(queues, "MIN_POLL_SECONDS", 1800.0)
    watcher = QueueWatcher()
    listener = QueueListener(
        function=function,
        credential=None,
        options=QueueOptions(max_polling_interval=3600.0),
        invoker=invoker,
        watcher=watcher,
        service=service,  # type: ignore[arg-type]
    )
    wake = service.get_queue_client("wake")
    listener.start()
    try:
        eventually(lambda: wake.receives)  # polled once, found it empty: backing off
        yield watcher, wake
    finally:
        listener.stop()


def test_a_message_from_the_hosts_own_output_binding_ends_the_back_off(
    invoker: Invoker, service: FakeQueueService, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    """The host's queue output binding writing to the listener's queue wakes it at once,
    so the message runs well within the test's bound (without the wake-up it would wait
    for that poll)."""
    found = functions(world)
    with backing_off(found["woken"], invoker, service, monkeypatch) as (watcher, wake):
        bindings = HostBindings(
            clients=FakeClients(service), queue_encoding="base64", queue_watcher=watcher
        )
        sender = found["sender"]
        output = next(b for b in sender.bindings if b.type == "queue")
        bindings.write(output, "sent by the output binding", BindingData(method_name="sender"))
        eventually(lambda: world.seen == ["sent by the output binding"], timeout=60)
        assert wake.returned[:2] == [0, 1]  # the poll right after the wake-up found it


def test_notify_reaches_only_the_listeners_of_that_queue(
    invoker: Invoker, service: FakeQueueService, monkeypatch: pytest.MonkeyPatch, world: World
) -> None:
    """Registrations are per queue name: a message for another queue wakes nobody here."""
    with backing_off(functions(world)["woken"], invoker, service, monkeypatch) as (watcher, wake):
        watcher.notify("some-other-queue")
        watcher.notify("WAKE")  # queue names are case-insensitive (lower-cased by the host)
        eventually(lambda: len(wake.receives) == 2, timeout=60)


def test_up_to_batch_size_plus_new_batch_threshold_run_at_once(
    invoker: Invoker, service: FakeQueueService, world: World
) -> None:
    """Defaults 16 + 8: the first batch of 16 runs, 8 of them finish, a second batch of 16
    is fetched while 8 still run: 24 at once, and no third batch while more than 8 run."""
    busy = service.get_queue_client("busy")
    for index in range(8):
        busy.send_message(encoded(f"quick {index}"))
    for index in range(40):
        busy.send_message(encoded(f"hold {index}"))
    options = QueueOptions()
    assert (options.batch_size, options.new_batch_threshold) == (16, 8)
    listener = QueueListener(
        function=functions(world)["busy"],
        credential=None,
        options=options,
        invoker=invoker,
        service=service,  # type: ignore[arg-type]
    )
    listener.start()
    try:
        eventually(lambda: world.peak == 24, timeout=60)
        assert busy.receives == [16, 16]  # full batches, the third one waits
        assert len(busy.visible) == 48 - 32
        world.gate.set()
        eventually(lambda: len(busy.deleted) == 48, timeout=60)
        assert world.peak == 24
        assert all(count == 16 for count in busy.receives)
    finally:
        listener.stop()
