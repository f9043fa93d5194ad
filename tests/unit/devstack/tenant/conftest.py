"""The local partner tenant under test: a home tenant whose identity it trusts, a directory
seeded as the stack seeds it, and assertions minted the way the identity endpoint mints them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import jwt
import pytest

from devstack.tenant.seed import local_directory, tenant_settings
from devstack.tenant.store import ASSERTION_TYPE, Directory
from devstack.tokens import TokenIssuer

ORIGIN = "https://127.0.0.1:7076"


@dataclass
class Tenant:
    home: TokenIssuer
    directory: Directory
    settings: dict[str, str]

    def assertion(self, *, signer: TokenIssuer | None = None, **claims: Any) -> str:
        """The app identity's token for the exchange, with ``claims`` changed and signed by
        ``signer`` (the home tenant by default)."""
        minted = self.home.mint_exchange_assertion("api://AzureADTokenExchange").token
        if not claims and signer is None:
            return minted
        body = jwt.decode(minted, options={"verify_signature": False})
        body.update(claims)
        return (signer or self.home).sign(body)

    def form(self, assertion: str | None = None, **fields: str) -> dict[str, str]:
        """A client-credentials request as ClientAssertionCredential sends it."""
        return {
            "client_assertion": self.assertion() if assertion is None else assertion,
            "client_assertion_type": ASSERTION_TYPE,
            "client_id": self.settings["PARTNER_APP_CLIENT_ID"],
            "grant_type": "client_credentials",
            "scope": self.settings["PARTNER_SCOPE"],
            **fields,
        }


@pytest.fixture(scope="module")
def home() -> TokenIssuer:
    return TokenIssuer.generate()


@pytest.fixture
def tenant(home: TokenIssuer) -> Tenant:
    settings = tenant_settings({})
    return Tenant(home, local_directory(settings, home=home, origin=ORIGIN), settings)
