"""Binding expressions: ``%setting%`` at start-up, ``{name}`` at each invocation.

``%NAME%`` is replaced by the app setting (a missing one stops that function from
indexing). ``{...}`` takes, case-insensitively, a value the trigger provides (a route or
query parameter, a queue message's ``Id`` or JSON property, a blob path's ``{name}``...),
dotted paths into JSON (``{Query.id}``, ``{order.customer}``), or a system value:
``{rand-guid}`` / ``{sys.randguid}`` (a new GUID, ``{rand-guid:N}`` for 32 digits),
``{DateTime}`` / ``{sys.utcnow}`` (UTC now as ``yyyy-MM-ddTHH-mm-ssZ``, or a .NET custom
format after a colon) and ``{sys.MethodName}``. A name nothing provides fails the
invocation, as it does in the host.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from collections.abc import Callable, Mapping
from typing import Any

_SETTING = re.compile(r"%([^%\s]+)%")
_TOKEN = re.compile(r"\{([^{}]*)\}")
_DEFAULT_DATETIME = "yyyy-MM-ddTHH-mm-ssK"


class ExpressionError(ValueError):
    """A binding expression that cannot be resolved."""


def resolve_settings(template: str, environ: Mapping[str, str]) -> str:
    """Replace every ``%NAME%`` with its app setting; a missing one is an error."""

    def setting(match: re.Match[str]) -> str:
        name = match.group(1)
        value = environ.get(name)
        if value is None:
            raise ExpressionError(f"'%{name}%' does not resolve: app setting {name!r} is not set")
        return value

    return _SETTING.sub(setting, template)


def parameter_names(template: str) -> list[str]:
    return [match.group(1) for match in _TOKEN.finditer(template)]


class BindingData:
    """The values a trigger provides to other bindings' expressions (keys case-insensitive)."""

    def __init__(self, values: Mapping[str, Any] | None = None, *, method_name: str = "") -> None:
        self._values: dict[str, Any] = {}
        self.method_name = method_name
        for key, value in (values or {}).items():
            self[key] = value

    def __setitem__(self, key: str, value: Any) -> None:
        self._values[key.lower()] = value

    def get(self, key: str) -> Any:
        return self._values.get(key.lower())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._values

    def update_from_json(self, payload: Any) -> None:
        """Add the top-level properties of a JSON object payload (what the host does)."""
        if isinstance(payload, dict):
            for key, value in payload.items():
                self[str(key)] = value


def resolve(template: str, data: BindingData, *, now: dt.datetime | None = None) -> str:
    """Resolve every ``{...}`` in ``template`` (``%...%`` is resolved at start-up)."""
    moment = now or dt.datetime.now(dt.UTC)

    def token(match: re.Match[str]) -> str:
        return _evaluate(match.group(1).strip(), data, moment)

    return _TOKEN.sub(token, template)


def _evaluate(expression: str, data: BindingData, now: dt.datetime) -> str:
    name, _, fmt = expression.partition(":")
    lowered = name.strip().lower()
    if lowered in ("rand-guid", "sys.randguid"):
        return _guid(uuid.uuid4(), fmt)
    if lowered == "sys.utcnow" or (lowered == "datetime" and "datetime" not in data):
        return dotnet_datetime(now, fmt or _DEFAULT_DATETIME)
    if lowered == "sys.methodname":
        return data.method_name
    value = _lookup(name.strip(), data)
    text = _scalar_text(value)
    if text is None:
        raise ExpressionError(
            f"Unable to resolve binding parameter '{name.strip()}': nothing the trigger "
            "provides has that name, and it is not a system expression "
            "(rand-guid, DateTime, sys.randguid, sys.utcnow)"
        )
    return text


def _lookup(path: str, data: BindingData) -> Any:
    first, *rest = path.split(".")
    value = data.get(first)
    for part in rest:
        if not isinstance(value, Mapping):
            return None
        value = next((v for k, v in value.items() if str(k).lower() == part.lower()), None)
    return value


def _scalar_text(value: Any) -> str | None:
    if value is None or isinstance(value, (Mapping, list, tuple)):
        return None
    if isinstance(value, bool):
        return "True" if value else "False"  # .NET's spelling
    if isinstance(value, dt.datetime):
        return dotnet_datetime(value, _DEFAULT_DATETIME)
    return str(value)


def _guid(value: uuid.UUID, fmt: str) -> str:
    spec = (fmt or "D").upper()
    text = str(value)
    if spec == "N":
        return value.hex
    if spec == "B":
        return "{" + text + "}"
    if spec == "P":
        return "(" + text + ")"
    return text


_DATETIME_TOKENS: tuple[tuple[str, Callable[[dt.datetime], str]], ...] = (
    ("yyyy", lambda d: f"{d.year:04d}"),
    ("yy", lambda d: f"{d.year % 100:02d}"),
    ("MM", lambda d: f"{d.month:02d}"),
    ("dd", lambda d: f"{d.day:02d}"),
    ("HH", lambda d: f"{d.hour:02d}"),
    ("hh", lambda d: f"{(d.hour % 12) or 12:02d}"),
    ("mm", lambda d: f"{d.minute:02d}"),
    ("ss", lambda d: f"{d.second:02d}"),
    ("fffffff", lambda d: f"{d.microsecond:06d}0"),
    ("ffffff", lambda d: f"{d.microsecond:06d}"),
    ("fff", lambda d: f"{d.microsecond // 1000:03d}"),
    ("ff", lambda d: f"{d.microsecond // 10000:02d}"),
    ("f", lambda d: f"{d.microsecond // 100000:01d}"),
    ("K", lambda d: "Z" if d.utcoffset() in (None, dt.timedelta(0)) else d.strftime("%z")),
    ("M", lambda d: str(d.month)),
    ("d", lambda d: str(d.day)),
    ("H", lambda d: str(d.hour)),
)


def dotnet_datetime(moment: dt.datetime, fmt: str) -> str:
    """Format ``moment`` with a .NET custom date format (the subset binding paths use)."""
    out: list[str] = []
    index = 0
    while index < len(fmt):
        char = fmt[index]
        if char in "'\"":
            end = fmt.find(char, index + 1)
            end = len(fmt) if end < 0 else end
            out.append(fmt[index + 1 : end])
            index = end + 1
            continue
        if char == "\\" and index + 1 < len(fmt):
            out.append(fmt[index + 1])
            index += 2
            continue
        for token, render in _DATETIME_TOKENS:
            if fmt.startswith(token, index):
                out.append(render(moment))
                index += len(token)
                break
        else:
            out.append(char)
            index += 1
    return "".join(out)
