"""tests/support/subprocess_coverage.py: with ``--cover-subprocesses`` a process a test starts
is measured and the test's own process is not, with or without pytest-xdist. Each case runs
a pytest session of its own in a subprocess (pytester), so no variable leaks into this one."""

from __future__ import annotations

import pytest

from devstack.runner import ROOT

pytestmark = pytest.mark.slow  # each case starts a pytest session in a subprocess (3-8 s)

PLUGIN = ("-p", "tests.support.subprocess_coverage")
SETTINGS = "[tool.coverage.run]\nparallel = true\nbranch = true\n"
SESSION = """
import subprocess, sys
import coverage

def test_the_started_process_is_measured_and_this_one_is_not():
    assert coverage.Coverage.current() is None
    probe = "import coverage; print(coverage.Coverage.current() is not None)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
"""


@pytest.fixture
def session(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.setenv("PYTHONPATH", str(ROOT))  # the plugin, from the session's subprocess
    monkeypatch.delenv("COVERAGE_PROCESS_START", raising=False)
    monkeypatch.delenv("COVERAGE_PROCESS_CONFIG", raising=False)  # set under coverage run
    monkeypatch.delenv("COVERAGE_FILE", raising=False)
    pytester.makepyfile(test_measured=SESSION)
    pytester.makefile(".toml", pyproject=SETTINGS)
    return pytester


@pytest.mark.parametrize(
    "workers",
    [pytest.param((), id="serial"), pytest.param(("-n", "2"), id="xdist")],
)
def test_started_processes_write_coverage_data_beside_the_settings(
    session: pytest.Pytester, workers: tuple[str, ...]
) -> None:
    result = session.runpytest_subprocess(
        *PLUGIN, "--cover-subprocesses", "pyproject.toml", *workers
    )
    result.assert_outcomes(passed=1)
    assert list(session.path.glob(".coverage.*")), "the started process wrote no data"


def test_without_the_option_nothing_is_measured(session: pytest.Pytester) -> None:
    result = session.runpytest_subprocess(*PLUGIN)
    result.assert_outcomes(failed=1)
    assert not list(session.path.glob(".coverage*"))


def test_settings_that_are_not_there_are_named(session: pytest.Pytester) -> None:
    result = session.runpytest_subprocess(*PLUGIN, "--cover-subprocesses", "missing.toml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cover-subprocesses: no coverage settings at *missing.toml*"])
