"""A trace drawn as a waterfall: each span a row, indented under its parent, its bar placed
on the trace's time line.

:func:`layout` orders the spans depth first (children by start time under their parent;
a span whose parent is not in the trace, such as one under the Functions host's invocation,
which the local stack does not record, starts a tree of its own) and places each bar as a
fraction of the whole trace. :func:`render_text` draws that for a terminal; the page
(:mod:`devstack.traces.page`) draws the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

#: The attributes a row shows beside its name, with their short labels.
SHOWN = (
    ("http.response.status_code", "status"),
    ("app.vault.cache", "cache"),
    ("app.token.cache", "token"),
    ("app.partner.attempts", "attempts"),
    ("app.job.status", "wrote"),
    ("app.delivery.count", "delivery"),
    ("app.job.outcome", "outcome"),
    ("error.type", "error"),
)


@dataclass(frozen=True, slots=True)
class Row:
    span: dict[str, Any]
    depth: int
    offset: float  # where the bar starts, 0..1 of the trace
    width: float  # how long it is, 0..1
    duration_ms: float

    @property
    def name(self) -> str:
        return str(self.span.get("name", ""))

    @property
    def failed(self) -> bool:
        return self.span.get("status") == "error"

    def notes(self) -> str:
        attributes = self.span.get("attributes") or {}
        found = [f"{label}={attributes[key]}" for key, label in SHOWN if key in attributes]
        return " ".join(found)


def moment(text: Any) -> dt.datetime:
    return dt.datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def layout(spans: Sequence[dict[str, Any]]) -> list[Row]:
    if not spans:
        return []
    starts = {id(s): moment(s["start"]) for s in spans}
    ends = {id(s): max(moment(s["end"]), starts[id(s)]) for s in spans}
    first, last = min(starts.values()), max(ends.values())
    whole = max((last - first).total_seconds(), 1e-6)
    ids = {s.get("span_id") for s in spans}
    children: dict[str, list[dict[str, Any]]] = defaultdict(list)
    roots = []
    for span in sorted(spans, key=lambda s: starts[id(s)]):
        parent = span.get("parent_id") or ""
        if parent and parent in ids and parent != span.get("span_id"):
            children[parent].append(span)
        else:
            roots.append(span)
    rows: list[Row] = []
    seen: set[int] = set()

    def walk(span: dict[str, Any], depth: int) -> None:
        if id(span) in seen:  # a cycle in hostile input: drawn once
            return
        seen.add(id(span))
        begin, end = starts[id(span)], ends[id(span)]
        rows.append(
            Row(
                span,
                depth,
                (begin - first).total_seconds() / whole,
                (end - begin).total_seconds() / whole,
                (end - begin).total_seconds() * 1000,
            )
        )
        for child in children.get(str(span.get("span_id")), []):
            walk(child, depth + 1)

    for root in roots:
        walk(root, 0)
    for span in spans:  # spans only reachable through a cycle
        if id(span) not in seen:
            walk(span, 0)
    return rows


def total_ms(spans: Sequence[dict[str, Any]]) -> float:
    if not spans:
        return 0.0
    first = min(moment(s["start"]) for s in spans)
    last = max(moment(s["end"]) for s in spans)
    return (last - first).total_seconds() * 1000


def render_text(spans: Sequence[dict[str, Any]], *, width: int = 100, unicode: bool = True) -> str:
    """The waterfall as lines of at most ``width`` characters."""
    rows = layout(spans)
    if not rows:
        return ""
    traces = sorted({str(s.get("trace_id")) for s in spans})
    label_width = min(48, max(len("  " * r.depth + r.name) for r in rows) + 1)
    track = max(10, width - label_width - 14)
    block, empty = ("█", "·") if unicode else ("#", ".")
    lines = [
        f"trace {', '.join(traces)}: {len(rows)} spans over {total_ms(spans):.1f} ms",
        "",
    ]
    for row in rows:
        label = ("  " * row.depth + row.name)[: label_width - 1].ljust(label_width)
        begin = min(track - 1, int(row.offset * track))
        length = max(1, round(row.width * track))
        length = min(length, track - begin)
        bar = empty * begin + block * length + empty * (track - begin - length)
        mark = " !" if row.failed else "  "
        lines.append(f"{label}{bar} {row.duration_ms:8.1f} ms{mark}")
        notes = row.notes()
        if notes:
            lines.append(("  " * (row.depth + 1) + notes)[:width])
    return "\n".join(lines)
