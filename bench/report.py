"""The benchmark table: one row per measure, printed and written as JSON."""

from __future__ import annotations

import json
import os
import platform
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Row:
    id: str
    measure: str
    value: str
    baseline: str
    ratio: float | None
    goal: str
    met: bool | None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        return "n/a" if self.met is None else ("pass" if self.met else "MISS")


def machine() -> dict[str, Any]:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "memory_gib": _memory_gib(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _memory_gib() -> float | None:
    """Total memory from /proc/meminfo (Linux), for the table's machine line."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except OSError:
        return None
    return None


def machine_line(info: dict[str, Any]) -> str:
    """One line for docs/performance.md: cores, memory, Python, platform, load at the end."""
    memory = f"{info['memory_gib']:.0f} GiB" if info.get("memory_gib") else "memory unknown"
    load = ", ".join(str(x) for x in info.get("load_average", []))
    return (
        f"{info['cpus']} cores, {memory}, Python {info['python']}, {info['platform']} "
        f"(load average {load})"
    )


def render(rows: list[Row]) -> str:
    headers = ("id", "measure", "value", "baseline", "ratio", "goal", "verdict")
    table = [headers] + [
        (
            r.id,
            r.measure,
            r.value,
            r.baseline,
            "-" if r.ratio is None else f"{r.ratio:.2f}x",
            r.goal,
            r.verdict,
        )
        for r in rows
    ]
    widths = [max(len(str(line[i])) for line in table) for i in range(len(headers))]
    lines = [
        " | ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)) for line in table
    ]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    return "\n".join(lines)


def markdown(rows: list[Row]) -> str:
    out = [
        "| id | measure | value | baseline | ratio | goal | verdict |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ratio = "-" if r.ratio is None else f"{r.ratio:.2f}x"
        out.append(
            f"| {r.id} | {r.measure} | {r.value} | {r.baseline} | {ratio} | {r.goal} "
            f"| {r.verdict} |"
        )
    return "\n".join(out)


def write_json(rows: list[Row], path: Path, *, run: dict[str, Any] | None = None) -> None:
    """The rows so far, the machine and the run's options; written whole after every case,
    so an interrupted run keeps what it measured."""
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {
        "machine": machine(),
        **({"run": run} if run else {}),
        "rows": [asdict(r) | {"verdict": r.verdict} for r in rows],
    }
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document, indent=2))
    partial.replace(path)
