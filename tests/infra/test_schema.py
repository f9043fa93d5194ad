"""Every resource body and module call in infra/ is one ARM accepts, property by property.

The schemas are the Azure SDK for Python management packages' models for the exact API
version of each resource (pinned in requirements-dev.txt: azure-mgmt-web 8.0.0 for
Microsoft.Web 2024-04-01, azure-mgmt-storage 21.2.1 for 2023-05-01, azure-mgmt-keyvault
10.3.1 for 2023-07-01, azure-mgmt-network 28.1.0 for 2024-05-01, azure-mgmt-privatedns 1.2.0
for 2024-06-01, azure-mgmt-loganalytics 13.1.1 for 2025-07-01, azure-mgmt-monitor 6.0.2 for
diagnosticSettings 2021-05-01-preview, azure-mgmt-authorization 4.0.0 for 2022-04-01,
azure-mgmt-applicationinsights 4.1.0 for 2020-02-02, azure-mgmt-resource 26.0.0 for
Microsoft.Resources 2025-04-01). Those packages are generated from the REST API specifications
(github.com/Azure/azure-rest-api-specs) that ARM validates against; tests/infra/arm_schema.py
reads them and bicep_check.py walks the parsed Bicep.

A check that never fails proves nothing, so the last tests break a copy of infra/ in each way
the check claims to catch and require a finding naming the file and line.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.infra import arm_schema
from tests.infra import bicep_check as bc
from tests.infra.conftest import INFRA, ROOT, parse_infra_copy


def texts_of(root: Path, trees: dict[str, Any]) -> dict[str, str]:
    return {path: (root / path).read_text(encoding="utf-8") for path in trees}


@pytest.mark.slow
def test_every_resource_and_module_call_matches_its_schema(bicep: dict[str, Any]) -> None:
    findings = bc.check_all(bicep, texts_of(ROOT, bicep))
    assert not findings, "ARM would refuse or drop:\n" + "\n".join(map(str, findings))


def test_the_check_covers_every_resource_of_the_template(bicep: dict[str, Any]) -> None:
    # Each declared type@version has a model (an unknown one is a finding above); this makes
    # sure the check saw the whole template rather than an empty list.
    walked = bc.checked_resources(bicep)
    files = {path for path, _, _ in walked}
    assert len(walked) >= 40, walked
    assert files >= {f"infra/modules/{n}.bicep" for n in ("storage", "keyvault", "network")}
    types = {t.split("@")[0] for _, _, t in walked}
    assert {"Microsoft.Web/sites", "Microsoft.Insights/diagnosticSettings"} <= types


@pytest.mark.parametrize(
    ("key", "ref"),
    [
        *arm_schema.SCHEMAS.items(),
        *(((t, v), r) for (t, v, _), r in arm_schema.NAMED_SCHEMAS.items()),
    ],
    ids=lambda x: "@".join(x) if isinstance(x, tuple) else "",
)
def test_the_pinned_package_models_the_api_version_it_is_used_for(
    key: tuple[str, str], ref: arm_schema.SchemaRef
) -> None:
    _, version = key
    assert arm_schema.modelled_api_version(ref.models) == version
    assert arm_schema.shape_of(ref).fields, f"{ref.model} has no properties"


# (file, text to replace, replacement, what the finding must say). Each is a mistake ARM
# would answer with an error at `azd provision` (InvalidTemplate / BadRequest) or silently
# drop.
BREAKAGES = [
    (
        "infra/modules/function-app.bicep",
        "    httpsOnly: true\n",
        "    httpsOnly: true\n    httpsEverywhere: true\n",
        "unknown property 'properties.httpsEverywhere'",
    ),
    (
        "infra/modules/storage.bicep",
        "'Microsoft.Storage/storageAccounts/blobServices@2023-05-01'",
        "'Microsoft.Storage/storageAccounts/blobServices@2099-01-01'",
        "API version 2099-01-01 is not one the schema table knows",
    ),
    (
        "infra/modules/storage.bicep",
        "publicAccess: 'None'",
        "publicAccess: 'Everyone'",
        "'properties.publicAccess' = 'Everyone' is not one of",
    ),
    (
        "infra/modules/network.bicep",
        "serviceName: 'Microsoft.App/environments'",
        "serviceNme: 'Microsoft.App/environments'",
        "unknown property 'properties.subnets.properties.delegations.properties.serviceNme'",
    ),
    (
        "infra/modules/keyvault.bicep",
        "defaultAction: privateNetworking ? 'Deny' : 'Allow'",
        "defaultAction: privateNetworking ? 'Deny' : 'Open'",
        "'properties.networkAcls.defaultAction' = 'Open' is not one of",
    ),
    (
        "infra/modules/rbac.bicep",
        "    principalType: 'ServicePrincipal'\n",
        "    principalType: 'Robot'\n",
        "'properties.principalType' = 'Robot' is not one of",
    ),
    (
        "infra/modules/monitoring.bicep",
        "    DisableLocalAuth: true\n",
        "    DisableLocalAuth: 'yes'\n",
        "'properties.DisableLocalAuth' expects bool, got the string 'yes'",
    ),
    (
        "infra/main.bicep",
        "    enableTelemetry: false\n",
        "    enableTelemetri: false\n",
        "module identity: the module has no parameter 'enableTelemetri'",
    ),
    (
        "infra/main.bicep",
        "identityClientId: identity.outputs.clientId",
        "identityClientId: identity.outputs.clientIdentifier",
        "module identity: the module has no output 'clientIdentifier'",
    ),
    (
        "infra/main.bicep",
        "    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsId\n",
        "    logAnalyticsWorkspace: monitoring.outputs.logAnalyticsId\n",
        "module keyVault: required parameter 'logAnalyticsWorkspaceId' not passed",
    ),
]


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[bc.Finding]]:
    """One copy of infra/ with every breakage applied, parsed once, and the check's findings."""
    root = tmp_path_factory.mktemp("broken")
    shutil.copytree(INFRA, root / "infra")
    for rel, old, new, _ in BREAKAGES:
        path = root / rel
        text = path.read_text(encoding="utf-8")
        assert text.count(old) >= 1, f"{rel}: the text to break is gone: {old!r}"
        path.write_text(text.replace(old, new, 1), encoding="utf-8")
    trees = {p: v["tree"] for p, v in parse_infra_copy(root)["bicep"].items()}
    return root, bc.check_all(trees, texts_of(root, trees))


@pytest.mark.parametrize(
    ("rel", "old", "new", "expected"), BREAKAGES, ids=[b[3] for b in BREAKAGES]
)
@pytest.mark.slow
def test_the_check_fails_on_a_broken_copy_naming_file_and_line(
    broken_copy: tuple[Path, list[bc.Finding]], rel: str, old: str, new: str, expected: str
) -> None:
    root, findings = broken_copy
    lines = (root / rel).read_text(encoding="utf-8").splitlines()
    # The line of the change (the declaration line for a changed type@version).
    marker = new.strip().splitlines()[-1]
    changed = next(n for n, line in enumerate(lines, start=1) if marker in line)
    matching = [f for f in findings if f.path == rel and expected in f.message]
    assert matching, f"no finding '{expected}' in {rel}; got:\n" + "\n".join(map(str, findings))
    if expected.startswith("module keyVault: required"):
        changed = next(n for n, line in enumerate(lines, 1) if line.startswith("module keyVault "))
    assert changed in {f.line for f in matching}, (
        f"{expected}: reported at {[f.line for f in matching]}, the change is at {rel}:{changed}"
    )


@pytest.mark.slow
def test_the_broken_copy_reports_nothing_else(
    broken_copy: tuple[Path, list[bc.Finding]],
) -> None:
    # Every finding is one of the breakages: the check does not cry wolf on the rest.
    _, findings = broken_copy
    # Renaming a parameter also passes one the module does not have.
    consequences = ["module keyVault: the module has no parameter 'logAnalyticsWorkspace'"]
    expected = [b[3] for b in BREAKAGES] + consequences
    unexplained = [f for f in findings if not any(e in f.message for e in expected)]
    assert not unexplained, "\n".join(map(str, unexplained))
