"""The partner reached with Entra tokens (``PARTNER_AUTH=entra``): the shape that holds no secret.

The app's managed identity is the federated credential of a multi-tenant app registration
(docs/partner-entra.md; Microsoft's "Configure an application to trust a managed identity",
https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity).
That shape is only secretless while it stays so: the registration holds no other credential
(a password, a certificate or a symmetric key would be a secret again), its one federated
credential trusts exactly the app's identity (issuer this tenant's v2.0 authority, subject
the identity's object id, audience the cloud's exchange audience), someone owns it, and the
partner key the app no longer uses is gone from the vault.

Each rule is ``skipped`` while ``PARTNER_AUTH`` is ``key`` (a declaration: the partner takes
the key), ``unknown`` when what it judges cannot be seen (Graph off, the registration or the
identity not named by the app's settings, or not listed by Graph), never a pass on a blind
read. Evidence names the app, ids, issuers and counts; never a credential.
"""

from __future__ import annotations

from typing import Any, Final, Protocol, TypeVar

from posture.context import CheckContext
from posture.errors import Unseen
from posture.model import Evidence, RuleResult, Severity
from posture.rules.judge import GRAPH_APPS, VAULTS
from posture.rules.kinds import graph_rule, resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource
from posture.sources.directory import (
    Application,
    applications,
    federated_credentials,
    service_principals,
)
from posture.sources.graph import tenant_id
from shared.federation import exchange_audience
from shared.settings import (
    AZURE_CLIENT_ID,
    PARTNER_API_KEY_SECRET_NAME,
    PARTNER_APP_CLIENT_ID,
    PARTNER_AUTH,
    PARTNER_AUTHORITY_HOST,
    Setting,
)

KEY_MODE: Final = f"the partner takes the key ({PARTNER_AUTH.name} is not entra): nothing to judge"
KEYVAULT_API: Final = "2023-07-01"


class _WithAppId(Protocol):
    @property
    def app_id(self) -> str: ...


_Listed = TypeVar("_Listed", bound=_WithAppId)


def _key_mode(context: CheckContext) -> str | None:
    """Every rule here is skipped while the partner takes the key: a declaration."""
    return KEY_MODE if context.value(PARTNER_AUTH) != "entra" else None


def _one_named_by(
    context: CheckContext,
    setting: Setting[str],
    listed: list[_Listed],
    *,
    unset: str,
    unlisted: str,
) -> _Listed:
    """What of ``listed`` has the client id ``setting`` holds (Graph's app ids are GUIDs,
    compared without case). ``Unseen`` saying ``unset`` when the setting is empty, and
    ``unlisted`` (``{}`` the client id) when Graph lists nothing with that id."""
    client_id = context.value(setting)
    if not client_id:
        raise Unseen(f"{setting.name} is not set: {unset}")
    found = [item for item in listed if item.app_id.lower() == client_id.lower()]
    if not found:
        raise Unseen(unlisted.format(client_id))
    return found[0]


def registration(context: CheckContext) -> Application:
    """The app registration ``PARTNER_APP_CLIENT_ID`` names, as Graph lists it."""
    return _one_named_by(
        context, PARTNER_APP_CLIENT_ID, applications(context),
        unset="run with the app's settings to judge the registration the partner trusts",
        unlisted="Graph lists no app registration with client id {}: is the checker signed in "
        "to the app's home tenant?",
    )  # fmt: skip


def _about(app: Application, **extra: Any) -> Evidence:
    return {"app": app.name, "app_id": app.app_id, **extra}


@graph_rule(
    "ENT-PARTNER-CRED",
    title="The partner app registration's only credential is the app's federated identity",
    severity=Severity.HIGH,
    needs=GRAPH_APPS,
    unless=_key_mode,
    remediation="Remove every password, certificate and symmetric key of the registration "
    "(az ad app credential delete); its one credential is the federated credential trusting "
    "the app's managed identity (infra/modules/partner-app.bicep).",
    reads="Graph: the application of PARTNER_APP_CLIENT_ID (passwordCredentials, "
    "keyCredentials) and its federatedIdentityCredentials; PARTNER_AUTH",
    permission=GRAPH_APPS,
)
def partner_credentials(context: CheckContext) -> RuleResult:
    app = registration(context)
    federated = len(federated_credentials(context, app))
    evidence = _about(app, passwords=app.passwords, keys=app.certificates, federated=federated)
    if app.passwords or app.certificates:
        return RuleResult.failed(
            f"{app.name} holds {app.passwords} password(s) and {app.certificates} "
            "certificate or symmetric key(s) besides its federated credential",
            [evidence],
        )
    if not federated:
        return RuleResult.failed(
            f"{app.name} has no federated credential: the app cannot get the partner's token",
            [evidence],
        )
    return RuleResult.passed(f"{app.name}: {federated} federated credential(s), no secret")


def _identity_principal(context: CheckContext) -> str:
    """The object (principal) id of the app's user-assigned identity (``AZURE_CLIENT_ID``)."""
    return _one_named_by(
        context, AZURE_CLIENT_ID, service_principals(context),
        unset="the identity the credential must trust is unknown (run the checker in the app, "
        "or with its settings)",
        unlisted="Graph lists no service principal of the identity {}",
    ).id  # fmt: skip


@graph_rule(
    "ENT-PARTNER-FIC",
    title="The partner registration's federated credential trusts exactly the app's identity",
    severity=Severity.HIGH,
    needs=GRAPH_APPS,
    unless=_key_mode,
    remediation="Keep one federated credential on the registration: issuer this tenant's "
    "v2.0 authority (https://login.microsoftonline.com/<tenant>/v2.0), subject the object id "
    "of the app's managed identity (AZURE_CLIENT_ID's service principal), audience "
    "api://AzureADTokenExchange (its US Government or China twin there); remove any other.",
    reads="Graph: the federatedIdentityCredentials of PARTNER_APP_CLIENT_ID's application, the "
    "service principal of AZURE_CLIENT_ID, the tenant of the checker's token; "
    "PARTNER_AUTHORITY_HOST",
    permission=GRAPH_APPS,
)
def partner_federation(context: CheckContext) -> RuleResult:
    app = registration(context)
    subject = _identity_principal(context)
    tenant = tenant_id(context)
    if not tenant:
        raise Unseen("the checker's Graph token names no tenant (tid)")
    authority = str(context.value(PARTNER_AUTHORITY_HOST))
    issuer, audience = f"{authority}/{tenant}/v2.0", exchange_audience(authority)
    credentials = federated_credentials(context, app)
    if not credentials:
        return RuleResult.failed(
            f"{app.name} has no federated credential trusting the app's identity",
            [_about(app, expected_subject=subject)],
        )
    found: list[Evidence] = []
    for credential in credentials:
        problems = []
        if credential.issuer.rstrip("/") != issuer:
            problems.append("issuer is not this tenant's v2.0 authority")
        if credential.subject != subject:
            problems.append("subject is not the app's identity")
        if list(credential.audiences) != [audience]:
            problems.append(f"audiences are not exactly {audience}")
        for problem in problems:
            found.append(
                _about(app, credential=credential.name, issuer=credential.issuer,
                       subject=credential.subject, problem=problem)
            )  # fmt: skip
    if found:
        return RuleResult.failed(
            f"{len(found)} problem(s) with {app.name}'s federated credential(s)", found
        )
    return RuleResult.passed(f"{app.name} trusts the app's identity {subject} and no one else")


@graph_rule(
    "ENT-PARTNER-OWNER",
    title="The partner app registration has an owner",
    severity=Severity.MEDIUM,
    needs=GRAPH_APPS,
    unless=_key_mode,
    remediation="Add an owner who answers for the registration (az ad app owner add --id "
    "<client id> --owner-object-id <user>); azd up makes whoever runs it the owner.",
    reads="Graph: the application of PARTNER_APP_CLIENT_ID ($expand=owners)",
    permission=GRAPH_APPS,
)
def partner_owner(context: CheckContext) -> RuleResult:
    app = registration(context)
    if app.owners == 0:
        return RuleResult.failed(f"{app.name} has no owner", [_about(app, owners=0)])
    return RuleResult.passed(f"{app.name} has {app.owners} owner(s)")


@resource_rule(
    "KV-NO-PARTNER-KEY",
    title="With Entra tokens for the partner, no partner key lingers in a vault",
    severity=Severity.HIGH,
    scope=VAULTS,
    unless=_key_mode,
    remediation="Delete the old partner key and purge it once the partner has revoked it (az "
    "keyvault secret delete, then purge after the retention period), and revoke it at the "
    "partner: a key the app no longer reads is a secret nobody watches.",
    reads="ARM: each vault's secrets (names and attributes, never a value); PARTNER_AUTH, "
    "PARTNER_API_KEY_SECRET_NAME",
)
def no_partner_key(context: CheckContext, vault: ArmResource) -> list[tuple[str, Any]]:
    name = str(context.value(PARTNER_API_KEY_SECRET_NAME)).lower()
    # Secrets - List (Microsoft.KeyVault 2023-07-01): names and attributes, no value.
    listed = arm.arm_list(context, f"{vault.id}/secrets", api_version=KEYVAULT_API)
    found = []
    for secret in listed:
        if str(secret.get("name") or "").lower() == name:
            attributes = (secret.get("properties") or {}).get("attributes") or {}
            state = "disabled" if attributes.get("enabled") is False else "enabled"
            found.append((f"secrets/{secret.get('name')}", state))
    return found
