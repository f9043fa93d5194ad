"""The azd hooks and the key script, run offline against a recording `az` and `azd`.

Azure is not reachable here, so `az` and `azd` are stand-ins (tests/infra/fakecli.py) that
record every call and answer with the shapes the real CLIs print for those queries (`-o tsv`
of a GUID, a count). What is checked is what the scripts send:

- preprovision never looks an app registration up by display name (anyone in the tenant can
  create one with that name), keeps the new client id in the azd environment at once,
  refuses to change a registration the signed-in user does not own, sends the whole `api`
  object in the PATCH that pre-authorizes the Azure CLI (Microsoft Graph replaces a complex
  property as a whole on PATCH), and sets appRoleAssignmentRequired on the service principal
  (https://learn.microsoft.com/entra/identity-platform/howto-restrict-your-app-to-a-set-of-users);
- the Key Vault name gets a salt kept in the azd environment, redrawn after `azd down`
  (purge protection keeps a deleted vault's name for 90 days:
  https://learn.microsoft.com/azure/key-vault/general/soft-delete-overview);
- the partner key goes to `az` on standard input only, with an expiry date, by the data
  plane or, with the vault's public endpoint closed, by the ARM control plane (Key Vault
  firewall rules apply to the data plane only:
  https://learn.microsoft.com/azure/key-vault/general/overview-vnet-service-endpoints).
"""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.infra.conftest import INFRA
from tests.support.fake_azure_cli import Tools, rest_calls

HOOKS = INFRA / "hooks"
FAKECLI = Path(__file__).with_name("fakecli.py")
USER = "11111111-1111-4111-8111-111111111111"
APP = "22222222-2222-4222-8222-222222222222"
OBJECT = "33333333-3333-4333-8333-333333333333"
SP = "44444444-4444-4444-8444-444444444444"
ROLE = "55555555-5555-4555-8555-555555555555"
SCOPE = "66666666-6666-4666-8666-666666666666"


def fresh_answers(*, owner: str = "1", scope: str = "") -> list[list[Any]]:
    return [
        ["az", ["ad signed-in-user show"], USER],
        ["az", ["ad app create"], APP],
        ["az", ["ad app show", "--query id"], OBJECT],
        ["az", ["ad app owner list"], owner],
        ["az", ["ad app show", "oauth2PermissionScopes"], scope],
        ["az", ["ad sp list"], ""],
        ["az", ["ad sp create"], SP],
        ["az", ["ad sp show", "appRoles"], ROLE],
        ["az", ["rest", "--method GET", "appRoleAssignedTo"], "0"],
    ]


@pytest.mark.slow
def test_preprovision_creates_one_registration_keyed_by_its_client_id(tmp_path: Path) -> None:
    tools = Tools(tmp_path, fresh_answers(), {})
    proc = tools.run(HOOKS / "preprovision.sh", {"AZURE_ENV_NAME": "dev"})
    assert proc.returncode == 0, proc.stderr
    commands = [" ".join(c["args"]) for c in tools.calls() if c["tool"] == "az"]
    assert not [c for c in commands if "--display-name" in c and c.startswith("ad app list")], (
        "an app registration must never be looked up by display name"
    )
    (create,) = [c for c in commands if c.startswith("ad app create")]
    assert "secretless-functions-dev-" in create, "display name: env name and a unique suffix"
    env = tools.azd_env()
    assert env["API_CLIENT_ID"] == APP
    assert env["API_APP_MANAGED"] == "true"
    assert len(env["KEY_VAULT_SALT"]) == 8
    # The client id is stored right after creation, before any later step can fail.
    order = [(c["tool"], " ".join(c["args"])) for c in tools.calls()]
    created = order.index(("az", next(c for t, c in order if c.startswith("ad app create"))))
    assert order[created + 1] == ("azd", f"env set API_CLIENT_ID {APP}")
    assert any(c.startswith("ad app owner list") for c in commands), "ownership is checked"


@pytest.mark.slow
def test_preprovision_sends_the_whole_api_object_and_requires_role_assignment(
    tmp_path: Path,
) -> None:
    tools = Tools(tmp_path, fresh_answers(), {})
    proc = tools.run(HOOKS / "preprovision.sh", {"AZURE_ENV_NAME": "dev"})
    assert proc.returncode == 0, proc.stderr
    patches = rest_calls(tools, "PATCH")
    app_patches = [body for url, body in patches if url.endswith(f"/applications/{OBJECT}")]
    assert len(app_patches) == 2
    first, second = app_patches
    assert first["identifierUris"] == [f"api://{APP}"]
    scope_id = first["api"]["oauth2PermissionScopes"][0]["id"]
    api = second["api"]
    assert api["requestedAccessTokenVersion"] == 2
    assert [s["id"] for s in api["oauth2PermissionScopes"]] == [scope_id]
    assert api["oauth2PermissionScopes"][0]["value"] == "user_impersonation"
    assert api["preAuthorizedApplications"] == [
        {"appId": "04b07795-8ddb-461a-bbee-02f9e1bf7b46", "delegatedPermissionIds": [scope_id]}
    ]
    sp_patches = [body for url, body in patches if url.endswith(f"/servicePrincipals/{SP}")]
    assert sp_patches == [{"appRoleAssignmentRequired": True}]
    posts = rest_calls(tools, "POST")
    assert [body for _, body in posts] == [
        {"principalId": USER, "resourceId": SP, "appRoleId": ROLE},
        {"principalId": USER, "resourceId": SP, "appRoleId": ROLE},
    ]


@pytest.mark.slow
def test_preprovision_reuses_the_existing_scope_on_a_rerun(tmp_path: Path) -> None:
    tools = Tools(tmp_path, fresh_answers(scope=SCOPE), {"KEY_VAULT_SALT": "abcd1234"})
    # azd hands a hook its environment's values as environment variables.
    env = {"AZURE_ENV_NAME": "dev", "API_CLIENT_ID": APP, "API_APP_MANAGED": "true"}
    proc = tools.run(HOOKS / "preprovision.sh", {**env, "KEY_VAULT_SALT": "abcd1234"})
    assert proc.returncode == 0, proc.stderr
    commands = [" ".join(c["args"]) for c in tools.calls() if c["tool"] == "az"]
    assert not [c for c in commands if c.startswith("ad app create")], "no second registration"
    (patch,) = [b for u, b in rest_calls(tools, "PATCH") if "/applications/" in u]
    assert patch["api"]["oauth2PermissionScopes"][0]["id"] == SCOPE
    assert "KEY_VAULT_SALT" not in [c["args"][2] for c in tools.calls() if c["tool"] == "azd"]


def test_an_environment_that_already_has_a_vault_keeps_its_name(tmp_path: Path) -> None:
    # Provisioned before salts: no salt keeps the plain vault name (main.bicep), so none is
    # drawn and the existing vault, with the partner key in it, stays the app's vault.
    tools = Tools(tmp_path, [], {})
    env = {"AZURE_ENV_NAME": "dev", "API_CLIENT_ID": APP, "KEY_VAULT_NAME": "kv-existing"}
    proc = tools.run(HOOKS / "preprovision.sh", env)
    assert proc.returncode == 0, proc.stderr
    assert "KEY_VAULT_SALT" not in tools.azd_env()


def test_preprovision_refuses_to_change_a_registration_it_does_not_own(tmp_path: Path) -> None:
    tools = Tools(tmp_path, fresh_answers(owner="0"), {})
    env = {"AZURE_ENV_NAME": "dev", "API_CLIENT_ID": APP, "API_APP_MANAGED": "true"}
    proc = tools.run(HOOKS / "preprovision.sh", env)
    assert proc.returncode != 0
    assert "not an owner" in proc.stderr
    assert not rest_calls(tools, "PATCH"), "nothing is changed on someone else's registration"


def test_preprovision_uses_a_given_client_id_as_it_is(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [], {"KEY_VAULT_SALT": "abcd1234"})
    env = {"AZURE_ENV_NAME": "dev", "API_CLIENT_ID": APP, "KEY_VAULT_SALT": "abcd1234"}
    proc = tools.run(HOOKS / "preprovision.sh", env)
    assert proc.returncode == 0, proc.stderr
    # No directory call; the one value written is the partner key's existence, derived on
    # every run (no subscription chosen yet here, so absent: test_hook_sequence.py).
    assert [c["args"] for c in tools.calls()] == [["env", "set", "PARTNER_KEY_EXISTS", "false"]]


def test_preprovision_in_ci_creates_nothing(tmp_path: Path) -> None:
    tools = Tools(tmp_path, fresh_answers(), {})
    proc = tools.run(HOOKS / "preprovision.sh", {"AZURE_ENV_NAME": "ci", "GITHUB_ACTIONS": "true"})
    assert proc.returncode != 0
    assert "gh variable set API_CLIENT_ID" in proc.stderr
    assert [c["args"] for c in tools.calls()] == [["env", "set", "PARTNER_KEY_EXISTS", "false"]], (
        "CI neither creates a registration nor draws a vault salt"
    )


def test_postdown_draws_a_new_vault_salt_except_in_ci(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [], {"KEY_VAULT_SALT": "old00000"})
    proc = tools.run(HOOKS / "postdown.sh", {})
    assert proc.returncode == 0, proc.stderr
    salt = tools.azd_env()["KEY_VAULT_SALT"]
    assert salt != "old00000"
    assert len(salt) == 8
    ci = Tools(tmp_path / "ci", [], {"KEY_VAULT_SALT": "old00000"})
    assert ci.run(HOOKS / "postdown.sh", {"GITHUB_ACTIONS": "true"}).returncode == 0
    assert ci.azd_env()["KEY_VAULT_SALT"] == "old00000"


def key_env(tools: Tools, **extra: str) -> None:
    env = {
        "KEY_VAULT_NAME": "kv-example",
        "PARTNER_API_KEY_SECRET_NAME": "partner-api-key",
        "AZURE_RESOURCE_GROUP": "rg-dev",
        "AZURE_SUBSCRIPTION_ID": "77777777-7777-4777-8777-777777777777",
        **extra,
    }
    (tools.state / "azd-env.json").write_text(json.dumps(env))


def test_the_key_goes_to_the_data_plane_on_stdin_with_an_expiry(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [], {})
    key_env(tools)
    key = f"k-{uuid.uuid4()}"  # made here, at run time: no key-shaped literal in the repo
    proc = tools.run(INFRA / "scripts" / "set-partner-key.sh", {}, stdin=key + "\n")
    assert proc.returncode == 0, proc.stderr
    (call,) = [c for c in tools.calls() if c["tool"] == "az"]
    args = call["args"]
    assert args[:3] == ["keyvault", "secret", "set"]
    assert args[args.index("--file") + 1] == "/dev/stdin"
    expires = args[args.index("--expires") + 1]
    days = (time.mktime(time.strptime(expires, "%Y-%m-%dT%H:%M:%SZ")) - time.time()) / 86400
    assert 88 < days < 91, expires
    assert call["stdin"] == key
    assert key not in json.dumps(args), "the key must never be an argument"
    assert key not in proc.stdout + proc.stderr


def test_the_key_goes_through_arm_when_the_vault_is_private(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [], {})
    key_env(tools, VNET_ENABLED="true")
    key = f"k-{uuid.uuid4()}"
    proc = tools.run(
        INFRA / "scripts" / "set-partner-key.sh", {}, "--expires-in-days", "30", stdin=key
    )
    assert proc.returncode == 0, proc.stderr
    (call,) = [c for c in tools.calls() if c["tool"] == "az"]
    args = call["args"]
    assert args[:3] == ["rest", "--method", "put"]
    url = args[args.index("--url") + 1]
    assert url.startswith("/subscriptions/77777777-7777-4777-8777-777777777777/resourceGroups/")
    assert "/providers/Microsoft.KeyVault/vaults/kv-example/secrets/partner-api-key?" in url
    assert url.endswith("api-version=2023-07-01")
    assert args[args.index("--body") + 1] == "@/dev/stdin"
    body = json.loads(call["stdin"])
    assert body["properties"]["value"] == key
    assert 29 < (body["properties"]["attributes"]["exp"] - time.time()) / 86400 < 31
    assert key not in json.dumps(args)
    assert key not in proc.stdout + proc.stderr


def test_the_first_key_asks_for_one_more_provision_and_records_nothing(
    tmp_path: Path,
) -> None:
    # The app's Key Vault Secrets User is scoped to the one secret (infra/modules/rbac.bicep),
    # which can be granted only once the secret exists. Whether it does is asked of Azure by
    # the next preprovision (tests/infra/test_hook_sequence.py), never remembered here: a
    # remembered "yes" outlives the vault after `azd down`.
    tools = Tools(tmp_path, [], {})
    key_env(tools)
    proc = tools.run(INFRA / "scripts" / "set-partner-key.sh", {}, stdin=f"k-{uuid.uuid4()}")
    assert proc.returncode == 0, proc.stderr
    assert "PARTNER_KEY_EXISTS" not in tools.azd_env()
    assert "azd provision" in proc.stdout
    key_env(tools, PARTNER_KEY_EXISTS="true")  # what the last provision found
    again = tools.run(INFRA / "scripts" / "set-partner-key.sh", {}, stdin=f"k-{uuid.uuid4()}")
    assert "azd provision" not in again.stdout, "a rotation needs no new grant"


def test_the_key_script_refuses_an_empty_key(tmp_path: Path) -> None:
    tools = Tools(tmp_path, [], {})
    key_env(tools)
    proc = tools.run(INFRA / "scripts" / "set-partner-key.sh", {}, stdin="")
    assert proc.returncode != 0
    assert not [c for c in tools.calls() if c["tool"] == "az"]


@pytest.mark.parametrize(
    "script", sorted([*HOOKS.glob("*.sh"), *(INFRA / "scripts").glob("*.sh")]), ids=lambda p: p.name
)
def test_shell_scripts_parse_and_are_executable(script: Path) -> None:
    proc = subprocess.run(["sh", "-n", str(script)], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert os.access(script, os.X_OK), f"{script.name} is not executable"


def test_powershell_hooks_do_what_the_posix_ones_do() -> None:
    # pwsh is not installed here; the PowerShell twins are held to the same decisions as text.
    pre = (HOOKS / "preprovision.ps1").read_text(encoding="utf-8")
    assert "ad app list" not in pre, "never look a registration up by display name"
    for needle in (
        "ad app owner list",
        "appRoleAssignmentRequired = $true",
        "preAuthorizedApplications",
        "azd env set API_CLIENT_ID",
        "azd env set KEY_VAULT_SALT",
    ):
        assert needle in pre, needle
    post = (HOOKS / "postprovision.ps1").read_text(encoding="utf-8")
    assert "ConvertTo-Json" in post
    assert "-Expires" in post, "the documented key command sets an expiry"
    assert "azd env set KEY_VAULT_SALT" in (HOOKS / "postdown.ps1").read_text(encoding="utf-8")
