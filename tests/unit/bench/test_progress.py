"""bench.progress: each line says which case (and which of how many), how far, what it gave."""

from __future__ import annotations

import re

import pytest

from bench import progress
from bench.report import Row


def test_lines_name_the_case_its_place_and_its_rows(capsys: pytest.CaptureFixture[str]) -> None:
    progress.begin(["P1", "P4", "P7"])
    progress.case("P4")
    progress.note("concurrency 8, round 2 of 5")
    progress.rows(
        [
            Row("P4.c8", "m", "p50 9 ms", "p50 8 ms", 1.125, "<= 1.10x", False),
            Row("P4h", "m", "1", "2", None, "reported", None),
        ]
    )
    lines = capsys.readouterr().out.splitlines()
    assert all(re.match(r"bench \[\d\d:\d\d\] P4 \(2/3\): ", line) for line in lines), lines
    assert lines[0].endswith(": starting")
    assert lines[1].endswith(": concurrency 8, round 2 of 5")
    assert lines[2].endswith(": P4.c8 p50 9 ms (baseline p50 8 ms, 1.12x) MISS")
    assert lines[3].endswith(": P4h 1 (baseline 2) n/a")
    assert re.search(r": done in \d+ s$", lines[4])
