"""Start-up mistakes end in one line naming the file or setting and the fix, with a
non-zero exit, before anything is left half-started: a soft-deleted partner key (recovered),
a damaged vault or Azurite state file, ``--host func`` without Core Tools, a missing app
setting.

Sources: Key Vault soft delete (a soft-deleted name answers 409
``ObjectIsDeletedButRecoverable`` until recovered or purged; recovery keeps value and
versions: "Azure Key Vault soft-delete overview", Microsoft Learn); Azurite keeps its state
in LokiJS JSON databases ``__azurite_db_*.json`` under ``--location`` (Azurite's README).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from devstack.partner.keys import KeyRegistry
from devstack.partnerkey import ensure_partner_key
from devstack.stack import DEFAULT_SECRET_NAME
from devstack.vault.store import VaultStore
from tests.lifecycle.stacks import Up, fixed_ports

# Each test starts `python -m devstack up` itself (the `stacks` fixture says so).
pytestmark = [pytest.mark.slow, pytest.mark.usefixtures("stacks")]


def stack_lines(up: Up) -> list[str]:
    return [line for line in up.output().splitlines() if "devstack cannot start" in line]


def test_a_soft_deleted_partner_key_is_recovered(tmp_path: Path) -> None:
    state = tmp_path / "state"
    store = VaultStore(state / "vault" / "secrets.json")
    ensure_partner_key(store, DEFAULT_SECRET_NAME, keys=KeyRegistry(None))
    value = store.current_value(DEFAULT_SECRET_NAME)
    store.delete(DEFAULT_SECRET_NAME)  # what begin_delete_secret does
    up = Up(state, fixed_ports(), ["--host", "none"]).start()
    try:
        assert f"secret '{DEFAULT_SECRET_NAME}' was soft-deleted; recovered it" in up.output()
    finally:
        assert up.interrupt() == 0
    kept = VaultStore(state / "vault" / "secrets.json")
    assert kept.current_value(DEFAULT_SECRET_NAME) == value
    assert str(value) not in up.output()


def test_a_damaged_vault_file_is_named_with_the_way_out(tmp_path: Path) -> None:
    state = tmp_path / "state"
    damaged = state / "vault" / "secrets.json"
    damaged.parent.mkdir(parents=True)
    damaged.write_text('{"format": 1, "secrets": [')
    up = Up(state, fixed_ports(), ["--host", "none"]).start(wait=False)
    assert up.finish() == 2
    assert stack_lines(up) == [
        f"[stack] devstack cannot start: vault state file {damaged} is unreadable "
        "(JSONDecodeError): move it away to start with an empty vault and a new partner key "
        f"(the secrets in it are lost), e.g. `mv {damaged} {damaged}.damaged`"
    ]
    assert "Traceback" not in up.output()


def test_a_damaged_azurite_file_is_named_with_the_way_out(tmp_path: Path) -> None:
    state = tmp_path / "state"
    location = state / "azurite"
    location.mkdir(parents=True)
    damaged = location / "__azurite_db_queue__.json"
    damaged.write_text("garbage{")
    up = Up(state, fixed_ports(), ["--host", "none"]).start(wait=False)
    assert up.finish() == 2
    assert stack_lines(up) == [
        f"[stack] devstack cannot start: Azurite's state file {damaged} is damaged (not JSON): "
        f"move {location} away to start with empty storage (its blobs, queues and tables are "
        f"lost), e.g. `mv {location} {location}.damaged`, or run with --memory"
    ]
    assert "[azurite]" not in up.output()  # refused before Azurite ran into it


def test_host_func_without_core_tools_is_refused_before_anything_starts(tmp_path: Path) -> None:
    if shutil.which("func"):
        pytest.skip("Core Tools is installed here")
    state = tmp_path / "state"
    up = Up(state, fixed_ports(), ["--memory", "--host", "func"]).start(wait=False)
    assert up.finish() == 2
    assert stack_lines(up) == [
        "[stack] devstack cannot start: --host func needs Azure Functions Core Tools (`func`) "
        "on PATH: install it, or run the devstack host (leave out --host)"
    ]
    assert "[azurite]" not in up.output()
    assert not (state / "logs" / "azurite.log").exists()
    assert not (state / "certs").exists()


def test_a_missing_setting_names_the_setting_and_where_to_set_it(tmp_path: Path) -> None:
    app = tmp_path / "app"  # the project's app, with no local.settings.json of its own
    root = Path(__file__).resolve().parents[2]
    app.mkdir()
    for name in ("function_app.py", "host.json", "local.settings.sample.json"):
        shutil.copy(root / name, app / name)
    for package in ("blueprints", "shared", "posture"):
        shutil.copytree(root / package, app / package)
    up = Up(
        tmp_path / "state",
        fixed_ports(),
        ["--memory", "--app-dir", str(app), "--app-setting", "KEY_VAULT_URI="],
    ).start(wait=False)
    assert up.finish() == 2
    [line] = stack_lines(up)
    assert line.startswith(
        "[stack] devstack cannot start: the app cannot start: app setting KEY_VAULT_URI: is not "
        "set ("
    )
    assert (
        f": set it in {app / 'local.settings.json'} (copy local.settings.sample.json, then edit "
        "Values), or for one run with --app-setting KEY_VAULT_URI=VALUE (log: "
    ) in line
    assert "Traceback" not in up.output()


def test_a_secret_name_key_vault_refuses_is_named(tmp_path: Path) -> None:
    app = tmp_path / "app"
    app.mkdir()
    settings = app / "local.settings.json"
    setting, refused = "PARTNER_API_KEY_SECRET_NAME", "bad_name"  # a name: no underscores
    settings.write_text(json.dumps({"Values": {setting: refused}}))
    up = Up(tmp_path / "state", fixed_ports(), ["--memory", "--app-dir", str(app)])
    assert up.start(wait=False).finish() == 2
    assert stack_lines(up) == [
        f"[stack] devstack cannot start: app setting {setting}={refused!r}: "
        "Secret names must be 1-127 characters of letters, digits and dashes. Correct it in "
        f"{settings}"
    ]
