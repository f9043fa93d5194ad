"""The deployment the template makes passes every posture rule, with the partner's key
(``partnerAuth=key``) and with Entra tokens and no key (``entra``: the app registration the
Graph extension creates is derived too, and its rules pass on it); a template change that
breaks a control makes the rule that judges it fail.

The deployment is derived from ``infra/`` itself (tests/infra/posture_deployment.py): the
roles rbac.bicep, rotation.bicep and posture-rbac.bicep grant, with the permissions of each
built-in role; the settings function-app.bicep sets; the identities; the authentication
settings; the storage accounts, vault, monitoring and Event Grid resources as declared.
The posture checker then runs *every* rule with its real clients against local stand-ins
that answer from that derivation (tests/support/arm_stub.py, data_plane.py). The Bicep is
parsed by pycep-parser in .venv-infra (the tests/infra fixtures run it in a subprocess);
the derivation and the rules run here, in the app's own venv, with the app's own SDKs. That
is why this test lives in tests/infra: it needs the parsed template, and the infra venv is
where the parser is.

Each generated change edits one line of a copy of infra/ and is parsed again, so a rule
family that stopped reading what the template sets fails here, not in Azure.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from devstack.tokens import TokenIssuer
from posture.context import CheckContext
from posture.model import Status, all_rules
from posture.runner import run_rules
from tests.infra.bicep_eval import Platform, stable_guid
from tests.infra.conftest import ROOT, parse_infra_copy
from tests.infra.posture_deployment import Deployment, add_recorded_surroundings, derive
from tests.support import recordings
from tests.support.arm_stub import create_cloud_stub
from tests.support.data_plane import DataPlane, serve_data_plane
from tests.support.servers import Switch, serve

# Each case runs every posture rule over a deployment derived from the templates (about 3 s).
pytestmark = pytest.mark.slow

SUB = "6a1f0c4e-8a36-4b4e-9d55-2f0c7e1b9a10"
TENANT = recordings.load("tenant")["tenant_id"]
TOKEN = "tok5x2"
ENVIRONMENT = "prod"
PARAMS = {
    "environmentName": ENVIRONMENT,
    "location": "westeurope",
    "principalId": "",
    "apiClientId": "0e7c3b5a-4d21-4f6a-9b38-5c1d2e3f4a5b",
    "partnerApiUrl": "https://partner.example/v1",
    "partnerKeyExists": True,  # the key is set after the first provision (docs/deploy.md)
}
#: PARTNER_AUTH=entra (docs/partner-entra.md): no key; the registration the partner trusts,
#: owned by whoever ran azd.
ENTRA_PARAMS = {
    **PARAMS,
    "partnerAuth": "entra",
    "partnerTenantId": "7d3e9b21-5c4a-4f86-9e10-2b6c8d4f1a77",
    "partnerScope": "api://partner-analysis/.default",
    "principalId": "00e1f2a3-b4c5-4d6e-8f70-8192a3b4c5d6",
    "partnerKeyExists": False,
}
MODES = {"key": PARAMS, "entra": ENTRA_PARAMS}
#: Rules a mode declares inapplicable (``skipped``, never blindness): the partner's federation
#: has nothing to judge while the partner takes the key.
NOT_APPLICABLE = {
    "key": {"ENT-PARTNER-CRED", "ENT-PARTNER-FIC", "ENT-PARTNER-OWNER", "KV-NO-PARTNER-KEY"},
    # with no key the app reads no secret: there is nothing in use to find disabled
    "entra": {"KV-SECRET-DISABLED-IN-USE"},
}


class AppCredential:
    """The app's managed identity as the platform's endpoint would give it (client id and all)."""

    def __init__(self, issuer: TokenIssuer, client_id: str) -> None:
        self._issuer, self._client_id = issuer, client_id

    def get_token(self, *scopes: str, **_: Any) -> Any:
        from azure.core.credentials import AccessToken

        minted = self._issuer.mint_for_app_identity(scopes[0], client_id=self._client_id)
        return AccessToken(minted.token, minted.expires_on)

    def close(self) -> None:
        """Nothing to release; the SDK clients close their credential with themselves."""


class Estate:
    """The local stand-ins (ARM, Graph, Logs, the data planes) and how to run posture on them."""

    def __init__(self, folder: Path) -> None:
        ca = trustme.CA()
        self.ca = folder / "ca.pem"
        ca.cert_pem.write_to_path(str(self.ca))
        self.pem = folder / "srv.pem"
        ca.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(self.pem))
        self.plane = DataPlane()
        self.switch = Switch()
        self.arm = ""
        self.origins: dict[str, str] = {}

    def platform(self) -> Platform:
        def endpoint(service: str, name: str) -> str:
            return f"{self.origins[service]}/{name}/"

        return Platform(SUB, f"rg-{ENVIRONMENT}", TENANT, TOKEN, endpoint,
                        client_ids={f"id-{TOKEN}": stable_guid("app-client", TOKEN)})  # fmt: skip

    def judge(
        self, trees: dict[str, Any], params: dict[str, Any] = PARAMS
    ) -> tuple[dict[str, Any], Deployment]:
        deployment = derive(trees, self.platform(), params)
        workspace = deployment.env["POSTURE_LOG_WORKSPACE_ID"]
        operator = add_recorded_surroundings(
            deployment.model, subscription=SUB, workspace=workspace
        )
        self.switch.app = create_cloud_stub(deployment.model, self.arm)
        self.plane.__dict__.update(deployment.plane.__dict__)
        site = deployment.api_site.name
        env = {
            **deployment.env,
            # what App Service injects into every app
            "WEBSITE_SITE_NAME": site,
            "WEBSITE_HOSTNAME": f"{site}.azurewebsites.net",
            "WEBSITE_INSTANCE_ID": "0",
            **operator,
            # where the stand-ins are
            "POSTURE_ARM_ENDPOINT": self.arm,
            "POSTURE_GRAPH_ENDPOINT": self.arm,
            "POSTURE_LOGS_ENDPOINT": self.arm,
            "POSTURE_AUTH_PROBE_URL": f"{self.origins['app']}/{site}/api/posture",
        }
        issuer = TokenIssuer.generate()
        context = CheckContext(
            env=env,
            credential=AppCredential(issuer, deployment.app_client_id),
            client_options={"connection_verify": str(self.ca)},
            managed_identity=lambda client_id: AppCredential(issuer, client_id or ""),
        )
        run = run_rules(context)
        return {o.rule.id: o.result for o in run.outcomes}, deployment


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    folder = tmp_path_factory.mktemp("derived")
    found = Estate(folder)
    with (
        serve(found.switch, certfile=found.pem) as (arm, _),
        serve_data_plane(found.plane, found.pem) as origins,
    ):
        found.arm, found.origins = arm, origins
        yield found


@pytest.mark.parametrize("mode", MODES)
def test_the_templates_deployment_passes_every_rule(
    estate: Estate, bicep: dict[str, dict[str, Any]], mode: str
) -> None:
    results, deployment = estate.judge(bicep, MODES[mode])
    assert set(results) == {r.id for r in all_rules()}
    not_passing = {
        k: (r.status.value, r.message) for k, r in results.items() if r.status is not Status.PASS
    }
    for rule_id, item in sorted(not_passing.items()):
        print("NOT PASSING", rule_id, item)
    for rule_id in NOT_APPLICABLE[mode]:
        assert not_passing.pop(rule_id)[0] == Status.SKIPPED.value, rule_id
    assert not_passing == {}
    least = results["MI-LEAST-PRIVILEGE"]
    # Every assignment of the app's identity and of the rotation's (rbac.bicep, posture-rbac,
    # rotation.bicep; the deployer's are not an app's): judged by what each role grants.
    principals = {
        identity["principalId"]
        for row in deployment.model.resources
        if row["type"] == "microsoft.web/sites"
        for identity in row["identity"]["userAssignedIdentities"].values()
    }
    listed = next(v for k, v in deployment.model.recorded.items() if k.endswith("roleAssignments"))
    granted = [a for a in listed["value"] if a["properties"]["principalId"] in principals]
    assert len(granted) > 10
    # With entra there is no rotation app: the jobs app's identity alone.
    identities = 1 if mode == "entra" else 2
    assert least.message.startswith(
        f"{len(granted)} role assignment(s) of {identities} identity(ies)"
    )


# -- one generated template change per rule family -----------------------------------------

CHANGES = [
    ("storage takes keys", "infra/modules/storage.bicep", "    allowSharedKeyAccess: false",
     "    allowSharedKeyAccess: true", "STG-SHAREDKEY"),
    ("vault on access policies", "infra/modules/keyvault.bicep", "enableRbacAuthorization: true",
     "enableRbacAuthorization: false", "KV-RBAC"),
    ("no vault audit", "infra/modules/keyvault.bicep", "category: 'AuditEvent'",
     "category: 'AzurePolicyEvaluationDetails'", "KV-AUDIT"),
    ("telemetry takes keys", "infra/modules/monitoring.bicep", "DisableLocalAuth: true",
     "DisableLocalAuth: false", "AI-LOCALAUTH"),
    ("workspace takes keys", "infra/modules/monitoring.bicep", "disableLocalAuth: true",
     "disableLocalAuth: false", "LOG-LOCALAUTH"),
    ("HTTP allowed", "infra/modules/function-app.bicep", "httpsOnly: true", "httpsOnly: false",
     "APP-TRANSPORT"),
    ("SCM basic auth on", "infra/modules/function-app.bicep",
     "name: 'scm'\n  properties: {\n    allow: false",
     "name: 'scm'\n  properties: {\n    allow: true",
     "APP-BASICAUTH"),
    ("auth not required", "infra/modules/function-app.bicep", "requireAuthentication: true",
     "requireAuthentication: false", "APP-AUTH"),
    ("package pulled with a key", "infra/modules/function-app.bicep",
     "type: 'UserAssignedIdentity'\n            userAssignedIdentityResourceId: identityId",
     "type: 'StorageAccountConnectionString'\n            storageAccountConnectionStringName: "
     "'DEPLOYMENT_STORAGE_CONNECTION_STRING'", "APP-DEPLOY-STORAGE"),
    ("a role that lists keys", "infra/modules/rbac.bicep",
     "'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'",
     "'Storage Blob Data Owner': '17d1049b-9a84-46fb-8f53-869881c3d3ab'", "MI-LEAST-PRIVILEGE"),
    ("credential chain not pinned", "infra/modules/function-app.bicep",
     "AZURE_TOKEN_CREDENTIALS: 'ManagedIdentityCredential'", "AZURE_TOKEN_CREDENTIALS: 'dev'",
     "RT-CRED-PINNED"),
    ("telemetry sent with the key", "infra/modules/function-app.bicep",
     "APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'",
     "APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId}'", "RT-AI-AUTH"),
    ("events delivered to a keyed webhook", "infra/modules/rotation-events.bicep",
     "endpointType: 'StorageQueue'", "endpointType: 'WebHook'", "EG-DELIVERY"),
    # PARTNER_AUTH=entra: the registration the partner trusts (infra/modules/partner-app.bicep)
    ("the registration holds a password", "infra/modules/partner-app.bicep",
     "  signInAudience: 'AzureADMultipleOrgs'\n",
     "  signInAudience: 'AzureADMultipleOrgs'\n  passwordCredentials: [\n    {\n"
     "      displayName: 'kept just in case'\n      endDateTime: '2099-01-01T00:00:00Z'\n"
     "    }\n  ]\n", "ENT-PARTNER-CRED"),
    ("the credential trusts the owner", "infra/modules/partner-app.bicep",
     "    subject: identityPrincipalId\n", "    subject: ownerPrincipalId\n", "ENT-PARTNER-FIC"),
    ("no owner", "infra/main.bicep", "    ownerPrincipalId: principalId\n",
     "    ownerPrincipalId: ''\n", "ENT-PARTNER-OWNER"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "path", "old", "new", "rule"), CHANGES, ids=[c[0] for c in CHANGES]
)
def test_a_generated_template_change_fails_the_rule_that_judges_it(
    estate: Estate, tmp_path: Path, case: str, path: str, old: str, new: str, rule: str
) -> None:
    copy = tmp_path / "repo"
    shutil.copytree(ROOT / "infra", copy / "infra")
    target = copy / path
    text = target.read_text(encoding="utf-8")
    assert text.count(old) >= 1, f"{case}: the template no longer holds {old!r}"
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    parsed = parse_infra_copy(copy)
    trees = {p: v["tree"] for p, v in parsed["bicep"].items()}
    mode = "entra" if rule.startswith("ENT-PARTNER") else "key"
    results, _ = estate.judge(trees, MODES[mode])
    assert results[rule].status is Status.FAIL, (case, results[rule])
    others = {k for k, r in results.items() if r.status is not Status.PASS} - {rule}
    assert others - NOT_APPLICABLE[mode] == ALSO.get(rule, set()), others


#: A change that breaks one control can break a neighbour too, and should.
ALSO = {
    # shared keys allowed: now their expiry and SAS policies matter, and the template sets none
    "STG-SHAREDKEY": {"STG-KEY-HYGIENE"},
    # the platform lets an anonymous call through to the function
    "APP-AUTH": {"RT-AUTH-PROBE"},
    # the registration's password is a client secret in the tenant
    "ENT-PARTNER-CRED": {"ENT-APP-SECRETS"},
    # an ownerless registration is a governance gap of the tenant's too
    "ENT-PARTNER-OWNER": {"ENT-APP-GOVERNANCE"},
}
