"""The posture blueprint through the devstack host: the report API and the timer.

A host of its own serves an app made of the posture blueprint alone (written to a
temporary directory), against a stack of its own, so "before any run" and "a clean
stack" are exact statements. The timer test starts a second such host whose
``POSTURE_SCHEDULE`` fires every two seconds, after seeding a secret without an
expiry date: its report and its warning must name that rule, and neither the log nor
the report may hold the partner key's value.
"""

from __future__ import annotations

import contextlib
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.keyvault.secrets import SecretClient
from azure.storage.blob import BlobServiceClient, ContainerClient

from devstack.ports import free_port
from devstack.tokens import IssuerCredential
from shared.posture.schema import REPORT_SCHEMA
from shared.posture.store import LATEST, blob_name
from tests.support.devstack import ROOT, RunningStack, eventually, start_stack, stop_process

KV_RULES = (
    "KV-SECRET-NOEXPIRY",
    "KV-SECRET-EXPIRING",
    "KV-SECRET-STALE",
    "KV-SECRET-DISABLED-IN-USE",
)


@pytest.fixture(scope="module")
def posture_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    running = start_stack(tmp_path_factory.mktemp("posture-api"))
    try:
        yield running
    finally:
        stop_process(running.process)


POSTURE_APP = """import azure.functions as func

from blueprints.posture import bp

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(bp)
"""


@dataclass
class Host:
    api: str
    log_path: Path
    process: subprocess.Popen[bytes]

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def posture_host(stack: RunningStack, work: Path, **settings: str) -> Iterator[Host]:
    """The devstack host serving the posture blueprint with the stack's app settings."""
    app_dir = work / "app"
    app_dir.mkdir(parents=True)
    (app_dir / "function_app.py").write_text(POSTURE_APP)
    (app_dir / "host.json").write_text((ROOT / "host.json").read_text())
    port = free_port()
    argv = [
        sys.executable, "-m", "devstack.host", "--app-dir", str(app_dir), "--port", str(port),
        "--state-dir", str(work / "state"), "--auth-issuer", str(stack.endpoints["issuer"]),
        "--auth-audience", str(stack.endpoints["audience"]),
        "--auth-jwks-url", str(stack.endpoints["jwks"]),
    ]  # fmt: skip
    env = {**stack.app_env, **settings, "PYTHONPATH": str(ROOT)}
    log_path = work / "host.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        with contextlib.suppress(requests.ConnectionError):
            if requests.get(f"{base}/admin/host/ping", timeout=2).status_code == 200:
                break
        if process.poll() is not None or time.monotonic() > deadline:
            stop_process(process)
            raise RuntimeError("posture host did not start:\n" + log_path.read_text()[-3000:])
        time.sleep(0.2)
    try:
        yield Host(f"{base}/api", log_path, process)
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def host(posture_stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Host]:
    with posture_host(posture_stack, tmp_path_factory.mktemp("posture-host")) as running:
        yield running


@pytest.fixture(scope="module")
def reports(posture_stack: RunningStack) -> ContainerClient:
    blobs = BlobServiceClient(
        posture_stack.endpoints["blob"],
        IssuerCredential(posture_stack.issuer()),
        connection_verify=posture_stack.ca_bundle,
    )
    return blobs.get_container_client("posture")


@pytest.fixture(scope="module")
def dated_partner_key(posture_stack: RunningStack) -> str:
    """The devstack generates the partner key without an expiry date; a clean deployment has one."""
    name = str(posture_stack.endpoints["partner_secret_name"])
    vault = SecretClient(
        posture_stack.endpoints["vault"],
        IssuerCredential(posture_stack.issuer()),
        connection_verify=posture_stack.ca_bundle,
    )
    vault.update_secret_properties(name, expires_on=datetime.now(UTC) + timedelta(days=60))
    return name


def call(
    stack: RunningStack, host: Host, method: str, path: str, *roles: str, **kwargs: Any
) -> requests.Response:
    headers = dict(kwargs.pop("headers", {}))
    if roles:
        headers["Authorization"] = f"Bearer {stack.caller_token(*roles)}"
    return requests.request(method, f"{host.api}/{path}", headers=headers, timeout=60, **kwargs)


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.row_classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        classes = dict(attrs).get("class") or ""
        if tag == "tr" and classes.startswith("row-"):
            self.row_classes.append(classes)


def test_before_any_run_the_report_is_a_404(
    posture_stack: RunningStack, host: Host, reports: ContainerClient
) -> None:
    with contextlib.suppress(ResourceNotFoundError):
        reports.delete_blob(LATEST)
    response = call(posture_stack, host, "GET", "posture", "Posture.Read")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_run_on_a_clean_stack_stores_and_serves_a_report_without_critical_or_high_failures(
    posture_stack: RunningStack, host: Host, reports: ContainerClient, dated_partner_key: str
) -> None:
    response = call(posture_stack, host, "POST", "posture/run", "Posture.Admin")
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

    latest = call(posture_stack, host, "GET", "posture", "Posture.Read")
    assert latest.headers["Content-Type"].startswith("application/json")
    assert latest.json() == report

    page = call(
        posture_stack, host, "GET", "posture", "Posture.Read", headers={"Accept": "text/html"}
    )
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    rows = _Rows()
    rows.feed(page.text)
    assert len(rows.row_classes) == len(report["results"])

    history = call(
        posture_stack, host, "GET", "posture/history", "Posture.Read", params={"days": "1"}
    )
    assert history.status_code == 200
    entries = {e["report"]: e for e in history.json()["reports"]}
    assert entries[dated]["failed"] == report["summary"]["failed"]
    assert entries[dated]["by_status"] == report["summary"]["by_status"]


def test_roles_are_required(posture_stack: RunningStack, host: Host) -> None:
    assert call(posture_stack, host, "GET", "posture").status_code == 401
    assert call(posture_stack, host, "GET", "posture", "Jobs.Submit").status_code == 403
    read_only = call(posture_stack, host, "POST", "posture/run", "Posture.Read")
    assert read_only.status_code == 403
    assert read_only.json()["error"]["code"] == "forbidden"
    assert call(posture_stack, host, "GET", "posture/history", "Jobs.Admin").status_code == 403


@pytest.mark.parametrize("days", ["0", "91", "abc", "-1", "1.5", ""])
def test_history_names_days_when_it_is_not_1_to_90(
    posture_stack: RunningStack, host: Host, days: str
) -> None:
    response = call(
        posture_stack, host, "GET", "posture/history", "Posture.Read", params={"days": days}
    )
    assert response.status_code == 400
    assert response.json()["error"]["target"] == "days"


# -- the timer --------------------------------------------------------------------------------

DATED = re.compile(r"\d{4}/\d{2}/\d{2}/\d{6}\.json")


def test_timer_stores_dated_reports_and_logs_a_summary_and_one_warning_per_failure(
    posture_stack: RunningStack, reports: ContainerClient, tmp_path: Path
) -> None:
    credential = IssuerCredential(posture_stack.issuer())
    vault = SecretClient(
        posture_stack.endpoints["vault"], credential, connection_verify=posture_stack.ca_bundle
    )
    seeded = f"posture-timer-{uuid.uuid4().hex[:8]}"
    vault.set_secret(seeded, uuid.uuid4().hex)  # no expiry date: KV-SECRET-NOEXPIRY fails
    before = {b.name for b in reports.list_blobs()}
    try:
        with posture_host(posture_stack, tmp_path, POSTURE_SCHEDULE="*/2 * * * * *") as timer:

            def dated() -> list[str]:
                names = {b.name for b in reports.list_blobs()} - before
                return sorted(name for name in names if DATED.fullmatch(name))

            names = eventually(dated, timeout=60)
            warning = "posture rule KV-SECRET-NOEXPIRY failed (high)"
            log = eventually(lambda: warning in timer.log_text() and timer.log_text())
    finally:
        vault.begin_delete_secret(seeded).wait()
        vault.purge_deleted_secret(seeded)
    report = json.loads(reports.download_blob(names[0]).readall())
    jsonschema.validate(report, REPORT_SCHEMA)
    failed = [r["id"] for r in report["results"] if r["status"] == "fail"]
    assert failed == ["KV-SECRET-NOEXPIRY"]
    assert seeded in json.dumps(report)
    assert re.search(r"posture: \d+ pass, \d+ fail, \d+ error, \d+ skipped of \d+ rules", log)
    assert set(re.findall(r"posture rule (\S+) failed \(", log)) == set(failed)
    name = posture_stack.endpoints["partner_secret_name"]
    key = vault.get_secret(name).value
    assert key
    assert key not in log
    assert key not in json.dumps(report)
