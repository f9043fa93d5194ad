"""With ``PARTNER_AUTH=entra``: the app registration and its federated credential, and nothing of
the key left in the template.

Microsoft's "Configure an application to trust a managed identity"
(https://learn.microsoft.com/entra/workload-id/workload-identity-federation-config-app-trust-managed-identity)
gives the credential: issuer the tenant's authority ``https://login.microsoftonline.com/
{tenant}/v2.0`` (``environment().authentication.loginEndpoint`` in any cloud), subject the
identity's object (principal) id, audience ``api://AzureADTokenExchange`` (``...USGov``,
``...China`` in those clouds); a registration reaching another tenant is multi-tenant. The
resources are the Microsoft Graph Bicep extension's; their property names are held to the
extension's published v1.0 types (tests/infra/graph_schema.py), which azure-mgmt does not
model, and the check is proven on generated broken copies. checkov cannot read the file
(its parser predates ``extension``: test_checkov.py), so this is its only check.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.infra import bicep_check as bc
from tests.infra import bicep_model as bm
from tests.infra import graph_schema
from tests.infra.broken_copies import Breakage, BrokenCopy, broken_trees
from tests.infra.conftest import INFRA, ROOT

FILE = "infra/modules/partner-app.bicep"


def resource(bicep: dict[str, Any], symbol: str) -> dict[str, Any]:
    found: dict[str, Any] = bicep[FILE]["resources"][symbol]
    return found


def test_bicepconfig_pins_the_extension_whose_types_are_checked() -> None:
    config = json.loads((INFRA / "bicepconfig.json").read_text(encoding="utf-8"))
    assert config["extensions"] == {"microsoftGraphV1": graph_schema.EXTENSION_REF}


def test_the_registration_is_multi_tenant_owned_and_holds_no_secret(bicep: dict[str, Any]) -> None:
    registration = resource(bicep, "registration")
    assert registration["type"] == "Microsoft.Graph/applications"
    body = bm.body(registration)
    assert body["signInAudience"] == "AzureADMultipleOrgs"
    assert not {"passwordCredentials", "keyCredentials"} & set(body)
    owners = body["owners"]["relationships"]["operator"]["operands"]
    assert owners["false_value"] == ["ownerPrincipalId"]
    module = bm.body(bicep["infra/main.bicep"]["modules"]["partnerApp"])
    assert module["params"]["ownerPrincipalId"] == "principalId"  # whoever runs azd


def test_the_one_credential_trusts_exactly_the_app_s_identity(bicep: dict[str, Any]) -> None:
    tree = bicep[FILE]
    credential = bm.body(resource(bicep, "registration__managedIdentity"))
    assert credential["issuer"] == "issuer"
    assert tree["variables"]["issuer"]["value"] == (
        "${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0"
    )
    assert credential["subject"] == "identityPrincipalId"
    module = bm.body(bicep["infra/main.bicep"]["modules"]["partnerApp"])
    assert bm.render(module["params"]["identityPrincipalId"]) == "identity.outputs.principalId"
    (audience,) = credential["audiences"]
    assert bm.render(audience).startswith("exchangeAudiences[")
    assert tree["variables"]["exchangeAudiences"]["value"] == {
        "AzureCloud": "api://AzureADTokenExchange",
        "AzureUSGovernment": "api://AzureADTokenExchangeUSGov",
        "AzureChinaCloud": "api://AzureADTokenExchangeChina",
    }
    federated = [
        r for r in bicep[FILE]["resources"].values() if "federatedIdentityCredentials" in r["type"]
    ]
    assert len(federated) == 1


def test_entra_creates_the_registration_and_no_rotation_nor_grant_on_a_key(
    bicep: dict[str, Any],
) -> None:
    main = bicep["infra/main.bicep"]
    assert main["variables"]["entraPartner"]["value"]["operator"]["operands"] == {
        "operand_1": "partnerAuth",
        "operand_2": "entra",
    }
    assert main["parameters"]["partnerAuth"]["default"] == "key"
    assert main["modules"]["partnerApp"]["config"]["condition"] == "entraPartner"
    not_entra = {"type": "not", "operands": {"bool_value": "entraPartner"}}
    assert main["modules"]["rotation"]["config"]["condition"]["operator"] == not_entra
    for module in ("rbac", "rotation"):
        grant = bm.body(main["modules"][module])["params"]["partnerKeyExists"]
        operands = grant["operator"]["operands"]
        assert grant["operator"]["type"] == "and", module
        assert operands["operand_1"] == "partnerKeyExists", module
        assert operands["operand_2"]["operator"] == not_entra, module
    app = bm.body(main["modules"]["app"])["params"]
    assert bm.render(app["partnerAppClientId"]["operator"]["operands"]["true_value"]) == (
        "partnerApp.outputs.appId"
    )


@pytest.mark.slow
def test_every_graph_resource_matches_the_extension_s_types(bicep: dict[str, Any]) -> None:
    texts = {path: (ROOT / path).read_text(encoding="utf-8") for path in bicep}
    findings = [f for f in bc.check_all(bicep, texts) if f.path == FILE]
    assert findings == []
    assert {graph_schema.graph_type(r["type"]) for r in bicep[FILE]["resources"].values()} == set(
        graph_schema.TYPES
    )


GRAPH_BREAKAGES = [
    Breakage("misspelt", FILE, "  signInAudience: 'AzureADMultipleOrgs'\n",
             "  signInAudiance: 'AzureADMultipleOrgs'\n", "unknown property 'signInAudiance'"),
    Breakage("read-only", FILE, "  displayName: displayName\n",
             "  displayName: displayName\n  appId: uniqueName\n", "'appId' is read-only"),
    Breakage("no-subject", FILE, "    subject: identityPrincipalId\n", "",
             "required 'subject' missing"),
    Breakage("owners", FILE, "    relationships: empty(", "    relations: empty(",
             "unknown property 'relations'"),
    Breakage("beta", FILE, "'Microsoft.Graph/applications@v1.0'",
             "'Microsoft.Graph/applications@beta'", "the extension's types are v1.0"),
]  # fmt: skip


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory, dump: dict[str, Any]) -> dict[str, BrokenCopy]:
    return broken_trees(tmp_path_factory.mktemp("graph"), GRAPH_BREAKAGES, dump)


@pytest.mark.slow
@pytest.mark.parametrize("breakage", GRAPH_BREAKAGES, ids=[b.id for b in GRAPH_BREAKAGES])
def test_the_graph_check_fails_on_a_broken_copy(
    broken: dict[str, BrokenCopy], breakage: Breakage
) -> None:
    copy = broken[breakage.id]
    text = (copy.root / FILE).read_text(encoding="utf-8")
    findings = bc.check_resources(FILE, copy.bicep[FILE], text)
    assert [f for f in findings if breakage.expect in f.message], "\n".join(map(str, findings))
