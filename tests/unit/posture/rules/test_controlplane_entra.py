"""Control-plane and Entra rules: the real SDK clients against a local ARM/Graph stub over TLS.

The stub (tests/support/arm_stub.py) answers in the services' documented shapes; the
resources below mix good and bad configurations, so each rule must name exactly the
resources at fault. Two stub servers, one for ARM and one for Graph, show that each
client asks for a token for its own endpoint.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import trustme

from devstack.tokens import IssuerCredential
from posture.context import CheckContext
from posture.model import Category, RuleResult, Status, all_rules
from posture.report.document import build_report
from posture.runner import run_rules
from tests.support.arm_stub import CloudModel, create_cloud_stub
from tests.support.cloud import stub_issuer
from tests.support.cloud_model import (
    HINT,
    NOW,
    SUB,
    entra_app,
    model,
    password_credential,
    tenant_policy,
)
from tests.support.servers import Switch, serve

EXPECTED_CONTROL_PLANE = {
    "STG-SHAREDKEY": {"stkeyed"},
    "STG-PUBLIC": {"stpublic"},
    "STG-TLS": {"sttls"},
    "KV-RBAC": {"kvpolicies"},
    "KV-PROTECT": {"kvnopurge"},
    "APP-IDENTITY": {"func-bad"},
    "APP-BASICAUTH": {"func-bad"},
    "APP-TRANSPORT": {"func-bad"},
    "AI-LOCALAUTH": {"appi-bad"},
    "DATA-LOCALAUTH": {"sb-bad", "redis-bad", "acr-bad"},
}


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("cloud-tls")
    ca = trustme.CA()
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    cert = ca.issue_cert("127.0.0.1")
    cert.private_key_and_cert_chain_pem.write_to_path(str(folder / "server.pem"))
    return folder / "ca.pem", folder / "server.pem"


class Cloud:
    def __init__(self, arm: str, graph: str, ca: Path, arm_switch: Switch, graph_switch: Switch):
        self.arm, self.graph, self.ca = arm, graph, ca
        self._switches = (arm_switch, graph_switch)
        self.model = CloudModel()

    def use(self, cloud_model: CloudModel) -> CloudModel:
        self.model = cloud_model
        self._switches[0].app = create_cloud_stub(cloud_model, self.arm)
        self._switches[1].app = create_cloud_stub(cloud_model, self.graph)
        return cloud_model

    def evaluate(self, **env: str) -> dict[str, RuleResult]:
        context = self.context(**env)
        run = run_rules(context, rules=[r for r in all_rules() if r.category in CLOUD])
        return {o.rule.id: o.result for o in run.outcomes}

    def context(self, **env: str) -> CheckContext:
        base = {
            "POSTURE_SUBSCRIPTION_IDS": SUB,
            "POSTURE_ARM_ENDPOINT": self.arm,
            "POSTURE_GRAPH_ENABLED": "true",
            "POSTURE_GRAPH_ENDPOINT": self.graph,
        }
        return CheckContext(
            env={**base, **env},
            credential=IssuerCredential(stub_issuer()),
            client_options={"connection_verify": str(self.ca)},
        )


CLOUD = (Category.CONTROL_PLANE, Category.ENTRA)


@pytest.fixture(scope="module")
def cloud(tls: tuple[Path, Path]) -> Iterator[Cloud]:
    ca, pem = tls
    arm_switch, graph_switch = Switch(), Switch()
    with serve(arm_switch, certfile=pem) as (arm, _), serve(graph_switch, certfile=pem) as (g, _):
        yield Cloud(arm, g, ca, arm_switch, graph_switch)


def failing_resources(result: RuleResult) -> set[str]:
    return {str(e["resource"]) for e in result.evidence}


def test_each_control_plane_rule_names_exactly_the_resources_at_fault(cloud: Cloud) -> None:
    stub = cloud.use(model())
    results = cloud.evaluate()
    for rule_id, expected in EXPECTED_CONTROL_PLANE.items():
        assert results[rule_id].status is Status.FAIL, (rule_id, results[rule_id])
        assert failing_resources(results[rule_id]) == expected, rule_id
    transport = {e["property"] for e in results["APP-TRANSPORT"].evidence}
    assert transport == {
        "httpsOnly",
        "siteConfig.minTlsVersion",
        "siteConfig.ftpsState",
        "siteConfig.remoteDebuggingEnabled",
    }
    assert {e["property"] for e in results["APP-BASICAUTH"].evidence} == {"ftp.allow"}
    graph_queries = [r for r in stub.requests if r["path"].endswith("ResourceGraph/resources")]
    assert len(graph_queries) == 6  # three rows a page: paged with $skipToken
    assert graph_queries[0]["body"]["subscriptions"] == [SUB]
    assert graph_queries[0]["query"] == {"api-version": "2021-03-01"}
    assert "microsoft.storage/storageaccounts" in graph_queries[0]["body"]["query"]
    arm_audiences = {r["audience"] for r in stub.requests if not r["path"].startswith("/v1.0")}
    assert arm_audiences == {cloud.arm}


def test_a_clean_estate_passes_and_resource_groups_narrow_the_query(cloud: Cloud) -> None:
    clean = model()
    clean.resources = [r for r in clean.resources if r["name"].endswith("good")]
    stub = cloud.use(clean)
    results = cloud.evaluate(POSTURE_RESOURCE_GROUPS="rg-app, rg-data")
    assert {k: results[k].status for k in EXPECTED_CONTROL_PLANE} == dict.fromkeys(
        EXPECTED_CONTROL_PLANE, Status.PASS
    )
    query = next(r for r in stub.requests if r["body"])["body"]["query"]
    assert "resourceGroup in~ ('rg-app', 'rg-data')" in query


def test_entra_rules_on_apps_service_principals_and_the_tenant_policy(cloud: Cloud) -> None:
    stub = cloud.use(model())
    results = cloud.evaluate()
    secrets = results["ENT-APP-SECRETS"]
    assert secrets.status is Status.FAIL
    assert {e["owner"] for e in secrets.evidence} == {"app-pw", "app-expiring"}
    expiry = results["ENT-CRED-EXPIRY"]
    assert expiry.status is Status.FAIL
    problems = {e["owner"]: e["problem"] for e in expiry.evidence}
    assert problems == {"app-expiring": "expires in 10 days", "sp-pw": "expired"}
    assert results["ENT-APP-POLICY"].status is Status.FAIL
    assert "disabled" in results["ENT-APP-POLICY"].message
    collections = [r for r in stub.requests if r["path"] == "/v1.0/servicePrincipals"]
    assert len(collections) == 2  # two objects a page: followed @odata.nextLink
    assert "passwordCredentials" in collections[0]["query"]["$select"]
    graph_audiences = {r["audience"] for r in stub.requests if r["path"].startswith("/v1.0")}
    assert graph_audiences == {cloud.graph}


@pytest.mark.slow
def test_policy_lifetime_and_restrictions(cloud: Cloud) -> None:
    strict = model()
    lifetime = {"restrictionType": "passwordLifetime", "maxLifetime": "P90D",
                "restrictForAppsCreatedAfterDateTime": None}  # fmt: skip
    others = [
        {"restrictionType": kind, "maxLifetime": "P90D" if "Lifetime" in kind else None}
        for kind in (
            "passwordAddition",
            "customPasswordAddition",
            "symmetricKeyAddition",
            "symmetricKeyLifetime",
            "asymmetricKeyLifetime",
        )
    ]
    strict.policy = tenant_policy(enabled=True, restrictions=[lifetime, *others])
    strict.applications.append(entra_app("app-long", [password_credential(200, lifetime_days=400)]))
    cloud.use(strict)
    results = cloud.evaluate()
    assert results["ENT-APP-POLICY"].status is Status.PASS
    problems = {e["owner"]: e["problem"] for e in results["ENT-CRED-EXPIRY"].evidence}
    assert problems["app-long"] == "lives longer than the policy allows"
    assert problems["app-pw"] == "lives longer than the policy allows"  # 180 > 90 days
    # The four restrictions are all required: one switched off fails the rule, naming it.
    blocked = {"restrictionType": "passwordAddition", "maxLifetime": None, "state": "disabled"}
    strict.policy = tenant_policy(enabled=True, restrictions=[lifetime, blocked, *others[1:]])
    results = cloud.evaluate()
    assert results["ENT-APP-POLICY"].status is Status.FAIL
    assert "application passwordAddition" in results["ENT-APP-POLICY"].message
    assert "symmetricKeyLifetime" not in results["ENT-APP-POLICY"].message
    # A restriction limited to apps created after a future date restricts nothing yet.
    later = (NOW + timedelta(days=30)).isoformat()
    future = {**blocked, "state": "enabled", "restrictForAppsCreatedAfterDateTime": later}
    strict.policy = tenant_policy(enabled=True, restrictions=[lifetime, future, *others[1:]])
    results = cloud.evaluate()
    assert results["ENT-APP-POLICY"].status is Status.FAIL
    assert "application passwordAddition" in results["ENT-APP-POLICY"].message
    # A custom policy replaces the default for its apps: it must restrict as much.
    strict.policy = tenant_policy(enabled=True, restrictions=[lifetime, *others])
    strict.custom_policies = [
        {"id": "c1", "displayName": "legacy-apps", "isEnabled": True,
         "restrictions": {"passwordCredentials": [lifetime], "keyCredentials": []}}
    ]  # fmt: skip
    results = cloud.evaluate()
    assert results["ENT-APP-POLICY"].status is Status.FAIL
    assert "custom policy legacy-apps: passwordAddition" in results["ENT-APP-POLICY"].message


def test_no_credential_hint_reaches_the_report(cloud: Cloud) -> None:
    cloud.use(model())
    context = cloud.context()
    report = build_report(run_rules(context), context)
    text = json.dumps(report)
    assert f'"{HINT}"' not in text
    assert "hint" not in text


def test_refusals_are_errors_that_name_the_status_and_leave_other_rules_alone(
    cloud: Cloud,
) -> None:
    refused = model()
    refused.arm_failure = (403, "AuthorizationFailed")
    refused.graph_failure = (403, "Authorization_RequestDenied")
    cloud.use(refused)
    context = cloud.context(
        AzureWebJobsStorage__blobServiceUri="https://stgood.blob.core.windows.net/"
    )
    run = run_rules(context)
    by_id = {o.rule.id: o.result for o in run.outcomes}
    for rule_id in EXPECTED_CONTROL_PLANE:
        assert by_id[rule_id].status is Status.ERROR
        assert "HTTP 403 AuthorizationFailed" in by_id[rule_id].message
    for rule_id in ("ENT-APP-SECRETS", "ENT-CRED-EXPIRY", "ENT-APP-POLICY"):
        assert by_id[rule_id].status is Status.ERROR
        assert "Application.Read.All" in by_id[rule_id].message
    assert by_id["RT-CRED-FALLBACK"].status is Status.PASS


def test_without_configuration_the_cloud_rules_are_unknown_naming_the_setting(
    cloud: Cloud,
) -> None:
    stub = cloud.use(model())
    context = CheckContext(env={}, credential=IssuerCredential(stub_issuer()))
    run = run_rules(context, rules=[r for r in all_rules() if r.category in CLOUD])
    results = {o.rule.id: o.result for o in run.outcomes}
    assert results.pop("NET-PUBLIC").status is Status.SKIPPED  # a mode nobody declared
    for rule_id in (
        "ENT-PARTNER-CRED",
        "ENT-PARTNER-FIC",
        "ENT-PARTNER-OWNER",
        "KV-NO-PARTNER-KEY",
    ):  # PARTNER_AUTH defaults to key: declared, not blind
        assert results.pop(rule_id).status is Status.SKIPPED, rule_id
    assert {r.status for r in results.values()} == {Status.UNKNOWN}
    for rule_id, result in results.items():
        setting = "POSTURE_SUBSCRIPTION_IDS"
        if rule_id.startswith("ENT-"):
            setting = "POSTURE_GRAPH_ENABLED"
        elif rule_id.startswith("LOG-S"):
            setting = "POSTURE_LOG_WORKSPACE_ID"
        assert setting in result.message, rule_id
    assert stub.requests == []


def test_a_malformed_subscription_id_is_an_error_naming_the_setting(cloud: Cloud) -> None:
    cloud.use(model())
    results = cloud.evaluate(POSTURE_SUBSCRIPTION_IDS="not-a-guid")
    assert results["STG-SHAREDKEY"].status is Status.ERROR
    assert "POSTURE_SUBSCRIPTION_IDS" in results["STG-SHAREDKEY"].message


def test_secret_findings_are_labelled_key_vault_reference_or_inline(cloud: Cloud) -> None:
    from tests.support import secret_shapes as ss

    cloud.use(model())
    r = random.Random("labels")
    context = cloud.context(
        AzureWebJobsStorage__blobServiceUri="https://stgood.blob.core.windows.net/",
        WEBSITE_SITE_NAME="func-bad",
        PARTNER_TOKEN=ss.jwt_like(r),
        OTHER_TOKEN=ss.jwt_like(r),
    )
    run = run_rules(context, rules=[r for r in all_rules() if r.id == "RT-ENV-SECRETS"])
    sources = {e["setting"]: e["source"] for e in run.outcomes[0].result.evidence}
    assert sources == {"PARTNER_TOKEN": "key-vault-reference", "OTHER_TOKEN": "inline"}
