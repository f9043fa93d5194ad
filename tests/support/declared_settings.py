"""The settings shared/settings.py declares for a place ("local" or "azure"), as the infra
checks compare them with Bicep, the sample local settings and the hooks."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Declared:
    """What the infra needs to know of each declared setting."""

    names: frozenset[str]
    required: frozenset[str]


def declared(where: str) -> Declared:
    """Settings that shared/settings.py declares for `where` ('local' or 'azure')."""
    from shared.settings import declared_settings  # imported here: a missing module fails one test

    settings = [s for s in declared_settings() if where in s.where]
    return Declared(
        names=frozenset(s.name for s in settings),
        required=frozenset(s.name for s in settings if s.required),
    )
