"""The local partner tenant over HTTPS, called by the clients that call Entra.

azure-identity's ``ClientAssertionCredential`` posts the client-credentials grant to
``{authority}/{tenant}/oauth2/v2.0/token`` (``AadClient``, an https authority only); MSAL's
``ConfidentialClientApplication`` first reads ``{authority}/v2.0/.well-known/openid-configuration``
and requires ``authorization_endpoint`` and ``token_endpoint`` in it (``instance_discovery=False``
for a host it does not know). Both get a token here, both get Entra's refusal with its code,
and a protected API finds the tenant's keys through the discovery document's ``jwks_uri``.
The refusal's ``AADSTS`` code is read back with the app's own parser
(:func:`shared.federation.aadsts_code`) from the exception the SDK raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import msal  # type: ignore[import-untyped]
import pytest
import requests
import trustme
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import ClientAssertionCredential

from devstack.tenant.api import create_tenant_app
from devstack.tenant.seed import PARTNER_API_APP_ID, PARTNER_TENANT_ID, local_directory
from shared.federation import aadsts_code
from tests.support.servers import Switch, serve
from tests.unit.devstack.tenant.conftest import Tenant

SCOPE = "api://partner-analysis-local/.default"


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tenant-tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    leaf = ca.issue_cert("127.0.0.1")
    leaf.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    return folder / "ca.pem", folder / "server.pem"


@pytest.fixture(scope="module")
def served(tls: tuple[Path, Path]) -> Iterator[tuple[Switch, str]]:
    switch = Switch()
    with serve(switch, certfile=tls[1], log_level="critical") as (origin, _):
        yield switch, origin


@pytest.fixture
def online(tenant: Tenant, served: tuple[Switch, str]) -> Tenant:
    """``tenant``, rebuilt at the served origin (its issuer names the origin) and served."""
    switch, origin = served
    directory = local_directory(tenant.settings, home=tenant.home, origin=origin)
    switch.app = create_tenant_app(directory, origin=origin)
    return Tenant(tenant.home, directory, tenant.settings)


def credential(online: Tenant, origin: str, ca: Path, assertion: str) -> ClientAssertionCredential:
    return ClientAssertionCredential(
        PARTNER_TENANT_ID,
        online.settings["PARTNER_APP_CLIENT_ID"],
        lambda: assertion,
        authority=origin,
        connection_verify=str(ca),
    )


def test_azure_identity_gets_a_token_the_discovery_document_lets_an_api_verify(
    online: Tenant, served: tuple[Switch, str], tls: tuple[Path, Path]
) -> None:
    origin, ca = served[1], tls[0]
    with credential(online, origin, ca, online.assertion()) as client:
        token = client.get_token_info(SCOPE).token
    discovery = requests.get(
        f"{origin}/{PARTNER_TENANT_ID}/v2.0/.well-known/openid-configuration",
        verify=str(ca),
        timeout=10,
    ).json()
    assert discovery["token_endpoint"] == f"{origin}/{PARTNER_TENANT_ID}/oauth2/v2.0/token"
    keys = jwt.PyJWKClient(discovery["jwks_uri"], ssl_context=_context(ca))
    claims: dict[str, Any] = jwt.decode(
        token,
        key=keys.get_signing_key_from_jwt(token).key,
        algorithms=["RS256"],
        audience=PARTNER_API_APP_ID,
        issuer=discovery["issuer"],
    )
    assert claims["tid"] == PARTNER_TENANT_ID


def _context(ca: Path) -> Any:
    import ssl

    return ssl.create_default_context(cafile=str(ca))


def test_msal_reads_the_discovery_document_and_gets_a_token(
    online: Tenant,
    served: tuple[Switch, str],
    tls: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls[0]))  # MSAL's requests asks verify=True
    session = requests.Session()
    app = msal.ConfidentialClientApplication(
        online.settings["PARTNER_APP_CLIENT_ID"],
        authority=f"{served[1]}/{PARTNER_TENANT_ID}",
        client_credential={"client_assertion": online.assertion},
        instance_discovery=False,
        http_client=session,
    )
    answer = app.acquire_token_for_client(scopes=[SCOPE])
    assert answer.get("token_type") == "Bearer", answer.get("error_description")
    assert jwt.decode(answer["access_token"], options={"verify_signature": False})["tid"] == (
        PARTNER_TENANT_ID
    )
    refused = msal.ConfidentialClientApplication(
        online.settings["PARTNER_APP_CLIENT_ID"],
        authority=f"{served[1]}/{PARTNER_TENANT_ID}",
        client_credential={"client_assertion": lambda: online.assertion(aud="api://somewhere")},
        instance_discovery=False,
        http_client=session,
    ).acquire_token_for_client(scopes=[SCOPE])
    assert refused["error_codes"] == [700212]


@pytest.mark.parametrize(
    ("claims", "code"),
    [({"sub": "12121212-1212-4212-8212-121212121212"}, "AADSTS700213"),
     ({"aud": "api://somewhere"}, "AADSTS700212"),
     ({"iss": "https://issuer.example.net"}, "AADSTS700211")],
)  # fmt: skip
def test_a_refusal_reaches_azure_identity_with_its_code(
    online: Tenant,
    served: tuple[Switch, str],
    tls: tuple[Path, Path],
    claims: dict[str, Any],
    code: str,
) -> None:
    forged = online.assertion(**claims)
    with (
        credential(online, served[1], tls[0], forged) as client,
        pytest.raises(ClientAuthenticationError) as failed,
    ):
        client.get_token_info(SCOPE)
    assert aadsts_code(failed.value) == code
    assert forged not in str(failed.value)


def test_an_unknown_tenant_and_a_non_form_body_are_refused(
    online: Tenant, served: tuple[Switch, str], tls: tuple[Path, Path]
) -> None:
    origin, ca = served[1], str(tls[0])
    unknown = requests.get(
        f"{origin}/common/v2.0/.well-known/openid-configuration", verify=ca, timeout=10
    )
    assert (unknown.status_code, unknown.json()["error_codes"]) == (400, [90002])
    as_json = requests.post(
        f"{origin}/{PARTNER_TENANT_ID}/oauth2/v2.0/token",
        json=online.form(),
        verify=ca,
        timeout=10,
    )
    assert (as_json.status_code, as_json.json()["error_codes"]) == (400, [900144])
    issued = requests.post(
        f"{origin}/{PARTNER_TENANT_ID}/oauth2/v2.0/token", data=online.form(), verify=ca, timeout=10
    )
    assert issued.status_code == 200
    assert issued.headers["Cache-Control"] == "no-store"
