"""bench.report: the results file every case writes, and the machine line the docs quote."""

from __future__ import annotations

import json
from pathlib import Path

from bench.report import Row, machine, machine_line, write_json


def row(ident: str, met: bool | None) -> Row:
    return Row(ident, "a measure", "1 ms", "2 ms", 0.5, "<= 1x", met, {"n": 3})


def test_the_results_carry_the_machine_the_run_and_every_verdict(tmp_path: Path) -> None:
    target = tmp_path / "results" / "latest.json"
    write_json([row("P1", True), row("P7r", None)], target, run={"scale": 0.1, "only": ["P1"]})
    document = json.loads(target.read_text())
    assert document["run"] == {"scale": 0.1, "only": ["P1"]}
    assert document["machine"]["cpus"] >= 1
    assert [(r["id"], r["verdict"]) for r in document["rows"]] == [("P1", "pass"), ("P7r", "n/a")]
    assert not list(target.parent.glob("*.partial")), "written whole, then moved into place"


def test_a_later_write_replaces_the_file_with_the_rows_so_far(tmp_path: Path) -> None:
    target = tmp_path / "latest.json"
    write_json([row("P1", True)], target)
    write_json([row("P1", True), row("P2", False)], target)
    assert [r["verdict"] for r in json.loads(target.read_text())["rows"]] == ["pass", "MISS"]


def test_the_machine_line_names_cores_memory_python_and_load() -> None:
    info = {
        "cpus": 2,
        "memory_gib": 23.5,
        "python": "3.11.7",
        "platform": "Linux-x86_64",
        "load_average": [1.5, 2.0, 2.25],
    }
    assert machine_line(info) == (
        "2 cores, 24 GiB, Python 3.11.7, Linux-x86_64 (load average 1.5, 2.0, 2.25)"
    )
    assert machine_line(machine())
