"""What every benchmark case stands on: the stack, a caller, the counters, the host's memory."""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueClient

from bench.load import JobPoster
from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential


class Bench:
    """What every case needs: the stack, a caller token, counters."""

    def __init__(self, stack: RunningStack, *, scale: float = 1.0) -> None:
        self.stack = stack
        self.scale = scale
        self.ca = stack.ca_bundle
        self.poster = JobPoster(stack.api, stack.caller_token("Jobs.Submit", lifetime=7200))
        self.credential = IssuerCredential(stack.issuer())
        # The baselines run in this process as the app would: with the app's settings.
        os.environ.update(stack.app_env)
        self.blobs = BlobServiceClient(
            stack.endpoints["blob"], self.credential, connection_verify=self.ca
        )

    def n(self, count: int) -> int:
        return max(10, int(count * self.scale))

    def empty_container(self, name: str) -> None:
        """Delete the container ``name`` and create it again, empty.

        Azurite's in-memory blob store finds a blob by filtering every blob of the
        account, so a write slows as blobs pile up: a job-state write took 5.5 ms on a fresh
        store and 18 to 22 ms once P4t had left 5,600 jobs. Azure's does not, so a case
        that compares writes starts each measurement from an empty container.
        """
        container = self.blobs.get_container_client(name)
        container.delete_container()  # Azurite frees the name at once (Azure would not)
        container.create_container()

    def vault_gets(self) -> int:
        return int(self.stack.stats("vault").get("get_secret", 0))

    def tokens(self) -> dict[str, int]:
        stats = self.stack.stats("identity")
        return {k: int(v) for k, v in stats["tokens_issued"].items()}

    def host_pid(self) -> int:
        return host_pid(int(self.stack.endpoints["pid"]))

    def host_rss_kib(self) -> int:
        for line in Path(f"/proc/{self.host_pid()}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        raise RuntimeError("VmRSS not found")


@dataclass(frozen=True, slots=True)
class HeapReading:
    """One reading of a traced process: KiB held by Python objects, and its threads."""

    kib: int
    threads: int


class HeapProbe:
    """Bytes held by Python objects in the host, read through ``bench/heaptrace``.

    The host must run with the settings from :meth:`settings` (tracemalloc on, which
    slows it about twofold; P7 starts its own stack so traced).
    """

    SITE = Path(__file__).resolve().parent / "heaptrace"

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._reads = 0

    def settings(self) -> dict[str, str]:
        return {
            "PYTHONTRACEMALLOC": "1",
            "PYTHONPATH": str(self.SITE),
            "BENCH_HEAP_DIR": str(self.directory),
        }

    def read(self, pid: int, timeout: float = 60.0) -> HeapReading:
        """Ask process ``pid`` (started with :meth:`settings`) for its traced bytes and its
        threads."""
        self._reads += 1
        target = self.directory / f"heap-{self._reads}.json"
        os.kill(pid, signal.SIGUSR1)
        deadline = time.monotonic() + timeout
        while not target.exists():
            if time.monotonic() > deadline:
                raise RuntimeError("the host wrote no heap reading (was it started traced?)")
            time.sleep(0.1)
        found = json.loads(target.read_text())
        return HeapReading(int(found["traced_bytes"]) // 1024, int(found["threads"]))


def wait_for_drain(bench: Bench, *, timeout: float = 600.0) -> None:
    """Wait until the jobs queue is empty (messages in flight count as not done)."""
    from azure.core.exceptions import AzureError

    queue = QueueClient(
        bench.stack.endpoints["queue"],
        "jobs",
        credential=bench.credential,
        connection_verify=bench.ca,
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            if not queue.get_queue_properties().approximate_message_count:
                return
        except AzureError as exc:  # a busy Azurite answers late; the deadline still holds
            print(f"bench: queue length not read ({type(exc).__name__}), retrying", flush=True)
        if time.monotonic() > deadline:
            raise RuntimeError("the jobs queue did not drain")
        time.sleep(0.5)


def host_pid(stack_pid: int) -> int:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == stack_pid and b"devstack.host" in cmdline:
            return int(entry.name)
    raise RuntimeError("the function host process was not found")
