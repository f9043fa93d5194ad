"""The README's promises about the local stack: two commands at its top, and the way past
taken ports it names is the one the stack's message names."""

from __future__ import annotations

import re

from devstack.ports import FREE_PORTS_HINT
from devstack.runner import ROOT

README = (ROOT / "README.md").read_text()


def test_the_readme_opens_with_exactly_the_two_commands() -> None:
    first = re.search(r"```sh\n(.*?)```", README, re.DOTALL)
    assert first is not None
    commands = [line.split("#")[0].strip() for line in first[1].splitlines() if line.strip()]
    assert commands == ["make run", "make test"]
    assert README.index("```sh") < README.index("## ")  # before any section


def test_the_busy_ports_way_out_is_documented_as_the_stack_says_it() -> None:
    command = "make run ARGS=--free-ports"
    assert command in FREE_PORTS_HINT
    assert f"`{command}`" in README
