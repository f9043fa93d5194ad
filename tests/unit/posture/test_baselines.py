"""posture.baselines: named rule sets that together are the whole catalogue."""

from __future__ import annotations

import pytest

from posture.baselines import SECRETLESS_CORE, baseline, baselines
from posture.errors import RuleRegistryError
from posture.model import all_rules


def test_core_and_hardening_split_the_catalogue() -> None:
    every = {r.id for r in all_rules()}
    assert every >= SECRETLESS_CORE, SECRETLESS_CORE - every
    named = baselines()
    assert named["secretless-core"] | named["hardening"] == named["all"] == every
    assert not named["secretless-core"] & named["hardening"]


def test_an_unknown_baseline_names_the_known_ones() -> None:
    with pytest.raises(RuleRegistryError, match="secretless-core"):
        baseline("strict")
