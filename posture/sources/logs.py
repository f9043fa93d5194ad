"""The app's recent telemetry, read through the Logs query API, scanned where it is read.

``LogsQueryClient.query_workspace`` (azure-monitor-query) runs one Kusto query over the
workspace-based Application Insights tables (AppTraces, AppExceptions, AppDependencies,
AppRequests: the columns that carry free text) with the app's credential; Log Analytics
Reader on the workspace is enough. Every cell is run through the secret detectors as it
arrives and only findings are kept (table, column, kind, fingerprint): the rows
themselves are dropped, so no value leaves this module.

The Logs API does not page: one answer holds every row (up to its own limits), so the
query bounds itself: newest first (``order by TimeGenerated desc``), one row more than it
scans, so a bound reached is known (``truncated``) rather than mistaken for a complete
scan of an unordered sample. A partial answer (``LogsQueryPartialResult``: the service
stopped early) is scanned as far as it goes. Fingerprints are the run's keyed digests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Final

from posture.context import CheckContext
from shared.redaction.shapes import scan
from shared.settings import (
    POSTURE_LOG_LOOKBACK_HOURS,
    POSTURE_LOG_WORKSPACE_ID,
    POSTURE_LOGS_ENDPOINT,
)

MAX_ROWS: Final = 10_000
#: Table -> the text columns that can carry what the app wrote or received.
COLUMNS: Final = {
    "AppTraces": ("Message", "Properties"),
    "AppExceptions": ("OuterMessage", "InnermostMessage", "Details", "Properties"),
    "AppDependencies": ("Data", "Target", "Name", "Properties"),
    "AppRequests": ("Url", "Name", "Properties"),
}


def query() -> str:
    """One union over the four tables; dynamic columns are turned into text."""
    columns = sorted({c for cols in COLUMNS.values() for c in cols})
    projected = ", ".join(
        f"{c}=tostring({c})" if c in ("Properties", "Details") else c for c in columns
    )
    return "\n".join(
        [
            "union isfuzzy=true withsource=SourceTable " + ", ".join(COLUMNS),
            f"| project SourceTable, TimeGenerated, {projected}",
            "| order by TimeGenerated desc",
            f"| take {MAX_ROWS + 1}",
        ]
    )


@dataclass
class Finding:
    table: str
    column: str
    kind: str
    fingerprint: str
    count: int = 1


@dataclass
class LogScan:
    """What the scan found: findings by (table, column, kind, fingerprint), and how far it read."""

    fingerprint: Callable[[str], str]
    rows: int = 0
    truncated: bool = False
    partial: bool = False
    findings: dict[tuple[str, str, str, str], Finding] = field(default_factory=dict)

    def add(self, table: str, column: str, text: str) -> None:
        for hit in scan(text):
            if not hit.is_secret:
                continue
            digest = self.fingerprint(text[hit.start : hit.end])
            key = (table, column, hit.kind, digest)
            if key in self.findings:
                self.findings[key].count += 1
            else:
                self.findings[key] = Finding(table, column, hit.kind, digest)


def scan_telemetry(context: CheckContext) -> LogScan:
    """Query the workspace once per run and scan every text cell of the answer."""

    def build() -> LogScan:
        from azure.monitor.query import LogsQueryClient, LogsQueryStatus

        workspace = context.value(POSTURE_LOG_WORKSPACE_ID)
        if workspace is None:
            raise ValueError(f"{POSTURE_LOG_WORKSPACE_ID.name} is not set")
        client = LogsQueryClient(
            context.credential,
            endpoint=POSTURE_LOGS_ENDPOINT.get(context.env),
            retry_total=1,
            connection_timeout=context.network_timeout,
            read_timeout=context.network_timeout,
            **context.client_options,
        )
        hours = POSTURE_LOG_LOOKBACK_HOURS.get(context.env)
        with client:
            answer = client.query_workspace(
                workspace, query(), timespan=timedelta(hours=hours), server_timeout=30
            )
        result = LogScan(fingerprint=context.fingerprint)
        if answer.status == LogsQueryStatus.PARTIAL:
            result.partial = True
            tables = answer.partial_data
        else:
            tables = answer.tables
        for table in tables:
            names = list(table.columns)
            for row in table.rows:
                if result.rows >= MAX_ROWS:
                    result.truncated = True
                    break
                result.rows += 1
                cells = dict(zip(names, row, strict=False))
                source = str(cells.get("SourceTable") or "")
                for column in COLUMNS.get(source, ()):
                    value = cells.get(column)
                    if isinstance(value, str) and value:
                        result.add(source, column, value)
        return result

    return context.memo("log-scan", build)
