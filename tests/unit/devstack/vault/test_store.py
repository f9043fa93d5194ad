"""The devstack vault's store: persistence, the current value, epoch seconds."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devstack.vault.store import VaultStore
from tests.unit.devstack.vault.vaulthttp import (
    T0,
    value,
)


def test_state_survives_a_new_store_on_the_same_path(tmp_path: Path) -> None:
    path = tmp_path / "vault" / "secrets.json"
    first, kept = VaultStore(path), value()
    version = first.set_secret("kept", kept, content_type="text/plain", tags={"k": "v"})
    first.set_secret("gone", value())
    first.delete("gone")
    first.backdate("kept", days=200)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert list(path.parent.iterdir()) == [path]  # no temp files left behind

    second = VaultStore(path)
    assert second.current_value("kept") == kept
    assert second.get_version("kept", version) == first.get_version("kept", version)
    assert second.get_deleted("gone") == first.get_deleted("gone")
    assert [s.name for s in second.list_latest()] == ["kept"]


def test_an_unreadable_state_file_is_named_without_its_content(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    leaked = value()
    path.write_text(json.dumps({"secrets": [{"name": "x", "value": leaked}]}))
    with pytest.raises(ValueError, match="unreadable") as caught:
        VaultStore(path)
    assert leaked not in str(caught.value)


def test_current_value_is_the_latest_enabled_value(store: VaultStore) -> None:
    assert store.current_value("missing") is None
    latest = value()
    store.set_secret("key", value())
    store.set_secret("key", latest)
    assert store.current_value("KEY") == latest
    store.update_properties("key", None, {"enabled": False})
    assert store.current_value("key") is None


def test_the_store_takes_datetimes_and_stores_epoch_seconds(store: VaultStore) -> None:
    expiry = datetime(2031, 1, 2, tzinfo=UTC)
    version = store.set_secret("dated", value(), not_before=datetime(2030, 1, 1, tzinfo=UTC))
    updated = store.update_properties("dated", version, {"expires_on": expiry, "tags": {"a": "b"}})
    assert updated.not_before == int(datetime(2030, 1, 1, tzinfo=UTC).timestamp())
    assert updated.expires_on == int(expiry.timestamp())
    assert updated.updated == T0
    with pytest.raises(ValueError, match="cannot update"):
        store.update_properties("dated", None, {"value": value()})
