"""docs/migrate.md says what the code does: every rule, every binding's roles, every fixture."""

from __future__ import annotations

import re

from devstack.runner import ROOT
from migrate import catalog, roles
from tests.support import migrate_fixtures as mf

PAGE = (ROOT / "docs" / "migrate.md").read_text()


def test_every_rule_is_documented_with_its_kind_and_title() -> None:
    rows = {m.group(1): m.group(0) for m in re.finditer(r"^\| `(MIG-[A-Z-]+)` \|.*$", PAGE, re.M)}
    assert set(rows) == set(catalog.RULES)
    for rule in catalog.RULES.values():
        assert f"| {rule.kind.value} |" in rows[rule.id]
        assert rule.title.split(" (")[0] in rows[rule.id]


def test_every_binding_role_is_in_the_roles_table() -> None:
    table = PAGE.split("## Roles per trigger and binding")[1].split("## ")[0]
    for needed in roles.BINDING_ROLES.values():
        for role in needed:
            assert role in table, role
    for service in ("storage-blob", "storage-queue", "storage-table", "servicebus", "eventhubs"):
        assert roles.DOCS[service] in table


def test_every_fixture_is_listed_with_its_expected_count() -> None:
    for name in mf.names():
        row = next((line for line in PAGE.splitlines() if line.startswith(f"| {name} |")), None)
        assert row is not None, name
        assert row.rstrip(" |").endswith(str(len(mf.expected_findings(name)))), row
