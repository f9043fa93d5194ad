"""The banner printed when the stack is ready: where everything is, what to paste."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any


def banner(endpoints: dict[str, Any], state_dir: Path, elapsed: float) -> str:
    api = endpoints["api"]
    python = shlex.quote(sys.executable) if "/.venv/" not in sys.executable else ".venv/bin/python"
    state = "" if state_dir == Path(".devstack") else f"--state-dir {shlex.quote(str(state_dir))} "
    lines = [
        "",
        f"devstack is up in {elapsed:.1f}s (state in {state_dir}; Ctrl-C stops everything)",
        "",
        f"  API (function host: {endpoints['host']})  {api}",
        f"  Blob      {endpoints['blob']}",
        f"  Queue     {endpoints['queue']}",
        f"  Vault     {endpoints['vault']}",
        f"  Partner   {endpoints['partner']}{_partner_auth(endpoints)}",
        f"  Identity  {endpoints['identity']}",
        *_tenant(endpoints),
        f"  Control   {endpoints['control']}  (faults, counters, Azurite stop/start)",
        f"  CA bundle {endpoints['ca_bundle']}",
        "",
        "Try it:",
        f"  curl -s {api}/health",
        f"  TOKEN=$({python} -m devstack {state}token --role Jobs.Submit)",
        "  curl -si -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\",
        f'       -d \'{{"text": "hello secretless world"}}\' {api}/jobs   # -i shows Location',
        f'  curl -s -H "Authorization: Bearer $TOKEN" {api}/jobs/<id from Location>',
        "",
    ]
    return "\n".join(lines)


def _partner_auth(endpoints: dict[str, Any]) -> str:
    if endpoints.get("partner_auth") == "entra":
        return "  (Entra tokens from the partner's tenant; no key anywhere)"
    return "  (the key from the vault)"


def _tenant(endpoints: dict[str, Any]) -> list[str]:
    tenant = endpoints.get("tenant")
    if not isinstance(tenant, dict):
        return []
    return [f"  Tenant    {tenant['url']}/{tenant['tenant_id']}  (the partner's Entra tenant)"]
