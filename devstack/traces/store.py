"""The spans the local stack received, kept under its state directory as the export requests
that carried them.

``<state>/traces/spans.otlp`` holds one record per OTLP export request the receiver took:
a 4-byte big-endian length, then that many bytes of the ``ExportTraceServiceRequest`` in
protobuf, inflated, exactly as the app's exporter sent it. Receiving costs no per-span work
on the event loop every stack service shares (the Storage front, vault, identity, partner):
the request is checked to parse and appended whole. A span becomes a dict
(:func:`devstack.traces.otlp.spans_of`) only when a trace is read, by the trace command, the
page or a test, which are rare; a store remembers how far it has decoded each file, so reading
a growing file again decodes only the records added since.

Past :data:`MAX_BYTES` the file becomes ``spans.1.otlp`` (the one before it is dropped) and a
new one is started, so a stack left running for days keeps its recent traces and a bounded
disk. A record cut short (the stack killed mid-write) or one that does not parse is skipped.
The spans are already scrubbed by the app's exporter and protobuf keeps strings verbatim; the
leak canary searches this file with every other file of the state directory, and the decoded
spans besides.
"""

from __future__ import annotations

import os
import struct
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
JOB_ID = "app.job.id"
#: The spans that say which trace is the job's: its submission (server), every send of its
#: message (producer) and every delivery (consumer). A read of the job in another request
#: (``GET /api/jobs/<id>``) carries the id too, in a trace of its own, which is not the job's.
LIFECYCLE_KINDS = frozenset({"server", "producer", "consumer"})
#: A record's length: 4 bytes, big-endian, unsigned.
LENGTH = struct.Struct(">I")


@dataclass
class _Decoded:
    """How far one file has been read: the file (device and inode), the offset of the first
    record not yet decoded, and the spans of the records before it."""

    identity: tuple[int, int]
    offset: int = 0
    spans: list[dict[str, Any]] = field(default_factory=list)


class SpanStore:
    def __init__(self, path: Path, *, max_bytes: int = MAX_BYTES) -> None:
        self.path = path
        self.previous = path.with_name(path.stem + ".1" + path.suffix)
        self._max = max_bytes
        self._lock = threading.Lock()  # appends
        self._checked = False  # the file's end checked for a record cut short
        self._rotations = 0  # files this store rolled over
        self._read_lock = threading.Lock()  # reads, and what they remember
        self._rotations_read = 0
        self._decoded: dict[Path, _Decoded] = {}

    def append_request(self, body: bytes) -> None:
        """Keep one export request: its protobuf bytes, inflated."""
        if not body:
            return  # an empty request: no spans
        if len(body) > 0xFFFFFFFF:
            raise ValueError("an export request is kept in at most 4 GiB")
        record = LENGTH.pack(len(body)) + body
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self._checked:
                _cut_to_whole_records(self.path)
                self._checked = True
            if self.path.exists() and self.path.stat().st_size > self._max:
                self.path.replace(self.previous)
                self._rotations += 1
            with self.path.open("ab") as out:
                out.write(record)

    def spans(self) -> list[dict[str, Any]]:
        """Every span kept, oldest file first, as :func:`devstack.traces.otlp.spans_of` makes
        them; a record cut short or not parsing is skipped. The dicts are shared with later
        reads: read them, do not change them."""
        with self._read_lock:
            rotations = self._rotations
            if rotations != self._rotations_read:
                # This store rolled the file over: what it decoded of the current file is the
                # previous file's now (a file's inode may be reused by the next one).
                moved = self._decoded.get(self.path)
                once = rotations == self._rotations_read + 1
                self._decoded = {self.previous: moved} if moved is not None and once else {}
                self._rotations_read = rotations
            found: list[dict[str, Any]] = []
            for path in (self.previous, self.path):
                found.extend(self._spans_in(path))
            return found

    def _spans_in(self, path: Path) -> list[dict[str, Any]]:
        from devstack.traces.otlp import OtlpError, parse_message, spans_of

        try:
            file = path.open("rb")
        except FileNotFoundError:
            self._decoded.pop(path, None)
            return []
        with file:
            status = os.fstat(file.fileno())
            identity = (status.st_dev, status.st_ino)
            done = self._decoded.get(path)
            if done is None or done.identity != identity or status.st_size < done.offset:
                done = self._decoded[path] = _Decoded(identity)
            file.seek(done.offset)
            data = memoryview(file.read())
        at = 0
        while at + LENGTH.size <= len(data):
            (length,) = LENGTH.unpack_from(data, at)
            end = at + LENGTH.size + length
            if end > len(data):
                break  # cut short, or still being written: read again next time
            try:
                request = parse_message(data[at + LENGTH.size : end])
            except OtlpError:
                pass
            else:
                done.spans.extend(spans_of(request))
            at = end
        done.offset += at
        return done.spans

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


def _cut_to_whole_records(path: Path) -> None:
    """Drop a record cut short at the end of ``path`` (a stack killed mid-write), so the
    records appended after it are read: only the lengths are read, not the records."""
    try:
        file = path.open("r+b")
    except FileNotFoundError:
        return
    with file:
        size = os.fstat(file.fileno()).st_size
        at = 0
        while at + LENGTH.size <= size:
            file.seek(at)
            (length,) = LENGTH.unpack(file.read(LENGTH.size))
            if at + LENGTH.size + length > size:
                break
            at += LENGTH.size + length
        if at < size:
            file.truncate(at)


def store_at(state_dir: Path) -> SpanStore:
    """The store of the stack whose state directory is ``state_dir``."""
    return SpanStore(state_dir / "traces" / "spans.otlp")
