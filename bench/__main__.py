"""``python -m bench`` (``make bench``): start the devstack on free ports, run P1-P9, report.

Each measure is a ratio against a baseline run in the same process on the same
stack, because shared machines are noisy; nothing here is a timed assertion.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import cases
from bench.harness import Bench, HeapProbe, host_pid, wait_for_drain
from bench.queue_drain import queue_drain
from bench.report import Row, machine, markdown, render, write_json
from bench.storage_front import storage_front
from devstack.runner import RunningStack, running_stack

BENCH_SETTINGS = {"AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:02"}
P4_APP_SETTINGS = {**BENCH_SETTINGS, **cases.P4_SETTINGS}
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"


def _after_idle(bench: Bench, case: Callable[[Bench], Row]) -> Row:
    wait_for_drain(bench)
    return case(bench)


@contextmanager
def _own_stack(main: Bench, name: str, settings: dict[str, str]) -> Iterator[Bench]:
    """A stack for one case, so what the other cases left in Azurite does not weigh on it."""
    print(f"bench: {name} starts a stack of its own ...", flush=True)
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{name.lower()}-") as state,
            running_stack(Path(state), app_settings=settings) as stack,
        ):
            yield Bench(stack, scale=main.scale)
    finally:
        os.environ.update(main.stack.app_env)  # the other cases run as the main stack's app


def _submit_latency_alone(main: Bench, extra: dict[str, str]) -> list[Row]:
    with _own_stack(main, "P4", {**P4_APP_SETTINGS, **extra}) as bench:  # worker off
        return cases.submit_latency(bench)


def _host_memory_alone(main: Bench, extra: dict[str, str], heap: HeapProbe | None) -> Row:
    settings = {**BENCH_SETTINGS, **extra, **(heap.settings() if heap else {})}
    with _own_stack(main, "P7", settings) as bench:
        return cases.host_memory(bench, heap=heap)


def _run(
    stack: RunningStack,
    wanted: set[str],
    scale: float,
    extra: dict[str, str],
    heap: HeapProbe | None,
) -> list[Row]:
    bench = Bench(stack, scale=scale)
    steps: list[tuple[str, Callable[[], Row | list[Row]]]] = [
        ("P1", lambda: cases.cold_import(bench)),
        ("P2", lambda: cases.vault_reads_and_tokens(bench)),
        ("P4", lambda: _submit_latency_alone(bench, extra)),
        ("P5", lambda: _after_idle(bench, queue_drain)),
        ("P6", lambda: cases.posture_run(bench)),
        ("P7", lambda: _host_memory_alone(bench, extra, heap)),
        ("P9", lambda: storage_front(bench)),
        ("P10", lambda: __import__("bench.rotation_case").rotation_case.run(bench)),
    ]
    rows: list[Row] = []
    for ident, step in steps:
        if ident not in wanted:
            continue
        print(f"bench: {ident} ...", flush=True)
        started = time.perf_counter()
        result = step()
        rows.extend(result if isinstance(result, list) else [result])
        print(f"bench: {ident} done in {time.perf_counter() - started:.0f}s", flush=True)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only", default="P1,P2,P4,P5,P6,P7,P8,P9", help="comma-separated ids (P2 also reports P3)"
    )
    parser.add_argument(
        "--scale", type=float, default=1.0, help="multiply job counts (e.g. 0.1 for a quick look)"
    )
    parser.add_argument(
        "--app-setting",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an extra app setting for the stacks' host (repeatable), to compare a tuning",
    )
    parser.add_argument(
        "--trace-heap",
        action="store_true",
        help="P7 also reads the host's Python heap (tracemalloc; slows the host)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--markdown", action="store_true", help="also print a Markdown table")
    args = parser.parse_args(argv)
    wanted = {item.strip().upper() for item in args.only.split(",")}
    extra: dict[str, str] = {}
    for item in args.app_setting:
        name, sep, value = item.partition("=")
        if not sep or not name:
            parser.error(f"--app-setting wants NAME=VALUE, got {item!r}")
        extra[name] = value

    print("bench: starting the devstack on free ports ...", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-devstack-") as state:
        heap = HeapProbe(Path(state) / "heap") if args.trace_heap else None
        if heap is not None:
            heap.directory.mkdir()  # only P7's own stack runs traced
        settings = {**BENCH_SETTINGS, **extra}
        with running_stack(Path(state) / "stack", app_settings=settings) as stack:
            print(f"bench: the function host is pid {host_pid(int(stack.endpoints['pid']))}")
            rows = _run(stack, wanted, args.scale, extra, heap)
    print()
    print(render(rows))
    if args.markdown:
        print()
        print(markdown(rows))
        print()
        print(f"machine: {machine()}")
    write_json(rows, args.out)
    print(f"\nbench: results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
