"""What every Event Grid event subscription in infra/ must be, checked on the parsed Bicep.

The rules, each with what it rests on:

- delivery and dead-lettering use the topic's **system-assigned** identity
  (``deliveryWithResourceIdentity``, ``deadLetterWithResourceIdentity``), never a plain
  ``destination``/``deadLetterDestination``: behind a storage firewall only a system-assigned
  identity gets through, by the trusted-services exception
  (https://learn.microsoft.com/azure/event-grid/deliver-events-using-managed-identity);
- the queue destination's ``resourceId`` is the **storage account** that holds the queue, and
  the dead-letter destination's is the account that holds the container (the azure-mgmt-eventgrid
  models: StorageQueueEventSubscriptionDestination.resource_id "The Azure Resource ID of the
  storage account that contains the queue", StorageBlobDeadLetterDestination.resource_id "...of
  the storage account that is the destination of the deadletter events");
- the topic's identity holds Storage Queue Data Message Sender on the queue and Storage Blob
  Data Contributor on the dead-letter container
  (https://learn.microsoft.com/azure/event-grid/add-identity-roles), and the subscription
  **depends on** those grants: Event Grid's order is identity, roles, then subscription
  (https://learn.microsoft.com/azure/event-grid/managed-service-identity), and a role takes up
  to 10 minutes to apply (https://learn.microsoft.com/azure/role-based-access-control/troubleshooting);
- the filter matches one secret exactly: Key Vault events carry the secret's name as their
  subject (https://learn.microsoft.com/azure/event-grid/event-schema-key-vault), so
  ``subjectBeginsWith`` and ``subjectEndsWith`` are both that name; with only a prefix, the
  events of every secret whose name starts with it would rotate this one.
"""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

from tests.infra import bicep_model as bm

SUBSCRIPTIONS = "Microsoft.EventGrid/systemTopics/eventSubscriptions"
TOPICS = "Microsoft.EventGrid/systemTopics"
ACCOUNTS = "Microsoft.Storage/storageAccounts"
QUEUES = "Microsoft.Storage/storageAccounts/queueServices/queues"
CONTAINERS = "Microsoft.Storage/storageAccounts/blobServices/containers"
ROLE_ASSIGNMENTS = "Microsoft.Authorization/roleAssignments"
QUEUE_ROLE = "Storage Queue Data Message Sender"
DEAD_LETTER_ROLE = "Storage Blob Data Contributor"

Trees = dict[str, dict[str, Any]]


def check(trees: Trees) -> list[str]:
    """Findings for every event subscription of every file (empty when all is well)."""
    findings: list[str] = []
    for path, tree in sorted(trees.items()):
        for symbol, resource in bm.resources_of_type(tree, SUBSCRIPTIONS):
            findings += [f"{path}: {symbol}: {f}" for f in _check(trees, path, tree, resource)]
    return findings


def _id_of(tree: dict[str, Any], node: Any) -> tuple[str, str] | None:
    """(symbol, type) of the resource an ``X.id`` expression names, or None."""
    text = bm.render(node)
    if not text.endswith(".id"):
        return None
    symbol = text[: -len(".id")]
    resource = tree.get("resources", {}).get(symbol)
    return (symbol, resource["type"]) if resource else None


def _ancestors(tree: dict[str, Any], symbol: str) -> list[str]:
    chain = []
    resource = tree["resources"].get(symbol)
    while resource is not None and "parent" in bm.body(resource):
        parent = bm.body(resource)["parent"]
        chain.append(parent)
        resource = tree["resources"].get(parent)
    return chain


def _child(tree: dict[str, Any], type_: str, name: Any, account: str) -> str | None:
    """The symbol of the ``type_`` resource named ``name`` under ``account``."""
    for symbol, resource in tree.get("resources", {}).items():
        named = resource["type"] == type_ and bm.body(resource).get("name") == name
        if named and account in _ancestors(tree, symbol):
            return str(symbol)
    return None


def roles_of(tree: dict[str, Any], resource: dict[str, Any]) -> list[str]:
    """Role names a role assignment resource grants (through its loop's list of names)."""
    array = bm.loop_array(resource)
    if array:
        return [str(r) for r in tree["variables"][array]["value"]]
    role_id = bm.get(bm.body(resource), "properties", "roleDefinitionId", "function", "parameters")
    rendered = bm.render((role_id or {}).get("resource_name_1"))
    return [rendered.removeprefix("roleIds[").removesuffix("]").strip("'")]


def topic_principals(trees: Trees, path: str, tree: dict[str, Any], parent: str) -> set[str]:
    """How this file names the principal id of the topic ``parent``.

    A topic declared here is ``<topic>.identity.principalId``; an ``existing`` topic is one a
    caller hands over by name, with its principal id in another parameter of the same call.
    """
    topic = tree["resources"].get(parent)
    if topic is None or topic["type"] != TOPICS:
        return set()
    if not topic.get("existing"):
        return {f"{parent}.identity.principalId"}
    name_param = bm.body(topic).get("name")
    found: set[str] = set()
    for caller_path, caller in trees.items():
        for module in caller.get("modules", {}).values():
            target = PurePosixPath(caller_path).parent / str(module["detail"].get("path", ""))
            if module["type"] != "local" or str(target) != path:
                continue
            params = {k: bm.render(v) for k, v in (bm.body(module).get("params") or {}).items()}
            given = params.get(str(name_param), "")
            if not given.endswith(".name"):
                continue
            source = given[: -len(".name")]
            found |= {k for k, v in params.items() if v == f"{source}.identity.principalId"}
    return found


def _grant(tree: dict[str, Any], principals: set[str], role: str, scopes: set[str]) -> str | None:
    """The role assignment giving one of ``principals`` ``role`` on one of ``scopes``."""
    for symbol, resource in bm.resources_of_type(tree, ROLE_ASSIGNMENTS):
        body = bm.body(resource)
        if bm.render(body["properties"]["principalId"]) not in principals:
            continue
        if body.get("scope") in scopes and role in roles_of(tree, resource):
            return symbol
    return None


def _destination(
    trees: Trees, path: str, tree: dict[str, Any], sub: dict[str, Any], kind: str
) -> list[str]:
    """Findings for the delivery (``kind`` 'delivery') or dead-letter destination."""
    props = bm.body(sub)["properties"]
    if kind == "delivery":
        key, dest_key, plain, endpoint = (
            "deliveryWithResourceIdentity",
            "destination",
            "destination",
            "StorageQueue",
        )
        child_type, child_key, role = QUEUES, "queueName", QUEUE_ROLE
    else:
        key, dest_key, plain, endpoint = (
            "deadLetterWithResourceIdentity",
            "deadLetterDestination",
            "deadLetterDestination",
            "StorageBlob",
        )
        child_type, child_key, role = CONTAINERS, "blobContainerName", DEAD_LETTER_ROLE
    if plain in props:
        return [f"'{plain}' sends without an identity; use '{key}'"]
    with_identity = props.get(key)
    if with_identity is None:
        what = "events" if kind == "delivery" else "events Event Grid gives up on are dropped:"
        return [f"no '{key}': {what} nothing is delivered with the topic's identity"]
    findings = []
    if bm.get(with_identity, "identity", "type") != "SystemAssigned":
        findings.append(f"{key}.identity.type is not SystemAssigned")
    destination = with_identity.get(dest_key) or {}
    if destination.get("endpointType") != endpoint:
        return [*findings, f"{key}.{dest_key}.endpointType is not {endpoint}"]
    dest_props = destination.get("properties") or {}
    named = _id_of(tree, dest_props.get("resourceId"))
    if named is None or named[1] != ACCOUNTS:
        what = f"the {named[1]} {named[0]}" if named else bm.render(dest_props.get("resourceId"))
        return [
            *findings,
            f"{key}.{dest_key}.properties.resourceId is {what}, not the storage "
            f"account that holds the {child_key.removesuffix('Name')}",
        ]
    account = named[0]
    child = _child(tree, child_type, dest_props.get(child_key), account)
    if child is None:
        return [*findings, f"{child_key} names no {child_type} of {account} in this file"]
    parent = bm.body(sub).get("parent", "")
    principals = topic_principals(trees, path, tree, parent)
    if not principals:
        return [*findings, f"cannot tell the principal id of the topic {parent}"]
    grant = _grant(tree, principals, role, {child, account})
    if grant is None:
        return [*findings, f"the topic's identity is not given {role} on {child}"]
    if grant not in (bm.body(sub).get("dependsOn") or []):
        findings.append(
            f"does not depend on {grant} ({role} for the topic's identity): the subscription "
            "can be created before its identity may deliver"
        )
    return findings


def _check(trees: Trees, path: str, tree: dict[str, Any], sub: dict[str, Any]) -> list[str]:
    findings = _destination(trees, path, tree, sub, "delivery")
    findings += _destination(trees, path, tree, sub, "deadletter")
    event_filter = bm.body(sub)["properties"].get("filter") or {}
    begins, ends = event_filter.get("subjectBeginsWith"), event_filter.get("subjectEndsWith")
    if begins is None or ends is None or begins != ends:
        findings.append(
            "the filter does not match one secret's name exactly: subjectBeginsWith and "
            f"subjectEndsWith must both be it (got {bm.render(begins)!r}, {bm.render(ends)!r})"
        )
    if not event_filter.get("includedEventTypes"):
        findings.append("the filter lets every event type through")
    return findings
