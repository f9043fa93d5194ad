"""The partner stub under test: one uvicorn server per module (``reset`` can only be proven by a
real server), a fresh app per test, and the control plane over it."""

from collections.abc import Iterator

import pytest

from devstack.control import create_control_app
from devstack.partner.api import create_partner_app
from tests.support.servers import Switch, switched
from tests.unit.devstack.partner.partnerhttp import Http, Key


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Switch, str]]:
    with switched(log_level="critical") as served:
        yield served


@pytest.fixture
def key() -> Key:
    return Key()


@pytest.fixture
def http(served: tuple[Switch, str], key: Key) -> Iterator[Http]:
    served[0].app = create_partner_app(accepted_key=key)
    with Http(served[1]) as session:
        yield session


@pytest.fixture
def delays(served: tuple[Switch, str], http: Http) -> list[float]:
    """The latencies the partner's fault gate waited out, recorded instead of slept: a test
    asserts on what the stub was asked to do, never on how long a call took."""
    asked: list[float] = []

    async def record(seconds: float) -> None:
        asked.append(seconds)

    served[0].app.faults.delay = record
    return asked


@pytest.fixture(scope="module")
def control_served() -> Iterator[tuple[Switch, str]]:
    with switched(log_level="critical") as served:
        yield served


@pytest.fixture
def control(
    served: tuple[Switch, str], control_served: tuple[Switch, str], http: Http
) -> Iterator[Http]:
    """The control plane over the partner app ``http`` talks to (faults and stats)."""
    partner = served[0].app
    control_served[0].app = create_control_app(
        faults={"partner": partner.faults}, counters={"partner": partner.counters}
    )
    with Http(control_served[1] + "/devstack") as session:
        yield session
