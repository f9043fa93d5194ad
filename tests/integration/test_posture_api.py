"""The posture checker through the devstack host: the report API, the timer, the session stack.

The API tests get a stack of their own, so "before any run" and "a clean stack" are
exact. The timer gets another with a two-second ``POSTURE_SCHEDULE``: the schedule is
read from the app setting and reports are written by the host's process with the
app's identity. A secret without an expiry date is seeded there, so KV-SECRET-NOEXPIRY
fails: its warning is checked along with the summary line, and the partner key's value
is searched for in both.
"""

from __future__ import annotations

import contextlib
import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import jsonschema
import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import SecretClient
from azure.storage.blob import ContainerClient
from junitparser import JUnitXml

from devstack.runner import RunningStack
from devstack.tokens import IssuerCredential
from posture.model import Category, all_rules
from posture.report.schema import REPORT_SCHEMA
from posture.report.store import LATEST, blob_name
from tests.support.sarif import sarif_validator
from tests.support.stacks import Stacks
from tests.support.waiting import eventually

#: The rules that read the vault's secrets (KV-SECRET-*), as registered.
KV_RULES = tuple(r.id for r in all_rules() if r.category is Category.KEY_VAULT)


@pytest.fixture(scope="module")
def posture_stack(
    stacks: Stacks, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningStack]:
    with stacks.running(tmp_path_factory.mktemp("posture-api")) as running:
        yield running


@pytest.fixture(scope="module")
def reports(posture_stack: RunningStack) -> ContainerClient:
    return posture_stack.blob_service().get_container_client("posture")


@pytest.fixture(scope="module")
def dated_partner_key(posture_stack: RunningStack) -> str:
    """The partner key with a known expiry date (the devstack dates it; this pins it)."""
    name = str(posture_stack.endpoints["partner_secret_name"])
    vault = SecretClient(
        posture_stack.endpoints["vault"],
        IssuerCredential(posture_stack.issuer()),
        connection_verify=posture_stack.ca_bundle,
    )
    vault.update_secret_properties(name, expires_on=datetime.now(UTC) + timedelta(days=60))
    return name


def call(
    stack: RunningStack, method: str, path: str, *roles: str, **kwargs: Any
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if roles:
        headers["Authorization"] = f"Bearer {stack.caller_token(*roles)}"
    return requests.request(method, f"{stack.api}/{path}", headers=headers, timeout=60, **kwargs)


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.row_classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "tr" and classes.startswith("row-"):
            self.row_classes.append(classes)


def test_before_any_run_the_report_is_a_404(
    posture_stack: RunningStack, reports: ContainerClient
) -> None:
    with contextlib.suppress(ResourceNotFoundError):
        reports.delete_blob(LATEST)
    response = call(posture_stack, "GET", "posture", "Posture.Read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_run_on_a_clean_stack_stores_and_serves_a_report_without_critical_or_high_failures(
    posture_stack: RunningStack, reports: ContainerClient, dated_partner_key: str
) -> None:
    response = call(posture_stack, "POST", "posture/run", "Posture.Admin")
    assert response.status_code == 200, response.text
    report = response.json()
    jsonschema.validate(report, REPORT_SCHEMA, format_checker=jsonschema.FormatChecker())
    serious = [
        (r["id"], r["message"])
        for r in report["results"]
        if r["status"] == "fail" and r["severity"] in ("critical", "high")
    ]
    assert serious == []
    by_id = {r["id"]: r for r in report["results"]}
    for rule_id in ("RT-ENV-SECRETS", "RT-CONN-KEYED", "RT-CONN-TOKEN", "RT-TOKEN-IDENTITY"):
        assert by_id[rule_id]["status"] == "pass", by_id[rule_id]
    assert {by_id[k]["status"] for k in KV_RULES} == {"pass"}
    probed = {e["setting"]: e for e in by_id["RT-CONN-TOKEN"]["evidence"]}
    assert probed["KEY_VAULT_URI"]["outcome"] == "ok"
    assert probed["JobsStorage__queueServiceUri"]["audience"] == "https://storage.azure.com"
    assert all(isinstance(e["read_ms"], float) for e in probed.values())

    dated = blob_name(datetime.fromisoformat(report["generated_at"]))
    assert reports.download_blob(dated).readall() == reports.download_blob(LATEST).readall()

    latest = call(posture_stack, "GET", "posture", "Posture.Read")
    assert latest.headers["Content-Type"].startswith("application/json")
    assert latest.json() == report

    page = call(posture_stack, "GET", "posture", "Posture.Read", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    rows = _Rows()
    rows.feed(page.text)
    assert len(rows.row_classes) == len(report["results"])

    sarif = call(posture_stack, "GET", "posture", "Posture.Read", params={"format": "sarif"})
    assert sarif.headers["Content-Type"].startswith("application/sarif+json")
    sarif_validator().validate(sarif.json())
    junit = call(posture_stack, "GET", "posture", "Posture.Read", params={"format": "junit"})
    assert junit.headers["Content-Type"].startswith("application/xml")
    suites = JUnitXml.fromstring(junit.text)
    assert sum(len(list(suite)) for suite in suites) == len(report["results"])
    bad = call(posture_stack, "GET", "posture", "Posture.Read", params={"format": "pdf"})
    assert (bad.status_code, bad.json()["error"]["target"]) == (400, "format")

    history = call(posture_stack, "GET", "posture/history", "Posture.Read", params={"days": "1"})
    assert history.status_code == 200
    entries = {e["report"]: e for e in history.json()["reports"]}
    assert entries[dated]["failed"] == report["summary"]["failed"]
    assert entries[dated]["by_status"] == report["summary"]["by_status"]


def test_roles_are_required(posture_stack: RunningStack) -> None:
    assert call(posture_stack, "GET", "posture").status_code == 401
    assert call(posture_stack, "GET", "posture", "Jobs.Submit").status_code == 403
    read_only = call(posture_stack, "POST", "posture/run", "Posture.Read")
    assert read_only.status_code == 403
    assert read_only.json()["error"]["code"] == "forbidden"
    assert call(posture_stack, "GET", "posture/history", "Jobs.Admin").status_code == 403


# "?days=" is not among them: the Functions host drops query keys with an empty value, so the
# app never sees it (it answers with the default window).
@pytest.mark.parametrize("days", ["0", "91", "abc", "-1", "1.5"])
def test_history_names_days_when_it_is_not_1_to_90(posture_stack: RunningStack, days: str) -> None:
    response = call(posture_stack, "GET", "posture/history", "Posture.Read", params={"days": days})
    assert response.status_code == 400
    assert response.json()["error"]["target"] == "days"


# -- the timer and the session's stack -----------------------------------------------------

DATED = re.compile(r"\d{4}/\d{2}/\d{2}/\d{6}\.json")


@pytest.fixture(scope="module")
def timer_stack(stacks: Stacks, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with stacks.running(
        tmp_path_factory.mktemp("posture-timer"),
        app_settings={"POSTURE_SCHEDULE": "*/2 * * * * *"},
    ) as running:
        yield running


def test_timer_stores_dated_reports_and_logs_a_summary_and_one_warning_per_failure(
    timer_stack: RunningStack,
) -> None:
    credential = IssuerCredential(timer_stack.issuer())
    container = timer_stack.blob_service().get_container_client("posture")

    with timer_stack.as_app():
        SecretClient(timer_stack.endpoints["vault"], credential).set_secret(
            "undated-secret", secrets.token_urlsafe(16)
        )

    def failing_report() -> dict[str, Any] | None:
        names = sorted(b.name for b in container.list_blobs() if DATED.fullmatch(b.name))
        if not names:
            return None
        latest: dict[str, Any] = json.loads(container.download_blob(names[-1]).readall())
        fails = {r["id"] for r in latest["results"] if r["status"] == "fail"}
        return latest if "KV-SECRET-NOEXPIRY" in fails else None

    report = eventually(failing_report, timeout=60)
    jsonschema.validate(report, REPORT_SCHEMA)
    assert json.loads(container.download_blob(LATEST).readall())["kind"] == "posture-report"
    failed = [r["id"] for r in report["results"] if r["status"] == "fail"]
    assert "KV-SECRET-NOEXPIRY" in failed

    warning = "posture rule KV-SECRET-NOEXPIRY failed (high)"
    log = eventually(lambda: warning in timer_stack.log_text() and timer_stack.log_text())
    assert re.search(
        r"posture: \d+ pass, \d+ fail, \d+ error, \d+ unknown, \d+ skipped of \d+ rules "
        r"\(\d+ waived\)",
        log,
    )
    assert set(re.findall(r"posture rule (\S+) failed \(", log)) == set(failed)

    name = timer_stack.endpoints["partner_secret_name"]
    with timer_stack.as_app():
        key = SecretClient(timer_stack.endpoints["vault"], credential).get_secret(name).value
    assert key
    assert key not in log
    assert key not in json.dumps(report)


def test_a_run_on_the_session_stack_is_stored_for_the_leak_canary(stack: RunningStack) -> None:
    token = stack.caller_token("Posture.Admin")
    response = requests.post(
        f"{stack.api}/posture/run", headers={"Authorization": f"Bearer {token}"}, timeout=60
    )
    assert response.status_code == 200, response.text
    report = response.json()
    jsonschema.validate(report, REPORT_SCHEMA)
    assert report["environment"]["identity"]["source"].startswith("managed identity")
