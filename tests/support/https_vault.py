"""The devstack vault served over HTTPS to the real Key Vault SDK, for tests.

A CA made here signs the server's certificate and reaches the SDK through
``REQUESTS_CA_BUNDLE``, as in the devstack (the ``server_pem`` fixture). The credential mints
from a local ``TokenIssuer`` (no identity endpoint needed) and records what the SDK asked it
for.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme
from azure.core.credentials import AccessToken
from starlette.applications import Starlette

from devstack.tokens import TokenIssuer
from tests.support.servers import Switch, serve


class IssuerCredential:
    """A ``TokenCredential`` minting app-identity tokens, optionally for a fixed audience."""

    def __init__(self, issuer: TokenIssuer, *, audience: str | None = None, lifetime: int = 3600):
        self.issuer, self.audience, self.lifetime = issuer, audience, lifetime
        self.requests: list[tuple[tuple[str, ...], dict[str, Any]]] = []
        self.tokens: list[str] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.requests.append((scopes, kwargs))
        audience = self.audience or scopes[0].removesuffix("/.default")
        minted = self.issuer.mint(audience, object_id="app", app_id="app", lifetime=self.lifetime)
        self.tokens.append(minted.token)
        return AccessToken(minted.token, minted.expires_on)


@pytest.fixture(scope="module")
def server_pem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A server certificate for 127.0.0.1 and the CA bundle the SDK trusts via the env."""
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(
        str(folder / "server.pem")
    )
    with pytest.MonkeyPatch.context() as env:
        env.setenv("REQUESTS_CA_BUNDLE", str(folder / "ca.pem"))
        yield folder / "server.pem"


@contextlib.contextmanager
def https_vault(pem: Path, build: Callable[[str], Starlette]) -> Iterator[str]:
    """Serve ``build(origin)`` over HTTPS on a free loopback port; yield the origin."""
    switch = Switch()
    with serve(switch, certfile=pem) as (origin, _):
        switch.app = build(origin)
        yield origin
