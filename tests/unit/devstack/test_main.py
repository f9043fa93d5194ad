"""``python -m devstack env``: shell text that survives every setting name and value.

App settings may be named ``AzureWebJobs.<function>.Disabled`` (learn.microsoft.com/
azure/azure-functions/disable-function), which no shell can export; values may hold
quotes, ``$``, backticks and newlines. The export form is checked by running it through
bash, the env(1) form by running it through env.
"""

from __future__ import annotations

import json
import subprocess

from devstack.__main__ import render_env

TRICKY = {
    "PLAIN": "value",
    "QUOTES": 'it\'s "quoted"',
    "SHELL": "$HOME `id` $(id) ; rm -rf /tmp/nothing &",
    "LINES": "one\ntwo",
    "AzureWebJobs.fn.Disabled": "true",
}


def test_export_form_round_trips_through_bash() -> None:
    text, skipped = render_env(TRICKY, "export")
    assert skipped == ["AzureWebJobs.fn.Disabled"]
    script = text + "\nenv -0"
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True, env={})
    seen = dict(item.split("=", 1) for item in out.stdout.decode().split("\0") if "=" in item)
    for name, value in TRICKY.items():
        if name != "AzureWebJobs.fn.Disabled":
            assert seen[name] == value


def test_env_form_passes_every_name_through_env() -> None:
    text, skipped = render_env(TRICKY, "env")
    assert skipped == []
    script = f"env -i {text} env -0"
    out = subprocess.run(["bash", "-c", script], capture_output=True, check=True, env={})
    seen = dict(item.split("=", 1) for item in out.stdout.decode().split("\0") if "=" in item)
    assert seen == TRICKY


def test_unquoted_output_would_break() -> None:
    """The check above can fail: naive export lines mangle these values."""
    naive = "\n".join(f"export {n}={v}" for n, v in TRICKY.items() if "." not in n)
    out = subprocess.run(
        ["bash", "-c", naive + "\nenv -0"], capture_output=True, check=False, env={}
    )
    seen = dict(item.split("=", 1) for item in out.stdout.decode().split("\0") if "=" in item)
    assert seen.get("QUOTES") != TRICKY["QUOTES"]


def test_json_form() -> None:
    text, _ = render_env(TRICKY, "json")
    assert json.loads(text) == TRICKY
