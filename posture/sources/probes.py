"""The token prober: for each identity-based connection, get a token and make one harmless read.

A setting that *names* an endpoint proves nothing; a token the service accepts, used
for a read that succeeds, proves the identity and its role assignment work right now.
Each probe goes through the same SDK client the app uses, with the credential the
Functions host would use for that connection, and records what the credential was
asked for (the audience), how long the token and the read took, and the token's
identity claims (never the token).

Reads are the least a role allows and change nothing: the first page of one item of
a listing, or a peek at one message. The app's own connection (``JobsStorage``) is
granted per container and queue, so it is probed on the ``posture`` container and the
``jobs`` queue, where its roles are.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from email.utils import formatdate
from itertools import islice
from typing import Any, Final

import requests
from azure.core.credentials import AccessToken, TokenCredential
from azure.core.exceptions import (
    AzureError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from posture.context import CheckContext
from posture.errors import PostureError

STORAGE_SCOPE: Final = "https://storage.azure.com/.default"
VAULT_SETTINGS: Final = ("KEY_VAULT_URI",)
#: (connection, service) -> the container or queue the app's roles are scoped to.
APP_TARGETS: Final = {("JobsStorage", "blob"): "posture", ("JobsStorage", "queue"): "jobs"}
_EXPLICIT: Final = {
    "blobServiceUri": "blob",
    "queueServiceUri": "queue",
    "tableServiceUri": "table",
}
_SAFE_CLAIMS: Final = ("aud", "oid", "appid", "azp", "idtyp", "tid", "xms_mirid")
_TABLE_VERSION: Final = "2020-12-06"

OK: Final = "ok"
REFUSED: Final = "refused"
FORBIDDEN: Final = "forbidden"
NO_TOKEN: Final = "no-token"  # noqa: S105 (an outcome name)
UNREACHABLE: Final = "unreachable"
NOT_PROBED: Final = "not-probed"
ERROR: Final = "error"
FAILURES: Final = frozenset({REFUSED, FORBIDDEN, NO_TOKEN})


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One identity-based connection setting and the service it points at."""

    setting: str
    connection: str
    service: str  # blob, queue, table, vault, servicebus, eventhubs, unknown
    url: str


@dataclass(frozen=True, slots=True)
class ProbeResult:
    endpoint: Endpoint
    outcome: str
    detail: str
    http_status: int | None = None
    token_ms: float | None = None
    read_ms: float | None = None
    claims: Mapping[str, str] = field(default_factory=dict)


def _service_from_host(url: str) -> str:
    host = url.split("//", 1)[-1].split("/", 1)[0].lower()
    for marker, service in (
        (".blob.", "blob"),
        (".queue.", "queue"),
        (".table.", "table"),
        (".vault.", "vault"),
        (".servicebus.", "servicebus"),
    ):
        if marker in host:
            return service
    return "unknown"


def identity_endpoints(env: Mapping[str, str]) -> list[Endpoint]:
    """Every identity-based connection in ``env``, as the Functions host would read them."""
    found: list[Endpoint] = []
    for name in sorted(env):
        value = env[name].strip()
        if not value:
            continue
        if name in VAULT_SETTINGS:
            found.append(Endpoint(name, name, "vault", value))
            continue
        connection, sep, prop = name.rpartition("__")
        if not sep or not connection or "__" in connection:
            continue
        if prop in _EXPLICIT:
            found.append(Endpoint(name, connection, _EXPLICIT[prop], value))
        elif prop == "serviceUri":
            if not any(f"{connection}__{explicit}" in env for explicit in _EXPLICIT):
                found.append(Endpoint(name, connection, _service_from_host(value), value))
        elif prop == "fullyQualifiedNamespace":
            service = "servicebus" if ".servicebus." in value.lower() else "eventhubs"
            found.append(Endpoint(name, connection, service, value))
    return found


def token_claims(token: str) -> dict[str, str]:
    """The identity claims of a JWT access token, unverified; empty when it is not a JWT."""
    try:
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError, binascii.Error):
        return {}
    if not isinstance(claims, dict):
        return {}
    safe = {name: str(claims[name]) for name in _SAFE_CLAIMS if claims.get(name)}
    if claims.get("scp") or claims.get("upn") or claims.get("unique_name"):
        safe["user"] = "true"  # delegated (user) token; the user's name is not copied
    return safe


class RecordingCredential:
    """Wraps a credential to note the audience, timing and claims of the token it gives."""

    def __init__(self, inner: TokenCredential) -> None:
        self._inner = inner
        self.scope: str | None = None
        self.token_ms: float | None = None
        self.claims: dict[str, str] = {}
        self.failed = False

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        started = time.perf_counter()
        try:
            token = self._inner.get_token(*scopes, **kwargs)
        except Exception:
            self.failed = True
            raise
        self.token_ms = round((time.perf_counter() - started) * 1000, 1)
        self.scope = scopes[0] if scopes else None
        self.claims = token_claims(token.token)
        return token


def _client_kwargs(context: CheckContext) -> dict[str, Any]:
    return {
        "retry_total": 0,
        "connection_timeout": context.network_timeout,
        "read_timeout": context.network_timeout,
        **context.client_options,
    }


def _read_blob(endpoint: Endpoint, credential: Any, context: CheckContext) -> None:
    from azure.storage.blob import BlobServiceClient

    client = BlobServiceClient(endpoint.url, credential, **_client_kwargs(context))
    target = APP_TARGETS.get((endpoint.connection, "blob"))
    if target is not None:
        blobs = client.get_container_client(target).list_blobs(results_per_page=1).by_page()
        list(islice(next(blobs, iter(())), 1))
    else:
        containers = client.list_containers(results_per_page=1).by_page()
        list(islice(next(containers, iter(())), 1))


def _read_queue(endpoint: Endpoint, credential: Any, context: CheckContext) -> None:
    from azure.storage.queue import QueueServiceClient

    client = QueueServiceClient(endpoint.url, credential, **_client_kwargs(context))
    target = APP_TARGETS.get((endpoint.connection, "queue"))
    if target is not None:
        client.get_queue_client(target).peek_messages(max_messages=1)
    else:
        list(islice(next(client.list_queues(results_per_page=1).by_page(), iter(())), 1))


def _read_table(endpoint: Endpoint, credential: Any, context: CheckContext) -> None:
    token = credential.get_token(STORAGE_SCOPE)
    response = requests.get(
        f"{endpoint.url.rstrip('/')}/Tables",
        params={"$top": "1"},
        headers={
            "Authorization": f"Bearer {token.token}",
            "x-ms-version": _TABLE_VERSION,
            "x-ms-date": formatdate(usegmt=True),
            "Accept": "application/json;odata=nometadata",
        },
        timeout=context.network_timeout,
        verify=context.client_options.get("connection_verify", True),
    )
    if response.status_code >= 400:
        raise _StatusError(response.status_code, response.headers.get("x-ms-error-code"))


def _read_vault(endpoint: Endpoint, credential: Any, context: CheckContext) -> None:
    from azure.keyvault.secrets import SecretClient

    client = SecretClient(endpoint.url, credential, **_client_kwargs(context))
    pages = client.list_properties_of_secrets(max_page_size=1).by_page()
    list(islice(next(pages, iter(())), 1))


class _StatusError(PostureError):
    def __init__(self, status: int, code: str | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status_code, self.error_code = status, code


_READERS: Final[dict[str, Callable[[Endpoint, Any, CheckContext], None]]] = {
    "blob": _read_blob,
    "queue": _read_queue,
    "table": _read_table,
    "vault": _read_vault,
}


def _failure(exc: Exception, recorder: RecordingCredential) -> tuple[str, str, int | None]:
    if recorder.failed:
        return NO_TOKEN, f"no token could be obtained ({type(exc).__name__})", None
    status = getattr(exc, "status_code", None)
    code = getattr(exc, "error_code", None)
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        return OK, "authorized; the probed container or queue does not exist", 404
    if status == 401 or (status == 403 and code == "AuthenticationFailed"):
        return REFUSED, f"the service refused the token (HTTP {status})", status
    if status == 403:
        suffix = f" {code}" if code else ""
        return FORBIDDEN, f"token accepted, access denied (HTTP 403{suffix}): role?", status
    if isinstance(exc, ServiceRequestError | ServiceResponseError | requests.ConnectionError):
        return UNREACHABLE, f"the service could not be reached ({type(exc).__name__})", None
    shown = f"HTTP {status}" if status else type(exc).__name__
    return ERROR, f"the probe failed ({shown})", status


def probe(endpoint: Endpoint, context: CheckContext) -> ProbeResult:
    """Probe one endpoint: token, one read, timings; never raises for a service's answer."""
    reader = _READERS.get(endpoint.service)
    if reader is None:
        return ProbeResult(endpoint, NOT_PROBED, f"no probe for a {endpoint.service} endpoint")
    recorder = RecordingCredential(context.credential_for(endpoint.connection))
    started = time.perf_counter()
    try:
        reader(endpoint, recorder, context)
    except (AzureError, _StatusError, requests.RequestException, ValueError) as exc:
        outcome, detail, status = _failure(exc, recorder)
    else:
        outcome, detail, status = OK, "token accepted and one read succeeded", None
    elapsed = round((time.perf_counter() - started) * 1000, 1)
    read_ms = None if recorder.token_ms is None else round(elapsed - recorder.token_ms, 1)
    return ProbeResult(
        endpoint,
        outcome,
        detail,
        http_status=status,
        token_ms=recorder.token_ms,
        read_ms=read_ms if outcome == OK else None,
        claims=dict(recorder.claims),
    )


def probe_all(context: CheckContext) -> list[ProbeResult]:
    """Every identity-based connection of the run, probed concurrently, computed once."""

    def build() -> list[ProbeResult]:
        endpoints = identity_endpoints(context.env)
        if not endpoints:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(endpoints))) as pool:
            return list(pool.map(lambda e: probe(e, context), endpoints))

    return context.memo("token-probes", build)
