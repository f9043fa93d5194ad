"""``make fast`` leaves out whole folders (the Makefile's ``STACK_ONLY``) instead of collecting
them to deselect them: every test in those folders needs a stack, so none is lost."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from devstack.runner import ROOT

pytestmark = pytest.mark.slow  # collects every stack test


def stack_only_folders() -> list[str]:
    match = re.search(r"^STACK_ONLY := (.+)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, "the Makefile no longer names the folders make fast leaves out"
    return match.group(1).split()


def test_the_folders_make_fast_leaves_out_hold_stack_tests_only() -> None:
    folders = stack_only_folders()
    assert folders
    assert all((ROOT / folder).is_dir() for folder in folders), folders
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not stack", *folders],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == pytest.ExitCode.NO_TESTS_COLLECTED, result.stdout[-3000:]
    assert re.search(r"no tests collected \(\d+ deselected\)", result.stdout), result.stdout[-500:]
