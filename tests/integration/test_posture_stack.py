"""The posture rules on a devstack of their own: a clean stack, then one violation at a time.

A stack of its own (3 s to start) keeps its vault free of what other tests leave
behind, so "a clean stack has no critical or high failure" and "exactly this rule
fails" are exact statements. The rules run in this process with an explicit
environment (the app's, plus the seed) against the running stack's real services and
identity endpoint; vault seeds are real secrets in the stack's vault, removed after.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
from azure.identity import DefaultAzureCredential
from azure.keyvault.secrets import SecretClient

from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential, TokenIssuer
from devstack.vault.api import create_vault_app
from devstack.vault.store import VaultStore
from posture.context import CheckContext
from posture.model import Category, RuleResult, Severity, Status, all_rules, get_rule
from posture.runner import run_rules
from tests.support import secret_shapes as ss
from tests.support.servers import Switch, serve
from tests.support.stacks import Stacks

#: The rules that read the vault's secrets (KV-SECRET-*), as registered.
KV_RULES = tuple(r.id for r in all_rules() if r.category is Category.KEY_VAULT)


@pytest.fixture(scope="module")
def posture_stack(
    stacks: Stacks, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    with stacks.running(tmp_path_factory.mktemp("posture-stack")) as running:
        yield running


@pytest.fixture(scope="module")
def vault(posture_stack: RunningStack) -> SecretClient:
    return SecretClient(
        posture_stack.endpoints["vault"],
        IssuerCredential(posture_stack.issuer()),
        connection_verify=posture_stack.ca_bundle,
    )


@pytest.fixture(scope="module")
def dated_partner_key(posture_stack: RunningStack, vault: SecretClient) -> str:
    """The devstack generates the partner key without an expiry date; a clean deployment has one."""
    name = str(posture_stack.endpoints["partner_secret_name"])
    vault.update_secret_properties(name, expires_on=datetime.now(UTC) + timedelta(days=60))
    return name


def evaluate(stack: RunningStack, **overrides: str) -> dict[str, RuleResult]:
    """Every rule, in this process, on the stack's services with the app's identity."""
    with stack.as_app():
        context = CheckContext(
            env={**stack.app_env, **overrides}, credential=DefaultAzureCredential()
        )
        run = run_rules(context)
    return {o.rule.id: o.result for o in run.outcomes}


def failing(results: dict[str, RuleResult]) -> set[str]:
    return {rule_id for rule_id, result in results.items() if result.status is Status.FAIL}


# -- a clean stack --------------------------------------------------------------------------


def test_a_clean_stack_has_no_critical_or_high_failure(
    posture_stack: RunningStack, dated_partner_key: str
) -> None:
    results = evaluate(posture_stack)
    serious = {
        rule_id: result.message
        for rule_id, result in results.items()
        if result.status is Status.FAIL and get_rule(rule_id).severity.rank >= Severity.HIGH.rank
    }
    assert serious == {}
    for rule_id in ("RT-ENV-SECRETS", "RT-CONN-KEYED", "RT-CONN-TOKEN", "RT-TOKEN-IDENTITY"):
        assert results[rule_id].status is Status.PASS, results[rule_id]
    assert {results[k].status for k in KV_RULES} == {Status.PASS}
    probed = {e["setting"]: e for e in results["RT-CONN-TOKEN"].evidence}
    assert probed["KEY_VAULT_URI"]["outcome"] == "ok"
    assert probed["JobsStorage__queueServiceUri"]["audience"] == "https://storage.azure.com"
    assert len(probed) >= 5
    assert all(isinstance(e["read_ms"], float) for e in probed.values())


# -- seeded violations --------------------------------------------------------------------


def _keyed() -> str:
    return ss.storage_connection_string_planted(random.Random("posture-stack")).text


ENV_SEEDS: list[tuple[str, Callable[[], dict[str, str]], str]] = [
    ("keyed connection string", lambda: {"ReportsStorage": _keyed()}, "RT-CONN-KEYED"),
    (
        "client secret present",
        lambda: {"AZURE_CLIENT_SECRET": ss.entra_client_secret(random.Random("posture-stack"))},
        "RT-CRED-FALLBACK",
    ),
    ("host storage as a connection string", lambda: {"AzureWebJobsStorage": _keyed()},
     "RT-CONN-KEYED"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "seed", "expected"), ENV_SEEDS, ids=[s[0] for s in ENV_SEEDS])
def test_environment_seed_is_caught_by_exactly_the_expected_rule(
    posture_stack: RunningStack,
    dated_partner_key: str,
    case: str,
    seed: Callable[[], dict[str, str]],
    expected: str,
) -> None:
    seeded = seed()
    results = evaluate(posture_stack, **seeded)
    assert failing(results) == {expected}, case
    assert next(iter(seeded)) in results[expected].message


VAULT_SEEDS = [
    # (case, attributes, backdate days, the app uses it, expected rule)
    ("no expiry", {}, None, False, "KV-SECRET-NOEXPIRY"),
    ("expiring in 10 days", {"expires_on": 10}, None, False, "KV-SECRET-EXPIRING"),
    ("not updated for 200 days", {"expires_on": 300}, 200, False, "KV-SECRET-STALE"),
    ("disabled and in use", {"expires_on": 300, "enabled": False}, None, True,
     "KV-SECRET-DISABLED-IN-USE"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "attributes", "backdate", "in_use", "expected"),
    VAULT_SEEDS,
    ids=[s[0] for s in VAULT_SEEDS],
)
def test_vault_seed_is_caught_by_exactly_the_expected_rule(
    posture_stack: RunningStack,
    vault: SecretClient,
    dated_partner_key: str,
    case: str,
    attributes: dict[str, Any],
    backdate: int | None,
    in_use: bool,
    expected: str,
) -> None:
    name = f"posture-seed-{uuid.uuid4().hex[:8]}"
    options = dict(attributes)
    if "expires_on" in options:
        options["expires_on"] = datetime.now(UTC) + timedelta(days=options["expires_on"])
    vault.set_secret(name, uuid.uuid4().hex, **options)
    try:
        if backdate is not None:
            requests.post(
                f"{posture_stack.endpoints['vault']}devstack/secrets/{name}/backdate",
                params={"days": str(backdate)},
                verify=posture_stack.ca_bundle,
                timeout=10,
            ).raise_for_status()
        overrides = {"PARTNER_API_KEY_SECRET_NAME": name} if in_use else {}
        results = evaluate(posture_stack, **overrides)
        assert failing(results) == {expected}, case
        assert name in results[expected].message
        assert any(e.get("secret") == name for e in results[expected].evidence)
    finally:
        vault.begin_delete_secret(name).wait()
        vault.purge_deleted_secret(name)


def test_a_token_the_service_refuses_fails_rt_conn_token(
    posture_stack: RunningStack, tmp_path: Path
) -> None:
    """A vault of another tenant: the app's token is real, and refused (401)."""
    certs = posture_stack.state_dir / "certs"
    pem = tmp_path / "server.pem"  # uvicorn is given one file: key and chain
    pem.write_bytes((certs / "server-key.pem").read_bytes() + (certs / "server.pem").read_bytes())
    switch = Switch()
    with serve(switch, certfile=pem) as (origin, _):
        switch.app = create_vault_app(
            store=VaultStore(None), issuer=TokenIssuer.generate(), origin=origin
        )
        results = evaluate(posture_stack, KEY_VAULT_URI=f"{origin}/")
    assert failing(results) == {"RT-CONN-TOKEN"}
    refused = results["RT-CONN-TOKEN"]
    assert "KEY_VAULT_URI (refused)" in refused.message
    (probe,) = [e for e in refused.evidence if e["setting"] == "KEY_VAULT_URI"]
    assert probe["http_status"] == 401
    assert {results[k].status for k in KV_RULES} == {Status.ERROR}
    assert results["RT-TOKEN-IDENTITY"].status is Status.PASS


def test_the_auth_probe_is_refused_by_the_stacks_platform_emulation(
    posture_stack: RunningStack,
) -> None:
    """RT-AUTH-PROBE end to end: the devstack host answers for App Service Authentication
    (401 with a Bearer challenge before any function runs), as the platform does."""
    results = evaluate(posture_stack, POSTURE_AUTH_PROBE_URL=f"{posture_stack.api}/posture")
    probe = results["RT-AUTH-PROBE"]
    assert probe.status is Status.PASS, probe
    assert probe.evidence[0]["http_status"] == 401
    assert probe.evidence[0]["bearer_challenge"] is True
    assert probe.evidence[0]["refused_by_app"] is False
    # An excluded (anonymous) route is not a protected one: the probe says so.
    open_route = evaluate(posture_stack, POSTURE_AUTH_PROBE_URL=f"{posture_stack.api}/health")
    assert open_route["RT-AUTH-PROBE"].status is Status.FAIL


def test_the_auth_probe_fails_when_only_the_app_refuses(stacks: Stacks, tmp_path: Path) -> None:
    """Authentication off (``--no-auth``: App Service without it): the app still refuses the
    anonymous call with its own 401 and a Bearer challenge (it verifies tokens itself), so
    only its ``X-Refused-By: app`` mark shows that the platform let the call through.

    App Service Authentication runs in front of the app's code and, with
    ``Return401``, answers an unauthenticated request before the code sees it
    (learn.microsoft.com/azure/app-service/overview-authentication-authorization,
    "Feature architecture" and "Authentication flow"), so its refusal cannot carry a
    header the app sets."""
    with stacks.running(tmp_path / "no-auth", auth=False) as stack:
        response = requests.get(f"{stack.api}/posture", timeout=30)
        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
        with stack.as_app():
            context = CheckContext(
                env={**stack.app_env, "POSTURE_AUTH_PROBE_URL": f"{stack.api}/posture"},
                credential=DefaultAzureCredential(),
            )
            run = run_rules(context, rules=[get_rule("RT-AUTH-PROBE")])
    (outcome,) = run.outcomes
    probe = outcome.result
    assert probe.status is Status.FAIL, probe
    assert probe.evidence[0]["refused_by_app"] is True
    assert "the platform lets unauthenticated calls through" in probe.message
