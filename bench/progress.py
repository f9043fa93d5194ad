"""Progress lines for a benchmark run: which case, how far into it, and the rows it gave.

A full run takes minutes on a shared machine; whoever watches it (or reads a log cut short
by a timeout) should see at each line where the run is and what it has measured so far.
One run at a time per process, so the current case is module state.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from bench.report import Row

__all__ = ["begin", "case", "note", "rows"]


@dataclass
class _Run:
    cases: list[str] = field(default_factory=list)
    started: float = field(default_factory=time.perf_counter)
    current: str = ""
    case_started: float = field(default_factory=time.perf_counter)


_RUN = _Run()


def _clock(seconds: float) -> str:
    minutes, rest = divmod(int(seconds), 60)
    return f"{minutes:02d}:{rest:02d}"


def _prefix() -> str:
    where = ""
    if _RUN.current:
        index = _RUN.cases.index(_RUN.current) + 1 if _RUN.current in _RUN.cases else 0
        where = f" {_RUN.current}" + (f" ({index}/{len(_RUN.cases)})" if index else "")
    return f"bench [{_clock(time.perf_counter() - _RUN.started)}]{where}"


def begin(cases: list[str]) -> None:
    """A run of these cases starts now."""
    global _RUN
    _RUN = _Run(cases=list(cases))


def case(ident: str) -> None:
    """Case ``ident`` starts now."""
    _RUN.current, _RUN.case_started = ident, time.perf_counter()
    print(f"{_prefix()}: starting", flush=True)


def note(text: str) -> None:
    """How far the current case has come (e.g. ``concurrency 8, round 2 of 5``)."""
    print(f"{_prefix()}: {text}", flush=True)


def rows(found: list[Row]) -> None:
    """The rows the current case gave, one line each, and its time."""
    for row in found:
        ratio = "" if row.ratio is None else f", {row.ratio:.2f}x"
        print(
            f"{_prefix()}: {row.id} {row.value} (baseline {row.baseline}{ratio}) {row.verdict}",
            flush=True,
        )
    note(f"done in {time.perf_counter() - _RUN.case_started:.0f} s")
