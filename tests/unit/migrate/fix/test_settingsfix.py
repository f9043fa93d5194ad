"""Settings files: connections become identity settings, secrets are emptied, the layout is kept
and the result is strict JSON (the local stack reads it with json.loads)."""

from __future__ import annotations

import json
from pathlib import Path

from migrate.fix import settingsfix
from migrate.fix.report import FixReport


def run(tmp_path: Path, text: str, needs: settingsfix.Needs, blank: set[str] | None = None) -> str:
    path = tmp_path / "local.settings.json"
    path.write_text(text)
    report = FixReport(tmp_path, tmp_path)
    settingsfix.fix_file(path, "local.settings.json", needs, blank or set(), report, client_id=None)
    return path.read_text()


def test_a_connection_string_line_becomes_its_identity_lines_in_place(tmp_path: Path) -> None:
    needs = settingsfix.Needs()
    needs.add("AzureWebJobsStorage", "storage", None)
    needs.add("Orders", "servicebus", "trigger")
    text = (
        '{\n  "IsEncrypted": false,\n  "Values": {\n'
        '    "AzureWebJobsStorage": "UseDevelopmentStorage=true",\n'
        '    "Orders": "Endpoint=sb://shop.servicebus.windows.net/;SharedAccessKeyName=x",\n'
        '    "ALERT_HOOK": "https://hooks.example.net/alerts"\n  }\n}\n'
    )
    out = run(tmp_path, text, needs, {"ALERT_HOOK"})
    values = json.loads(out)["Values"]
    assert values == {
        "AzureWebJobsStorage__blobServiceUri": "https://127.0.0.1:10000/devstoreaccount1",
        "AzureWebJobsStorage__queueServiceUri": "https://127.0.0.1:10001/devstoreaccount1",
        "AzureWebJobsStorage__tableServiceUri": "https://127.0.0.1:10002/devstoreaccount1",
        "Orders__fullyQualifiedNamespace": "shop.servicebus.windows.net",
        "ALERT_HOOK": "",
    }
    assert out.splitlines()[:3] == text.splitlines()[:3]


def test_settings_the_app_needs_are_appended_after_the_last_one(tmp_path: Path) -> None:
    needs = settingsfix.Needs()
    needs.add("Uploads", "storage-blob", "trigger")
    out = run(tmp_path, '{"Values": {\n  "FUNCTIONS_WORKER_RUNTIME": "python"\n}}\n', needs)
    assert list(json.loads(out)["Values"]) == [
        "FUNCTIONS_WORKER_RUNTIME",
        "Uploads__blobServiceUri",
        "Uploads__queueServiceUri",
    ]


def test_a_file_not_laid_out_one_setting_per_line_is_written_whole(tmp_path: Path) -> None:
    needs = settingsfix.Needs()
    needs.add("AzureWebJobsStorage", "storage", None)
    out = run(tmp_path, '{"Values": {"AzureWebJobsStorage": "", "A": "b"}}', needs)
    assert json.loads(out)["Values"]["A"] == "b"
    assert "AzureWebJobsStorage" not in json.loads(out)["Values"]


def test_an_export_keeps_its_shape(tmp_path: Path) -> None:
    needs = settingsfix.Needs()
    needs.add("AzureWebJobsStorage", "storage", None)
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps([{"name": "AzureWebJobsStorage", "value": "", "slotSetting": False}])
    )
    settingsfix.fix_file(
        path, "settings.json", needs, set(), FixReport(tmp_path, tmp_path), client_id="c"
    )
    items = json.loads(path.read_text())
    assert {i["name"] for i in items} >= {
        "AzureWebJobsStorage__blobServiceUri",
        "AzureWebJobsStorage__clientId",
        "AZURE_CLIENT_ID",
    }
    assert all(set(i) == {"name", "value", "slotSetting"} for i in items)
