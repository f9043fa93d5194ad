"""shared.startup: the one call function_app.py makes before anything else."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator

import pytest

from devstack.runner import ROOT
from shared import redactedoutput, redaction, startup
from shared.settings import SettingsError, get_settings, load_settings


@pytest.fixture
def clean_start(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """The sample settings in the environment; no cached settings, no redaction installed."""
    values: dict[str, str] = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    redaction.uninstall_log_redaction()
    get_settings.cache_clear()
    yield values
    get_settings.cache_clear()
    redactedoutput.uninstall_output_redaction()
    redaction.uninstall_log_redaction()


def _redacting(logger: logging.Logger) -> bool:
    return any(isinstance(f, redaction.RedactingFilter) for f in logger.filters)


def test_start_installs_redaction_and_validates_the_settings(clean_start: dict[str, str]) -> None:
    assert not _redacting(logging.getLogger())
    startup.start()
    assert _redacting(logging.getLogger())
    assert isinstance(sys.stdout, redactedoutput.RedactingStream)
    assert isinstance(sys.stderr, redactedoutput.RedactingStream)
    assert get_settings() == load_settings(clean_start)


def test_a_bad_setting_stops_start_up_after_redaction_is_in_place(
    clean_start: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("KEY_VAULT_URI")
    with pytest.raises(SettingsError) as raised:
        startup.start()
    assert raised.value.setting == "KEY_VAULT_URI"
    assert _redacting(logging.getLogger()), "redaction must be installed before validation"
