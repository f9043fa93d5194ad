"""Every connection the code uses has the roles it needs, at the narrowest scope, and no more.

NEEDS below is the table: which identity-based connection or service call needs which
built-in role on which resource. The role assignments in infra/modules/rbac.bicep must
cover it exactly for the app's identity (a missing role breaks the app in Azure; an extra
one is privilege nobody asked for). Role ids are checked against ROLE_IDS, copied from the
Azure built-in roles reference, so a role named in Bicep is the role it claims to be.
"""

from __future__ import annotations

import re
from typing import Any

from shared import storage
from tests.infra import bicep_model as bm
from tests.infra.conftest import INFRA
from tests.support.azure_roles import ROLE_IDS

HOST = "storageAccount:hostStorageName"
JOBS = "storageAccount:jobsStorageName"
# The queues and containers the app names (shared/storage.py), on the jobs account.
JOBS_QUEUE = f"queue:jobsStorageName/{storage.JOBS_QUEUE}"
POISON_QUEUE = f"queue:jobsStorageName/{storage.POISON_QUEUE}"
CONTAINERS = [
    f"container:jobsStorageName/{name}"
    for name in (storage.JOBS_CONTAINER, storage.RESULTS_CONTAINER, storage.POSTURE_CONTAINER)
]
VAULT = "vault:keyVaultName"
PARTNER_KEY = "secret:keyVaultName/partnerApiKeySecretName"
INSIGHTS = "component:appInsightsName"

# connection or call -> [(scope, role)] the app's user-assigned identity needs.
NEEDS: dict[str, list[tuple[str, str]]] = {
    "AzureWebJobsStorage (host: leases, timers, keys; Flex deployment package)": [
        (HOST, "Storage Blob Data Owner"),
    ],
    "AzureWebJobsStorage (host queues and diagnostics tables)": [
        (HOST, "Storage Queue Data Contributor"),
        (HOST, "Storage Table Data Contributor"),
    ],
    "JobsStorage queue trigger on `jobs` (worker)": [
        (JOBS_QUEUE, "Storage Queue Data Reader"),
        (JOBS_QUEUE, "Storage Queue Data Message Processor"),
    ],
    "JobsStorage sender to `jobs` (POST /api/jobs)": [
        (JOBS_QUEUE, "Storage Queue Data Message Sender"),
    ],
    "JobsStorage `jobs-poison` (host creates it if missing and moves messages; poison handler)": [
        (POISON_QUEUE, "Storage Queue Data Contributor"),
    ],
    "JobsStorage blobs: job state, results, posture reports": [
        *((container, "Storage Blob Data Contributor") for container in CONTAINERS),
    ],
    # Key Vault RBAC takes a role at a single secret's scope (Key Vault RBAC guide: "secret
    # scope role assignment"): the app reads the partner key and no other secret.
    "KEY_VAULT_URI: partner key fetched just before use": [(PARTNER_KEY, "Key Vault Secrets User")],
    # Listing every secret's properties needs Microsoft.KeyVault/vaults/secrets/readMetadata/
    # action across the vault; Key Vault Reader carries it (built-in roles reference: "Read
    # metadata of key vaults and its certificates, keys, and secrets. Cannot read sensitive
    # values such as secret contents"), so no value of any other secret is readable.
    "posture checker: secret metadata (expiry, rotation)": [(VAULT, "Key Vault Reader")],
    "APPLICATIONINSIGHTS_AUTHENTICATION_STRING (local auth disabled)": [
        (INSIGHTS, "Monitoring Metrics Publisher"),
    ],
}

# What the principal running azd needs: run the app locally against the cloud resources
# with its own identity, and set the partner key.
DEPLOYER_NEEDS: dict[str, list[tuple[str, str]]] = {
    "local host storage": [
        (HOST, "Storage Blob Data Owner"),
        (HOST, "Storage Queue Data Contributor"),
        (HOST, "Storage Table Data Contributor"),
    ],
    "local JobsStorage (trigger, sender, blobs)": [
        (JOBS, "Storage Queue Data Contributor"),
        (JOBS, "Storage Blob Data Contributor"),
    ],
    "set (and locally read) the partner key": [(VAULT, "Key Vault Secrets Officer")],
}

SCOPE_KINDS = {
    "Microsoft.Storage/storageAccounts": "storageAccount",
    "Microsoft.Storage/storageAccounts/queueServices/queues": "queue",
    "Microsoft.Storage/storageAccounts/blobServices/containers": "container",
    "Microsoft.KeyVault/vaults": "vault",
    "Microsoft.KeyVault/vaults/secrets": "secret",
    "Microsoft.Insights/components": "component",
    "Microsoft.OperationalInsights/workspaces": "workspace",
}


def rbac_tree(bicep: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = bicep["infra/modules/rbac.bicep"]
    return tree


def root_account(tree: dict[str, Any], symbol: str) -> str:
    """Name expression of the storage account a queue or container belongs to."""
    resource = tree["resources"][symbol]
    while resource["type"] != "Microsoft.Storage/storageAccounts":
        resource = tree["resources"][bm.body(resource)["parent"]]
    return str(bm.body(resource)["name"])


def scope_key(tree: dict[str, Any], symbol: str) -> str:
    """`kind:name` of the resource a role assignment is scoped to."""
    resource = tree["resources"][symbol]
    kind = SCOPE_KINDS[resource["type"]]
    name = bm.body(resource)["name"]
    if kind in ("queue", "container"):
        return f"{kind}:{root_account(tree, symbol)}/{name}"
    if kind == "secret":
        vault = bm.body(tree["resources"][bm.body(resource)["parent"]])["name"]
        return f"{kind}:{vault}/{name}"
    return f"{kind}:{name}"


def grants(tree: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    """principal expression -> {(scope, role name)} from the role assignment resources."""
    found: dict[str, set[tuple[str, str]]] = {}
    for symbol, resource in bm.resources_of_type(tree, "Microsoft.Authorization/roleAssignments"):
        array = bm.loop_array(resource)
        assert array, f"{symbol}: each role assignment loops over a list of role names"
        roles = tree["variables"][array]["value"]
        body = bm.body(resource)
        item = resource["config"]["loop_type"]["detail"]["item_name"]
        role_id = bm.get(body, "properties", "roleDefinitionId", "function", "parameters")
        assert bm.render(role_id["resource_name_1"]) == f"roleIds[{item}]", (
            f"{symbol}: the role id must come from the roleIds table by role name"
        )
        principal = body["properties"]["principalId"]
        # No scope: the module's target scope, which for these modules is the resource group.
        scope = scope_key(tree, body["scope"]) if "scope" in body else "resourceGroup"
        found.setdefault(principal, set()).update((scope, role) for role in roles)
    return found


def flatten(needs: dict[str, list[tuple[str, str]]]) -> set[tuple[str, str]]:
    return {pair for pairs in needs.values() for pair in pairs}


def test_role_ids_match_their_names(bicep: dict[str, Any]) -> None:
    table = bm.unquote_keys(rbac_tree(bicep)["variables"]["roleIds"]["value"])
    wrong = {name: guid for name, guid in table.items() if ROLE_IDS.get(name) != guid}
    assert not wrong, f"role ids that are not the named built-in role: {wrong}"


def test_every_role_id_literal_in_infra_is_a_known_role() -> None:
    guid = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.I)
    known = set(ROLE_IDS.values())
    stray = {
        (p.name, g)
        for p in INFRA.rglob("*.bicep")
        for g in guid.findall(p.read_text(encoding="utf-8"))
        if g.lower() not in known
    }
    assert not stray, f"GUID literals outside the role table: {stray}"


def test_app_identity_has_every_role_its_connections_need(bicep: dict[str, Any]) -> None:
    have = grants(rbac_tree(bicep)).get("appPrincipalId", set())
    missing = {
        need: [pair for pair in pairs if pair not in have]
        for need, pairs in NEEDS.items()
        if any(pair not in have for pair in pairs)
    }
    assert not missing, f"connections without the roles they need: {missing}"


def test_app_identity_has_no_role_beyond_the_table(bicep: dict[str, Any]) -> None:
    have = grants(rbac_tree(bicep)).get("appPrincipalId", set())
    extra = sorted(have - flatten(NEEDS))
    assert not extra, f"roles no connection needs (least privilege): {extra}"


def test_deployer_gets_what_local_development_needs_and_no_more(bicep: dict[str, Any]) -> None:
    have = grants(rbac_tree(bicep)).get("deployerPrincipalId", set())
    assert have == flatten(DEPLOYER_NEEDS), (
        f"missing: {sorted(flatten(DEPLOYER_NEEDS) - have)}; extra: "
        f"{sorted(have - flatten(DEPLOYER_NEEDS))}"
    )


def test_no_other_principal_gets_a_role(bicep: dict[str, Any]) -> None:
    assert set(grants(rbac_tree(bicep))) == {"appPrincipalId", "deployerPrincipalId"}


def test_assignments_name_their_principal_type(bicep: dict[str, Any]) -> None:
    # A principalType spares ARM the directory lookup that fails for a just-created identity.
    tree = rbac_tree(bicep)
    for symbol, resource in bm.resources_of_type(tree, "Microsoft.Authorization/roleAssignments"):
        props = bm.body(resource)["properties"]
        if props["principalId"] == "appPrincipalId":
            assert props["principalType"] == "ServicePrincipal", symbol
            if scope_key(tree, bm.body(resource)["scope"]) == PARTNER_KEY:
                # Scoped to the secret, which must exist first (set by a person).
                assert bm.condition(resource) == "partnerKeyExists", symbol
            else:
                assert bm.condition(resource) is None, f"{symbol}: app roles are unconditional"
        else:
            assert props["principalType"] == "deployerPrincipalType", symbol
            # No deploying principal, or a CI service principal: no data-plane role at all.
            assert bm.condition(resource) == "deployerGetsDataRoles", symbol


def test_a_ci_service_principal_gets_no_data_plane_role(bicep: dict[str, Any]) -> None:
    # CI deploys through the control plane only; the data roles are for a developer running
    # the app locally and setting the partner key (docs/deploy.md, continuous deployment).
    condition = rbac_tree(bicep)["variables"]["deployerGetsDataRoles"]["value"]
    text = (INFRA / "modules" / "rbac.bicep").read_text(encoding="utf-8")
    assert "deployerPrincipalType != 'ServicePrincipal'" in text
    assert {"deployerPrincipalId", "deployerPrincipalType", "ServicePrincipal"} <= bm.identifiers(
        condition
    )


def test_connections_point_at_the_resources_the_roles_are_on(bicep: dict[str, Any]) -> None:
    # The roles above are on rbac.bicep's parameters; main.bicep must feed those parameters
    # and the app's connection settings from the same modules.
    main = bicep["infra/main.bicep"]["modules"]
    rbac = {k: bm.render(v) for k, v in main["rbac"]["config"]["params"].items()}
    app = {k: bm.render(v) for k, v in main["app"]["config"]["params"].items()}
    expected_rbac = {
        "appPrincipalId": "identity.outputs.principalId",
        "hostStorageName": "hostStorage.outputs.name",
        "jobsStorageName": "jobsStorage.outputs.name",
        "keyVaultName": "keyVault.outputs.name",
        "appInsightsName": "monitoring.outputs.appInsightsName",
    }
    expected_app = {
        "identityId": "identity.outputs.resourceId",
        "identityClientId": "identity.outputs.clientId",
        "hostBlobEndpoint": "hostStorage.outputs.blobEndpoint",
        "hostQueueEndpoint": "hostStorage.outputs.queueEndpoint",
        "hostTableEndpoint": "hostStorage.outputs.tableEndpoint",
        "jobsBlobEndpoint": "jobsStorage.outputs.blobEndpoint",
        "jobsQueueEndpoint": "jobsStorage.outputs.queueEndpoint",
        "keyVaultUri": "keyVault.outputs.uri",
        "appInsightsName": "monitoring.outputs.appInsightsName",
    }
    assert {k: rbac.get(k) for k in expected_rbac} == expected_rbac
    assert {k: app.get(k) for k in expected_app} == expected_app
    # The app starts only after its roles exist.
    assert main["app"]["config"]["dependsOn"] == ["rbac"]


def test_the_template_creates_the_queues_and_containers_the_app_names(
    bicep: dict[str, Any],
) -> None:
    """Named once in shared/storage.py (the poison queue by the host's rule, shared/queues.py);
    the template creates exactly those."""
    params = bicep["infra/main.bicep"]["modules"]["jobsStorage"]["config"]["params"]
    assert params["queueNames"] == [storage.JOBS_QUEUE, storage.POISON_QUEUE]
    assert [f"container:jobsStorageName/{c}" for c in params["containerNames"]] == CONTAINERS


def test_role_scopes_exist_in_the_template(bicep: dict[str, Any]) -> None:
    # The queues and containers the roles are scoped to are the ones main.bicep creates.
    params = bicep["infra/main.bicep"]["modules"]["jobsStorage"]["config"]["params"]
    created = {f"queue:jobsStorageName/{q}" for q in params["queueNames"]}
    created |= {f"container:jobsStorageName/{c}" for c in params["containerNames"]}
    scoped = {
        scope
        for pairs in grants(rbac_tree(bicep)).values()
        for scope, _ in pairs
        if scope.startswith(("queue:", "container:"))
    }
    assert scoped <= created, (
        f"roles on queues/containers the template never creates: {scoped - created}"
    )


def test_the_app_reads_one_secret_and_only_metadata_of_the_others(bicep: dict[str, Any]) -> None:
    have = grants(rbac_tree(bicep)).get("appPrincipalId", set())
    vault_roles = {role for scope, role in have if scope == VAULT}
    assert vault_roles == {"Key Vault Reader"}, "no role that reads values at vault scope"
    assert (PARTNER_KEY, "Key Vault Secrets User") in have
    main = bicep["infra/main.bicep"]["modules"]["rbac"]["config"]["params"]
    assert bm.render(main["partnerApiKeySecretName"]) == "partnerApiKeySecretName"
    # Granted once the key exists, and never with PARTNER_AUTH=entra (no key at all).
    grant = main["partnerKeyExists"]["operator"]
    assert grant["type"] == "and"
    assert grant["operands"]["operand_1"] == "partnerKeyExists"
    assert grant["operands"]["operand_2"]["operator"] == {
        "type": "not",
        "operands": {"bool_value": "entraPartner"},
    }


# -- the posture checker's read access (infra/modules/posture-rbac.bicep) -------------------

# posture rule -> [(scope, role)] the app's identity needs on the deployment's own group
# (docs/posture.md, "Permissions, in one place"). Nothing above the group, nothing written.
POSTURE_NEEDS: dict[str, list[tuple[str, str]]] = {
    "control-plane rules (resource properties, role assignments, vault diagnostic settings, "
    "deployment history)": [("resourceGroup", "Reader")],
    "LOG-SECRETS (the Logs query API over the app's telemetry)": [
        ("workspace:logAnalyticsName", "Log Analytics Reader")
    ],
}


def posture_tree(bicep: dict[str, Any]) -> dict[str, Any]:
    tree: dict[str, Any] = bicep["infra/modules/posture-rbac.bicep"]
    return tree


def test_posture_role_ids_match_their_names(bicep: dict[str, Any]) -> None:
    table = bm.unquote_keys(posture_tree(bicep)["variables"]["roleIds"]["value"])
    assert table, "posture-rbac.bicep names its roles in a roleIds table"
    wrong = {name: guid for name, guid in table.items() if ROLE_IDS.get(name) != guid}
    assert not wrong, f"role ids that are not the named built-in role: {wrong}"


def test_the_posture_checker_gets_exactly_its_read_roles_on_its_own_group(
    bicep: dict[str, Any],
) -> None:
    found = grants(posture_tree(bicep))
    assert set(found) == {"appPrincipalId"}, "only the app's identity is granted anything"
    assert found["appPrincipalId"] == flatten(POSTURE_NEEDS)
    # Reader is a read role: the grant holds no write, no data action, no key listing.
    for symbol, resource in bm.resources_of_type(
        posture_tree(bicep), "Microsoft.Authorization/roleAssignments"
    ):
        props = bm.body(resource)["properties"]
        assert props["principalType"] == "ServicePrincipal", symbol
        assert bm.condition(resource) is None, symbol


def test_main_grants_the_posture_roles_to_the_app_identity_in_its_group(
    bicep: dict[str, Any],
) -> None:
    module = bicep["infra/main.bicep"]["modules"]["postureRbac"]["config"]
    params = {k: bm.render(v) for k, v in module["params"].items()}
    assert params == {
        "appPrincipalId": "identity.outputs.principalId",
        "logAnalyticsName": "monitoring.outputs.logAnalyticsName",
    }
    assert bm.render(module["scope"]) == "rg"


def test_the_app_is_told_to_judge_its_own_group_and_workspace(bicep: dict[str, Any]) -> None:
    settings = bicep["infra/modules/function-app.bicep"]["variables"]["appSettings"]["value"]
    # The deployment's own subscription and group (the function's parameters left empty),
    # the scope Reader is granted on; and the workspace Log Analytics Reader is granted on.
    calls = {
        k: (settings[k]["function"]["type"], settings[k]["function"]["property_name"],
            set(settings[k]["function"]["parameters"].values()))
        for k in ("POSTURE_SUBSCRIPTION_IDS", "POSTURE_RESOURCE_GROUPS")
    }  # fmt: skip
    assert calls == {
        "POSTURE_SUBSCRIPTION_IDS": ("subscription", "subscriptionId", {None}),
        "POSTURE_RESOURCE_GROUPS": ("resource_group", "name", {None}),
    }
    assert bm.render(settings["POSTURE_LOG_WORKSPACE_ID"]) == "logAnalyticsCustomerId"
    app = bicep["infra/main.bicep"]["modules"]["app"]["config"]["params"]
    assert bm.render(app["logAnalyticsCustomerId"]) == "monitoring.outputs.logAnalyticsCustomerId"
