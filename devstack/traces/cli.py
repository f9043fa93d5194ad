"""``python -m devstack trace JOB_ID``: a job's trace, from the spans the stack kept.

Reads ``<state>/traces/spans.otlp`` (the export requests the stack kept) directly, decoding
their spans, so it works whether the stack still runs or not. ``--format text`` (default)
draws the waterfall for the terminal; ``--format json`` prints the spans (trace id, span id,
parent id, name, kind, start, end, status, attributes, events, links), one JSON document,
for a script or ``jq``.
"""

from __future__ import annotations

import json
import shutil
import sys
import uuid
from pathlib import Path

from devstack.traces.store import store_at
from devstack.traces.waterfall import render_text


def trace_command(state_dir: Path, job_id: str, *, fmt: str = "text") -> int:
    """Print the trace; 0 when found, 1 with a one-line reason when not, 2 for a bad id."""
    try:
        wanted = str(uuid.UUID(job_id))
    except ValueError:
        print(
            f"devstack trace: {job_id!r} is not a job id: give the UUID from the Location "
            "of POST /api/jobs (/api/jobs/<id>)",
            file=sys.stderr,
        )
        return 2
    store = store_at(state_dir)
    if not store.path.exists() and not store.previous.exists():
        print(
            f"devstack trace: no spans under {store.path.parent}: start the stack with "
            "`make run` (tracing is on in local.settings.sample.json), or pass the stack's "
            "--state-dir",
            file=sys.stderr,
        )
        return 1
    spans = store.job_trace(wanted)
    if not spans:
        print(
            f"devstack trace: no span of job {wanted} in {store.path}: a span arrives within "
            "a second of its end; check the id, and TRACING_SAMPLE_RATIO (a job can be "
            "sampled out)",
            file=sys.stderr,
        )
        return 1
    if fmt == "json":
        print(json.dumps({"job_id": wanted, "spans": spans}, indent=2))
        return 0
    width = shutil.get_terminal_size((120, 24)).columns
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower()
    print(render_text(spans, width=width, unicode=encoding.startswith("utf")))
    return 0
