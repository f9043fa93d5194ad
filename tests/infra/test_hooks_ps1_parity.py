"""The PowerShell hooks take the same steps as the POSIX sh hooks, with the same commands and flags.

PowerShell (pwsh) is not installed where these tests run, so the ``.ps1`` hooks are not run;
the ``.sh`` hooks are, as a sequence (tests/infra/test_hook_sequence.py). Each ``.ps1`` is held
to its ``.sh`` twin by structure (tests/infra/hook_structure.py): the azd environment values
written and their order around the CI guard, the azd and az commands, curl's flags, the Azure
Resource Manager paths and API version, the names and literals used. A behaviour only a run
would show (PowerShell's quoting, ConvertFrom-Json on an error body) is not covered here.

Proven on generated departures of the ``.ps1``: the reset of PARTNER_KEY_EXISTS dropped from
postdown, moved after the CI guard, the ARM read dropped from preprovision, another API version.
"""

from __future__ import annotations

import pytest

from tests.infra import hook_structure as hs
from tests.infra.conftest import INFRA

HOOKS = INFRA / "hooks"
PAIRS = ["preprovision", "postprovision", "postdown"]


def texts(hook: str) -> tuple[str, str]:
    sh = (HOOKS / f"{hook}.sh").read_text(encoding="utf-8")
    ps1 = (HOOKS / f"{hook}.ps1").read_text(encoding="utf-8")
    return sh, ps1


@pytest.mark.parametrize("hook", PAIRS)
def test_the_powershell_twin_takes_the_same_steps(hook: str) -> None:
    sh, ps1 = texts(hook)
    assert hs.differences(sh, ps1) == []


def test_the_structure_sees_the_steps_that_matter() -> None:
    pre = hs.structure(texts("preprovision")[0])
    assert pre.env_sets == [
        "<ci guard>",
        "KEY_VAULT_SALT",
        "PARTNER_KEY_EXISTS",
        "API_CLIENT_ID",
        "API_APP_MANAGED",
    ]
    assert pre.azd == {"auth token --output json", "config get cloud.name"}
    assert {"--header @-", "--write-out %{http_code}", "--output"} <= pre.curl
    assert "api-version=2023-07-01" in pre.arm
    assert {"key-vault-salt", "https://management.azure.com"} <= pre.literals
    assert {"ad app create", "ad app owner list", "rest"} <= pre.az
    down = hs.structure(texts("postdown")[0])
    assert down.env_sets == ["PARTNER_KEY_EXISTS", "<ci guard>", "KEY_VAULT_SALT"]


RESET = "azd env set PARTNER_KEY_EXISTS false\n"
CHECK = "if ($LASTEXITCODE -ne 0) { throw 'postdown: azd env set PARTNER_KEY_EXISTS failed' }\n"
GUARD = "if ($env:GITHUB_ACTIONS -eq 'true' -or $env:TF_BUILD -eq 'True') { exit 0 }\n"

DEPARTURES = [
    ("postdown", RESET, "", "env_sets"),
    ("postdown", RESET + CHECK + GUARD, GUARD + RESET + CHECK, "env_sets"),
    ("preprovision", "(azd auth token --output json 2>$null | ConvertFrom-Json)", "''", "azd"),
    ("preprovision", "api-version=2023-07-01", "api-version=2019-09-01", "arm"),
    ("preprovision", "--header '@-'", '--header "Authorization: Bearer $armToken"', "curl"),
]


@pytest.mark.parametrize(("hook", "old", "new", "field"), DEPARTURES)
def test_a_departure_of_the_twin_is_found(hook: str, old: str, new: str, field: str) -> None:
    sh, ps1 = texts(hook)
    assert old in ps1, f"the text to change is gone: {old!r}"
    problems = hs.differences(sh, ps1.replace(old, new, 1))
    assert any(p.startswith(f"{field}:") for p in problems), problems
