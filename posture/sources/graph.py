"""Entra facts from Microsoft Graph: app credentials and the tenant's app management policy.

Plain HTTPS with the app's token for ``<graph>/.default`` (application permissions
Application.Read.All and Policy.Read.All): a few GETs, paged with ``@odata.nextLink``.
A key credential of type ``Symmetric`` is a shared secret by another name: it is kept
as kind ``symmetric``, apart from certificates (keyCredential ``type``:
AsymmetricX509Cert, X509CertAndPassword, Symmetric).
Only dates, ids and display names are kept; a credential's ``hint`` (its first
characters) and anything named like a secret are dropped as the response is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import requests

from posture.context import CheckContext
from posture.errors import PostureError, Unseen
from shared.settings import POSTURE_GRAPH_ENDPOINT

MAX_PAGES: Final = 100
_SELECT: Final = "id,appId,displayName,passwordCredentials,keyCredentials"
_DURATION: Final = re.compile(
    r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?"
    r"(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


class GraphError(PostureError):
    """Graph refused or failed a request; ``status`` and Graph's error code, nothing else."""

    def __init__(self, status: int, code: str | None) -> None:
        super().__init__(f"Microsoft Graph answered HTTP {status}" + (f" {code}" if code else ""))
        self.status, self.code = status, code


@dataclass(frozen=True, slots=True)
class AppCredential:
    """One password or key credential of an application or service principal."""

    owner_type: str  # application or servicePrincipal
    owner: str  # display name
    app_id: str
    key_id: str
    kind: str  # password, symmetric or certificate
    start: datetime | None
    end: datetime | None


def endpoint(context: CheckContext) -> str:
    return POSTURE_GRAPH_ENDPOINT.get(context.env)


def parse_duration(value: str | None) -> timedelta | None:
    """An ISO 8601 duration (``P90D``, ``P1Y``, ``P4DT12H``); years 365 days, months 30."""
    match = _DURATION.match(value or "")
    if not value or match is None:
        return None
    years, months, weeks, days, hours, minutes, seconds = (float(g or 0) for g in match.groups())
    return timedelta(
        days=years * 365 + months * 30 + weeks * 7 + days,
        hours=hours,
        minutes=minutes,
        seconds=seconds,
    )


def _when(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _get(context: CheckContext, url: str) -> dict[str, Any]:
    token = context.memo(
        "graph-token", lambda: context.credential.get_token(f"{endpoint(context)}/.default")
    )
    # One session per run: the rules' Graph calls reuse its TLS connections.
    session = context.memo("graph-session", requests.Session)
    response = session.get(
        url,
        headers={"Authorization": f"Bearer {token.token}", "Accept": "application/json"},
        timeout=context.network_timeout,
        verify=context.client_options.get("connection_verify", True),
    )
    if response.status_code >= 400:
        try:
            code = response.json().get("error", {}).get("code")
        except ValueError:
            code = None
        raise GraphError(response.status_code, code if isinstance(code, str) else None)
    body: dict[str, Any] = response.json()
    return body


def _collect(context: CheckContext, path: str) -> list[dict[str, Any]]:
    url: str | None = f"{endpoint(context)}/v1.0/{path}"
    items: list[dict[str, Any]] = []
    for _ in range(MAX_PAGES):
        if url is None:
            return items
        page = _get(context, url)
        items.extend(page.get("value", []))
        url = page.get("@odata.nextLink")
    raise GraphError(0, f"more than {MAX_PAGES} pages")


def _credentials(owner_type: str, obj: dict[str, Any]) -> list[AppCredential]:
    found: list[AppCredential] = []
    for field, default in (("passwordCredentials", "password"), ("keyCredentials", "certificate")):
        for item in obj.get(field) or []:
            kind = "symmetric" if str(item.get("type")).lower() == "symmetric" else default
            found.append(
                AppCredential(
                    owner_type=owner_type,
                    owner=str(obj.get("displayName") or obj.get("id") or ""),
                    app_id=str(obj.get("appId") or ""),
                    key_id=str(item.get("keyId") or ""),
                    kind=kind,
                    start=_when(item.get("startDateTime")),
                    end=_when(item.get("endDateTime")),
                )
            )
    return found


def app_credentials(context: CheckContext) -> list[AppCredential]:
    """Every credential of every application and service principal, once per run."""

    def build() -> list[AppCredential]:
        found: list[AppCredential] = []
        objects = 0
        for owner_type, path in (
            ("application", "applications"),
            ("servicePrincipal", "servicePrincipals"),
        ):
            for obj in _collect(context, f"{path}?$select={_SELECT}&$top=999"):
                objects += 1
                found.extend(_credentials(owner_type, obj))
        if not objects:
            raise Unseen(
                "Microsoft Graph listed no application and no service principal: every tenant "
                "holds Microsoft's own, so the app's identity sees none (Application.Read.All?)"
            )
        return found

    return context.memo("graph-credentials", build)


def app_policy(context: CheckContext) -> dict[str, Any]:
    """The tenant's default app management policy, once per run."""
    return context.memo(
        "graph-policy",
        lambda: _get(context, f"{endpoint(context)}/v1.0/policies/defaultAppManagementPolicy"),
    )


def custom_policies(context: CheckContext) -> list[dict[str, Any]]:
    """The tenant's custom app management policies: each overrides the default policy for
    the applications and service principals it is assigned to."""
    return context.memo(
        "graph-custom-policies", lambda: _collect(context, "policies/appManagementPolicies")
    )


def restriction(
    policy: dict[str, Any], target: str, kind: str, *, now: datetime | None = None
) -> dict[str, Any] | None:
    """The ``kind`` restriction (e.g. passwordAddition) of ``target`` restrictions that is in
    force: enabled and, when ``now`` is given, not limited to apps created after ``now``."""
    restrictions = policy.get(target) or {}
    for field in ("passwordCredentials", "keyCredentials"):
        for item in restrictions.get(field) or []:
            state = str(item.get("state") or "enabled").lower()
            if item.get("restrictionType") != kind or state != "enabled":
                continue
            after = _when(item.get("restrictForAppsCreatedAfterDateTime"))
            if now is not None and after is not None and after > now:
                continue  # it restricts only apps not created yet
            return dict(item)
    return None


def graph_get(context: CheckContext, path: str) -> dict[str, Any]:
    """One Graph object (``path`` after ``/v1.0/``), once per run."""
    return context.memo(
        f"graph-get:{path}", lambda: _get(context, f"{endpoint(context)}/v1.0/{path}")
    )


def graph_collect(context: CheckContext, path: str) -> list[dict[str, Any]]:
    """Every item of a Graph collection (all ``@odata.nextLink`` pages), once per run."""
    return context.memo(f"graph-collect:{path}", lambda: _collect(context, path))


def tenant_id(context: CheckContext) -> str | None:
    """The tenant of the app's identity: the ``tid`` claim of its Graph token (never the token)."""
    from posture.sources.probes import token_claims

    token = context.memo(
        "graph-token", lambda: context.credential.get_token(f"{endpoint(context)}/.default")
    )
    return token_claims(token.token).get("tid")
