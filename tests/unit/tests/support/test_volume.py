"""tests/support/volume.py: under ``coverage run`` a test marked ``volume`` is not traced, and
the tests around it are. Each case runs ``coverage run -m pytest`` in a subprocess
(pytester), so this session's own coverage is not touched."""

from __future__ import annotations

import json
import sys

import pytest

from devstack.runner import ROOT

pytestmark = pytest.mark.slow  # each case starts a traced pytest session (about 1 s)

MEASURED = """
def small():
    return "reached by the small test"

def large():
    return "reached by the marked test only"
"""
SESSION = """
import pytest
import measured

def test_small():
    assert measured.small()

@pytest.mark.{mark}
def test_large():
    assert measured.large()
"""


def executed(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, mark: str) -> set[int]:
    """The lines of measured.py a traced session ran, with ``test_large`` marked ``mark``."""
    pytester.makepyfile(measured=MEASURED)
    pytester.makepyfile(test_session=SESSION.format(mark=mark))
    pytester.makeini(f"[pytest]\nmarkers =\n    {mark}: the mark under test\n")
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}:{pytester.path}")
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")  # hypothesis & co: seconds traced
    for name in ("COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG", "COVERAGE_FILE"):
        monkeypatch.delenv(name, raising=False)
    run = [sys.executable, "-m", "coverage", "run", "--rcfile=/dev/null", "--source=."]
    result = pytester.run(*run, "-m", "pytest", "-p", "tests.support.volume", "-q")
    assert result.ret == 0, result.outlines
    report = pytester.run(sys.executable, "-m", "coverage", "json", "--rcfile=/dev/null", "-o", "-")
    files = json.loads("\n".join(report.outlines))["files"]
    return set(files["measured.py"]["executed_lines"])


def test_a_volume_test_is_not_traced_and_the_others_are(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = executed(pytester, monkeypatch, "volume")
    assert 2 in lines, "the small test's line is measured"
    assert 5 not in lines, "the volume test's line is not"


def test_another_mark_leaves_tracing_on(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    lines = executed(pytester, monkeypatch, "other")
    assert {2, 5} <= lines
