"""The real chain: azure-identity's managed identity credential and client assertion credential,
built by :func:`shared.federation.token_provider`, against the devstack's identity endpoint
and the local partner tenant over TLS.

Microsoft's "Configure an application to trust a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity)
is what is held: the identity's token for ``api://AzureADTokenExchange`` is the assertion,
the app registration's client id and the partner's tenant make the request, and the answer
is a token of that tenant. Counted on both servers: one assertion and one token for any
number of calls in a lifetime; a forced refresh asks the tenant again and reuses the
assertion; Entra's refusals, an outage of either end and an unknown identity are each named.
"""

from __future__ import annotations

from dataclasses import replace

import jwt
import pytest

from devstack.faults import FaultPlan
from devstack.tenant.seed import PARTNER_TENANT_ID
from devstack.tokens import v2_issuer_url
from shared.federation import (
    AssertionUnavailableError,
    TokenExchangeRefusedError,
    TokenExchangeUnavailableError,
    exchange_audience,
    token_provider,
)
from tests.support.federation_chain import OUTCOME_WAIT, Chain


def test_one_assertion_and_one_token_serve_every_call_of_a_lifetime(fresh: Chain) -> None:
    tokens = token_provider(fresh.partner, wait=OUTCOME_WAIT)
    first = tokens.get()
    for _ in range(20):
        assert tokens.get() is first
    claims = jwt.decode(first.reveal(), options={"verify_signature": False})
    assert claims["tid"] == PARTNER_TENANT_ID
    assert claims["azp"] == fresh.partner.app_client_id
    assert fresh.counts() == (1, 1)
    again = tokens.get(force_fetch=True)
    assert again.reveal() != first.reveal()
    assert fresh.counts() == (1, 2)  # the tenant asked again; the assertion reused
    tokens.close()


@pytest.mark.parametrize(
    ("case", "credential", "code"),
    [
        ("another identity", {"subject": "12121212-1212-4212-8212-121212121212"}, "AADSTS700213"),
        ("another audience", {"audiences": ("api://AzureADTokenExchangeUSGov",)}, "AADSTS700212"),
        ("another issuer", {"issuer": v2_issuer_url("12121212-1212-4212-8212-121212121212")},
         "AADSTS700211"),
    ],
)  # fmt: skip
def test_a_credential_that_trusts_something_else_is_refused_with_its_code(
    fresh: Chain, case: str, credential: dict[str, object], code: str
) -> None:
    directory = fresh.tenant.state.directory
    client = fresh.partner.app_client_id
    (current,) = directory.registration(client).federated
    directory.set_federated(client, replace(current, **credential))
    tokens = token_provider(fresh.partner, wait=OUTCOME_WAIT)
    with pytest.raises(TokenExchangeRefusedError) as refused:
        tokens.get()
    assert refused.value.aadsts == code, case
    assert refused.value.status == 400
    tokens.close()


def test_a_tenant_outage_is_transient_with_its_wait(fresh: Chain) -> None:
    plan = FaultPlan.parse({"mode": "status", "status": 503, "retry_after": 4})
    fresh.tenant.faults.set_plan(plan)
    tokens = token_provider(fresh.partner, wait=OUTCOME_WAIT)
    with pytest.raises(TokenExchangeUnavailableError) as down:
        tokens.get()
    assert (down.value.status, down.value.retry_after) == (503, 4.0)
    fresh.tenant.faults.set_plan(None)
    assert tokens.get().reveal()
    tokens.close()


def test_an_identity_the_endpoint_does_not_serve_is_a_configuration_error(fresh: Chain) -> None:
    unknown = fresh.partner._replace(identity_client_id="12121212-1212-4212-8212-121212121212")
    tokens = token_provider(unknown, wait=OUTCOME_WAIT)
    with pytest.raises(AssertionUnavailableError) as failed:
        tokens.get()
    assert failed.value.transient is False
    assert fresh.counts() == (0, 0)
    tokens.close()


@pytest.mark.slow
def test_an_unreachable_identity_endpoint_is_transient(
    fresh: Chain, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IDENTITY_ENDPOINT", "http://127.0.0.1:9/msi/token")
    tokens = token_provider(fresh.partner, wait=OUTCOME_WAIT)
    with pytest.raises(AssertionUnavailableError) as failed:
        tokens.get()
    assert failed.value.transient is True
    tokens.close()


@pytest.mark.parametrize(
    ("authority", "audience"),
    [
        ("https://login.microsoftonline.com", "api://AzureADTokenExchange"),
        ("https://login.microsoftonline.us", "api://AzureADTokenExchangeUSGov"),
        ("https://login.chinacloudapi.cn", "api://AzureADTokenExchangeChina"),
        ("https://127.0.0.1:7076", "api://AzureADTokenExchange"),
    ],
)
def test_the_assertion_s_audience_is_the_cloud_s_exchange_audience(
    authority: str, audience: str
) -> None:
    assert exchange_audience(authority) == audience
