"""posture.model and posture.runner: the registry, budgets, errors, scrubbing, shared sources."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
from azure.core.exceptions import HttpResponseError

from posture.context import CheckContext
from posture.errors import RuleRegistryError
from posture.model import (
    Category,
    RuleResult,
    Severity,
    Status,
    all_rules,
    get_rule,
    rule,
)
from posture.runner import run_rules
from tests.support import secret_shapes as ss
from tests.support.posture_reports import make_rule

CATALOGUE_RUNTIME = {
    "RT-ENV-SECRETS": "critical",
    "RT-CRED-FALLBACK": "high",
    "RT-CRED-PINNED": "medium",
    "RT-CONN-KEYED": "high",
    "RT-CONN-TOKEN": "high",
    "RT-TOKEN-IDENTITY": "medium",
    "RT-AI-AUTH": "medium",
    "RT-SAS-CLASSIFY": "high",
}


def test_every_catalogue_rule_is_registered_with_its_severity_and_metadata() -> None:
    rules = {r.id: r for r in all_rules()}
    for rule_id, severity in CATALOGUE_RUNTIME.items():
        assert rules[rule_id].severity.value == severity, rule_id
    for registered in rules.values():
        assert registered.title
        assert registered.remediation
        assert registered.reads
        assert registered.permission
        assert registered.time_budget == (registered.budget or registered.category.budget)
        assert registered.docs.startswith("https://learn.microsoft.com/"), registered.id


def test_registering_an_id_twice_is_refused_and_unknown_ids_are_named() -> None:
    with pytest.raises(RuleRegistryError, match="RT-ENV-SECRETS"):
        rule(
            "RT-ENV-SECRETS",
            title="t",
            severity=Severity.LOW,
            category=Category.RUNTIME,
            remediation="r",
            reads="r",
            permission="p",
        )(lambda context: RuleResult.passed("x"))
    with pytest.raises(RuleRegistryError, match="NO-SUCH"):
        get_rule("NO-SUCH")


def test_a_raising_rule_is_an_error_without_the_exception_text() -> None:
    secret = ss.entra_client_secret(random.Random("raise"))

    def boom(context: CheckContext) -> RuleResult:
        raise RuntimeError(f"leaked {secret}")

    def throttled(context: CheckContext) -> RuleResult:
        raise HttpResponseError(message=f"body {secret}", response=None)

    ok = make_rule("T-OK", lambda context: RuleResult.passed("fine"))
    run = run_rules(
        CheckContext(env={}),
        rules=[make_rule("T-BOOM", boom), make_rule("T-HTTP", throttled), ok],
    )
    statuses = {o.rule.id: o.result for o in run.outcomes}
    assert statuses["T-BOOM"].status is Status.ERROR
    assert statuses["T-BOOM"].message == "could not evaluate (RuntimeError)"
    assert statuses["T-HTTP"].status is Status.ERROR
    assert secret not in statuses["T-HTTP"].message
    assert statuses["T-OK"].status is Status.PASS


def test_a_rule_over_budget_is_an_error_and_does_not_hold_up_the_run() -> None:
    release = threading.Event()

    def hangs(context: CheckContext) -> RuleResult:
        release.wait(30)
        return RuleResult.passed("too late")

    started = time.monotonic()
    run = run_rules(
        CheckContext(env={}),
        rules=[make_rule("T-HANG", hangs), make_rule("T-OK", lambda c: RuleResult.passed("ok"))],
        budgets={"T-HANG": 0.3},
    )
    release.set()
    assert time.monotonic() - started < 5
    outcome = {o.rule.id: o for o in run.outcomes}
    assert outcome["T-HANG"].result.status is Status.ERROR
    assert "time budget of 0.3 s" in outcome["T-HANG"].result.message
    assert outcome["T-OK"].result.status is Status.PASS


def test_evidence_and_messages_are_scrubbed_by_the_runner() -> None:
    key = ss.identifiable_storage_key(random.Random("scrub"))

    def careless(context: CheckContext) -> RuleResult:
        return RuleResult.failed(f"found {key}", [{"setting": "X", "value": key, "n": 3}])

    (outcome,) = run_rules(CheckContext(env={}), rules=[make_rule("T-LEAK", careless)]).outcomes
    assert key not in outcome.result.message
    assert key not in json.dumps(dict(outcome.result.evidence[0]))
    assert outcome.result.evidence[0]["n"] == 3


def test_shared_sources_are_built_once_and_share_their_error() -> None:
    context = CheckContext(env={})
    calls: list[int] = []

    def build() -> int:
        calls.append(1)
        time.sleep(0.05)
        raise ValueError("source down")

    def uses(context: CheckContext) -> RuleResult:
        context.memo("source", build)
        return RuleResult.passed("unreachable")

    run = run_rules(context, rules=[make_rule(f"T-{i}", uses) for i in range(5)])
    assert len(calls) == 1
    assert all(o.result.status is Status.ERROR for o in run.outcomes)
