"""Reports in Blob Storage: ``<yyyy>/<mm>/<dd>/<HHMMSS>.json`` per run plus ``latest.json``.

Each dated blob carries its summary counts as blob metadata, so the history (a trend
of counts over N days) is one listing per day with ``include=metadata``: no report is
downloaded to draw the trend. The container (``posture``) is created by the
deployment; the app only reads and writes blobs in it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:  # the Storage SDK is imported on first use, not when the app is indexed
    from azure.storage.blob import ContainerClient

LATEST: Final = "latest.json"
MAX_HISTORY_DAYS: Final = 90


def blob_name(generated_at: datetime) -> str:
    """The dated name of a report generated at ``generated_at`` (UTC)."""
    return generated_at.astimezone(UTC).strftime("%Y/%m/%d/%H%M%S.json")


def _metadata(report: dict[str, Any]) -> dict[str, str]:
    summary = report["summary"]
    counts = {f"status_{k}": str(v) for k, v in summary["by_status"].items()}
    failed = {f"failed_{k}": str(v) for k, v in summary["failed"].items()}
    return {"generated_at": report["generated_at"], **counts, **failed}


def _from_metadata(name: str, metadata: dict[str, str]) -> dict[str, Any]:
    def counts(prefix: str) -> dict[str, int]:
        return {
            key.removeprefix(prefix): int(value)
            for key, value in metadata.items()
            if key.startswith(prefix) and value.isdigit()
        }

    return {
        "generated_at": metadata.get("generated_at"),
        "report": name,
        "by_status": counts("status_"),
        "failed": counts("failed_"),
    }


class ReportStore:
    """Saves and reads posture reports in one container (the caller owns the client)."""

    def __init__(self, container: ContainerClient) -> None:
        self._container = container

    def save(self, report: dict[str, Any]) -> str:
        """Write the dated report and ``latest.json``; return the dated blob's name."""
        from azure.storage.blob import ContentSettings

        name = blob_name(datetime.fromisoformat(report["generated_at"]))
        body = json.dumps(report, separators=(",", ":")).encode("utf-8")
        metadata = _metadata(report)
        for target in (name, LATEST):
            self._container.upload_blob(
                target,
                body,
                overwrite=True,
                content_settings=ContentSettings(content_type="application/json"),
                metadata=metadata,
            )
        return name

    def latest(self) -> dict[str, Any] | None:
        """The most recent report, or None before the first run."""
        from azure.core.exceptions import ResourceNotFoundError

        try:
            raw = self._container.download_blob(LATEST).readall()
        except ResourceNotFoundError:
            return None
        report: dict[str, Any] = json.loads(raw)
        return report

    def history(self, *, days: int, now: datetime | None = None) -> list[dict[str, Any]]:
        """Summary counts of the reports of the last ``days`` days (today too), oldest first."""
        if not 1 <= days <= MAX_HISTORY_DAYS:
            raise ValueError(f"days must be 1 to {MAX_HISTORY_DAYS}")
        today = (now or datetime.now(UTC)).astimezone(UTC).date()
        entries: list[dict[str, Any]] = []
        for offset in range(days - 1, -1, -1):
            prefix = (today - timedelta(days=offset)).strftime("%Y/%m/%d/")
            for blob in self._container.list_blobs(name_starts_with=prefix, include=["metadata"]):
                entries.append(_from_metadata(blob.name, dict(blob.metadata or {})))
        return sorted(entries, key=lambda e: e["report"])
