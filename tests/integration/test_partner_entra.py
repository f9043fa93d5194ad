"""``PARTNER_AUTH=entra`` on the stack: what the app answers when the federation breaks.

Each test breaks one thing in the partner's tenant (a federated credential that trusts
another identity, another audience or another issuer; the partner's consent withdrawn; an
Entra outage) or at the partner (a refusal of a fresh token, an answer that echoes the
token), makes the app need a new token (the partner revokes the ones it has seen), and
holds the app's answer: Entra's own code (devstack/tenant/errors.py cites each) in a clear
error, the right status, and nothing written. Microsoft's "Configure an application to trust
a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity)
says what must match: issuer, subject (the identity's object id) and audience.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from devstack.runner import RunningStack
from tests.support.jobsapi import Api, job_blob_names

OTHER = "12121212-1212-4212-8212-121212121212"


class Tenant:
    """The stack's partner tenant, changed through its devstack routes."""

    def __init__(self, stack: RunningStack) -> None:
        self.stack = stack
        self.base = str(stack.endpoints["tenant"]["url"])
        self.client_id = str(stack.endpoints["tenant"]["app_client_id"])

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return requests.request(
            method, f"{self.base}{path}", verify=self.stack.ca_bundle, timeout=10, **kwargs
        )

    def credential(self) -> dict[str, Any]:
        (app,) = self.call("GET", "/devstack/directory").json()["registrations"]
        (found,) = app["federated_credentials"]
        return dict(found)

    def trust(self, **changes: Any) -> None:
        body = {**self.credential(), **changes}
        name = body.pop("name")
        path = f"/devstack/directory/apps/{self.client_id}/federated-credentials/{name}"
        self.call("PUT", path, json=body).raise_for_status()

    def revoke_partner_tokens(self) -> None:
        requests.post(
            f"{self.stack.endpoints['partner']}/devstack/revoke-tokens",
            verify=self.stack.ca_bundle,
            timeout=10,
        ).raise_for_status()


@pytest.fixture
def tenant(entra_stack: RunningStack) -> Iterator[Tenant]:
    """The tenant, with the app's current token revoked at the partner (so the next job
    needs a new one); everything put back afterwards.

    A job first: the token the app holds is then one the partner has seen, so the revocation
    reaches it. Without it, an exchange an earlier test left retrying (an Entra outage) could
    land after that test, unseen, and outlive the revocation."""
    found = Tenant(entra_stack)
    warm = Api(entra_stack).submit({"text": "the token in use, seen by the partner"})
    assert warm.status_code == 202, warm.text
    found.revoke_partner_tokens()
    yield found
    found.call("POST", "/devstack/directory/reset").raise_for_status()
    requests.delete(entra_stack.control("faults/tenant"), timeout=10)
    requests.delete(entra_stack.control("faults/partner"), timeout=10)


@pytest.fixture
def api(entra_stack: RunningStack) -> Api:
    return Api(entra_stack)


MISMATCHES = [
    ("another identity", {"subject": OTHER}, "AADSTS700213"),
    ("another audience", {"audiences": ["api://AzureADTokenExchangeUSGov"]}, "AADSTS700212"),
    ("another issuer", {"issuer": f"https://login.microsoftonline.com/{OTHER}/v2.0"},
     "AADSTS700211"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "changes", "code"), MISMATCHES, ids=[m[0] for m in MISMATCHES])
def test_a_federated_credential_that_trusts_something_else_is_refused_with_entra_s_code(
    tenant: Tenant, api: Api, case: str, changes: dict[str, Any], code: str
) -> None:
    tenant.trust(**changes)
    refused_before = tenant.stack.stats("tenant")["refused"].get(code, 0)
    before = job_blob_names(tenant.stack)
    response = api.submit({"text": f"refused: {case}"}, key=f"fic-{uuid.uuid4()}")
    assert response.status_code == 500, response.text
    error = response.json()["error"]
    assert error["code"] == "partner_token_refused"
    assert error["message"].endswith(f"({code})")
    assert tenant.stack.stats("tenant")["refused"].get(code, 0) - refused_before == 1
    assert job_blob_names(tenant.stack) == before
    tenant.call("POST", "/devstack/directory/reset").raise_for_status()
    assert api.submit({"text": "trusted again"}).status_code == 202


def test_without_the_partner_s_consent_the_app_is_not_in_its_tenant(
    tenant: Tenant, api: Api
) -> None:
    consent = f"/devstack/directory/apps/{tenant.client_id}/consent"
    assert tenant.call("DELETE", consent).status_code == 204
    response = api.submit({"text": "no consent"})
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "partner_token_refused"
    assert response.json()["error"]["message"].endswith("(AADSTS700016)")


def test_an_entra_outage_is_503_with_its_wait_and_nothing_written(tenant: Tenant, api: Api) -> None:
    plan = {"mode": "status", "status": 503, "retry_after": 9}
    requests.put(tenant.stack.control("faults/tenant"), json=plan, timeout=10).raise_for_status()
    before = job_blob_names(tenant.stack)
    response = api.submit({"text": "Entra is down"}, key=f"outage-{uuid.uuid4()}")
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "dependency_unavailable"
    assert response.headers["Retry-After"] == "9"
    assert job_blob_names(tenant.stack) == before


def test_a_partner_that_refuses_a_fresh_token_too_is_a_clear_rejection(
    tenant: Tenant, api: Api
) -> None:
    assert api.submit({"text": "a token in the cache"}).status_code == 202
    plan = {"mode": "status", "status": 401, "count": 2}
    requests.put(tenant.stack.control("faults/partner"), json=plan, timeout=10).raise_for_status()
    issued = tenant.stack.stats("tenant")["issued"]
    response = api.submit({"text": "refused twice"})
    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "partner_token_rejected"
    assert tenant.stack.stats("tenant")["issued"] - issued == 1  # one fresh token, no more


def test_an_answer_echoing_the_token_is_refused(tenant: Tenant, api: Api) -> None:
    plan = {"mode": "echo_field", "count": 2}  # the first strike is the revoked token's 401
    requests.put(tenant.stack.control("faults/partner"), json=plan, timeout=10).raise_for_status()
    response = api.submit({"text": "an echo"})
    assert response.status_code == 502, response.text
    assert response.json()["error"]["code"] == "partner_answer_invalid"
