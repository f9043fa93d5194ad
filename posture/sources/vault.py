"""Key Vault secret properties: every secret's dates and state, never a value.

``list_properties_of_secrets`` pages through the vault (the SDK follows ``nextLink``);
it needs the list permission (Key Vault Reader, or Secrets User) and returns no
value, so the checker holds no secret even while it inspects all of them. The names
the app *uses* come from its settings: every setting whose name ends in
``_SECRET_NAME`` (declared ones fall back to their default), but the partner key's while
``PARTNER_AUTH=entra`` (the partner then takes a token, and no key is read).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final

from posture.context import CheckContext
from posture.errors import Unseen, VaultListingTruncatedError
from shared.settings import (
    KEY_VAULT_URI,
    PARTNER_API_KEY_SECRET_NAME,
    PARTNER_AUTH,
    declared_settings,
)

SECRET_NAME_SUFFIX: Final = "_SECRET_NAME"  # noqa: S105 (a suffix of setting names)
PAGE_SIZE: Final = 25
MAX_SECRETS: Final = 5000


@dataclass(frozen=True, slots=True)
class SecretFacts:
    """What posture needs of one secret (its current version): state and dates."""

    name: str
    enabled: bool
    expires_on: datetime | None
    updated_on: datetime | None
    created_on: datetime | None
    managed: bool


def vault_url(context: CheckContext) -> str | None:
    return context.value(KEY_VAULT_URI)


def require_vault(context: CheckContext) -> str:
    """The vault the app uses; :class:`Unseen` when no setting names it."""
    url = vault_url(context)
    if url is None:
        raise Unseen(
            f"no vault to inspect ({KEY_VAULT_URI.name} is not set): run with the app's settings"
        )
    return url


def vault_secrets(context: CheckContext) -> list[SecretFacts]:
    """Every secret's properties, read once per run (all pages)."""

    def build() -> list[SecretFacts]:
        from azure.keyvault.secrets import SecretClient

        url = require_vault(context)
        client = SecretClient(
            url,
            context.credential_for(KEY_VAULT_URI.name),
            retry_total=1,
            connection_timeout=context.network_timeout,
            read_timeout=context.network_timeout,
            **context.client_options,
        )
        found: list[SecretFacts] = []
        with client:
            for props in client.list_properties_of_secrets(max_page_size=PAGE_SIZE):
                if len(found) >= MAX_SECRETS:
                    raise VaultListingTruncatedError(
                        f"the vault holds more than {MAX_SECRETS} secrets; the rest were not read"
                    )
                found.append(
                    SecretFacts(
                        name=props.name or "",
                        enabled=props.enabled is not False,
                        expires_on=props.expires_on,
                        updated_on=props.updated_on,
                        created_on=props.created_on,
                        managed=bool(props.managed),
                    )
                )
        return found

    return context.memo("vault-secrets", build)


def secrets_in_use(context: CheckContext) -> dict[str, str]:
    """Setting name -> secret name, for every ``*_SECRET_NAME`` setting the app reads."""
    used: dict[str, str] = {}
    unused = {PARTNER_API_KEY_SECRET_NAME.name} if context.value(PARTNER_AUTH) == "entra" else set()
    for spec in declared_settings():
        if spec.name in unused:
            continue
        if spec.name.endswith(SECRET_NAME_SUFFIX):
            name = context.value(spec)
            if name:
                used[spec.name] = name
    for setting in context.env:
        if setting.endswith(SECRET_NAME_SUFFIX) and setting not in {*used, *unused}:
            name = context.setting(setting)
            if name:
                used[setting] = name
    return used
