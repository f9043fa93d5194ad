"""The settings shared/settings/ declares for a place ("local" or "azure"), as the infra
checks compare them with Bicep, the sample local settings and the hooks; and the sample
local settings themselves, as a local run would see them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

SAMPLE = Path(__file__).resolve().parents[2] / "local.settings.sample.json"


@dataclass(frozen=True)
class Declared:
    """What the infra needs to know of each declared setting."""

    names: frozenset[str]
    required: frozenset[str]


def declared(where: str) -> Declared:
    """Settings that shared/settings/ declares for `where` ('local' or 'azure')."""
    from shared.settings import declared_settings  # imported here: a missing module fails one test

    settings = [s for s in declared_settings() if where in s.where]
    return Declared(
        names=frozenset(s.name for s in settings),
        required=frozenset(s.name for s in settings if s.required),
    )


def sample_env(**changes: str) -> dict[str, str]:
    """The sample local settings' values, with ``changes``."""
    return {**json.loads(SAMPLE.read_text())["Values"], **changes}
