"""azure.yaml, the parameters file and the workflows fit together and with main.bicep.

azd and GitHub are not reachable offline, so these check what they would read: the service
and hooks azd runs, the environment values it substitutes into main.parameters.json, and
the federated (secretless) login of the deploy workflow.
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from tests.infra import bicep_model as bm
from tests.infra.conftest import INFRA, ROOT

WORKFLOWS = ROOT / ".github" / "workflows"


def test_azure_yaml_declares_the_python_function_services(yaml_docs: dict[str, Any]) -> None:
    project = yaml_docs["azure.yaml"]
    assert "__error__" not in project, project
    service = {"project": ".", "language": "python", "host": "function", "remoteBuild": True}
    # The same code twice: the jobs API, and the key rotation under its own identity, found
    # by the name main.bicep outputs (with PARTNER_AUTH=entra, the jobs app's: no rotation app).
    rotation = {**service, "resourceName": "${SERVICE_ROTATION_RESOURCE_NAME}"}
    assert project["services"] == {"api": service, "rotation": rotation}
    assert project["infra"]["path"] == "infra"


def test_the_rotation_service_always_names_an_app_main_bicep_creates(
    bicep: dict[str, Any],
) -> None:
    outputs = bicep["infra/main.bicep"]["outputs"]
    named = outputs["SERVICE_ROTATION_RESOURCE_NAME"]["value"]
    condition = named["operator"]["operands"]
    assert bm.render(condition["condition"]) == "entraPartner"
    assert bm.render(condition["true_value"]) == "app.outputs.name"
    assert bm.render(condition["false_value"]) == "rotation.outputs.name"
    rotation = bicep["infra/main.bicep"]["modules"]["rotation"]["config"]
    assert rotation["condition"]["operator"] == {
        "type": "not",
        "operands": {"bool_value": "entraPartner"},
    }


def test_azure_yaml_hooks_exist_for_posix_and_windows(yaml_docs: dict[str, Any]) -> None:
    hooks = yaml_docs["azure.yaml"]["hooks"]
    assert set(hooks) == {"preprovision", "postprovision", "postdown"}
    for event, hook in hooks.items():
        assert hook["posix"]["shell"] == "sh", event
        assert hook["windows"]["shell"] == "pwsh", event
        for platform in ("posix", "windows"):
            script = ROOT / hook[platform]["run"]
            assert script.is_file(), f"{event}/{platform}: {script} missing"
        assert os.access(ROOT / hook["posix"]["run"], os.X_OK), f"{event}: not executable"


def test_parameters_file_covers_main_bicep(bicep: dict[str, Any]) -> None:
    main_params = bicep["infra/main.bicep"]["parameters"]
    file_params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert set(file_params) <= set(main_params), set(file_params) - set(main_params)
    without_default = {n for n, p in main_params.items() if p.get("default") is None}
    assert without_default <= set(file_params), without_default - set(file_params)
    used = {
        m.group(1) for p in file_params.values() for m in re.finditer(r"\$\{(\w+)", str(p["value"]))
    }
    # azd's own variables, so developer logins and CI service principals both work.
    expected = {"AZURE_ENV_NAME", "AZURE_LOCATION", "AZURE_PRINCIPAL_ID", "AZURE_PRINCIPAL_TYPE"}
    assert expected <= used, expected - used


def test_outputs_feed_the_postprovision_hook(bicep: dict[str, Any]) -> None:
    outputs = set(bicep["infra/main.bicep"]["outputs"])
    hook = (INFRA / "hooks" / "postprovision.sh").read_text(encoding="utf-8")
    read = set(re.findall(r"\$\{?([A-Z][A-Z0-9_]+)", hook))
    assert read, "the hook reads no output"
    assert read <= outputs, f"the hook reads values main.bicep does not output: {read - outputs}"
    assert {"SERVICE_API_NAME", "AZURE_FUNCTION_APP_NAME", "API_CLIENT_ID"} <= outputs


def test_the_site_is_tagged_for_the_azd_service(bicep: dict[str, Any]) -> None:
    tree = bicep["infra/modules/function-app.bicep"]
    ((_, site),) = bm.resources_of_type(tree, "Microsoft.Web/sites")
    assert "api" in bm.identifiers(bm.body(site)["tags"]), "azd finds the app by its tag"


def test_ci_runs_the_test_command_on_python_311_and_node_20(yaml_docs: dict[str, Any]) -> None:
    ci = yaml_docs[".github/workflows/ci.yml"]
    steps = ci["jobs"]["test"]["steps"]
    uses = {s.get("uses", "").split("@")[0]: s.get("with", {}) for s in steps}
    assert uses["actions/setup-python"]["python-version"] == "3.11"
    assert str(uses["actions/setup-node"]["node-version"]) == "20"
    assert any("make test" in s.get("run", "") for s in steps)
    assert ci["jobs"]["test"]["runs-on"].startswith("ubuntu")


def test_deploy_logs_in_by_federation_and_runs_azd(yaml_docs: dict[str, Any]) -> None:
    deploy = yaml_docs[".github/workflows/azure-dev.yml"]
    job = deploy["jobs"]["deploy"]
    runs = [s.get("run", "") for s in job["steps"]]
    (login,) = [r for r in runs if r.startswith("azd auth login")]
    for part in ('--client-id "$AZURE_CLIENT_ID"', '--tenant-id "$AZURE_TENANT_ID"',
                 "--federated-credential-provider github"):  # fmt: skip
        assert part in login, part
    assert job["env"]["AZURE_CLIENT_ID"] == "${{ vars.AZURE_CLIENT_ID }}"
    assert job["env"]["AZURE_TENANT_ID"] == "${{ vars.AZURE_TENANT_ID }}"
    assert any(r.startswith("azd provision") for r in runs)
    assert any(r.startswith("azd deploy") for r in runs)


def test_only_the_deploying_jobs_can_mint_an_azure_token(yaml_docs: dict[str, Any]) -> None:
    """`id-token: write` on the deploy and smoke jobs alone; every other job read-only.

    GitHub grants `permissions` per workflow or per job, and a job's own block replaces the
    workflow's (https://docs.github.com/actions/writing-workflows/workflow-syntax-for-github-actions#jobsjob_idpermissions);
    a job with id-token: write can request the OIDC token azd exchanges. The test job runs
    npm ci, pip install and the whole suite: it must not be able to.
    """
    deploy = yaml_docs[".github/workflows/azure-dev.yml"]
    assert deploy["permissions"] == {}, "nothing granted at workflow level"
    jobs = deploy["jobs"]
    for name in ("deploy", "smoke"):
        assert jobs[name]["permissions"] == {"id-token": "write", "contents": "read"}, name
    for name, job in jobs.items():
        if name not in ("deploy", "smoke"):
            assert job["permissions"] == {"contents": "read"}, name
    ci = yaml_docs[".github/workflows/ci.yml"]
    assert ci["permissions"] == {"contents": "read"}
    assert "id-token" not in str(ci), "CI never needs an Azure token"


def test_deploy_waits_for_a_reviewed_environment_and_smoke_tests(yaml_docs: dict[str, Any]) -> None:
    """The deploy job runs in a GitHub environment (required reviewers are set on it,
    https://docs.github.com/actions/managing-workflow-runs-and-deployments/managing-deployments/managing-environments-for-deployment),
    and `python -m smoke` runs in a job after it, with the smoke identity's token taken from
    azd (never printed: masked), so a broken deployment fails the run."""
    jobs = yaml_docs[".github/workflows/azure-dev.yml"]["jobs"]
    assert jobs["deploy"]["environment"] == "production"
    assert jobs["smoke"]["needs"] == "deploy"
    assert jobs["smoke"]["env"]["API_URL"] == "${{ needs.deploy.outputs.api-url }}"
    runs = [s.get("run", "") for s in jobs["smoke"]["steps"]]
    (token,) = [r for r in runs if "azd auth token" in r]
    assert 'azd auth token --scope "api://$API_CLIENT_ID/.default" --output json' in token
    assert "::add-mask::$token" in token, "the token is masked in the log"
    assert 'echo "SMOKE_TOKEN=$token" >> "$GITHUB_ENV"' in token
    assert any('python -m smoke --url "$API_URL" --wait 600' in r for r in runs)
    job = jobs["deploy"]
    assert job["env"]["AZURE_PRINCIPAL_TYPE"] == "ServicePrincipal"
    assert job["env"]["KEY_VAULT_SALT"] == "${{ vars.KEY_VAULT_SALT }}"


def test_azure_yaml_requires_an_azd_that_supports_what_it_uses(yaml_docs: dict[str, Any]) -> None:
    """azd >= 1.21.0 re-reads .env after the preprovision hook, before the parameters file
    (azd CHANGELOG 1.21.0, #6063 "Reload env before loading parameters in bicep provider");
    azd >= 1.23.5 knows `remoteBuild` for Flex Consumption apps (1.23.5, #6748)."""
    required = yaml_docs["azure.yaml"]["requiredVersions"]["azd"]
    match = re.fullmatch(r">=\s*(\d+)\.(\d+)\.(\d+)", required)
    assert match, required
    assert tuple(int(p) for p in match.groups()) >= (1, 23, 5)


def test_location_is_an_azd_location_limited_to_flex_regions(bicep: dict[str, Any]) -> None:
    """azd reads `@metadata({azd: {type: 'location'}})` with `@allowed` to offer only those
    regions (azd CHANGELOG, #4752); the list is of regions offering Flex Consumption."""
    decorators = bicep["infra/main.bicep"]["parameters"]["location"]["decorators"]
    by_type = {d["type"]: d["argument"] for d in decorators}
    assert by_type["metadata"] == {"azd": {"type": "location"}}
    allowed = set(by_type["allowed"])
    assert {"eastus", "eastus2", "westeurope", "northeurope", "swedencentral"} <= allowed
    assert not {r for r in allowed if r.endswith("euap")}, "no canary regions"


def test_parameters_file_passes_the_vault_salt() -> None:
    params = json.loads((INFRA / "main.parameters.json").read_text())["parameters"]
    assert params["keyVaultSalt"]["value"] == "${KEY_VAULT_SALT=}"


def test_workflows_use_no_stored_secret() -> None:
    for path in WORKFLOWS.glob("*.y*ml"):
        text = path.read_text(encoding="utf-8")
        assert "secrets." not in text, f"{path.name} reads a stored secret"
        assert "creds:" not in text, f"{path.name} passes azure/login a credential blob"


def test_private_dns_zone_names_come_from_the_cloud_environment(bicep: dict[str, Any]) -> None:
    """Zone names differ per Azure cloud (privatelink.vaultcore.azure.net in Azure,
    privatelink.vaultcore.usgovcloudapi.net in Azure Government, privatelink.vaultcore.azure.cn
    in Azure China: https://learn.microsoft.com/azure/private-link/private-endpoint-dns), so no
    public-cloud suffix is written in the template: each is built from environment()."""
    text = (INFRA / "modules" / "network.bicep").read_text(encoding="utf-8")
    code = "\n".join(line.split("//")[0] for line in text.splitlines())
    assert not re.search(r"(core\.windows\.net|vaultcore\.azure\.net|azure\.cn)", code)
    variables = bicep["infra/modules/network.bicep"]["variables"]
    assert "keyvaultDns" in json.dumps(variables["vaultZone"]["value"])
    assert "storage" in json.dumps(variables["storageSuffix"]["value"])
