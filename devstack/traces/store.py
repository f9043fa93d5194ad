"""The spans the local stack received, kept under its state directory, one JSON object a line.

``<state>/traces/spans.jsonl`` is appended to as spans arrive and read whole by the trace
command and page (a local stack's spans number in the thousands, not millions). Past
:data:`MAX_BYTES` the file becomes ``spans.1.jsonl`` (the one before it is dropped) and a
new one is started, so a stack left running for days keeps its recent traces and a bounded
disk. The spans are already scrubbed by the app's exporter; the leak canary searches this
file with every other file of the state directory.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
JOB_ID = "app.job.id"
#: The spans that say which trace is the job's: its submission (server), every send of its
#: message (producer) and every delivery (consumer). A read of the job in another request
#: (``GET /api/jobs/<id>``) carries the id too, in a trace of its own, which is not the job's.
LIFECYCLE_KINDS = frozenset({"server", "producer", "consumer"})


class SpanStore:
    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.previous = path.with_name(path.stem + ".1" + path.suffix)
        self._max = max_bytes
        self._lock = threading.Lock()

    def append(self, spans: Iterable[dict[str, Any]]) -> int:
        """Keep ``spans``; how many."""
        lines = [json.dumps(span, separators=(",", ":"), sort_keys=True) + "\n" for span in spans]
        if not lines:
            return 0
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if self.path.exists() and self.path.stat().st_size > self._max:
                self.path.replace(self.previous)
            with self.path.open("a", encoding="utf-8") as out:
                out.writelines(lines)
        return len(lines)

    def spans(self) -> list[dict[str, Any]]:
        """Every span kept, oldest file first; a damaged line is skipped."""
        found: list[dict[str, Any]] = []
        for path in (self.previous, self.path):
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                continue
            for line in text.splitlines():
                try:
                    span = json.loads(line)
                except ValueError:
                    continue
                if isinstance(span, dict):
                    found.append(span)
        return found

    def job_trace(self, job_id: str) -> list[dict[str, Any]]:
        """Every span of the job's trace (normally one; more if the job was accepted before
        tracing was on, or by requests that each started a trace), in start order."""
        spans = self.spans()
        traces = {
            span.get("trace_id")
            for span in spans
            if (span.get("attributes") or {}).get(JOB_ID) == job_id
            and span.get("kind") in LIFECYCLE_KINDS
        }
        chosen = [span for span in spans if span.get("trace_id") in traces]
        return sorted(chosen, key=lambda span: (str(span.get("start")), str(span.get("end"))))


def store_at(state_dir: Path) -> SpanStore:
    """The store of the stack whose state directory is ``state_dir``."""
    return SpanStore(state_dir / "traces" / "spans.jsonl")
