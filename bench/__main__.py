"""``python -m bench`` (``make bench``): start the devstack on free ports, run P1-P13, report.

P2 (with P3) and P8 report both ways of reaching the partner: the key in Key Vault, and
Entra tokens with no key on a stack of their own (P2e, P3e, P8e: bench/entra_case.py).

Each measure is a ratio against a baseline run in the same process on the same stack,
because shared machines are noisy; nothing here is a timed assertion. Every case's rows go
to ``bench/results/latest.json`` as soon as it finishes (with the machine and the run's
options), so an interrupted run keeps what it measured; a case that fails is a row that
says why, and the run goes on. Ctrl-C or SIGTERM (a ``timeout``)
ends the run cleanly: the case in flight is abandoned, and every stack and host the run
started stops with it (and would even if it were killed: :mod:`devstack.lifeline`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import cases, entra_case, progress
from bench.cold_start import P8_SETTINGS, cold_starts
from bench.harness import Bench, HeapProbe, host_pid, wait_for_drain
from bench.host_memory import host_memory
from bench.interrupts import Interrupted, interrupts_end_the_run
from bench.queue_drain import queue_drain
from bench.report import Row, machine, machine_line, markdown, render, write_json
from bench.round_trip import ROUND_TRIP_BLUEPRINTS, ROUND_TRIP_SETTINGS, round_trip
from bench.storage_front import storage_front
from bench.submit_latency import P4_BLUEPRINTS, P4_SETTINGS, alternatives, submit_latency
from devstack.runner import RunningStack, running_stack

BENCH_SETTINGS = {"AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:02"}
P4_APP_SETTINGS = {**BENCH_SETTINGS, **P4_SETTINGS}
RESULTS = Path(__file__).resolve().parent / "results" / "latest.json"
ALL = "P1,P2,P4,P5,P6,P7,P8,P9,P11,P12,P13"


def _after_idle(bench: Bench, case: Callable[[Bench], Row]) -> Row:
    wait_for_drain(bench)
    return case(bench)


@contextmanager
def _own_stack(
    main: Bench,
    name: str,
    settings: dict[str, str],
    *,
    blueprints: tuple[str, ...] = (),
    host: str = "devstack",
    partner_auth: str = "key",
) -> Iterator[Bench]:
    """A stack for one case, so what the other cases left in Azurite does not weigh on it."""
    progress.note("starting a stack of its own")
    saved = dict(os.environ)
    try:
        with (
            tempfile.TemporaryDirectory(prefix=f"bench-{name.lower()}-") as state,
            running_stack(
                Path(state),
                app_settings=settings,
                blueprints=blueprints,
                host=host,
                partner_auth=partner_auth,
            ) as stack,
        ):
            yield Bench(stack, scale=main.scale)
    finally:
        os.environ.clear()  # the other cases run as the main stack's app
        os.environ.update(saved)


def _submit_latency_alone(
    main: Bench, extra: dict[str, str], case: Callable[[Bench], list[Row]] = submit_latency
) -> list[Row]:
    # P4's stack is its own, but the main stack's host may still drain what P2 queued: on
    # two cores that would be load on P4's sides.
    wait_for_drain(main)
    settings = {**P4_APP_SETTINGS, **extra}  # the worker off, the no-op function on
    with _own_stack(main, "P4", settings, blueprints=P4_BLUEPRINTS) as bench:
        return case(bench)


def _host_memory_alone(main: Bench, extra: dict[str, str], heap: HeapProbe) -> list[Row]:
    settings = {**BENCH_SETTINGS, **extra, **heap.settings()}
    with _own_stack(main, "P7", settings) as bench:
        return host_memory(bench, heap)


def _cold_start_alone(main: Bench, extra: dict[str, str], work: Path) -> list[Row]:
    settings = {**P8_SETTINGS, **extra}
    with _own_stack(main, "P8", settings, host="none") as bench:  # each run starts a host
        rows = cold_starts(bench, work)
    # The same with Entra tokens and no key (docs/partner-entra.md), against this run's P8.
    with _own_stack(main, "P8e", settings, host="none", partner_auth="entra") as bench:
        return [*rows, *entra_case.cold_starts(bench, work, rows)]


def _entra_reads_alone(main: Bench, extra: dict[str, str]) -> list[Row]:
    """P2e and P3e, on a stack started with --partner-auth entra."""
    with _own_stack(main, "P2e", {**BENCH_SETTINGS, **extra}, partner_auth="entra") as bench:
        return entra_case.reads_and_tokens(bench)


def _round_trip_alone(main: Bench, extra: dict[str, str]) -> Row:
    settings = {**ROUND_TRIP_SETTINGS, **extra}  # the host's own polling, not the benchmarks' 2 s
    with _own_stack(main, "P13", settings, blueprints=ROUND_TRIP_BLUEPRINTS) as bench:
        return round_trip(bench)


def _run(
    stack: RunningStack,
    wanted: set[str],
    scale: float,
    extra: dict[str, str],
    state: Path,
    save: Callable[[list[Row]], None],
) -> list[Row]:
    bench = Bench(stack, scale=scale)
    heap = HeapProbe(state / "heap")
    steps: list[tuple[str, Callable[[], Row | list[Row]]]] = [
        ("P1", lambda: cases.cold_import(bench)),
        ("P2", lambda: [*cases.vault_reads_and_tokens(bench), *_entra_reads_alone(bench, extra)]),
        ("P4", lambda: _submit_latency_alone(bench, extra)),
        ("P4X", lambda: _submit_latency_alone(bench, extra, alternatives)),
        ("P5", lambda: _after_idle(bench, queue_drain)),
        ("P6", lambda: cases.posture_run(bench)),
        ("P7", lambda: _host_memory_alone(bench, extra, heap)),
        ("P8", lambda: _cold_start_alone(bench, extra, state / "p8")),
        ("P9", lambda: storage_front(bench)),
        ("P10", lambda: __import__("bench.rotation_case").rotation_case.run(bench)),
        ("P11", lambda: __import__("bench.migrate_case").migrate_case.accuracy()),
        ("P12", lambda: __import__("bench.migrate_case").migrate_case.scan_time()),
        ("P13", lambda: _round_trip_alone(bench, extra)),
    ]
    heap.directory.mkdir(parents=True, exist_ok=True)
    (state / "p8").mkdir(parents=True, exist_ok=True)
    rows: list[Row] = []
    chosen = [(ident, step) for ident, step in steps if ident in wanted]
    progress.begin([ident for ident, _ in chosen])
    for ident, step in chosen:
        progress.case(ident)
        try:
            result = step()
        except Exception as exc:  # one case that cannot finish does not cost the others
            result = failed_case(ident, exc)
        found = result if isinstance(result, list) else [result]
        rows.extend(found)
        save(rows)
        progress.rows(found)
    return rows


def failed_case(ident: str, exc: Exception) -> Row:
    """The row of a case that raised: a miss naming the error, so the table says so."""
    what = f"{type(exc).__name__}: {exc}".splitlines()[0][:200]
    return Row(ident, f"the case did not finish ({what})", "-", "-", None, "finishes", False)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--only",
        default=ALL,
        help="comma-separated ids (P2 also reports P3, and P2e/P3e with Entra tokens; P8 also "
        "P8e; P4x, the crash-safe ways of submitting against the floor, and P10, the rotation "
        "under load, run only when named)",
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
    run = {
        "started": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "only": sorted(wanted),
        "scale": args.scale,
        "app_settings": extra,
    }

    def save(rows: list[Row]) -> None:
        write_json(rows, args.out, run=run)

    print("bench: starting the devstack on free ports ...", flush=True)
    rows: list[Row] = []
    try:
        with interrupts_end_the_run(), tempfile.TemporaryDirectory(prefix="bench-") as state:
            settings = {**BENCH_SETTINGS, **extra}
            with running_stack(Path(state) / "stack", app_settings=settings) as stack:
                host = host_pid(int(stack.endpoints["pid"]))
                print(f"bench: the function host is pid {host}", flush=True)
                rows = _run(stack, wanted, args.scale, extra, Path(state), save)
    except Interrupted as stop:
        print(
            f"\nbench: {stop.signal_name}: stopped, and every stack it started with it; the "
            f"rows measured so far are in {args.out}",
            file=sys.stderr,
            flush=True,
        )
        return 128 + stop.signum
    save(rows)
    print()
    print(render(rows))
    if args.markdown:
        print()
        print(markdown(rows))
        print()
        print(f"machine: {machine_line(machine())}")
    print(f"\nbench: results written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
