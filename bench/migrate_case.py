"""P11 and P12: the migrate tool, on apps nobody here wrote and on a large generated one.

P11 is accuracy, not time: ``migrate scan`` on the public apps re-created under
tests/fixtures/migrate/, against the findings a reader wrote before the scanner existed;
recall and precision per kind (goal: recall >= 95 %, precision >= 90 % each).

P12 scans a generated 500-file app (bench/migrate_app.py) and compares it with the same run's
baseline, reading every file and parsing the Python ones with ``ast`` (the part of a scan no
scanner can skip). Goal: the scan takes at most 5 s on the standard machine. The row also
says how many of the findings planted in the app the scan reported.

``python -m bench.migrate_case`` runs both without a stack; ``python -m bench`` runs them with
the others.
"""

from __future__ import annotations

import ast
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from bench import migrate_fixtures
from bench.migrate_app import generate
from bench.report import Row, render
from migrate.scan.runner import scan

RECALL_GOAL = 0.95
PRECISION_GOAL = 0.90
SCAN_GOAL_SECONDS = 5.0
APP_FILES = 500
RUNS = 3


def accuracy() -> Row:
    counts: Counter[tuple[str, str]] = Counter()
    per_app: dict[str, dict[str, int]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-p11-") as work:
        for name in migrate_fixtures.names():
            app = migrate_fixtures.materialize(name, Path(work) / name)
            expected = {(e.kind, e.file, e.line) for e in app.expected()}
            found = {(f.kind.value, f.file, f.line) for f in scan(app.app_dir).findings}
            for key in expected:
                counts[key[0], "tp" if key in found else "fn"] += 1
            for key in found - expected:
                counts[key[0], "fp"] += 1
            per_app[name] = {
                "expected": len(expected),
                "found": len(found),
                "matched": len(expected & found),
            }
    kinds: dict[str, dict[str, float | int]] = {}
    met = True
    for kind in ("code", "settings", "infra", "ci"):
        tp, fn, fp = counts[kind, "tp"], counts[kind, "fn"], counts[kind, "fp"]
        recall = tp / (tp + fn) if tp + fn else 1.0
        precision = tp / (tp + fp) if tp + fp else 1.0
        met = met and recall >= RECALL_GOAL and precision >= PRECISION_GOAL
        kinds[kind] = {"tp": tp, "fn": fn, "fp": fp, "recall": recall, "precision": precision}
    value = "; ".join(
        f"{k} R {v['recall']:.0%} P {v['precision']:.0%} ({v['tp']}/{v['tp'] + v['fn']})"
        for k, v in kinds.items()
    )
    return Row(
        id="P11",
        measure=f"migrate scan on {len(per_app)} public apps: recall and precision per kind",
        value=value,
        baseline="findings written by reading each app first",
        ratio=None,
        goal="recall >= 95 %, precision >= 90 % per kind",
        met=met,
        details={"kinds": kinds, "apps": per_app},
    )


def _baseline_seconds(root: Path) -> float:
    started = time.perf_counter()
    for path in sorted(root.rglob("*")):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".py":
                ast.parse(text)
    return time.perf_counter() - started


def scan_time() -> Row:
    with tempfile.TemporaryDirectory(prefix="bench-p12-") as work:
        root = Path(work) / "app"
        planted = generate(root, files=APP_FILES)
        files = sum(1 for p in root.rglob("*") if p.is_file())
        scan(root)  # warm the page cache and the imports: both sides read the same files
        seconds, baseline = [], []
        found = set()
        for _ in range(RUNS):
            baseline.append(_baseline_seconds(root))
            started = time.perf_counter()
            result = scan(root)
            seconds.append(time.perf_counter() - started)
            found = {(f.kind.value, f.file, f.line) for f in result.findings}
    median, base = statistics.median(seconds), statistics.median(baseline)
    hits = sum(1 for item in planted if item in found)
    return Row(
        id="P12",
        measure=f"migrate scan of a generated {files}-file app",
        value=f"{median:.2f} s ({hits}/{len(planted)} planted findings reported)",
        baseline=f"{base:.2f} s reading the files and parsing the Python",
        ratio=median / base if base else None,
        goal=f"<= {SCAN_GOAL_SECONDS:.0f} s",
        met=median <= SCAN_GOAL_SECONDS and hits == len(planted),
        details={
            "runs": seconds,
            "baseline_runs": baseline,
            "files": files,
            "planted": len(planted),
            "reported": hits,
        },
    )


def main() -> int:
    rows = [accuracy(), scan_time()]
    print(render(rows))
    return 0 if all(row.met for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
