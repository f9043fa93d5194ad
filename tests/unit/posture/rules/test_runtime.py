"""Runtime (environment) rules: each seeded violation is caught by exactly the expected rule.

The rules take their environment from the context, so every case is an explicit
mapping: a clean, Azure-like baseline plus one violation. Secret-shaped values are
built at run time (tests/support/secret_shapes.py); none is written in this file.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from posture.context import CheckContext
from posture.model import Status, get_rule
from posture.report.document import build_report
from posture.report.markdown import to_markdown
from posture.report.page import to_html
from posture.runner import run_rules
from tests.support import secret_shapes as ss

ENV_RULES = (
    "RT-ENV-SECRETS",
    "RT-CRED-FALLBACK",
    "RT-CRED-PINNED",
    "RT-CONN-KEYED",
    "RT-AI-AUTH",
    "RT-SAS-CLASSIFY",
)
CLIENT_ID = "5b0e3c8e-0f6a-4a43-9d7e-3f1b2a9c1d11"


def rng(case: str) -> random.Random:
    return random.Random(f"posture-runtime-{case}")


def clean_env() -> dict[str, str]:
    """An Azure deployment done right: identity-based settings only, pinned credential."""
    r = rng("clean")
    return {
        "WEBSITE_SITE_NAME": "func-secretless",
        "WEBSITE_INSTANCE_ID": "a" * 64,
        "AZURE_CLIENT_ID": CLIENT_ID,
        "AZURE_TOKEN_CREDENTIALS": "ManagedIdentityCredential",
        "AzureWebJobsStorage__blobServiceUri": "https://sthost.blob.core.windows.net",
        "AzureWebJobsStorage__credential": "managedidentity",
        "AzureWebJobsStorage__clientId": CLIENT_ID,
        "JobsStorage__queueServiceUri": "https://stjobs.queue.core.windows.net",
        "KEY_VAULT_URI": "https://kv-secretless.vault.azure.net/",
        "APPLICATIONINSIGHTS_CONNECTION_STRING": ss.app_insights_connection_string(r),
        "APPLICATIONINSIGHTS_AUTHENTICATION_STRING": f"ClientId={CLIENT_ID};Authorization=AAD",
        "POSTURE_SCHEDULE": "0 0 */6 * * *",
    }


def evaluate(env: dict[str, str]) -> dict[str, tuple[Status, str, list[dict[str, object]]]]:
    context = CheckContext(env=env, credential=None)
    run = run_rules(context, rules=[get_rule(rule_id) for rule_id in ENV_RULES])
    return {
        o.rule.id: (o.result.status, o.result.message, [dict(e) for e in o.result.evidence])
        for o in run.outcomes
    }


def failing(env: dict[str, str]) -> set[str]:
    return {rule_id for rule_id, (status, _, _) in evaluate(env).items() if status is Status.FAIL}


def test_a_clean_azure_environment_passes_every_runtime_rule() -> None:
    results = evaluate(clean_env())
    assert {rule_id: status for rule_id, (status, _, _) in results.items()} == dict.fromkeys(
        ENV_RULES, Status.PASS
    )


def test_ordinary_settings_raise_nothing() -> None:
    env = clean_env()
    for i, value in enumerate(ss.ordinary_values(rng("ordinary"), 400)):
        env[f"SETTING_{i}"] = value
    assert failing(env) == set()


def _unshaped_key() -> str:
    """A partner key of a shape no detector knows: only the name of its setting shows it."""
    return "pk_" + ss._name(rng("pk"), 24, 32)


def _keyed_storage() -> str:
    return ss.storage_connection_string_planted(rng("keyed")).text


def _messaging() -> str:
    return ss.messaging_connection_string_planted(rng("messaging")).text


def _sas_connection() -> str:
    return ss.sas_connection_string_planted(rng("sas-connection")).text


SEEDS: list[tuple[str, Callable[[], dict[str, str]], str]] = [
    ("storage connection string", lambda: {"ReportsStorage": _keyed_storage()}, "RT-CONN-KEYED"),
    ("service bus connection string", lambda: {"OrdersBus": _messaging()}, "RT-CONN-KEYED"),
    ("SAS connection string", lambda: {"Exports": _sas_connection()}, "RT-CONN-KEYED"),
    ("host storage as a connection string", lambda: {"AzureWebJobsStorage": _keyed_storage()},
     "RT-CONN-KEYED"),
    ("host storage on the emulator key", lambda: {
        "AzureWebJobsStorage": "UseDevelopmentStorage=true"}, "RT-CONN-KEYED"),
    ("content share connection string", lambda: {
        "WEBSITE_CONTENTAZUREFILECONNECTIONSTRING": _keyed_storage()}, "RT-CONN-KEYED"),
    ("client secret", lambda: {
        "AZURE_CLIENT_SECRET": ss.entra_client_secret(rng("client-secret")),
        "AZURE_TENANT_ID": "0f0e0d0c-0b0a-4909-8807-060504030201"}, "RT-CRED-FALLBACK"),
    ("certificate path", lambda: {"AZURE_CLIENT_CERTIFICATE_PATH": "/certs/app.pem"},
     "RT-CRED-FALLBACK"),
    ("token in a setting", lambda: {"PARTNER_TOKEN": ss.jwt_like(rng("jwt"))}, "RT-ENV-SECRETS"),
    ("bare account key", lambda: {
        "BACKUP_KEY": ss.identifiable_storage_key(rng("bare-key"))}, "RT-ENV-SECRETS"),
    ("SAS URL", lambda: {"EXPORT_URL": ss.sas_url_planted(rng("sas-url")).text},
     "RT-SAS-CLASSIFY"),
    ("a key only its name shows", lambda: {"PARTNER_API_KEY": _unshaped_key()},
     "RT-ENV-SECRETS"),
    ("a password by its name", lambda: {"DB_PASSWORD": ss._name(rng("pwd"), 12, 16)},
     "RT-ENV-SECRETS"),
    ("a GitHub token", lambda: {"CI_CREDENTIALS": ss.POSITIVE_GENERATORS["github-token"](
        rng("github")).value}, "RT-ENV-SECRETS"),
    ("a Stripe key", lambda: {"BILLING": ss.POSITIVE_GENERATORS["stripe-key"](
        rng("stripe")).value}, "RT-ENV-SECRETS"),
    ("credential not pinned", lambda: {"AZURE_TOKEN_CREDENTIALS": "dev"}, "RT-CRED-PINNED"),
    ("telemetry with the key only", lambda: {"APPLICATIONINSIGHTS_AUTHENTICATION_STRING": ""},
     "RT-AI-AUTH"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "seed", "expected"), SEEDS, ids=[s[0] for s in SEEDS])
def test_each_seeded_violation_is_caught_by_exactly_one_rule(
    name: str, seed: Callable[[], dict[str, str]], expected: str
) -> None:
    env = {**clean_env(), **seed()}
    assert failing(env) == {expected}, name


@pytest.mark.parametrize(("name", "seed", "expected"), SEEDS, ids=[s[0] for s in SEEDS])
def test_reports_never_hold_a_seeded_value(
    name: str, seed: Callable[[], dict[str, str]], expected: str
) -> None:
    seeded = seed()
    env = {**clean_env(), **seeded}
    context = CheckContext(env=env)
    run = run_rules(context, rules=[get_rule(rule_id) for rule_id in ENV_RULES])
    report = build_report(run, context)
    rendered = json.dumps(report) + to_markdown(report) + to_html(report)
    for setting, value in seeded.items():
        if len(value) >= 16:  # long enough to be a secret; short ones are ordinary words
            assert value not in rendered, f"{name}: value of {setting} leaked"
    assert any(setting in rendered for setting in seeded)


def test_secret_evidence_names_setting_kind_and_fingerprint_only() -> None:
    env = {**clean_env(), "PARTNER_TOKEN": ss.jwt_like(rng("evidence"))}
    status, message, evidence = evaluate(env)["RT-ENV-SECRETS"]
    assert status is Status.FAIL
    assert "PARTNER_TOKEN" in message
    assert evidence == [
        {
            "setting": "PARTNER_TOKEN",
            "kind": "jwt",
            "fingerprint": evidence[0]["fingerprint"],
            "declared": False,
            "source": "unknown",
        }
    ]
    assert len(str(evidence[0]["fingerprint"])) == 12


def test_app_service_mirrors_of_a_setting_are_one_finding() -> None:
    secret = ss.entra_client_secret(rng("mirror"))
    keyed = _keyed_storage()
    env = {
        **clean_env(),
        "AZURE_CLIENT_SECRET": secret,
        "APPSETTING_AZURE_CLIENT_SECRET": secret,
        "ReportsStorage": keyed,
        "APPSETTING_ReportsStorage": keyed,
    }
    results = evaluate(env)
    assert failing(env) == {"RT-CRED-FALLBACK", "RT-CONN-KEYED"}
    assert [e["setting"] for e in results["RT-CONN-KEYED"][2]] == ["ReportsStorage"]
    different = {**clean_env(), "APPSETTING_PARTNER_TOKEN": ss.jwt_like(rng("mirror-jwt"))}
    assert failing(different) == {"RT-ENV-SECRETS"}


def test_platform_injected_secrets_are_noted_not_failed() -> None:
    env = {**clean_env(), "MSI_SECRET": ss.jwt_like(rng("platform"))}
    status, _, evidence = evaluate(env)["RT-ENV-SECRETS"]
    assert status is Status.PASS
    assert {"setting": "MSI_SECRET", "platform_managed": True} in evidence


def test_sas_is_classified_by_signer_expiry_and_permissions() -> None:
    r = rng("classify")
    expiry = datetime.now(UTC) + timedelta(days=400)
    account, _ = ss.sas_query(r, expiry=expiry, permissions="racwdl")
    delegated, _ = ss.sas_query(r, expiry=expiry, permissions="r", user_delegation=True)
    env = {
        **clean_env(),
        "A_URL": f"https://st.blob.core.windows.net/c/b?{account}",
        "B_URL": f"https://st.blob.core.windows.net/c/b?{delegated}",
    }
    status, message, evidence = evaluate(env)["RT-SAS-CLASSIFY"]
    assert status is Status.FAIL
    assert "1 signed with an account key" in message
    by_setting = {e["setting"]: e for e in evidence}
    assert by_setting["A_URL"]["signed_with"] == "account-key"
    assert by_setting["A_URL"]["permissions"] == "racwdl"
    assert by_setting["B_URL"]["signed_with"] == "user-delegation-key"
    assert by_setting["B_URL"]["expired"] is False
    assert str(by_setting["B_URL"]["expires"]).startswith(expiry.strftime("%Y-%m-%dT%H:%M"))


def test_pinned_credential_is_judged_only_in_azure() -> None:
    outside = {k: v for k, v in clean_env().items() if not k.startswith("WEBSITE_")}
    outside.pop("AZURE_TOKEN_CREDENTIALS")
    assert evaluate(outside)["RT-CRED-PINNED"][0] is Status.SKIPPED
    assert evaluate({**clean_env(), "AZURE_TOKEN_CREDENTIALS": "prod"})["RT-CRED-PINNED"][0] is (
        Status.PASS
    )
    missing = clean_env()
    missing.pop("AZURE_TOKEN_CREDENTIALS")
    status, message, _ = evaluate(missing)["RT-CRED-PINNED"]
    assert status is Status.FAIL
    assert "is not set" in message


def test_app_insights_rule_is_skipped_without_app_insights() -> None:
    env = {k: v for k, v in clean_env().items() if not k.startswith("APPLICATIONINSIGHTS_")}
    assert evaluate(env)["RT-AI-AUTH"][0] is Status.SKIPPED


def test_names_declared_harmless_pass_and_a_named_credential_is_reported_by_kind() -> None:
    """The start-up check's name rule (shared/environment.py), the same in the report."""
    env = {**clean_env(), "PWD": "/home/site/wwwroot", "OLDPWD": "/",
           "APPINSIGHTS_INSTRUMENTATIONKEY": "00000000-0000-4000-8000-000000000001"}  # fmt: skip
    assert failing(env) == set()
    env["JWT_SECRET"] = ss._name(rng("jwt-secret"), 20, 30)
    status, message, evidence = evaluate(env)["RT-ENV-SECRETS"]
    assert status is Status.FAIL
    assert "JWT_SECRET" in message
    assert [(e["setting"], e["kind"]) for e in evidence] == [
        ("JWT_SECRET", "a name that marks a secret")
    ]
