"""Nothing in infra/ is a site property or app setting the Flex Consumption plan rejects or ignores.

The table (tests/infra/flex_platform.py) is the "Flex Consumption plan deprecations" table of
https://learn.microsoft.com/azure/azure-functions/functions-app-settings#flex-consumption-plan-deprecations
plus the site configuration properties ARM was reported rejecting on Flex sites
(https://github.com/microsoft/azure-pipelines-tasks/issues/21032: "The following list of 4
site configuration properties (Site.SiteConfig.FtpsState, Site.SiteConfig.Use32BitWorkerProcess,
Site.SiteConfig.NetFrameworkVersion, Site.SiteConfig.FunctionsRuntimeScaleMonitoringEnabled) for
Flex Consumption sites is invalid"). Where checkov asks for one of them (CKV_AZURE_78 wants
ftpsState), the platform wins and the rule is skipped in infra/.checkov.yaml with the reason.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.infra import flex_platform as fp
from tests.infra.bicep_check import Finding
from tests.infra.conftest import CHECKOV_CONFIG, INFRA, ROOT, parse_infra_copy

SITE_FILE = "infra/modules/function-app.bicep"


def flex_findings(trees: dict[str, Any], root: Path) -> list[Finding]:
    return [
        finding
        for path, tree in sorted(trees.items())
        for finding in fp.check_flex_sites(path, tree, (root / path).read_text(encoding="utf-8"))
    ]


def test_no_flex_constraint_is_in_the_template(bicep: dict[str, Any]) -> None:
    findings = flex_findings(bicep, ROOT)
    assert not findings, "Flex Consumption would refuse or ignore:\n" + "\n".join(
        map(str, findings)
    )


def test_every_row_has_a_source_and_names_are_unique() -> None:
    names = [c.name.lower() for c in fp.FLEX_CONSTRAINTS]
    assert len(names) == len(set(names)), "a constraint is listed twice"
    for constraint in fp.FLEX_CONSTRAINTS:
        assert constraint.source.startswith("https://"), constraint
        assert constraint.where in {"app setting", "site property"}, constraint
        assert constraint.reason, constraint
    # The rows the template was found breaking, and the ones most templates carry.
    for name in ("ftpsState", "linuxFxVersion", "alwaysOn", "FUNCTIONS_WORKER_RUNTIME"):
        assert name.lower() in names, name
    for name in ("FUNCTIONS_EXTENSION_VERSION", "WEBSITE_RUN_FROM_PACKAGE", "WEBSITE_CONTENTSHARE"):
        assert name.lower() in names, name


# (text to replace, replacement, the constraint the finding must name). All in the site's
# file, which keeps its settings in the `appSettings` variable the site loops over.
BREAKAGES = [
    (
        "      http20Enabled: true\n",
        "      http20Enabled: true\n      ftpsState: 'Disabled'\n",
        "ftpsState",
    ),
    (
        "      http20Enabled: true\n",
        "      http20Enabled: true\n      alwaysOn: true\n",
        "alwaysOn",
    ),
    (
        "      minTlsVersion: '1.2'\n",
        "      minTlsVersion: '1.2'\n      linuxFxVersion: 'Python|3.11'\n",
        "linuxFxVersion",
    ),
    (
        "  AZURE_CLIENT_ID: identityClientId\n",
        "  AZURE_CLIENT_ID: identityClientId\n  FUNCTIONS_WORKER_RUNTIME: 'python'\n",
        "FUNCTIONS_WORKER_RUNTIME",
    ),
    (
        "  AZURE_CLIENT_ID: identityClientId\n",
        "  AZURE_CLIENT_ID: identityClientId\n  WEBSITE_RUN_FROM_PACKAGE: '1'\n",
        "WEBSITE_RUN_FROM_PACKAGE",
    ),
    (
        "    httpsOnly: true\n",
        "    httpsOnly: true\n    vnetRouteAllEnabled: true\n",
        "vnetRouteAllEnabled",
    ),
]


@pytest.fixture(scope="module")
def broken_copy(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Finding]]:
    root = tmp_path_factory.mktemp("flex-broken")
    shutil.copytree(INFRA, root / "infra")
    path = root / SITE_FILE
    text = path.read_text(encoding="utf-8")
    for old, new, _ in BREAKAGES:
        assert old in text, f"the text to break is gone: {old!r}"
        text = text.replace(old, new, 1)
    path.write_text(text, encoding="utf-8")
    trees = {p: v["tree"] for p, v in parse_infra_copy(root)["bicep"].items()}
    return root, flex_findings(trees, root)


@pytest.mark.slow
@pytest.mark.parametrize(("old", "new", "name"), BREAKAGES, ids=[b[2] for b in BREAKAGES])
def test_the_check_fails_on_a_broken_copy_naming_file_and_line(
    broken_copy: tuple[Path, list[Finding]], old: str, new: str, name: str
) -> None:
    root, findings = broken_copy
    lines = (root / SITE_FILE).read_text(encoding="utf-8").splitlines()
    added = new.splitlines()[-1].strip()
    changed = next(n for n, line in enumerate(lines, start=1) if line.strip() == added)
    matching = [f for f in findings if re.search(rf"\b{name}\b", f.message)]
    assert matching, f"{name} not reported; got:\n" + "\n".join(map(str, findings))
    assert {(f.path, f.line) for f in matching} == {(SITE_FILE, changed)}, matching
    assert all(fp.DEPRECATIONS in f.message for f in matching), "the finding cites its source"
    assert len(findings) == len(BREAKAGES), "\n".join(map(str, findings))


def test_checkov_rule_that_contradicts_the_platform_is_skipped_with_the_reason() -> None:
    text = CHECKOV_CONFIG.read_text(encoding="utf-8")
    lines = text.splitlines()
    (index,) = [i for i, line in enumerate(lines) if re.match(r"\s*-\s*CKV_AZURE_78\b", line)]
    reason = "\n".join(lines[max(0, index - 6) : index + 1])
    assert "Flex Consumption" in reason, reason
    assert "ftpsState" in reason, reason
    assert "basicPublishingCredentialsPolicies" in reason, "say how FTP is turned off instead"
