"""Every test here may record spans in memory (tests/support/spans.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.spans import Recorded, recording

__all__ = ["Recorded"]


@pytest.fixture
def recorded() -> Iterator[Recorded]:
    with recording() as found:
        yield found
