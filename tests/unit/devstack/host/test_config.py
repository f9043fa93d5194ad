"""host.json parsing, its app-setting overrides, and timer schedules."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from devstack.host.config import HostConfigError, load_host_config, parse_timespan
from devstack.host.timers import ScheduleError, next_occurrence, resolve_schedule
from devstack.runner import ROOT


def test_timespans() -> None:
    assert parse_timespan("00:00:02") == 2
    assert parse_timespan("00:01:00") == 60
    assert parse_timespan("1.00:00:00") == 86400
    assert parse_timespan("00:00:00.500") == pytest.approx(0.5)
    with pytest.raises(HostConfigError):
        parse_timespan("2s")


def test_project_host_json(tmp_path: Path) -> None:
    config = load_host_config(ROOT, environ={})
    assert config.route_prefix == "api"
    assert config.queues.max_dequeue_count == 5
    assert config.queues.message_encoding == "base64"
    assert config.queues.max_polling_interval == 2


def test_defaults_and_overrides(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0"}))
    defaults = load_host_config(tmp_path, environ={})
    assert defaults.route_prefix == "api"
    assert defaults.queues.batch_size == 16
    assert defaults.queues.new_batch_threshold == 8
    assert defaults.queues.max_polling_interval == 60
    overridden = load_host_config(
        tmp_path,
        environ={
            "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "2",
            "AzureFunctionsJobHost__extensions__http__routePrefix": "v1",
        },
    )
    assert overridden.queues.max_dequeue_count == 2
    assert overridden.route_prefix == "v1"


@pytest.mark.parametrize(
    "document",
    [
        {"extensions": {}},
        {"version": "2.0", "extensions": {"queues": {"batchSize": 64}}},
        {"version": "2.0", "extensions": {"queues": {"messageEncoding": "utf16"}}},
    ],
)
def test_host_json_the_host_refuses(tmp_path: Path, document: dict[str, object]) -> None:
    (tmp_path / "host.json").write_text(json.dumps(document))
    with pytest.raises(HostConfigError):
        load_host_config(tmp_path, environ={})


def test_schedule_from_app_setting() -> None:
    assert resolve_schedule("%S%", {"S": "*/5 * * * * *"}) == "*/5 * * * * *"
    with pytest.raises(ScheduleError, match="'S'"):
        resolve_schedule("%S%", {})
    with pytest.raises(ScheduleError, match="six"):
        resolve_schedule("* * * *", {})


def test_ncrontab_seconds_field_comes_first() -> None:
    start = dt.datetime(2026, 1, 1, 0, 0, 1, tzinfo=dt.UTC)
    assert next_occurrence("*/5 * * * * *", start) == start.replace(second=5)
    assert next_occurrence("0 0 */6 * * *", start) == start.replace(hour=6, second=0)
