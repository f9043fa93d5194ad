"""The real federated chain (identity endpoint and local partner tenant), one per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.federation_chain import Chain, serving_chain


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    with serving_chain(tmp_path_factory.mktemp("federation")) as started:
        yield started


@pytest.fixture
def fresh(chain: Chain) -> Chain:
    """The chain with the tenant's directory, faults and both servers' counters as started."""
    chain.reset()
    return chain
