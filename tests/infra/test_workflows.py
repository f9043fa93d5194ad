"""The workflows: actions pinned by commit, nothing third-party where the deployment identity
can sign in, no token asked of an assertion that may have expired, and the name azd expects
(tests/infra/workflow_check.py cites what each rule rests on).

Proven on generated positives: the workflow as it once was (tag pins, azure/login, pip install
and the smoke run in the deploying job, a token after the deploy), and one mutation of the
current workflow per rule. The YAML is loaded the way the other infra checks load it
(tests/infra/infra_dump.py, with the PyYAML checkov brings into .venv-infra).
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.infra import workflow_check as wc
from tests.infra.conftest import ROOT, parse_infra_copies

WORKFLOWS = ROOT / ".github" / "workflows"
DEPLOY = ".github/workflows/azure-dev.yml"

# The deploying job as it once was.
OLD = """\
name: deploy
on: push
permissions: {}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: production
    permissions:
      id-token: write
      contents: read
    steps:
      - uses: actions/checkout@v4
      - uses: Azure/setup-azd@v2
      - uses: azure/login@v2
        with:
          client-id: ${{ vars.AZURE_CLIENT_ID }}
          tenant-id: ${{ vars.AZURE_TENANT_ID }}
      - run: azd config set auth.useAzCliAuth true
      - run: azd provision --no-prompt
      - run: azd deploy --no-prompt
      - uses: actions/setup-python@v5
      - run: |
          python -m pip install -q -r requirements.txt
          token=$(az account get-access-token --resource "api://$API_CLIENT_ID" -o tsv)
          SMOKE_TOKEN="$token" python -m smoke --url "$url" --wait 600
"""

SETUP_AZD = "Azure/setup-azd@0b7e3a35ab00f2eee7080c845eb39c3f0ebfa553 # v2.4.0"
CHECKOUT = "actions/checkout@11d5960a326750d5838078e36cf38b85af677262 # v4.4.0"
AZD_LOGIN = (
    "      - name: Sign in (azd's federated login, no secret)\n"
    "        run: >-\n"
    '          azd auth login --client-id "$AZURE_CLIENT_ID" --tenant-id "$AZURE_TENANT_ID"\n'
    "          --federated-credential-provider github\n"
)
CLI_LOGIN = (
    "      - uses: azure/login@v2\n"
    "        with:\n"
    "          client-id: ${{ vars.AZURE_CLIENT_ID }}\n"
    "          tenant-id: ${{ vars.AZURE_TENANT_ID }}\n"
    "      - run: azd config set auth.useAzCliAuth true\n"
)
DEPLOY_STEP = "      - name: Deploy\n        run: azd deploy --no-prompt\n"

# (id, old, new, the finding expected)
MUTATIONS = [
    ("tag-pin", SETUP_AZD, "Azure/setup-azd@v2", "Azure/setup-azd@v2 is not pinned to a commit"),
    ("no-release", CHECKOUT, CHECKOUT.split(" #")[0], "does not name its release"),
    (
        "pip-in-deploy",
        DEPLOY_STEP,
        DEPLOY_STEP + "      - run: python -m pip install -r requirements.txt\n",
        "deploy: step 5 runs 'python -m pip install -r requirements.txt' in a job that signs in "
        "as the deployment identity",
    ),
    (
        "action-in-deploy",
        DEPLOY_STEP,
        DEPLOY_STEP + "      - uses: actions/setup-python@a26af69be951a213d495a4c3e4e4022e16d87065"
        " # v5.6.0\n",
        "deploy: step 5 uses actions/setup-python@",
    ),
    (
        "smoke-in-production",
        "    environment: smoke\n",
        "    environment: production\n",
        "smoke: may request an OIDC token in the deployment's environment production",
    ),
    (
        "smoke-as-deployer",
        "      SMOKE_CLIENT_ID: ${{ vars.SMOKE_CLIENT_ID }}\n",
        "      SMOKE_CLIENT_ID: ${{ vars.AZURE_CLIENT_ID }}\n",
        "smoke: step 4 runs 'python -m pip install",
    ),
    (
        "cli-token-after-deploy",
        AZD_LOGIN,
        CLI_LOGIN,
        "asks the Azure CLI's login for a token after step",
    ),
]


def test_the_deploy_workflow_is_the_one_azd_pipeline_config_looks_for() -> None:
    """azd looks for .github/workflows/azure-dev.yml or .yaml and, when neither exists, asks to
    create one, defaulting to yes (azd cli/azd/pkg/pipeline/pipeline.go, pipelineFileNames;
    pipeline_manager.go, promptForCiFiles): the project's own workflow carries that name."""
    names = {p.name for p in WORKFLOWS.glob("*.y*ml")}
    assert "azure-dev.yml" in names
    assert "deploy.yml" not in names, "a second deploying workflow beside azd's"


@pytest.mark.parametrize("path", sorted(p.name for p in WORKFLOWS.glob("*.y*ml")))
def test_the_workflows_pass(path: str, yaml_docs: dict[str, Any]) -> None:
    rel = f".github/workflows/{path}"
    text = (WORKFLOWS / path).read_text(encoding="utf-8")
    assert wc.findings(rel, text, yaml_docs[rel]) == []


def test_the_check_sees_the_logins(yaml_docs: dict[str, Any]) -> None:
    jobs = yaml_docs[DEPLOY]["jobs"]
    assert wc.login(jobs["deploy"]) == ("azd", "vars.AZURE_CLIENT_ID")
    assert wc.login(jobs["smoke"]) == ("azd", "vars.SMOKE_CLIENT_ID")
    assert wc.login(jobs["test"]) is None
    assert not wc.can_sign_in(jobs["test"])
    # The smoke job gets its token before anything third-party is installed.
    commands = [c for s in wc.steps_of(jobs["smoke"]) for c in s.commands]
    token = next(i for i, c in enumerate(commands) if c.startswith("azd auth token"))
    install = next(i for i, c in enumerate(commands) if "pip install" in c)
    assert token < install


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, dict[str, Any]]]:
    """id -> (text, parsed) of the old workflow and each mutation, parsed in one run."""
    root = tmp_path_factory.mktemp("workflows")
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    current = (ROOT / DEPLOY).read_text(encoding="utf-8")
    texts = {"old": OLD}
    for key, old, new, _ in MUTATIONS:
        assert old in current, f"{key}: the text to change is gone: {old!r}"
        texts[key] = current.replace(old, new, 1)
    for key, text in texts.items():
        (folder / f"{key}.yml").write_text(text, encoding="utf-8")
    parsed = parse_infra_copies([root])[str(root)]["yaml"]
    return {key: (text, parsed[f".github/workflows/{key}.yml"]) for key, text in texts.items()}


def test_the_old_workflow_fails_every_rule(
    generated: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    text, workflow = generated["old"]
    findings = wc.findings("old.yml", text, workflow)
    assert [f for f in findings if "actions/checkout@v4 is not pinned" in f]
    assert [f for f in findings if "runs 'python -m pip install" in f]
    assert [f for f in findings if "uses actions/setup-python@v5" in f]
    assert [f for f in findings if "'az account get-access-token" in f and "after step 4" in f]


@pytest.mark.parametrize(("key", "old", "new", "expect"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_the_check_fails_on_a_mutation(
    generated: dict[str, tuple[str, dict[str, Any]]], key: str, old: str, new: str, expect: str
) -> None:
    text, workflow = generated[key]
    findings = wc.findings(f"{key}.yml", text, workflow)
    assert any(expect in f for f in findings), f"{key}: no '{expect}' in:\n" + "\n".join(findings)


def test_an_azd_borrowing_the_cli_login_is_bound_to_its_assertion(
    generated: dict[str, tuple[str, dict[str, Any]]],
) -> None:
    # With auth.useAzCliAuth, every azd command after the provision asks the CLI for a token:
    # the deploy itself, and reading the environment after it.
    _, workflow = generated["cli-token-after-deploy"]
    findings = wc.token_findings("x.yml", workflow)
    assert [f.split("'")[1] for f in findings] == [
        "azd deploy --no-prompt",
        "azd env get-value SERVICE_API_URI",
    ], findings
    assert all("after step 4" in f for f in findings), findings
