"""host.json: functionTimeout and the default document.

Sources: host.json reference (learn.microsoft.com/azure/azure-functions/functions-host-json,
"functionTimeout": default 30 minutes outside the Consumption plan, -1 unbounded where
allowed) and azure-functions-host ScriptJobHostOptionsSetup (minimum 00:00:01) and
HostJsonFileConfigurationSource (no file or an empty one: {"version": "2.0"}).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from devstack.host.config import HostConfigError, load_host_config


def write(tmp_path: Path, document: object) -> Path:
    (tmp_path / "host.json").write_text(json.dumps(document))
    return tmp_path


def test_function_timeout(tmp_path: Path) -> None:
    assert load_host_config(write(tmp_path, {"version": "2.0"}), {}).function_timeout == 1800
    doc = {"version": "2.0", "functionTimeout": "00:00:02"}
    assert load_host_config(write(tmp_path, doc), {}).function_timeout == 2
    doc["functionTimeout"] = "-1"
    assert load_host_config(write(tmp_path, doc), {}).function_timeout is None
    override = {"AzureFunctionsJobHost__functionTimeout": "00:01:00"}
    assert load_host_config(write(tmp_path, {"version": "2.0"}), override).function_timeout == 60
    for bad in ("00:00:00.5", "soon"):
        doc["functionTimeout"] = bad
        with pytest.raises(HostConfigError):
            load_host_config(write(tmp_path, doc), {})


def test_missing_or_empty_host_json_is_the_default(tmp_path: Path) -> None:
    missing = load_host_config(tmp_path, {})
    assert missing.default_document
    assert missing.route_prefix == "api"
    empty = load_host_config(write(tmp_path, {}), {})
    assert not empty.default_document
    assert empty.queues.max_dequeue_count == 5
    with pytest.raises(HostConfigError, match="version"):
        load_host_config(write(tmp_path, {"extensions": {}}), {})
