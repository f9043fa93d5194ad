"""The app settings in Bicep, in local.settings.sample.json and in shared/settings/ agree.

shared/settings/ declares every setting the app reads and where it is set ("local",
"azure"). Bicep must set every required Azure setting and nothing undeclared; the sample
local settings and the postprovision hook must do the same for "local". A drift in any
direction fails here, naming the setting.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.infra import bicep_model as bm
from tests.infra.conftest import INFRA, ROOT
from tests.infra.hook_runs import run_postprovision
from tests.support.declared_settings import declared

SAMPLE = ROOT / "local.settings.sample.json"


def check_names(where: str, actual: set[str], origin: str) -> None:
    """Every required setting is set, and nothing is set that is not declared."""
    decl = declared(where)
    missing = sorted(decl.required - actual)
    undeclared = sorted(actual - decl.names)
    problems = []
    if missing:
        problems.append(f"{origin} lacks required {where} settings: {missing}")
    if undeclared:
        problems.append(
            f"{origin} sets settings shared/settings/ does not declare for {where}: {undeclared}"
        )
    assert not problems, "\n".join(problems)


def bicep_app_settings(bicep: dict[str, Any]) -> dict[str, Any]:
    tree = bicep["infra/modules/function-app.bicep"]
    settings: dict[str, Any] = tree["variables"]["appSettings"]["value"]
    return settings


def test_bicep_sets_every_azure_setting_and_only_those(bicep: dict[str, Any]) -> None:
    check_names("azure", set(bicep_app_settings(bicep)), "infra/modules/function-app.bicep")


def test_the_site_gets_exactly_the_declared_settings_object(bicep: dict[str, Any]) -> None:
    # The list checked above is only meaningful if it is what the site is created with.
    tree = bicep["infra/modules/function-app.bicep"]
    ((_, site),) = bm.resources_of_type(tree, "Microsoft.Web/sites")
    app_settings = bm.get(bm.body(site), "properties", "siteConfig", "appSettings")
    assert app_settings["loop_type"]["type"] == "object"
    assert app_settings["loop_type"]["detail"]["object_name"] == "appSettings"
    assert bm.render(app_settings["config"]["name"]).endswith(".key")
    configs = list(bm.resources_of_type(tree, "Microsoft.Web/sites/config"))
    assert all(bm.body(r)["name"] != "appsettings" for _, r in configs), (
        "a second appsettings resource would replace the list checked here"
    )


def test_flex_runtime_is_not_an_app_setting(bicep: dict[str, Any]) -> None:
    # Flex Consumption rejects FUNCTIONS_WORKER_RUNTIME; the runtime is in functionAppConfig.
    assert "FUNCTIONS_WORKER_RUNTIME" not in bicep_app_settings(bicep)


def test_fixed_setting_values_in_bicep(bicep: dict[str, Any]) -> None:
    settings = bicep_app_settings(bicep)
    fixed = {
        "AzureWebJobsStorage__credential": "managedidentity",
        "JobsStorage__credential": "managedidentity",
        "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential",
        "PARTNER_API_KEY_HEADER": "X-Api-Key",
        "SECRET_CACHE_TTL_SECONDS": "300",
        "POSTURE_SCHEDULE": "0 0 */6 * * *",
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": (
            "ClientId=${identityClientId};Authorization=AAD"
        ),
    }
    wrong = {k: settings.get(k) for k, v in fixed.items() if settings.get(k) != v}
    assert not wrong, f"unexpected values: {wrong}"
    # The client ids are the user-assigned identity's, never a literal.
    for name in ("AZURE_CLIENT_ID", "AzureWebJobsStorage__clientId", "JobsStorage__clientId"):
        assert settings.get(name) == "identityClientId", name
    # Telemetry goes where the component says, read from its properties (not built from a key).
    assert bm.render(settings.get("APPLICATIONINSIGHTS_CONNECTION_STRING")) == (
        "appInsights.properties.ConnectionString"
    )
    main = bicep["infra/main.bicep"]
    assert main["variables"]["partnerApiKeySecretName"]["value"] == "partner-api-key"


def test_sample_local_settings_match_declared_local_settings() -> None:
    if not SAMPLE.is_file():
        pytest.fail(f"{SAMPLE.name} is missing", pytrace=False)
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))
    assert sample.get("IsEncrypted") is False
    check_names("local", set(sample["Values"]), SAMPLE.name)


# The host's per-function switch (https://learn.microsoft.com/azure/azure-functions/disable-function:
# "AzureWebJobs.<FUNCTION_NAME>.Disabled" in local.settings.json). Not an app setting the app
# reads, so not in shared/settings/: it names a function, and is checked against them.
DISABLED = re.compile(r"^AzureWebJobs\.(\w+)\.Disabled$")


def functions_by_trigger() -> dict[str, str]:
    """Function name -> trigger type, from the app's own index (as the host builds it)."""
    sample = json.loads(SAMPLE.read_text(encoding="utf-8"))["Values"]
    code = (
        "import json, function_app; print(json.dumps({f.get_function_name(): "
        "f.get_trigger().type for f in function_app.app.get_functions()}))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **sample},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    found: dict[str, str] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found


def split_switches(values: dict[str, str]) -> tuple[dict[str, str], set[str]]:
    """(app settings, names of functions switched off)."""
    settings = {k: v for k, v in values.items() if not DISABLED.match(k)}
    disabled = {m.group(1) for k, v in values.items() if (m := DISABLED.match(k)) and v == "true"}
    return settings, disabled


def test_postprovision_writes_the_declared_local_settings(tmp_path: Path) -> None:
    written = run_postprovision(tmp_path)
    assert written["IsEncrypted"] is False
    values, _ = split_switches(written["Values"])
    check_names("local", set(values), "infra/hooks/postprovision.sh")
    # Local runs use the developer's az login: forcing a managed identity would fail.
    assert not [k for k in values if k.endswith("__credential") or k == "AZURE_CLIENT_ID"]
    assert values["JobsStorage__queueServiceUri"] == "https://stjobs.queue.core.windows.net/"


def test_a_local_run_never_consumes_production_work(tmp_path: Path) -> None:
    # Every function that takes work off the cloud resources (queue and timer triggers) is
    # disabled in the local settings postprovision writes; every HTTP function stays on.
    _, disabled = split_switches(run_postprovision(tmp_path)["Values"])
    functions = functions_by_trigger()
    consumers = {name for name, trigger in functions.items() if trigger != "httpTrigger"}
    assert consumers, f"no queue or timer function found in {functions}"
    assert disabled == consumers, (
        f"not disabled: {sorted(consumers - disabled)}; disabled but not a consumer (or no "
        f"such function): {sorted(disabled - consumers)}"
    )


def test_postprovision_escapes_what_it_writes(tmp_path: Path) -> None:
    # A value with JSON's special characters still round-trips (json.dumps, not a heredoc).
    odd = 'https://partner.example.com/a"b\\c/'
    written = run_postprovision(tmp_path, PARTNER_API_URL=odd)
    assert written["Values"]["PARTNER_API_URL"] == odd


def test_postprovision_points_to_the_key_script(tmp_path: Path) -> None:
    out = run_postprovision(tmp_path)["__stdout__"]
    assert "infra/scripts/set-partner-key.sh" in out
    assert "VNET_ENABLED=true" in out, "say what to do when the vault is private"
    script = (INFRA / "scripts" / "set-partner-key.sh").read_text(encoding="utf-8")
    assert "stty -echo" in script, "the key must be read with echo off"
    assert "read -r key" in script
    assert "--file /dev/stdin" in script, "the key must reach az on stdin"
    assert "--expires" in script, "the posture checker flags a secret without an expiry"
    assert "--value" not in script, "a --value argument would put the key on the command line"
    ps1 = (INFRA / "hooks" / "postprovision.ps1").read_text(encoding="utf-8")
    assert "Read-Host -AsSecureString" in ps1
    assert "-Expires" in ps1


def test_powershell_hook_writes_the_same_names_as_the_posix_hook(tmp_path: Path) -> None:
    # pwsh is not on every machine; the names it writes are compared as text.
    posix_names = set(run_postprovision(tmp_path)["Values"])
    ps1 = (INFRA / "hooks" / "postprovision.ps1").read_text(encoding="utf-8")
    table = ps1[ps1.index("$values = [ordered]@{") :]
    table = table[: table.index("\n}")]
    ps1_names = set(re.findall(r"^\s*'([A-Za-z_]+)'\s*=", table, flags=re.MULTILINE))
    consumers = re.search(r"^\$consumers = @\((.*)\)$", ps1, flags=re.MULTILINE)
    assert consumers, "the PowerShell hook lists the functions it disables"
    ps1_names |= {f"AzureWebJobs.{n}.Disabled" for n in re.findall(r"'(\w+)'", consumers[1])}
    assert ps1_names == posix_names, (
        f"only in .sh: {sorted(posix_names - ps1_names)}; only in .ps1: "
        f"{sorted(ps1_names - posix_names)}"
    )
