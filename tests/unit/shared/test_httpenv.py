"""The app's clients take the environment's proxies when built, and never read it per request.

Each client of the app (the partner's, Storage's, Key Vault's) is pointed at a closed
loopback port while ``HTTPS_PROXY`` names a proxy that records what it is asked and refuses
it: the proxy must see the client's ``CONNECT`` for that port, and nothing when ``NO_PROXY``
covers the host. The per-request cost this saves is requests' own environment scan
(``get_environ_proxies``, called from ``Session.merge_environment_settings``), counted here.

Sources: the variables and their meaning are requests' ("Proxies" and "SSL Cert
Verification" in its advanced usage guide, https://requests.readthedocs.io/en/latest/user/advanced/),
resolved by requests itself; azure-core's ``RequestsTransport`` reads them per request unless
built with ``use_env_settings=False`` (its docstring); reading them once per worker holds
because "changes to function app settings require your function app to be restarted"
(https://learn.microsoft.com/azure/azure-functions/functions-app-settings).
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import requests.sessions
from azure.core.exceptions import ServiceRequestError

from shared import storage
from shared.httpenv import azure_client_keywords, settings_for
from shared.outbound import OutboundClient, OutboundError
from shared.redaction import Secret
from shared.vault import _client as vaultclient
from tests.support.credentials import StaticToken


class RefusingProxy:
    """An HTTP proxy that records each request's first line and answers 403."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            with conn:
                head = b""
                while b"\r\n\r\n" not in head and (piece := conn.recv(4096)):
                    head += piece
                self.lines.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
                conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

    def close(self) -> None:
        self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept (Linux)
        self._listener.close()
        self._thread.join(timeout=5)


def _without_proxies(monkeypatch: pytest.MonkeyPatch, *, bundles: bool = False) -> None:
    """No ``*_proxy`` variable (any case) in the environment, nor a CA bundle if asked."""
    for name in list(os.environ):
        if name.lower().endswith("_proxy") or (bundles and name.endswith("_CA_BUNDLE")):
            monkeypatch.delenv(name)


@pytest.fixture
def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[RefusingProxy]:
    _without_proxies(monkeypatch)
    started = RefusingProxy()
    monkeypatch.setenv("HTTPS_PROXY", started.url)
    yield started
    started.close()


@pytest.fixture
def closed_port() -> int:
    with socket.create_server(("127.0.0.1", 0)) as held:
        return int(held.getsockname()[1])


@pytest.fixture(autouse=True)
def _no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(storage, "RETRY_OPTIONS", {"retry_total": 0})
    monkeypatch.setattr(vaultclient, "RETRY_TOTAL", 0)


def _key(**_: object) -> Secret:
    return Secret("k" * 8 + os.urandom(8).hex(), name="partner-api-key")


def _partner(url: str) -> Callable[[], object]:
    client = OutboundClient(url, key_provider=_key, total_retries=0)
    return lambda: client.post_json("/v1/analyze", json={"text": "x"})


def _storage(url: str) -> Callable[[], object]:
    client = storage.container_at(f"{url}/jobs", credential=StaticToken("not-a-real-token"))
    return client.get_container_properties


def _vault(url: str) -> Callable[[], object]:
    client = vaultclient.secret_client(url, StaticToken("not-a-real-token"))
    return lambda: client.get_secret("partner-api-key")


CLIENTS = {"partner": _partner, "storage": _storage, "vault": _vault}
#: How each client reports a refused connection: the outbound client's own family, the SDKs'.
REFUSED = (OutboundError, ServiceRequestError)


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_the_client_goes_through_the_proxy_the_environment_names(
    kind: str, proxy: RefusingProxy, closed_port: int
) -> None:
    call = CLIENTS[kind](f"https://127.0.0.1:{closed_port}")
    with pytest.raises(REFUSED):
        call()
    assert [line.rsplit(" ", 1)[0] for line in proxy.lines] == [f"CONNECT 127.0.0.1:{closed_port}"]


@pytest.mark.parametrize("kind", sorted(CLIENTS))
def test_no_proxy_sends_the_client_straight_to_its_endpoint(
    kind: str, proxy: RefusingProxy, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    call = CLIENTS[kind](f"https://127.0.0.1:{closed_port}")
    with pytest.raises(REFUSED):  # the closed port refuses the connection
        call()
    assert proxy.lines == []


def test_the_environment_is_read_when_the_client_is_built_not_on_each_request(
    proxy: RefusingProxy, closed_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []
    original = requests.sessions.get_environ_proxies

    def counted(url: str, no_proxy: str | None = None) -> dict[str, str]:
        reads.append(url)
        return original(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    url = f"https://127.0.0.1:{closed_port}"
    # The probe counts a session that trusts the environment, as requests' default does.
    with requests.Session() as plain, pytest.raises(requests.RequestException):
        plain.get(url, timeout=5)
    assert reads == [url + "/"]
    calls = [build(url) for build in CLIENTS.values()]
    reads.clear()
    for call in calls * 2:
        with pytest.raises(REFUSED):
            call()
    assert reads == []
    assert len(proxy.lines) == 1 + 2 * len(CLIENTS)  # every call still went through it


def test_the_ca_bundle_is_requests_own_choice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "https://127.0.0.1:1"
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    assert azure_client_keywords(url)["connection_verify"] is True
    monkeypatch.setenv("CURL_CA_BUNDLE", str(tmp_path / "curl.pem"))
    assert azure_client_keywords(url)["connection_verify"] == str(tmp_path / "curl.pem")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "requests.pem"))
    assert settings_for(url).verify == str(tmp_path / "requests.pem")
    assert azure_client_keywords(url)["use_env_settings"] is False


def test_a_passed_in_sessions_own_settings_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    _without_proxies(monkeypatch, bundles=True)  # requests prefers the environment's bundle
    with requests.Session() as session:
        session.verify = "/etc/own-ca.pem"
        session.proxies = {"https": "http://127.0.0.1:9"}
        found = settings_for("https://127.0.0.1:1", session=session)
    assert found.verify == "/etc/own-ca.pem"
    assert found.proxies == {"https": "http://127.0.0.1:9"}


def test_the_repr_never_shows_a_proxys_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    password = os.urandom(8).hex()
    _without_proxies(monkeypatch)
    monkeypatch.setenv("HTTPS_PROXY", f"http://me:{password}@127.0.0.1:3128")
    found = settings_for("https://127.0.0.1:1")
    assert password in found.proxies["https"]  # the proxy is used as the environment says
    assert password not in repr(found)
    assert "https" in repr(found)
