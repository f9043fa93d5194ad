"""The banner's copy-paste commands: the submit shows its headers (``curl -si``), because
the next command needs the job id from ``Location`` (POST /api/jobs answers 202 with it,
docs/pipeline.md), and they name the venv's Python, which has the project's packages."""

from __future__ import annotations

import sys
from pathlib import Path

from devstack.banner import banner

ENDPOINTS = {
    "api": "http://127.0.0.1:7071/api",
    "host": "devstack",
    **{key: key for key in ("blob", "queue", "vault", "partner", "identity", "control")},
    "ca_bundle": "ca.pem",
}


def test_the_submit_shows_the_location_the_next_command_needs() -> None:
    lines = banner(ENDPOINTS, Path(".devstack"), 1.0).splitlines()
    submit = next(i for i, line in enumerate(lines) if '-d \'{"text"' in line)
    assert lines[submit - 1].lstrip().startswith("curl -si ")
    assert lines[submit + 1].rstrip().endswith("/api/jobs/<id from Location>")


def test_the_token_command_names_the_python_that_has_the_packages() -> None:
    text = banner(ENDPOINTS, Path("elsewhere"), 1.0)
    python = ".venv/bin/python" if "/.venv/" in sys.executable else sys.executable
    assert f"TOKEN=$({python} -m devstack --state-dir elsewhere token --role Jobs.Submit)" in text


def test_an_entra_stack_says_so_and_where_the_partner_s_tenant_is() -> None:
    tenant = {
        "url": "https://127.0.0.1:7076",
        "tenant_id": "t-1",
        "app_client_id": "c",
        "issuer": "i",
    }
    text = banner({**ENDPOINTS, "partner_auth": "entra", "tenant": tenant}, Path(".devstack"), 1.0)
    assert "no key anywhere" in text
    assert "Tenant    https://127.0.0.1:7076/t-1" in text
    assert "the key from the vault" in banner(ENDPOINTS, Path(".devstack"), 1.0)
