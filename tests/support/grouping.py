"""``--stack-groups``: under pytest-xdist, the modules that share a session stack share a
worker (make test's stack phase).

Each session stack costs a start-up and, while it lives, the CPU of its idle host polling
its queues; under ``--dist loadfile`` every worker would start its own copy of each one its
modules use, and on a 2-core machine those copies slow every other test. With this option a
module goes to the worker of the session stack it uses: every module on the session's
devstack (``stack``, its twin ``entra_stack`` and the hosts started on it) in one group,
every module on the rehearsal stack in another, the fault scenarios in a third (never two
at once), and any other module with stacks of its own (``stacks``) in a group of its own.
A module's tests stay together, so its module-scoped fixtures are made once, and the
largest group is handed out first (pytest-xdist's scope scheduling, ``LoadScopeScheduling``,
does that for any scope).

Only the workers see fixtures; the controller that hands out the work sees test ids. So each
worker writes the module-to-group table it derived (all derive the same) next to its
temporary directory, and the controller's scheduler reads it once every worker's
collection is in, which is when it first needs it.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

#: Session fixtures, and the group of every module whose tests use one, by priority: a
#: module on both the rehearsal and the devstack goes with the rehearsal (the smaller group).
SHARED_GROUPS = (
    ("rehearsal", "rehearsal"),
    ("stack", "devstack"),
    ("entra_stack", "devstack"),
)
#: Directories whose modules share one worker whatever they use: the fault scenarios drive
#: hundreds of jobs each at full speed, and two of them at once starve every other stack on
#: a 2-core machine (a rotation under load then sees its vault reads time out).
SHARED_DIRS = (("tests/faults/", "faults"),)
TABLE = "stack-groups.json"


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def groups(items: list[pytest.Item]) -> dict[str, str]:
    """Each module's group: its directory's, if its directory shares one; else the first
    shared session stack any of its tests uses; else the module itself."""
    used: dict[str, set[str]] = defaultdict(set)
    for item in items:
        used[module_of(item.nodeid)] |= set(getattr(item, "fixturenames", ()))
    chosen = {}
    for module, fixtures in used.items():
        by_dir = (group for folder, group in SHARED_DIRS if module.startswith(folder))
        by_stack = (group for fixture, group in SHARED_GROUPS if fixture in fixtures)
        chosen[module] = next(by_dir, next(by_stack, module))
    return chosen


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("stack groups", "tests/support/grouping.py").addoption(
        "--stack-groups",
        action="store_true",
        help="with -n: the modules that share a session stack run on one worker",
    )


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On each worker: write the table the controller's scheduler reads."""
    workerinput: dict[str, Any] | None = getattr(config, "workerinput", None)
    if not config.getoption("stack_groups") or workerinput is None:
        return
    table = Path(config.option.basetemp).parent / TABLE
    partial = table.with_name(f"{TABLE}.{workerinput['workerid']}")
    partial.write_text(json.dumps(groups(items)))
    os.replace(partial, table)  # whole or absent, whichever worker writes last


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """On the controller: scope scheduling with each module's scope its group."""
    if not config.getoption("stack_groups"):
        return None
    from xdist.scheduler import LoadScopeScheduling  # type: ignore[import-untyped]

    # The directory pytest-xdist names each worker's basetemp under (its workermanage.py).
    table = config._tmp_path_factory.getbasetemp() / TABLE  # type: ignore[attr-defined]

    class StackGroupScheduling(LoadScopeScheduling):  # type: ignore[misc]
        """Scopes are groups (read when the first scope is asked for: by then every
        worker has collected, so the table is written)."""

        chosen: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self.chosen is None:
                self.chosen = json.loads(table.read_text())
            module = module_of(nodeid)
            return self.chosen.get(module, module)

    return StackGroupScheduling(config, log)
