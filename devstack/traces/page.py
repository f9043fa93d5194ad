"""A job's trace as a page a person reads: the waterfall of :mod:`devstack.traces.waterfall`.

Rendered on the server as plain HTML and CSS (no script): one row per span, its name
indented under its parent, a bar placed on the trace's time line (a failed span's in red),
its duration, the few attributes that tell the story (status, cache, attempts), and every
attribute behind a disclosure. Every text is escaped: span names and attributes come from
the app, and a page must not run what they hold.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from devstack.traces.waterfall import layout, total_ms

_STYLE = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem; color: #1d1d1f; }
h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
p.meta { color: #555; margin: 0 0 1rem; font-family: ui-monospace, monospace; font-size: 12px; }
ol.waterfall { list-style: none; padding: 0; margin: 0; min-width: 720px; }
li.row, li.axis { display: grid; grid-template-columns: minmax(18rem, 32%) 1fr 6.5rem;
  align-items: center; gap: .5rem; border-bottom: 1px solid #eee; padding: 2px 0; }
li.axis { color: #777; font-size: 12px; border-bottom: 1px solid #ccc; }
.label { overflow: hidden; white-space: nowrap; text-overflow: ellipsis; }
.label details { display: inline; }
.label summary { cursor: pointer; }
.notes { color: #666; font-size: 12px; margin-left: .5em; }
.track { position: relative; height: 14px; background: #f6f6f8; }
.ticks { position: relative; height: 14px; }
.ticks span { position: absolute; transform: translateX(-50%); white-space: nowrap; }
.ticks span:first-child { transform: none; }
.ticks span:last-child { transform: translateX(-100%); }
.bar { position: absolute; top: 2px; bottom: 2px; min-width: 2px; background: #2f6fde;
  border-radius: 2px; }
li.failed .bar { background: #c62828; }
li.failed .name { color: #c62828; }
.duration { text-align: right; font-variant-numeric: tabular-nums; }
dl { margin: .25rem 0 .5rem 1rem; font-size: 12px; display: grid;
  grid-template-columns: max-content 1fr; gap: 0 .75rem; white-space: normal; }
dt { color: #555; }
dd { margin: 0; font-family: ui-monospace, monospace; word-break: break-all; }
"""


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _details(span: dict[str, Any]) -> str:
    fields = {
        "span id": span.get("span_id", ""),
        "parent id": span.get("parent_id") or "(none in this trace)",
        "kind": span.get("kind", ""),
        "start": span.get("start", ""),
        "end": span.get("end", ""),
        "status": span.get("status", "")
        + (f": {span['status_message']}" if span.get("status_message") else ""),
        **{str(k): v for k, v in sorted((span.get("attributes") or {}).items())},
    }
    for index, event in enumerate(span.get("events") or []):
        fields[f"event {index + 1}"] = event
    for index, link in enumerate(span.get("links") or []):
        fields[f"link {index + 1}"] = f"{link.get('trace_id')} / {link.get('span_id')}"
    items = "".join(
        f"<dt>{html.escape(name)}</dt><dd>{html.escape(_text(value))}</dd>"
        for name, value in fields.items()
    )
    return f"<dl>{items}</dl>"


def render_page(job_id: str, spans: Sequence[dict[str, Any]]) -> str:
    """The page of ``job_id``'s trace (an explanation instead when there are no spans)."""
    title = f"Trace of job {job_id}"
    if not spans:
        body = (
            f"<h1>{html.escape(title)}</h1><p>No span of this job has reached the local "
            "stack. Is tracing on (<code>TRACING_SAMPLE_RATIO</code> above 0, "
            "<code>OTEL_EXPORTER_OTLP_ENDPOINT</code> set)? Spans arrive within a second of "
            "their end; was the job sampled out?</p>"
        )
        return _document(title, body)
    rows = layout(spans)
    whole = total_ms(spans)
    traces = sorted({str(s.get("trace_id")) for s in spans})
    ticks = "".join(
        f'<span style="left:{share * 100:.1f}%">{whole * share:.0f} ms</span>'
        for share in (0, 0.25, 0.5, 0.75, 1)
    )
    items = [
        '<li class="axis"><div>span</div>'
        f'<div class="ticks">{ticks}</div><div class="duration">duration</div></li>'
    ]
    for row in rows:
        span = row.span
        classes = "row failed" if row.failed else "row"
        notes = html.escape(row.notes())
        items.append(
            f'<li class="{classes}" data-span-id="{html.escape(str(span.get("span_id", "")))}"'
            f' data-parent-id="{html.escape(str(span.get("parent_id", "")))}"'
            f' data-depth="{row.depth}">'
            f'<div class="label" style="padding-left:{row.depth * 1.25:.2f}em">'
            f'<details><summary><span class="name">{html.escape(row.name)}</span>'
            f'<span class="notes">{notes}</span></summary>{_details(span)}</details></div>'
            f'<div class="track"><div class="bar" style="left:{row.offset * 100:.3f}%;'
            f'width:{row.width * 100:.3f}%"></div></div>'
            f'<div class="duration">{row.duration_ms:.1f} ms</div></li>'
        )
    body = (
        f"<h1>{html.escape(title)}</h1>"
        f'<p class="meta">trace {html.escape(", ".join(traces))} · {len(rows)} spans · '
        f"{whole:.1f} ms</p>"
        f'<ol class="waterfall">{"".join(items)}</ol>'
    )
    return _document(title, body)


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body>{body}</body></html>"
    )
