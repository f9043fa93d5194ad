"""The postprovision hook run offline in a copy of the project layout, as azd would run it
after provisioning, with the outputs azd hands it; for the tests of what it writes."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.infra.conftest import INFRA

POSTPROVISION_ENV = {
    "PATH": "/usr/bin:/bin",
    "AZURE_STORAGE_HOST_BLOB_ENDPOINT": "https://sthost.blob.core.windows.net/",
    "AZURE_STORAGE_HOST_QUEUE_ENDPOINT": "https://sthost.queue.core.windows.net/",
    "AZURE_STORAGE_HOST_TABLE_ENDPOINT": "https://sthost.table.core.windows.net/",
    "AZURE_STORAGE_JOBS_BLOB_ENDPOINT": "https://stjobs.blob.core.windows.net/",
    "AZURE_STORAGE_JOBS_QUEUE_ENDPOINT": "https://stjobs.queue.core.windows.net/",
    "KEY_VAULT_URI": "https://kv-example.vault.azure.net/",
    "KEY_VAULT_NAME": "kv-example",
    "PARTNER_API_URL": "https://partner.example.com/",
    "PARTNER_API_KEY_SECRET_NAME": "partner-api-key",
    "AZURE_TENANT_ID": "72f988bf-0000-4000-8000-000000000001",
    "API_CLIENT_ID": "5b0a4d3e-0000-4000-8000-000000000002",
}


def run_postprovision(tmp_path: Path, **overrides: str) -> dict[str, Any]:
    """Run the POSIX hook in a copy of the project layout, as azd would after provisioning."""
    hooks = tmp_path / "infra" / "hooks"
    hooks.mkdir(parents=True)
    script = hooks / "postprovision.sh"
    script.write_bytes((INFRA / "hooks" / "postprovision.sh").read_bytes())
    proc = subprocess.run(
        ["sh", str(script)],
        env={**POSTPROVISION_ENV, **overrides},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    written: dict[str, Any] = json.loads((tmp_path / "local.settings.json").read_text())
    written["__stdout__"] = proc.stdout
    return written
