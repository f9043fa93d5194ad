"""The app's environment on the devstack: the same setting names as in Azure.

Values come from ``local.settings.json`` (yours, git-ignored) or else
``local.settings.sample.json``; URLs that point at a devstack default port on
loopback are rewritten to the ports actually in use, so tests on free ports
and a stack with moved ports need no second settings file. Only a few
operating-system variables are inherited: an ``AZURE_CLIENT_SECRET`` in your
shell must not silently change which credential the app uses. And the credential
chain is pinned as it is in Azure: ``AZURE_TOKEN_CREDENTIALS=ManagedIdentityCredential``
(azure-identity reads a single credential's name there since 1.24, and 1.27 is pinned;
``DefaultAzureCredential`` then builds the managed identity credential alone), so a
developer credential can never answer locally what the managed identity answers in Azure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

INHERITED = (
    "PATH",
    "HOME",
    "LANG",
    "LC_ALL",
    "TZ",
    "TMPDIR",
    "SYSTEMROOT",
    "VIRTUAL_ENV",
    "PYTHONPATH",
    "PYTHONDONTWRITEBYTECODE",
    "PYTHONUNBUFFERED",
    # A measured test run (coverage.py's subprocess support) reaches the app's host too.
    "COVERAGE_PROCESS_CONFIG",
    "COVERAGE_PROCESS_START",
)
#: What infra/ sets in Azure too (``AZURE_TOKEN_CREDENTIALS``).
PINNED_CREDENTIAL = "ManagedIdentityCredential"
LOOPBACK = "127.0.0.1"
LOOPBACK_HOSTS = {LOOPBACK, "localhost"}


class SettingsFileError(ValueError):
    """local.settings(.sample).json is missing or malformed, or holds what the app refuses."""


def settings_file(app_dir: Path) -> Path:
    own = app_dir / "local.settings.json"
    return own if own.exists() else app_dir / "local.settings.sample.json"


def load_local_settings(path: Path) -> dict[str, str]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise SettingsFileError(f"{path} not found") from exc
    except json.JSONDecodeError as exc:
        raise SettingsFileError(f"{path} is not valid JSON (line {exc.lineno})") from exc
    values = document.get("Values")
    if not isinstance(values, dict):
        raise SettingsFileError(f'{path} has no "Values" object')
    return {str(key): str(value) for key, value in values.items()}


def rewrite_loopback_url(value: str, port_map: dict[int, int]) -> str:
    """Move a loopback URL on a default devstack port to the port in use, on 127.0.0.1.

    ``localhost`` becomes ``127.0.0.1``: Key Vault's SDK accepts the vault's challenge only
    when the host it called has a parent domain (``localhost`` has none), and every other
    piece answers both names alike.
    """
    if not value.startswith(("http://", "https://")):
        return value
    parts = urlsplit(value)
    if parts.hostname not in LOOPBACK_HOSTS or parts.port not in port_map:
        return value
    netloc = f"{LOOPBACK}:{port_map[parts.port]}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def build_app_env(
    values: dict[str, str],
    *,
    port_map: dict[int, int],
    identity_endpoint: str,
    identity_header: str,
    ca_bundle: Path,
    extra: dict[str, str] | None = None,
) -> dict[str, str]:
    env = {name: os.environ[name] for name in INHERITED if name in os.environ}
    env.update({name: rewrite_loopback_url(value, port_map) for name, value in values.items()})
    env.update(
        {
            "IDENTITY_ENDPOINT": identity_endpoint,
            "IDENTITY_HEADER": identity_header,
            "AZURE_TOKEN_CREDENTIALS": PINNED_CREDENTIAL,
            "REQUESTS_CA_BUNDLE": str(ca_bundle),
            "SSL_CERT_FILE": str(ca_bundle),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    return env


DEVELOPMENT_STORAGE = "usedevelopmentstorage=true"
HOST_STORAGE = "AzureWebJobsStorage"


def with_storage_connections(
    env: dict[str, str], *, blob: str, queue: str, table: str
) -> tuple[dict[str, str], list[str]]:
    """Point Storage connections at the devstack's Azurite, identity-based.

    ``NAME=UseDevelopmentStorage=true`` (the emulator shortcut apps keep in their local
    settings) becomes ``NAME__blobServiceUri``, ``__queueServiceUri`` and
    ``__tableServiceUri``: the devstack host runs identity-based connections only. An
    app that sets no ``AzureWebJobsStorage`` at all gets those three for it, as Core
    Tools needs one. Returns the environment and the names rewritten.
    """
    uris = {"blobServiceUri": blob, "queueServiceUri": queue, "tableServiceUri": table}
    result = dict(env)
    rewritten = sorted(
        name
        for name, value in env.items()
        if value.strip().rstrip(";").lower() == DEVELOPMENT_STORAGE
    )
    for name in rewritten:
        del result[name]
        for key, uri in uris.items():
            result.setdefault(f"{name}__{key}", uri)
    if HOST_STORAGE not in result and not any(k.startswith(f"{HOST_STORAGE}__") for k in result):
        for key, uri in uris.items():
            result[f"{HOST_STORAGE}__{key}"] = uri
    return result, rewritten


def refuse_unsafe(env: dict[str, str], *, source: Path) -> None:
    """Stop before the host starts when the app would refuse its environment at start-up
    (a credential variable, a keyed connection string, a secret-shaped value): one line
    naming the setting and the kind of problem, never the value."""
    from shared.settings.environment import unsafe_variables

    if refused := unsafe_variables(env):
        raise SettingsFileError(f"{source.name}: {refused[0]}")
