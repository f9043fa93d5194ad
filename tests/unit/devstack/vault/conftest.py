"""The vault under test: one uvicorn server per module, a fresh app (own store, own clock) per
test, plain and authenticated sessions on it, and the control plane over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette

from devstack.asgi import EmulatorApp
from devstack.control import create_control_app
from devstack.tokens import TokenIssuer
from devstack.vault.api import create_vault_app
from devstack.vault.store import VaultStore
from tests.support.servers import Switch, switched
from tests.unit.devstack.vault.vaulthttp import ORIGIN, RESOURCE, Clock, Http


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Switch, str]]:
    with switched() as served:
        yield served


@pytest.fixture(scope="module")
def issuer() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(clock: Clock) -> VaultStore:
    return VaultStore(None, clock=clock)


@pytest.fixture
def app(served: tuple[Switch, str], store: VaultStore, issuer: TokenIssuer) -> Starlette:
    served[0].app = create_vault_app(store=store, issuer=issuer, origin=ORIGIN)
    return served[0].app  # type: ignore[no-any-return]


@pytest.fixture
def anon(served: tuple[Switch, str], app: Starlette) -> Iterator[Http]:
    with Http(served[1]) as http:
        yield http


@pytest.fixture(scope="module")
def control_served() -> Iterator[tuple[Switch, str]]:
    with switched() as served:
        yield served


@pytest.fixture
def control(control_served: tuple[Switch, str], app: EmulatorApp) -> Iterator[Http]:
    """The control plane over the vault under test (faults and stats)."""
    control_served[0].app = create_control_app(
        faults={"vault": app.faults}, counters={"vault": app.counters}
    )
    with Http(control_served[1] + "/devstack") as session:
        yield session


@pytest.fixture
def client(anon: Http, issuer: TokenIssuer) -> Http:
    anon.headers["Authorization"] = f"Bearer {issuer.mint_for_app_identity(RESOURCE).token}"
    return anon
