"""infra/scripts/partner-tenant-consent.sh and the hooks with PARTNER_AUTH=entra, run offline.

The partner's administrator provisions our multi-tenant app in the partner's tenant (its
service principal, what admin consent creates:
https://learn.microsoft.com/entra/identity/enterprise-apps/grant-admin-consent) and grants it
the API's application role (Graph ``POST /servicePrincipals/{id}/appRoleAssignedTo`` with
principalId, resourceId and appRoleId:
https://learn.microsoft.com/graph/api/serviceprincipal-post-approleassignedto). `az` is the
recording stand-in of tests/support/fake_azure_cli.py; what the script sends is checked, and
that a second run, or a dry run, changes nothing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.infra.conftest import INFRA
from tests.infra.hook_runs import run_postprovision
from tests.support.fake_azure_cli import Tools, rest_calls

SCRIPT = INFRA / "scripts" / "partner-tenant-consent.sh"
TENANT = "77777777-7777-4777-8777-777777777777"
CLIENT = "88888888-8888-4888-8888-888888888888"
API_SP = "99999999-9999-4999-8999-999999999999"
ROLE_ID = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
OUR_SP = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"


def answers(*, provisioned: bool, granted: str = "0", roles: str = "Analysis.Run") -> list[Any]:
    return [
        ["az", ["account show"], TENANT],
        ["az", ["ad sp list", f"appId eq '{CLIENT}'"], OUR_SP if provisioned else ""],
        ["az", ["ad sp list", "servicePrincipalNames"], API_SP],
        ["az", ["ad sp show", "allowedMemberTypes"], roles],
        ["az", ["ad sp show", "appRoles[?value=='Analysis.Run']"], ROLE_ID],
        ["az", ["ad sp create"], OUR_SP],
        ["az", ["rest", "--method GET", "appRoleAssignedTo"], granted],
    ]


def creates(tools: Tools) -> list[list[str]]:
    return [c["args"] for c in tools.calls() if c["args"][:3] == ["ad", "sp", "create"]]


def test_it_provisions_the_app_and_grants_the_role(tmp_path: Path) -> None:
    tools = Tools(tmp_path, answers(provisioned=False), {})
    proc = tools.run(SCRIPT, {}, CLIENT, "--api", "api://partner-analysis")
    assert proc.returncode == 0, proc.stderr
    assert creates(tools) == [["ad", "sp", "create", "--id", CLIENT, "--query", "id", "-o", "tsv"]]
    ((url, body),) = rest_calls(tools, "POST")
    assert url.endswith(f"/servicePrincipals/{API_SP}/appRoleAssignedTo")
    assert body == {"principalId": OUR_SP, "resourceId": API_SP, "appRoleId": ROLE_ID}
    lookup = next(
        c["args"] for c in tools.calls() if "servicePrincipalNames" in " ".join(c["args"])
    )
    assert "servicePrincipalNames/any(n:n eq 'api://partner-analysis')" in lookup
    assert f"PARTNER_TENANT_ID={TENANT}" in proc.stdout


def test_a_second_run_changes_nothing(tmp_path: Path) -> None:
    tools = Tools(tmp_path, answers(provisioned=True, granted="1"), {})
    proc = tools.run(SCRIPT, {}, CLIENT, "--api", "api://partner-analysis")
    assert proc.returncode == 0, proc.stderr
    assert creates(tools) == []
    assert rest_calls(tools, "POST") == []


def test_a_dry_run_changes_nothing_and_says_what_it_would_do(tmp_path: Path) -> None:
    tools = Tools(tmp_path, answers(provisioned=False), {})
    proc = tools.run(SCRIPT, {}, CLIENT, "--api", "api://partner-analysis", "--dry-run")
    assert proc.returncode == 0, proc.stderr
    assert creates(tools) == []
    assert rest_calls(tools, "POST") == []
    assert "would run: az ad sp create --id " + CLIENT in proc.stdout


def test_an_api_with_several_roles_needs_one_named(tmp_path: Path) -> None:
    tools = Tools(tmp_path, answers(provisioned=True, roles="Analysis.Run\nAnalysis.Admin"), {})
    proc = tools.run(SCRIPT, {}, CLIENT, "--api", "api://partner-analysis")
    assert proc.returncode == 2
    assert "2 application roles" in proc.stderr
    assert "--role" in proc.stderr


def test_bad_arguments_are_named_in_one_line(tmp_path: Path) -> None:
    tools = Tools(tmp_path, answers(provisioned=True), {})
    for args, said in (
        ((), "CLIENT_ID must be"),
        (("not-a-guid", "--api", "x"), "CLIENT_ID must be"),
        ((CLIENT,), "--api is required"),
        ((CLIENT, "--api", "x", "--frobnicate"), "unknown option --frobnicate"),
    ):
        proc = tools.run(SCRIPT, {}, *args)
        assert proc.returncode == 2, args
        assert said in proc.stderr, (args, proc.stderr)
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert tools.run(SCRIPT, {}, "--help").stdout.startswith("The partner's side")


def test_preprovision_with_entra_asks_azure_nothing_about_a_key(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [["az", ["ad signed-in-user show"], ""]], {})
    env = {
        "AZURE_ENV_NAME": "dev",
        "AZURE_SUBSCRIPTION_ID": "cccccccc-cccc-4ccc-8ccc-cccccccccccc",
        "API_CLIENT_ID": CLIENT,
        "PARTNER_AUTH": "entra",
        "KEY_VAULT_SALT": "salt1234",
    }
    proc = tools.run(INFRA / "hooks" / "preprovision.sh", env)
    assert proc.returncode == 0, proc.stderr
    assert tools.azd_env()["PARTNER_KEY_EXISTS"] == "false"
    assert not [c for c in tools.calls() if c["tool"] == "curl" or "auth" in c["args"][:1]]
    assert "there is no key to look for" in proc.stdout


def test_postprovision_with_entra_writes_its_settings_and_points_to_the_consent(
    tmp_path: Path,
) -> None:
    written = run_postprovision(
        tmp_path,
        PARTNER_AUTH="entra",
        PARTNER_TENANT_ID=TENANT,
        PARTNER_APP_CLIENT_ID=CLIENT,
        PARTNER_SCOPE="api://partner-analysis/.default",
    )
    values: dict[str, Any] = written["Values"]
    assert {k: values[k] for k in values if k.startswith("PARTNER_") and "API" not in k} == {
        "PARTNER_AUTH": "entra",
        "PARTNER_TENANT_ID": TENANT,
        "PARTNER_APP_CLIENT_ID": CLIENT,
        "PARTNER_SCOPE": "api://partner-analysis/.default",
    }
    out = written["__stdout__"]
    assert f"partner-tenant-consent.sh {CLIENT} --api api://partner-analysis\n" in out
    assert "set-partner-key" not in out
    key = run_postprovision(tmp_path / "key")
    assert key["Values"]["PARTNER_AUTH"] == "key"
    assert "PARTNER_TENANT_ID" not in key["Values"]
    assert json.dumps(key).count("partner-tenant-consent") == 0
