"""posture.waivers: the waivers file is read strictly, each problem one line with its fix."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from posture.errors import WaiverError
from posture.waivers import Waiver, load, parse

RULES = ["DEF-PLANS", "ENT-FIC", "ENT-APP-POLICY", "STG-SHAREDKEY"]
GOOD = """
[[waiver]]
rule = "ENT-*"
scope = "*"
reason = "Graph permissions are granted by the tenant admins next quarter"
owner = "platform@example.org"
expires = 2026-09-30

[[waiver]]
rule = "STG-SHAREDKEY"
scope = "stlegacy*"
reason = "the legacy account is migrated in the next release"
owner = "data@example.org"
expires = "2026-06-30"
"""


def test_a_good_file_parses_with_dates_and_patterns() -> None:
    first, second = parse(GOOD, source="w.toml", rule_ids=RULES)
    assert first == Waiver(
        "ENT-*", "*", "Graph permissions are granted by the tenant admins next quarter",
        "platform@example.org", date(2026, 9, 30),
    )  # fmt: skip
    assert first.covers_rule("ENT-FIC")
    assert not first.covers_rule("DEF-PLANS")
    assert second.expires == date(2026, 6, 30)
    assert second.covers({"resource": "stlegacyapp", "property": "allowSharedKeyAccess"})
    assert not second.covers({"resource": "stjobs"})
    assert second.expired(date(2026, 7, 1))
    assert not second.expired(date(2026, 6, 30))


BAD = [
    ("missing owner", GOOD.replace('owner = "data@example.org"\n', ""), "owner missing"),
    ("blank reason", GOOD.replace('"the legacy account is migrated in the next release"', '""'),
     "reason missing"),
    ("no such rule", GOOD.replace('rule = "STG-SHAREDKEY"', 'rule = "STG-NOPE"'),
     "rule STG-NOPE matches no rule"),
    ("not a date", GOOD.replace('"2026-06-30"', '"next summer"'), "expires must be a date"),
    ("unknown field", GOOD.replace("scope = \"*\"", "scope = \"*\"\nticket = 7"),
     "unexpected field 'ticket'"),
    ("not toml", "[[waiver]\n", "is not valid TOML"),
    ("another table", "[waivers]\nrule = 1\n", "unexpected table 'waivers'"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "words"), BAD, ids=[b[0] for b in BAD])
def test_each_bad_entry_is_one_line_naming_it(case: str, text: str, words: str) -> None:
    with pytest.raises(WaiverError) as raised:
        parse(text, source="w.toml", rule_ids=RULES)
    assert words in str(raised.value), case
    assert "\n" not in str(raised.value)


def test_an_unreadable_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(WaiverError, match="cannot be read"):
        load(tmp_path / "missing.toml", rule_ids=RULES)
