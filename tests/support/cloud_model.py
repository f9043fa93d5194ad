"""A tenant made up for the control-plane and Entra rule tests: resources in Resource Graph's
row shape mixing good and bad configurations, site configuration, applications and service
principals with their credentials, and the app management policy (tests/support/arm_stub.py
serves it in the services' documented shapes)."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.arm_stub import CloudModel

SUB = "6a1f0c4e-8a36-4b4e-9d55-2f0c7e1b9a10"


RG = f"/subscriptions/{SUB}/resourceGroups/rg-app/providers"


GOOD_SITE = f"{RG}/Microsoft.Web/sites/func-good"


BAD_SITE = f"{RG}/Microsoft.Web/sites/func-bad"


NOW = datetime.now(UTC)


def _row(rtype: str, name: str, properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "id": f"{RG}/{rtype}/{name}",
        "name": name,
        "type": rtype.lower(),
        "kind": extra.pop("kind", ""),
        "resourceGroup": "rg-app",
        "properties": properties,
        "identity": extra.pop("identity", None),
    }


def resources() -> list[dict[str, Any]]:
    storage, vault = "Microsoft.Storage/storageAccounts", "Microsoft.KeyVault/vaults"
    sites, insights = "Microsoft.Web/sites", "Microsoft.Insights/components"
    good_storage = {
        "allowSharedKeyAccess": False,
        "allowBlobPublicAccess": False,
        "supportsHttpsTrafficOnly": True,
        "minimumTlsVersion": "TLS1_2",
    }
    return [
        _row(storage, "stgood", good_storage),
        _row(storage, "stkeyed", {**good_storage, "allowSharedKeyAccess": None}),
        _row(storage, "stpublic", {**good_storage, "allowBlobPublicAccess": True}),
        _row(storage, "sttls", {**good_storage, "minimumTlsVersion": "TLS1_0"}),
        _row(vault, "kvgood", {"enableRbacAuthorization": True, "enableSoftDelete": True,
                               "enablePurgeProtection": True}),
        _row(vault, "kvpolicies", {"enableRbacAuthorization": False,
                                   "enablePurgeProtection": True}),
        _row(vault, "kvnopurge", {"enableRbacAuthorization": True, "enableSoftDelete": True}),
        _row(sites, "func-good", {"httpsOnly": True}, kind="functionapp,linux",
             identity={"type": "UserAssigned"}),
        _row(sites, "func-bad", {"httpsOnly": False}, kind="functionapp,linux",
             identity={"type": "None"}),
        _row(insights, "appi-good", {"DisableLocalAuth": True}),
        _row(insights, "appi-bad", {"DisableLocalAuth": False}),
        _row("Microsoft.ServiceBus/namespaces", "sb-bad", {"disableLocalAuth": False}),
        _row("Microsoft.DocumentDB/databaseAccounts", "cosmos-good", {"disableLocalAuth": True}),
        _row("Microsoft.Cache/Redis", "redis-bad", {}),
        _row("Microsoft.ContainerRegistry/registries", "acr-bad", {"adminUserEnabled": True}),
        _row("Microsoft.AppConfiguration/configurationStores", "appcs-good",
             {"disableLocalAuth": True}),
    ]  # fmt: skip


HINT = "".join(random.Random("hint").choices(string.ascii_letters, k=3))


def password_credential(days_from_now: int, lifetime_days: int = 180) -> dict[str, Any]:
    end = NOW + timedelta(days=days_from_now)
    return {
        "customKeyIdentifier": None,
        "displayName": "ci",
        "endDateTime": end.isoformat().replace("+00:00", "Z"),
        "hint": HINT,
        "keyId": f"00000000-0000-4000-8000-{abs(days_from_now):012d}",
        "secretText": None,
        "startDateTime": (end - timedelta(days=lifetime_days)).isoformat(),
    }


def entra_app(name: str, passwords: list[dict[str, Any]], keys: list[dict[str, Any]] | None = None):
    return {
        "id": f"obj-{name}",
        "appId": f"app-{name}",
        "displayName": name,
        "passwordCredentials": passwords,
        "keyCredentials": keys or [],
    }


def tenant_policy(*, enabled: bool, restrictions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": "00000000-0000-0000-0000-000000000000",
        "displayName": "Default app management tenant policy",
        "isEnabled": enabled,
        "applicationRestrictions": {"passwordCredentials": restrictions, "keyCredentials": []},
        "servicePrincipalRestrictions": {"passwordCredentials": restrictions, "keyCredentials": []},
    }


def model() -> CloudModel:
    return CloudModel(
        resources=resources(),
        web_config={
            GOOD_SITE: {"minTlsVersion": "1.2", "ftpsState": "Disabled",
                        "remoteDebuggingEnabled": False},
            BAD_SITE: {"minTlsVersion": "1.0", "ftpsState": "AllAllowed",
                       "remoteDebuggingEnabled": True},
        },
        publishing={(GOOD_SITE, "ftp"): False, (GOOD_SITE, "scm"): False,
                    (BAD_SITE, "ftp"): True, (BAD_SITE, "scm"): False},
        kv_references={BAD_SITE: ["PARTNER_TOKEN"]},
        applications=[
            entra_app("app-clean", []),
            entra_app("app-pw", [password_credential(100)]),
            entra_app("app-expiring", [password_credential(10)]),
        ],
        service_principals=[entra_app("sp-clean", []), entra_app("sp-old", []),
                            entra_app("sp-pw", [password_credential(-5)])],
        policy=tenant_policy(enabled=False, restrictions=[]),
    )  # fmt: skip
