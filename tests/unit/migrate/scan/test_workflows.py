"""Workflows: stored credentials, line by line; the OIDC login and comments stay quiet."""

from __future__ import annotations

from migrate.scan.workflows import scan
from migrate.tree import SourceFile

WORKFLOW = """\
permissions:
  id-token: write
jobs:
  deploy:
    steps:
      - uses: azure/login@v2
        with:
          creds: ${{ secrets.AZURE_CREDENTIALS }}
      - uses: azure/login@v2
        with:
          client-id: ${{ vars.AZURE_CLIENT_ID }}
      # publish-profile: ${{ secrets.OLD_PROFILE }}
      - uses: Azure/functions-action@v1
        with:
          publish-profile: ${{ secrets.AZURE_FUNCTIONAPP_PUBLISH_PROFILE }}
      - run: az login --service-principal -u $ID -p ${{ secrets.SP_PASSWORD }} --tenant $T
      - run: echo ${{ env.AZURE_CREDENTIALS }}
"""


def test_each_stored_credential_is_one_finding_on_its_line() -> None:
    found = {f.line: f.rule for f in scan(SourceFile(".github/workflows/d.yml", None, WORKFLOW))}  # type: ignore[arg-type]
    assert found == {
        8: "MIG-CI-AZCREDS",
        15: "MIG-CI-PUBLISHPROFILE",
        16: "MIG-CI-CLIENTSECRET",
    }
