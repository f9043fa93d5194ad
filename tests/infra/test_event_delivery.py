"""The vault's events reach the rotation queue with the topic's identity, after its grants, for
the partner secret only, and what cannot be delivered is kept (tests/infra/event_delivery.py
says what each rule rests on).

Each rule is proven on a generated broken copy of infra/: the subscription's ``dependsOn`` on
its grant removed, ``subjectEndsWith`` removed, the destination pointing at the queue's
resource id instead of its storage account, no dead-letter destination, and no grant for
dead-lettering.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import bicep_model as bm
from tests.infra import event_delivery
from tests.infra.broken_copies import Breakage, BrokenCopy, broken_trees

EVENTS = "infra/modules/rotation-events.bicep"

BREAKAGES = [
    Breakage(
        "no-depends-on",
        EVENTS,
        "  dependsOn: [\n    topicQueue\n    topicDeadLetter\n  ]\n",
        "",
        "does not depend on topicQueue",
    ),
    Breakage(
        "no-subject-ends-with",
        EVENTS,
        "      subjectEndsWith: partnerApiKeySecretName\n",
        "",
        "does not match one secret's name exactly",
    ),
    Breakage(
        "queue-id-as-destination",
        EVENTS,
        "          resourceId: account.id\n          queueName: eventsQueueName\n",
        "          resourceId: eventsQueue.id\n          queueName: eventsQueueName\n",
        "resourceId is the Microsoft.Storage/storageAccounts/queueServices/queues eventsQueue, "
        "not the storage account",
    ),
    Breakage(
        "no-dead-letter",
        EVENTS,
        "    deadLetterWithResourceIdentity: {\n",
        "    deadLetterWithoutIdentity: {\n",
        "no 'deadLetterWithResourceIdentity'",
    ),
    Breakage(
        "dead-letter-not-granted",
        EVENTS,
        "var topicDeadLetterRoles = [\n  'Storage Blob Data Contributor'\n]",
        "var topicDeadLetterRoles = [\n  'Storage Blob Data Reader'\n]",
        "is not given Storage Blob Data Contributor on deadLetterContainer",
    ),
    Breakage(
        "plain-destination",
        EVENTS,
        "    deliveryWithResourceIdentity: {\n",
        "    destination: {\n",
        "'destination' sends without an identity",
    ),
]


def test_the_template_passes(bicep: dict[str, Any]) -> None:
    assert event_delivery.check(bicep) == []


def test_the_check_saw_the_subscription(bicep: dict[str, Any]) -> None:
    # A check over an empty list passes too: make sure it walked the one subscription, and
    # found the topic's identity through the module call that hands it over.
    tree = bicep[EVENTS]
    subs = list(bm.resources_of_type(tree, event_delivery.SUBSCRIPTIONS))
    assert [s for s, _ in subs] == ["subscription"]
    principals = event_delivery.topic_principals(bicep, EVENTS, tree, "topic")
    assert principals == {"topicPrincipalId"}
    caller = bicep["infra/modules/rotation.bicep"]["modules"]["events"]["config"]["params"]
    assert bm.render(caller["topicPrincipalId"]) == "topic.identity.principalId"


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, dump: dict[str, Any]) -> dict[str, BrokenCopy]:
    return broken_trees(tmp_path_factory.mktemp("events"), BREAKAGES, dump)


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.id)
def test_the_check_fails_on_a_broken_copy(
    copies: dict[str, BrokenCopy], breakage: Breakage
) -> None:
    findings = event_delivery.check(copies[breakage.id].bicep)
    assert any(breakage.expect in f for f in findings), (
        f"{breakage.id}: no finding '{breakage.expect}'; got:\n" + "\n".join(findings)
    )
    assert all(f.startswith(f"{EVENTS}: subscription: ") for f in findings), findings


@pytest.mark.slow  # the first to ask for the broken copies makes them (5 s)
def test_copies_are_independent(copies: dict[str, BrokenCopy]) -> None:
    # Each copy carries its own breakage only: the untouched rules still pass in it.
    findings = event_delivery.check(copies["no-subject-ends-with"].bicep)
    assert len(findings) == 1, findings
