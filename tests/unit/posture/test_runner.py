"""The runner (budgets, errors, scrubbing), the report (schema, Markdown, HTML) and the CLI."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
from azure.core.exceptions import HttpResponseError

from devstack.runner import ROOT
from posture.context import CheckContext
from posture.model import (
    Category,
    Rule,
    RuleRegistryError,
    RuleResult,
    Severity,
    Status,
    all_rules,
    get_rule,
    rule,
)
from posture.report.document import build_report, headline
from posture.report.markdown import to_markdown
from posture.report.page import to_html
from posture.report.schema import REPORT_SCHEMA
from posture.runner import failures_at_or_above, run_rules
from tests.support import secret_shapes as ss

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


def make_rule(rule_id: str, evaluate: Any, *, severity: Severity = Severity.HIGH) -> Rule:
    return Rule(
        id=rule_id,
        title=f"test rule {rule_id}",
        severity=severity,
        category=Category.RUNTIME,
        remediation="fix it",
        reads="nothing",
        permission="none",
        evaluate=evaluate,
    )


def test_every_catalogue_rule_is_registered_with_its_severity_and_metadata() -> None:
    rules = {r.id: r for r in all_rules()}
    for rule_id, severity in CATALOGUE_RUNTIME.items():
        assert rules[rule_id].severity.value == severity, rule_id
    for registered in rules.values():
        assert registered.title
        assert registered.remediation
        assert registered.reads
        assert registered.permission
        assert registered.budget > 0
        assert registered.docs == f"docs/posture.md#{registered.id.lower()}"


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


def _sample_report() -> dict[str, Any]:
    rules = [
        make_rule("T-FAIL", lambda c: RuleResult.failed("bad", [{"setting": "A<b>"}])),
        make_rule("T-PASS", lambda c: RuleResult.passed("good"), severity=Severity.CRITICAL),
        make_rule("T-SKIP", lambda c: RuleResult.skipped("n/a"), severity=Severity.MEDIUM),
        make_rule("T-ERR", lambda c: RuleResult.error("no access"), severity=Severity.LOW),
    ]
    context = CheckContext(env={"WEBSITE_SITE_NAME": "func-x"})
    return build_report(run_rules(context, rules=rules), context)


def test_report_validates_against_its_schema_and_counts_right() -> None:
    jsonschema.Draft202012Validator.check_schema(REPORT_SCHEMA)
    report = _sample_report()
    jsonschema.validate(report, REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
    summary = report["summary"]
    assert summary["total"] == 4
    assert summary["by_status"] == {"pass": 1, "fail": 1, "error": 1, "skipped": 1}
    assert summary["failed"]["high"] == 1
    assert summary["by_severity"]["critical"]["pass"] == 1
    assert report["environment"]["in_azure"] is True
    assert headline(report).startswith("posture: 1 pass, 1 fail, 1 error, 1 skipped of 4")
    broken = json.loads(json.dumps(report))
    broken["results"][0]["status"] = "maybe"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, REPORT_SCHEMA)


def test_markdown_has_a_row_per_rule_and_details_for_what_needs_work() -> None:
    text = to_markdown(_sample_report())
    rows = [line for line in text.splitlines() if line.startswith("| ") and "T-" in line]
    assert len(rows) == 4
    assert "## T-FAIL" in text
    assert "## T-ERR" in text
    assert "## T-PASS" not in text
    assert "Fix: fix it" in text


class _Table(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: set[str] = set()
        self._in_results = self._cell = False
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        if tag == "table" and ("class", "results") in attrs:
            self._in_results = True
        elif self._in_results and tag == "table":
            self._depth += 1
        elif self._in_results and not self._depth and tag == "tr":
            self.rows.append([])
        elif self._in_results and not self._depth and tag in ("td", "th"):
            self._cell = True
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self._depth:
            self._depth -= 1
        elif tag == "table":
            self._in_results = False
        elif tag in ("td", "th"):
            self._cell = False

    def handle_data(self, data: str) -> None:
        if self._cell and not self._depth:
            self.rows[-1][-1] += data


def test_html_is_one_page_with_a_table_worst_first_and_escaped() -> None:
    page = to_html(_sample_report())
    parser = _Table()
    parser.feed(page)
    assert not {"script", "link", "img", "iframe"} & parser.tags
    header, *rows = parser.rows
    assert header == ["status", "severity", "rule", "title", "result"]
    assert [row[2] for row in rows] == ["T-FAIL", "T-ERR", "T-PASS", "T-SKIP"]
    assert [row[0] for row in rows] == ["FAIL", "ERROR", "PASS", "SKIPPED"]
    assert "A<b>" not in page
    assert "A&lt;b&gt;" in page


def test_failures_at_or_above_a_threshold() -> None:
    rules = [
        make_rule("T-HIGH", lambda c: RuleResult.failed("x"), severity=Severity.HIGH),
        make_rule("T-LOW", lambda c: RuleResult.failed("x"), severity=Severity.LOW),
    ]
    run = run_rules(CheckContext(env={}), rules=rules)
    assert [o.rule.id for o in failures_at_or_above(run, Severity.CRITICAL.rank)] == []
    assert [o.rule.id for o in failures_at_or_above(run, Severity.HIGH.rank)] == ["T-HIGH"]
    assert len(failures_at_or_above(run, Severity.INFO.rank)) == 2


def _cli(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    return subprocess.run(
        [sys.executable, "-m", "posture", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_cli_gate_exits_1_on_a_failure_at_the_threshold_and_0_below_it() -> None:
    keyed = ss.storage_connection_string_planted(random.Random("cli")).text
    seeded = {"AzureWebJobsStorage": keyed}
    gate = _cli("--format", "json", "--fail-on", "high", extra_env=seeded)
    assert gate.returncode == 1, gate.stderr
    assert "RT-CONN-KEYED" in gate.stderr
    report = json.loads(gate.stdout)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert keyed not in gate.stdout + gate.stderr
    assert _cli("--fail-on", "critical", extra_env=seeded).returncode == 0
    clean = _cli("--format", "html", "--fail-on", "info")
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.startswith("<!DOCTYPE html>")


def test_cli_runs_one_rule_and_names_an_unknown_one() -> None:
    one = _cli("--format", "json", "--rule", "RT-CRED-FALLBACK")
    assert [r["id"] for r in json.loads(one.stdout)["results"]] == ["RT-CRED-FALLBACK"]
    unknown = _cli("--rule", "NOPE")
    assert unknown.returncode == 2
    assert "NOPE" in unknown.stderr
