"""Event Grid delivery: event subscriptions deliver with an identity, never with a key.

The deployment's key rotation hears Key Vault through an Event Grid system topic; whoever
adds a subscription can make Event Grid carry a key: a webhook whose URL holds one (a
Functions ``/runtime/webhooks/...`` endpoint takes the extension's system key), a static
delivery header marked secret, or a queue, Service Bus or Event Hubs destination written
with the topic's own access instead of a managed identity. Whether a topic or domain
*accepts* keys is a property (EG-LOCALAUTH, in the property table).

Source: Event Subscriptions - List (``<topic id>/eventSubscriptions``, Microsoft.EventGrid
2025-02-15, the template's API version) for topics, domains and system topics alike;
azure-mgmt-eventgrid models EventSubscription, WebHookEventSubscriptionDestination
(``endpointBaseUrl``, ``azureActiveDirectoryApplicationIdOrUri``; the full
``endpointUrl`` is write-only), DeliveryWithResourceIdentity, StaticDeliveryAttributeMapping
(``isSecret``).
"""

from __future__ import annotations

from typing import Any, Final

from posture.context import CheckContext
from posture.model import Severity
from posture.rules.judge import Scope
from posture.rules.kinds import resource_rule
from posture.sources import arm
from posture.sources.arm import ArmResource

EVENT_GRID_API: Final = "2025-02-15"
#: Destinations Event Grid writes to with Azure access, where a managed identity belongs.
IDENTITY_DESTINATIONS: Final = frozenset(
    {"storagequeue", "servicebusqueue", "servicebustopic", "eventhub", "hybridconnection"}
)
_TOPICS: Final = Scope(
    (arm.EVENT_GRID_TOPIC, arm.EVENT_GRID_DOMAIN, arm.EVENT_GRID_SYSTEM_TOPIC),
    "Event Grid topic(s)",
)


def delivery_problems(subscription: dict[str, Any]) -> list[str]:
    """Why one event subscription's delivery carries or needs a key (empty: it does not)."""
    props = subscription.get("properties") or {}
    with_identity = props.get("deliveryWithResourceIdentity") or {}
    destination = with_identity.get("destination") or props.get("destination") or {}
    kind = str(destination.get("endpointType") or "").lower()
    target = destination.get("properties") or {}
    problems: list[str] = []
    if kind == "webhook":
        if "/runtime/webhooks/" in str(target.get("endpointBaseUrl") or "").lower():
            problems.append("delivers to a Functions webhook, authenticated by its system key")
        elif not target.get("azureActiveDirectoryApplicationIdOrUri"):
            problems.append("webhook delivery without Entra authentication: a key in its URL")
    if kind in IDENTITY_DESTINATIONS and not with_identity:
        problems.append(f"delivers to {destination.get('endpointType')} without a managed identity")
    for mapping in target.get("deliveryAttributeMappings") or []:
        mapped = mapping.get("properties") or {}
        if str(mapping.get("type")).lower() == "static" and mapped.get("isSecret") is True:
            problems.append(f"static delivery header {mapping.get('name')} holds a secret")
    return problems


@resource_rule(
    "EG-DELIVERY",
    title="Event Grid subscriptions deliver with a managed identity, never with a key",
    severity=Severity.HIGH,
    scope=_TOPICS,
    remediation="Deliver to a Storage queue, Service Bus or Event Hubs with "
    "deliveryWithResourceIdentity (the topic's managed identity, holding the data sender role "
    "on the one destination); protect a webhook with Microsoft Entra authentication "
    "(azureActiveDirectoryApplicationIdOrUri) instead of a key in its URL, and mark no static "
    "delivery header secret.",
    reads="Resource Graph: Event Grid topics, domains and system topics; ARM: each one's "
    "eventSubscriptions (destination type, endpointBaseUrl, identity, delivery attributes)",
)
def event_delivery(context: CheckContext, topic: ArmResource) -> list[tuple[str, Any]]:
    subscriptions = arm.arm_list(
        context, f"{topic.id}/eventSubscriptions", api_version=EVENT_GRID_API
    )
    return [
        (f"eventSubscriptions/{s.get('name')}", problem)
        for s in subscriptions
        for problem in delivery_problems(s)
    ]
