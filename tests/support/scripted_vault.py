"""Key Vault scripted at the HTTP level, for tests of the real SecretClient.

The SDK runs unchanged (bearer challenge, request building, error mapping); only the wire is
replaced: a requests adapter answers like Key Vault does. With a fake identity and a clock
the test moves by hand.
"""

from __future__ import annotations

import io
import json
import secrets
import threading
import time
import uuid
from urllib.parse import urlsplit

import requests
from azure.core.credentials import AccessToken
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.transport import RequestsTransport
from azure.keyvault.secrets import SecretClient
from requests.adapters import HTTPAdapter
from urllib3 import HTTPResponse


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeCredential:
    """Hands out a random bearer token; ``fail`` makes it behave like a broken identity."""

    def __init__(self) -> None:
        self.token = secrets.token_urlsafe(24)
        self.fail = False

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        if self.fail:
            raise ClientAuthenticationError("no identity available")
        return AccessToken(self.token, int(time.time()) + 3600)


class ScriptedVault(HTTPAdapter):
    """Key Vault's secrets GET at the HTTP level, per host.

    ``error`` (while set) answers every authorised request: an exception to raise, or a
    (status, error body, headers) triple. ``gate`` holds authorised requests until set
    (0.3 s at most); ``hold`` holds them until set (a vault that does not answer).
    """

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[tuple[str, str, str], str] = {}  # (host, name, version) -> value
        self.error: Exception | tuple[int, dict[str, object], dict[str, str]] | None = None
        self.gate: threading.Event | None = None
        self.hold: threading.Event | None = None
        self.held: set[str] | None = None  # names the gate applies to (all when None)
        self.fetches: list[tuple[str, str, str]] = []
        self.tenant = str(uuid.uuid4())
        self._lock = threading.Lock()

    def put(self, vault_url: str, name: str, version: str = "") -> str:
        value = secrets.token_urlsafe(32)
        self.values[(urlsplit(vault_url).netloc, name, version)] = value
        return value

    def count(self, name: str | None = None) -> int:
        return sum(1 for f in self.fetches if name is None or f[1] == name)

    def send(self, request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        if "Authorization" not in request.headers:
            challenge = (
                f'Bearer authorization="https://login.microsoftonline.com/{self.tenant}", '
                'resource="https://vault.azure.net"'
            )
            return self._answer(request, 401, {}, {"WWW-Authenticate": challenge})
        url = urlsplit(request.url)
        _, _, name, *rest = url.path.split("/")
        key = (url.netloc, name, rest[0] if rest else "")
        with self._lock:
            self.fetches.append(key)
        if self.gate is not None and (self.held is None or name in self.held):
            self.gate.wait(timeout=0.3)
        if self.hold is not None:
            self.hold.wait(timeout=60)
        if isinstance(self.error, Exception):
            raise self.error
        if self.error is not None:
            status, body, headers = self.error
            return self._answer(request, status, body, headers)
        if key not in self.values:
            body = {"error": {"code": "SecretNotFound", "message": f"A secret {name} not found"}}
            return self._answer(request, 404, body, {})
        secret_id = f"https://{url.netloc}/secrets/{name}/{key[2] or uuid.uuid4().hex}"
        body = {"value": self.values[key], "id": secret_id, "attributes": {"enabled": True}}
        return self._answer(request, 200, body, {})

    def _answer(self, request, status, body, headers):
        data = json.dumps(body).encode() if body else b""
        headers = {"Content-Type": "application/json", **headers}
        raw = HTTPResponse(
            body=io.BytesIO(data), headers=headers, status=status, preload_content=False
        )
        return self.build_response(request, raw)


def make_client(vault: ScriptedVault, host: str | None = None, credential=None) -> SecretClient:
    session = requests.Session()
    session.mount("https://", vault)
    host = host or f"kv{uuid.uuid4().hex[:12]}.vault.azure.net"
    return SecretClient(
        f"https://{host}",
        credential or FakeCredential(),
        transport=RequestsTransport(session=session, session_owner=False),
        retry_total=0,
    )
