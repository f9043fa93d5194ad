"""host.json, read the way the Functions host reads it."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$")


class HostConfigError(ValueError):
    """host.json is missing a required part or holds a value the host would reject."""


def parse_timespan(value: str) -> float:
    """Parse a .NET TimeSpan (``[d.]hh:mm:ss[.fffffff]``) into seconds."""
    match = _TIMESPAN.match(str(value).strip())
    if not match:
        raise HostConfigError(f"not a TimeSpan (expected hh:mm:ss): {value!r}")
    days, hours, minutes, seconds, fraction = match.groups()
    total = int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if fraction:
        total += int(fraction) / 10 ** len(fraction)
    return float(total)


DEFAULT_LEASE_SECONDS = 600.0  # the host's visibility timeout for a received message


@dataclass(frozen=True, slots=True)
class QueueOptions:
    """``extensions.queues`` with the Storage extension 5.x defaults."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_dequeue_count: int = 5
    visibility_timeout: float = 0.0
    max_polling_interval: float = 60.0
    message_encoding: str = "base64"
    #: How long a received message stays invisible (renewed at half of it). The host's is
    #: fixed at 10 minutes; ``DEVSTACK_QUEUE_LEASE_SECONDS`` shortens it for outage
    #: rehearsals, where a receive whose answer was lost would otherwise hide a message
    #: for the full 10 minutes.
    lease_seconds: float = DEFAULT_LEASE_SECONDS


LEASE_SETTING = "DEVSTACK_QUEUE_LEASE_SECONDS"
MIN_LEASE_SECONDS = 10.0


#: The host's default ``functionTimeout`` outside the (legacy) Consumption plan: Flex
#: Consumption, Premium, Dedicated and Core Tools.
DEFAULT_FUNCTION_TIMEOUT = 30 * 60.0
MIN_FUNCTION_TIMEOUT = 1.0


@dataclass(frozen=True, slots=True)
class HostConfig:
    route_prefix: str = "api"
    queues: QueueOptions = QueueOptions()
    #: Seconds an invocation may run; ``None`` is unbounded (``"functionTimeout": "-1"``).
    function_timeout: float | None = DEFAULT_FUNCTION_TIMEOUT
    #: True when the app has no host.json and the host's default stands in.
    default_document: bool = False


def _function_timeout(raw: Any) -> float | None:
    if raw is None:
        return DEFAULT_FUNCTION_TIMEOUT
    text = str(raw).strip()
    if text in ("-1", "-1.00:00:00"):
        return None
    seconds = parse_timespan(text)
    if seconds < MIN_FUNCTION_TIMEOUT:
        raise HostConfigError("functionTimeout must be at least 00:00:01 (or -1 for no limit)")
    return seconds


def _lease_seconds(environ: Mapping[str, str]) -> float:
    raw = environ.get(LEASE_SETTING)
    if raw is None:
        return DEFAULT_LEASE_SECONDS
    try:
        seconds = float(raw)
    except ValueError:
        seconds = -1.0
    if not MIN_LEASE_SECONDS <= seconds <= DEFAULT_LEASE_SECONDS:
        raise HostConfigError(f"{LEASE_SETTING} must be a number of seconds from 10 to 600")
    return seconds


def _queue_options(
    section: dict[str, Any], lease_seconds: float = DEFAULT_LEASE_SECONDS
) -> QueueOptions:
    batch_size = int(section.get("batchSize", 16))
    if not 1 <= batch_size <= 32:
        raise HostConfigError("extensions.queues.batchSize must be between 1 and 32")
    threshold = int(section.get("newBatchThreshold", batch_size // 2))
    encoding = str(section.get("messageEncoding", "base64")).lower()
    if encoding not in {"base64", "none"}:
        raise HostConfigError("extensions.queues.messageEncoding must be base64 or none")
    max_dequeue = int(section.get("maxDequeueCount", 5))
    if max_dequeue < 1:
        raise HostConfigError("extensions.queues.maxDequeueCount must be at least 1")
    return QueueOptions(
        batch_size=batch_size,
        new_batch_threshold=threshold,
        max_dequeue_count=max_dequeue,
        visibility_timeout=parse_timespan(str(section.get("visibilityTimeout", "00:00:00"))),
        max_polling_interval=parse_timespan(str(section.get("maxPollingInterval", "00:01:00"))),
        message_encoding=encoding,
        lease_seconds=lease_seconds,
    )


OVERRIDE_PREFIX = "AzureFunctionsJobHost__"


def _apply_overrides(document: dict[str, Any], environ: Mapping[str, str]) -> None:
    """Apply ``AzureFunctionsJobHost__a__b`` app settings over host.json, as the host does."""
    for name, value in environ.items():
        if not name.startswith(OVERRIDE_PREFIX):
            continue
        path = name[len(OVERRIDE_PREFIX) :].split("__")
        node = document
        for part in path[:-1]:
            child = next((k for k in node if k.lower() == part.lower()), part)
            node = node.setdefault(child, {})
        leaf = next((k for k in node if k.lower() == path[-1].lower()), path[-1])
        node[leaf] = value


def load_host_config(app_dir: Path, environ: Mapping[str, str] | None = None) -> HostConfig:
    """Read ``host.json`` in ``app_dir`` plus its app-setting overrides.

    Without host.json (or with an empty ``{}``) the host runs with its default,
    ``{"version": "2.0"}``; any other document must say ``"version": "2.0"``.
    """
    path = app_dir / "host.json"
    default_document = False
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        document, default_document = {}, True
    except json.JSONDecodeError as exc:
        raise HostConfigError(f"{path} is not valid JSON: {exc.msg} at line {exc.lineno}") from exc
    if not isinstance(document, dict):
        raise HostConfigError(f"{path} must hold a JSON object")
    if not document:
        document = {"version": "2.0"}
    env = os.environ if environ is None else environ
    _apply_overrides(document, env)
    if str(document.get("version")) != "2.0":
        raise HostConfigError(f'{path}: "version" must be "2.0"')
    extensions = document.get("extensions", {})
    http = extensions.get("http", {})
    return HostConfig(
        route_prefix=str(http.get("routePrefix", "api")).strip("/"),
        queues=_queue_options(extensions.get("queues", {}), _lease_seconds(env)),
        function_timeout=_function_timeout(document.get("functionTimeout")),
        default_document=default_document,
    )
