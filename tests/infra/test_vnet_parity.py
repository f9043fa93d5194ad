"""With ``VNET_ENABLED=true`` the key rotation app has the jobs app's network shape: its own
delegated subnet, and every storage account and the vault it reaches closed and reached
through private endpoints (tests/infra/network_parity.py compiles the template for that
parameter and cites what each rule rests on).

Without it the rotation app cannot reach its own storage or the vault, rotation never runs
and the partner key expires. Proven on generated broken copies: the rotation app not
integrated, its storage left public, a private endpoint missing, both apps on one subnet, the
vault left public.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import network_parity
from tests.infra.broken_copies import Breakage, BrokenCopy, broken_trees

MAIN = "infra/main.bicep"
NETWORK = "infra/modules/network.bicep"

BREAKAGES = [
    Breakage(
        "rotation-not-integrated",
        MAIN,
        "    subnetId: vnetEnabled ? network.outputs.rotationSubnetId : ''\n",
        "",
        "rotation: not integrated with the virtual network, but app (app) is",
    ),
    Breakage(
        "rotation-storage-public",
        MAIN,
        "      '${rotationEventsQueueName}-poison'\n    ]\n    tablesEnabled: true\n"
        "    privateNetworking: vnetEnabled\n",
        "      '${rotationEventsQueueName}-poison'\n    ]\n    tablesEnabled: true\n",
        "rotation: reaches rotationStorage (queue) over its public endpoint",
    ),
    Breakage(
        "no-rotation-queue-endpoint",
        NETWORK,
        "  {\n    name: 'rot-queue'\n    target: rotationStorageId\n    groupId: 'queue'\n"
        "    zone: 'privatelink.queue.${storageSuffix}'\n  }\n",
        "",
        "rotation: rotationStorage is closed but has no private endpoint for queue",
    ),
    Breakage(
        "shared-subnet",
        MAIN,
        "network.outputs.rotationSubnetId",
        "network.outputs.appSubnetId",
        "apps share subnet app",
    ),
    Breakage(
        "vault-public",
        MAIN,
        "    privateNetworking: vnetEnabled\n    logAnalyticsWorkspaceId:",
        "    logAnalyticsWorkspaceId:",
        "rotation: reaches keyVault (vault) over its public endpoint",
    ),
    Breakage(
        "undelegated-subnet",
        NETWORK,
        "        name: 'rotation'\n        properties: {\n          addressPrefix: '10.0.3.0/24'\n"
        "          networkSecurityGroup: {\n            id: appSubnetNsg.id\n          }\n"
        "          delegations: [\n            {\n              name: 'flex'\n"
        "              properties: {\n                serviceName: 'Microsoft.App/environments'\n",
        "        name: 'rotation'\n        properties: {\n          addressPrefix: '10.0.3.0/24'\n"
        "          networkSecurityGroup: {\n            id: appSubnetNsg.id\n          }\n"
        "          delegations: [\n            {\n              name: 'flex'\n"
        "              properties: {\n                serviceName: 'Microsoft.Web/serverFarms'\n",
        "rotation: subnet rotation is not delegated to Microsoft.App/environments",
    ),
]


def test_both_apps_have_the_same_network_shape(bicep: dict[str, Any]) -> None:
    assert network_parity.findings(bicep) == []


def test_the_compilation_saw_both_apps_and_what_they_reach(bicep: dict[str, Any]) -> None:
    apps = {a.module: a for a in network_parity.apps(bicep)}
    assert set(apps) == {"app", "rotation"}
    assert (apps["app"].subnet, apps["rotation"].subnet) == ("app", "rotation")
    assert apps["rotation"].reaches == {
        ("rotationStorage", "blob"),  # host state, package, lease and state
        ("rotationStorage", "queue"),  # key-events
        ("rotationStorage", "table"),  # host diagnostics
        ("keyVault", "vault"),  # the partner key
    }
    # The posture checker of the jobs app reads the rotation state over the rotation's blob.
    assert ("rotationStorage", "blob") in apps["app"].reaches
    assert {("hostStorage", "queue"), ("jobsStorage", "queue")} <= apps["app"].reaches


def test_without_a_virtual_network_everything_stays_public(bicep: dict[str, Any]) -> None:
    # The default deployment (no VNET_ENABLED): the same evaluation gives public accounts, so
    # the parity check's "private" is the parameter's doing, not a constant.
    for module in ("hostStorage", "rotationStorage", "keyVault"):
        assert network_parity._param_value(bicep, module, "privateNetworking", vnet=False) is False


@pytest.fixture(scope="module")
def copies(tmp_path_factory: pytest.TempPathFactory, dump: dict[str, Any]) -> dict[str, BrokenCopy]:
    return broken_trees(tmp_path_factory.mktemp("vnet"), BREAKAGES, dump)


@pytest.mark.slow
@pytest.mark.parametrize("breakage", BREAKAGES, ids=lambda b: b.id)
def test_the_check_fails_on_a_broken_copy(
    copies: dict[str, BrokenCopy], breakage: Breakage
) -> None:
    findings = network_parity.findings(copies[breakage.id].bicep)
    assert any(breakage.expect in f for f in findings), (
        f"{breakage.id}: no finding '{breakage.expect}'; got:\n" + "\n".join(findings)
    )
