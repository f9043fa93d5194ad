"""The scripted partner every outbound client test talks to, and a rotating key provider."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.scripted_partner import Keys, Partner, serving


@pytest.fixture
def partner() -> Iterator[Partner]:
    with serving() as started:
        yield started


@pytest.fixture
def keys() -> Keys:
    return Keys()
