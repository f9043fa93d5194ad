"""Workflows: the result is still YAML, logs in with OIDC, and holds no stored credential."""

from __future__ import annotations

from pathlib import Path

import yaml  # type: ignore[import-untyped]

from migrate.fix.cifix import fix_workflow
from migrate.fix.report import FixReport
from migrate.scan.workflows import scan
from migrate.tree import SourceFile

WORKFLOW = """\
name: deploy
on: [push]
jobs:
  deploy:
    runs-on: ubuntu-latest
    env:
      AZURE_CREDENTIALS: ${{ secrets.AZURE_CREDENTIALS }}
    steps:
      - uses: actions/checkout@v4
      - uses: azure/login@v2
        with:
          creds: ${{ secrets.AZURE_CREDENTIALS }}
      - name: Log in with the secret
        run: |
          az login --service-principal -u x --client-secret y --tenant t
      - uses: Azure/functions-action@v1
        with:
          app-name: app
          publish-profile: ${{ secrets.PROFILE }}
"""


def test_a_workflow_with_every_stored_credential_logs_in_with_oidc(tmp_path: Path) -> None:
    path = tmp_path / "deploy.yml"
    path.write_text(WORKFLOW)
    findings = scan(SourceFile(".github/workflows/deploy.yml", path, WORKFLOW))
    assert len(findings) == 4
    report = FixReport(tmp_path, tmp_path)
    fix_workflow(path, "deploy.yml", findings, report)
    text = path.read_text()
    document = yaml.safe_load(text)
    assert document["permissions"] == {"id-token": "write", "contents": "read"}
    steps = document["jobs"]["deploy"]["steps"]
    logins = [s for s in steps if s.get("uses") == "azure/login@v2"]
    assert logins
    assert all(set(s["with"]) == {"client-id", "tenant-id", "subscription-id"} for s in logins)
    assert "secrets." not in text
    assert "client-secret" not in text
    assert scan(SourceFile("deploy.yml", path, text)) == []
    assert (
        document["jobs"]["deploy"]["env"] is None
        or "AZURE_CREDENTIALS" not in document["jobs"]["deploy"]["env"]
    )
