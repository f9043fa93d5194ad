"""A TLS failure is named as one, with its reason, by the outbound client and the vault.

Real handshakes: an HTTPS server on loopback whose certificate comes from a CA made here
and trusted by nobody (the clients use their default trust store), and one with a trusted
CA but a certificate for another name. What is raised is what the HTTP error path answers
``502 tls_failure`` (blueprints/http/errors.py), and its text says why without a URL.
"""

from __future__ import annotations

import secrets
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
from azure.core.credentials import AccessToken
from azure.keyvault.secrets import SecretClient
from starlette.applications import Starlette
from starlette.responses import JSONResponse

from shared.net import tls_failure
from shared.outbound import OutboundClient, OutboundTlsError
from shared.redaction import Secret
from shared.vault import SecretProvider, VaultTlsError
from tests.support.servers import serve


class _Token:
    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken("not-a-real-token", 2_000_000_000)


def _app() -> Starlette:
    async def anything(request: object) -> JSONResponse:
        return JSONResponse({"ok": True})

    app = Starlette()
    app.add_route("/{path:path}", anything, methods=["GET", "POST"])
    return app


@pytest.fixture(scope="module")
def untrusted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """An HTTPS origin whose CA no client here trusts."""
    pem = tmp_path_factory.mktemp("untrusted") / "server.pem"
    trustme.CA().issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
    with serve(_app(), certfile=pem) as (origin, _):
        yield origin


def _key() -> Secret:
    return Secret(secrets.token_urlsafe(24), name="partner-api-key")


def test_the_partner_behind_an_untrusted_certificate_is_a_tls_failure(untrusted: str) -> None:
    with (
        OutboundClient(untrusted, key_provider=lambda **_: _key(), total_retries=0) as client,
        pytest.raises(OutboundTlsError) as raised,
    ):
        client.post_json("/v1/analyze?debug=1", json={"text": "x"})
    message = str(raised.value)
    assert "certificate verify failed" in message
    assert "127.0.0.1" in message
    assert "debug=1" not in message
    assert raised.value.endpoint == untrusted.removeprefix("https://")


def test_a_certificate_for_another_name_is_a_tls_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    ca.issue_cert("partner.example.test").private_key_and_cert_chain_pem.write_to_path(
        str(tmp_path / "server.pem")
    )
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "ca.pem"))
    with (
        serve(_app(), certfile=tmp_path / "server.pem") as (origin, _),
        OutboundClient(origin, key_provider=lambda **_: _key(), total_retries=0) as client,
        pytest.raises(OutboundTlsError, match=r"certificate verify failed: .*mismatch"),
    ):
        client.post_json("/v1/analyze", json={"text": "x"})


def test_the_vault_behind_an_untrusted_certificate_is_a_tls_failure(untrusted: str) -> None:
    client = SecretClient(untrusted, _Token(), retry_total=0)
    with pytest.raises(VaultTlsError, match="certificate verify failed") as raised:
        SecretProvider(client).get("partner-api-key")
    assert raised.value.secret_name == "partner-api-key"
    assert raised.value.endpoint == untrusted.removeprefix("https://")


def test_an_error_without_ssl_in_its_chain_is_not_tls() -> None:
    outer = RuntimeError("wrapped")
    outer.__cause__ = ConnectionRefusedError(111, "refused")
    assert tls_failure(outer) is None
    outer.__cause__.__context__ = ssl.SSLError(1, "[SSL] record layer failure")
    assert tls_failure(outer) is not None
