"""The Bicep dump is reused only for the inputs it was made from (tests/infra/conftest.py)."""

from __future__ import annotations

from pathlib import Path

from tests.infra.conftest import DUMP_SCRIPT, INFRA, digest_of, dump_inputs, dump_key


def test_the_key_covers_the_script_the_pins_and_every_bicep_file() -> None:
    inputs = set(dump_inputs())
    assert DUMP_SCRIPT in inputs
    assert set(INFRA.rglob("*.bicep")) <= inputs
    assert dump_key() == dump_key()


def test_a_changed_byte_or_a_renamed_file_changes_the_digest(tmp_path: Path) -> None:
    first, second = tmp_path / "a.bicep", tmp_path / "b.bicep"
    first.write_text("param a string\n")
    second.write_text("param b string\n")
    before = digest_of([first, second], tmp_path)
    second.write_text("param b int\n")
    changed = digest_of([first, second], tmp_path)
    renamed = tmp_path / "c.bicep"
    second.rename(renamed)
    assert len({before, changed, digest_of([first, renamed], tmp_path)}) == 3
