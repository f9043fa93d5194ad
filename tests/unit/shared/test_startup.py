"""shared.startup: the one call function_app.py makes before anything else."""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.appenv import build_app_env, load_local_settings
from devstack.runner import ROOT
from shared import redaction, startup
from shared.settings import SettingsError, UnsafeEnvironmentError, get_settings, load_settings


@pytest.fixture
def clean_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The sample settings, and nothing else, in the environment (the start-up check reads
    every variable); no cached settings, no redaction installed."""
    values: dict[str, str] = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    for name in list(os.environ):
        if name not in ("PATH", "HOME"):
            monkeypatch.delenv(name)
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    redaction.uninstall_log_redaction()
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()
    redaction.uninstall_descriptor_redaction()
    redaction.uninstall_output_redaction()
    redaction.uninstall_log_redaction()


def _redacting(logger: logging.Logger) -> bool:
    return any(isinstance(f, redaction.RedactingFilter) for f in logger.filters)


def test_start_installs_redaction_and_validates_the_settings(clean_start: dict[str, str]) -> None:
    assert not _redacting(logging.getLogger())
    startup.start()
    assert _redacting(logging.getLogger())
    assert isinstance(sys.stdout, redaction.RedactingStream)
    assert isinstance(sys.stderr, redaction.RedactingStream)
    assert redaction.descriptor_redaction_installed()
    assert get_settings() == load_settings(clean_start)


def test_a_bad_setting_stops_start_up_after_redaction_is_in_place(
    clean_start: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEY_VAULT_URI")
    with pytest.raises(SettingsError) as raised:
        startup.start()
    assert raised.value.setting == "KEY_VAULT_URI"
    assert _redacting(logging.getLogger()), "redaction must be installed before validation"


def test_a_credential_variable_anywhere_stops_start_up_naming_it(
    clean_start: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    value = secrets.token_urlsafe(24)
    monkeypatch.setenv("AZURE_CLIENT_SECRET", value)
    with pytest.raises(UnsafeEnvironmentError) as raised:
        startup.start()
    assert raised.value.setting == "AZURE_CLIENT_SECRET"
    assert value not in str(raised.value)
    assert _redacting(logging.getLogger()), "redaction must be installed before the check"


@pytest.mark.parametrize("name", ["PARTNER_API_KEY", "DB_PASSWORD", "JWT_SECRET"])
def test_a_credential_by_name_stops_start_up_naming_it(
    clean_start: dict[str, str], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """No shape knows ``pk_…`` or a random password; the name does."""
    value = "pk_" + secrets.token_hex(16)
    monkeypatch.setenv(name, value)
    with pytest.raises(UnsafeEnvironmentError) as raised:
        startup.start()
    assert raised.value.setting == name
    assert "a name that marks a secret" in str(raised.value)
    assert value not in str(raised.value)


def test_the_app_refuses_a_secret_in_local_settings_as_the_devstack_passes_them(
    tmp_path: Path,
) -> None:
    """local.settings.json -> the devstack's app environment -> the function app's import:
    one line naming the variable and its kind, no value, a non-zero exit."""
    value = secrets.token_urlsafe(24)
    document = json.loads((ROOT / "local.settings.sample.json").read_text())
    document["Values"]["AZURE_PASSWORD"] = value
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps(document))
    env = build_app_env(
        load_local_settings(settings),
        port_map={},
        identity_endpoint="http://127.0.0.1:1/msi/token",
        identity_header=secrets.token_urlsafe(32),
        ca_bundle=tmp_path / "ca.pem",
    )
    env["PYTHONPATH"] = str(ROOT)
    result = subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert "AZURE_PASSWORD" in last
    assert "credential variable" in last
    assert value not in result.stderr + result.stdout


@pytest.mark.parametrize(
    ("hosted", "partner_auth", "rotates"),
    [
        ("all", "key", True),
        ("all", "entra", False),  # no key: nothing to rotate
        ("rotation", "key", True),
        ("api", "key", False),
        ("api", "entra", False),
    ],
)
def test_the_rotation_is_hosted_only_where_there_is_a_key_to_rotate(
    clean_start: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    hosted: str,
    partner_auth: str,
    rotates: bool,
) -> None:
    monkeypatch.setenv("PARTNER_AUTH", partner_auth)
    get_settings.cache_clear()
    assert startup.rotates(hosted) is rotates


def test_an_entra_app_indexes_no_rotation_function(clean_start: dict[str, str]) -> None:
    env = {**clean_start, "PARTNER_AUTH": "entra", "PATH": os.environ["PATH"]}
    del env["KEY_VAULT_URI"]  # entra needs no vault
    code = (
        "import json, function_app; "
        "print(json.dumps(sorted(f.get_function_name() for f in function_app.app.get_functions())))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    names = json.loads(proc.stdout.strip().splitlines()[-1])
    assert "submit_job" in names
    assert not [n for n in names if n.startswith("rotat")]
