"""devstack.files: the one writer of files only their owner may read."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from devstack.files import write_private, write_private_json


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_file_is_owner_only_and_leaves_no_temporary_behind(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "key.pem"
    write_private(target, b"first")
    assert target.read_bytes() == b"first"
    assert mode(target) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["key.pem"]


def test_an_existing_readable_file_is_replaced_by_an_owner_only_one(tmp_path: Path) -> None:
    target = tmp_path / "endpoints.json"
    target.write_text("old")
    target.chmod(0o644)
    write_private_json(target, {"api": "http://127.0.0.1:7071/api"})
    assert json.loads(target.read_text()) == {"api": "http://127.0.0.1:7071/api"}
    assert mode(target) == 0o600


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "secrets.json"
    write_private(target, b"kept")
    with pytest.raises(TypeError):
        write_private(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"kept"
    assert [p.name for p in tmp_path.iterdir()] == ["secrets.json"]
