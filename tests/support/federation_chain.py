"""The real federated chain on loopback: the devstack's identity endpoint, and the local
partner tenant over TLS, with the environment azure-identity reads pointed at them.

:func:`serving_chain` is what ``shared.federation.token_provider`` runs against in the unit
tests; a :class:`Chain` gives the servers' counters and the tenant's directory and faults.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import trustme
from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send

from devstack.asgi import EmulatorApp
from devstack.identity_server import TOKEN_PATH, create_identity_app
from devstack.tenant.api import create_tenant_app
from devstack.tenant.seed import local_directory, tenant_settings
from devstack.tokens import TokenIssuer
from shared.settings import EntraPartner
from tests.support.servers import serve

#: How long a test's token provider waits for an exchange. The product waits 5 s and then
#: calls the authority unavailable; these tests judge what the exchange ends in (a token, a
#: refusal and its AADSTS code), which on a loaded machine can take longer than that.
OUTCOME_WAIT = 60.0


@dataclass
class Chain:
    identity: Starlette  # the identity endpoint (its stats)
    tenant: EmulatorApp  # the partner's tenant (its directory, faults, counters)
    partner: EntraPartner

    def reset(self) -> None:
        """The tenant's directory, faults and both servers' counters as started."""
        self.tenant.state.directory.reset()
        self.tenant.faults.set_plan(None)
        self.tenant.counters.reset_stats()
        self.identity.state.stats.reset_stats()

    def counts(self) -> tuple[int, int]:
        """(assertions the identity endpoint issued, token requests the tenant answered)."""
        assertions = self.identity.state.stats.stats()["tokens_issued"]
        tenant = self.tenant.counters.stats()
        return assertions.get("api://AzureADTokenExchange", 0), tenant["token_requests"]


@contextmanager
def serving_chain(folder: Path) -> Iterator[Chain]:
    """Both servers started (TLS material written under ``folder``), the environment set."""
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(folder / "tls.pem"))
    home = TokenIssuer.generate()
    header = secrets.token_urlsafe(16)
    identity = create_identity_app(issuer=home, identity_header=header)
    holder: dict[str, EmulatorApp] = {}

    async def tenant_app(scope: Scope, receive: Receive, send: Send) -> Any:
        return await holder["app"](scope, receive, send)

    with (
        serve(identity) as (identity_base, _),
        serve(tenant_app, certfile=folder / "tls.pem") as (origin, _),
        pytest.MonkeyPatch.context() as env,
    ):
        settings = tenant_settings({})
        holder["app"] = create_tenant_app(
            local_directory(settings, home=home, origin=origin), origin=origin
        )
        env.setenv("IDENTITY_ENDPOINT", f"{identity_base}{TOKEN_PATH}")
        env.setenv("IDENTITY_HEADER", header)
        env.setenv("REQUESTS_CA_BUNDLE", str(folder / "ca.pem"))
        partner = EntraPartner(
            tenant_id=settings["PARTNER_TENANT_ID"],
            app_client_id=settings["PARTNER_APP_CLIENT_ID"],
            scope=settings["PARTNER_SCOPE"],
            authority_host=origin,
            identity_client_id=None,
        )
        yield Chain(identity, holder["app"], partner)
