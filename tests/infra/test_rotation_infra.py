"""infra/modules/rotation.bicep and rotation-events.bicep: the rotation's separate app and
identity, the vault's Event Grid system topic, identity-based queue delivery and dead-lettering,
and roles no wider than each needs.

Sources: system topics with a managed identity and Storage queue delivery with
``deliveryWithResourceIdentity`` (learn.microsoft.com/azure/event-grid/handler-storage-queues,
"delivery with managed identity"); Key Vault's event types
(learn.microsoft.com/azure/event-grid/event-schema-key-vault); Key Vault RBAC at the scope of
one secret (learn.microsoft.com/azure/key-vault/general/rbac-guide: "individual ... secret"
scope); the schema of each resource is checked against azure-mgmt-eventgrid 10.4.0's models
for 2025-02-15 by test_schema.py.
"""

from __future__ import annotations

import copy
from typing import Any

from shared.queues import EVENTS_ENCODING
from shared.rotation import EVENTS_QUEUE
from shared.settings import QUEUES_MESSAGE_ENCODING
from tests.infra import bicep_model as bm
from tests.infra import event_delivery
from tests.support.azure_roles import ROLE_IDS
from tests.support.declared_settings import declared

FILE = "infra/modules/rotation.bicep"
EVENTS = "infra/modules/rotation-events.bicep"

# principal expression -> {(scope symbol, role)} the rotation needs, and nothing more.
NEEDS: dict[str, set[tuple[str, str]]] = {
    "identityPrincipalId": {
        ("account", "Storage Blob Data Owner"),  # its host storage: leases, package, state
        ("account", "Storage Queue Data Contributor"),  # host queues and key-events
        ("account", "Storage Table Data Contributor"),  # host diagnostics
        ("partnerSecret", "Key Vault Secrets Officer"),  # write the one secret
        ("appInsights", "Monitoring Metrics Publisher"),
    },
    "appPrincipalId": {("stateContainer", "Storage Blob Data Reader")},
}
# The system topic's identity (rotation-events.bicep, handed over as topicPrincipalId).
TOPIC_NEEDS: dict[str, set[tuple[str, str]]] = {
    "topicPrincipalId": {
        ("eventsQueue", "Storage Queue Data Message Sender"),  # deliver
        ("deadLetterContainer", "Storage Blob Data Contributor"),  # dead-letter
    },
}


def tree_of(bicep: dict[str, Any], path: str = FILE) -> dict[str, Any]:
    tree: dict[str, Any] = bicep[path]
    return tree


def grants(tree: dict[str, Any]) -> dict[str, set[tuple[str, str]]]:
    found: dict[str, set[tuple[str, str]]] = {}
    for _, resource in bm.resources_of_type(tree, "Microsoft.Authorization/roleAssignments"):
        roles = tree["variables"][bm.loop_array(resource)]["value"]
        body = bm.body(resource)
        principal = bm.render(body["properties"]["principalId"])
        found.setdefault(principal, set()).update((body["scope"], role) for role in roles)
    return found


def problems(tree: dict[str, Any], needs: dict[str, set[tuple[str, str]]] = NEEDS) -> list[str]:
    """What differs from the needs, and any role id that is not the named built-in role."""
    have = grants(tree)
    found = [
        f"{who}: missing {sorted(need - have.get(who, set()))}, "
        f"extra {sorted(have.get(who, set()) - need)}"
        for who, need in needs.items()
        if have.get(who, set()) != need
    ]
    found += [f"unexpected principal {who}" for who in set(have) - set(needs)]
    table = bm.unquote_keys(tree["variables"]["roleIds"]["value"])
    found += [f"role id of {n}" for n, guid in table.items() if ROLE_IDS.get(n) != guid]
    return found


def test_each_identity_has_exactly_the_roles_it_needs(bicep: dict[str, Any]) -> None:
    assert problems(tree_of(bicep)) == []
    assert problems(tree_of(bicep, EVENTS), TOPIC_NEEDS) == []
    main = bm.body(bicep["infra/main.bicep"]["modules"]["rotation"])["params"]
    assert bm.render(main["identityPrincipalId"]) == "rotationIdentity.outputs.principalId"
    assert bm.render(main["appPrincipalId"]) == "identity.outputs.principalId"


def test_the_check_fails_on_a_write_granted_on_the_whole_vault(bicep: dict[str, Any]) -> None:
    broken = copy.deepcopy(tree_of(bicep))
    for _, resource in bm.resources_of_type(broken, "Microsoft.Authorization/roleAssignments"):
        if bm.body(resource)["scope"] == "partnerSecret":
            bm.body(resource)["scope"] = "vault"
    assert any("Key Vault Secrets Officer" in p for p in problems(broken))


def test_the_secret_scoped_write_waits_for_the_secret_to_exist(bicep: dict[str, Any]) -> None:
    tree = tree_of(bicep)
    (resource,) = [
        r
        for _, r in bm.resources_of_type(tree, "Microsoft.Authorization/roleAssignments")
        if bm.body(r)["scope"] == "partnerSecret"
    ]
    assert bm.condition(resource) == "partnerKeyExists"
    secret = tree["resources"]["partnerSecret"]
    assert secret.get("existing"), "the template never creates the secret"


def test_events_reach_the_queue_with_the_topics_identity(bicep: dict[str, Any]) -> None:
    tree = tree_of(bicep)
    ((_, topic),) = bm.resources_of_type(tree, "Microsoft.EventGrid/systemTopics")
    topic_body = bm.body(topic)
    assert topic_body["identity"]["type"] == "SystemAssigned"
    assert topic_body["properties"]["topicType"] == "Microsoft.KeyVault.vaults"
    events = tree_of(bicep, EVENTS)
    ((_, sub),) = bm.resources_of_type(events, event_delivery.SUBSCRIPTIONS)
    props = bm.body(sub)["properties"]
    assert "destination" not in props, "a plain destination would deliver without identity"
    delivery = props["deliveryWithResourceIdentity"]
    assert delivery["identity"]["type"] == "SystemAssigned"
    assert delivery["destination"]["endpointType"] == "StorageQueue"
    assert delivery["destination"]["properties"]["queueName"] == "eventsQueueName"
    main = bicep["infra/main.bicep"]["variables"]  # the queue's one name in the template
    assert main["rotationEventsQueueName"]["value"] == EVENTS_QUEUE  # shared/rotation
    assert set(props["filter"]["includedEventTypes"]) == {
        "Microsoft.KeyVault.SecretNearExpiry",
        "Microsoft.KeyVault.SecretExpired",
    }
    assert props["filter"]["subjectBeginsWith"] == "partnerApiKeySecretName"
    assert props["eventDeliverySchema"] == "EventGridSchema"
    # The names the module is handed are the ones main.bicep gives the storage account.
    params = {k: bm.render(v) for k, v in tree["modules"]["events"]["config"]["params"].items()}
    for name in ("eventsQueueName", "partnerApiKeySecretName"):
        assert params[name] == name, "handed on under the same name"
    main = bicep["infra/main.bicep"]
    storage = main["modules"]["rotationStorage"]["config"]["params"]
    rotation = bm.body(main["modules"]["rotation"])["params"]
    assert bm.render(rotation["eventsQueueName"]) in storage["queueNames"]
    for name in ("stateContainerName", "deadLetterContainerName", "deploymentContainerName"):
        assert bm.render(rotation[name]) in storage["containerNames"], name


def test_the_rotation_app_runs_the_rotation_alone_and_reads_events_as_written(
    bicep: dict[str, Any],
) -> None:
    settings = tree_of(bicep)["variables"]["appSettings"]["value"]
    undeclared = set(settings) - declared("azure").names
    assert not undeclared, f"settings shared/settings/ does not declare: {undeclared}"
    assert settings["APP_FUNCTIONS"] == "rotation"
    assert settings[QUEUES_MESSAGE_ENCODING.name] == EVENTS_ENCODING  # shared/queues.py
    for name in ("AZURE_CLIENT_ID", "ROTATION_CLIENT_ID", "AzureWebJobsStorage__clientId"):
        assert bm.render(settings[name]) == "identityClientId", name
    main = bm.body(bicep["infra/main.bicep"]["modules"]["rotation"])["params"]
    assert bm.render(main["identityClientId"]) == "rotationIdentity.outputs.clientId"
    assert bm.render(main["identityId"]) == "rotationIdentity.outputs.resourceId"
    assert not [k for k in settings if k.startswith("JobsStorage")], "no access to the jobs data"
    main_app = bicep["infra/modules/function-app.bicep"]["variables"]["appSettings"]["value"]
    assert main_app["APP_FUNCTIONS"] == "api"
    assert "ROTATION_CLIENT_ID" not in main_app, "the jobs API never asks for that identity"


def test_the_rotation_site_is_its_own_azd_service(bicep: dict[str, Any]) -> None:
    ((_, site),) = bm.resources_of_type(tree_of(bicep), "Microsoft.Web/sites")
    assert "rotation" in bm.identifiers(bm.body(site)["tags"])
    identities = bm.body(site)["identity"]["userAssignedIdentities"]
    assert len(identities) == 1, "one identity: the rotation's"
