"""How a setting's text becomes its value: one parser per kind of setting.

Each parser takes the setting's name and its non-blank, stripped text, and returns the
typed value or raises :class:`SettingsError` naming the setting and the problem (never
the value). :mod:`shared.settings` gives every declared setting one of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TypeVar
from urllib.parse import urlsplit

from shared.settings.errors import SettingsError

T = TypeVar("T")
#: ``parse(name, value)``: the typed value of a non-blank setting, or :class:`SettingsError`.
Parser = Callable[[str, str], T]


def text(name: str, value: str) -> str:
    return value


def https_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise SettingsError(name, "must be an https:// URL (bearer tokens and keys need TLS)")
    if parts.username or parts.password or parts.query:
        raise SettingsError(name, "must not carry credentials or a query string")
    if parts.fragment or value.endswith("#"):
        raise SettingsError(name, "must not carry a #fragment (nothing may hide in one)")
    return value


def https_endpoint(name: str, value: str) -> str:
    """An https:// base URL without its trailing slash (paths are appended to it)."""
    return https_url(name, value).rstrip("/")


def positive_seconds(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(name, "must be a number of seconds") from None
    if number <= 0:
        raise SettingsError(name, "must be greater than zero")
    return number


def whole_number(minimum: int) -> Parser[int]:
    def parse(name: str, value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise SettingsError(name, "must be a whole number") from None
        if number < minimum:
            raise SettingsError(name, f"must be at least {minimum}")
        return number

    return parse


def ratio(name: str, value: str) -> float:
    """A share between 0 and 1 (both included)."""
    try:
        number = float(value)
    except ValueError:
        raise SettingsError(name, "must be a number between 0 and 1") from None
    if not 0 <= number <= 1:
        raise SettingsError(name, "must be between 0 and 1")
    return number


def flag(name: str, value: str) -> bool:
    return value.lower() in {"1", "true", "yes", "on"}


def header_name(name: str, value: str) -> str:
    if not value or not all(c.isalnum() or c == "-" for c in value):
        raise SettingsError(name, "must be an HTTP header name (letters, digits, '-')")
    return value


def secret_name(name: str, value: str) -> str:
    if not 1 <= len(value) <= 127 or not all(c.isalnum() or c == "-" for c in value):
        raise SettingsError(name, "must be a Key Vault secret name (1-127 letters, digits, '-')")
    return value


def _items(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


_GUID = re.compile(r"^[0-9a-fA-F]{8}(-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12}$")
_RESOURCE_GROUP = re.compile(r"^[-\w.()]{1,90}$")


def guid_list(name: str, value: str) -> list[str]:
    found = _items(value)
    if not all(_GUID.match(item) for item in found):
        raise SettingsError(name, "must be comma-separated GUIDs")
    return found


def resource_group_list(name: str, value: str) -> list[str]:
    found = _items(value)
    if not all(_RESOURCE_GROUP.match(item) for item in found):  # they go into a query
        raise SettingsError(name, "holds an invalid group name")
    return found


def guid(name: str, value: str) -> str:
    if not _GUID.match(value):
        raise SettingsError(name, "must be a GUID")
    return value


def path_list(name: str, value: str) -> list[str]:
    found = _items(value)
    if not all(item.startswith("/") and " " not in item for item in found):
        raise SettingsError(name, "must be comma-separated URL paths, each starting with '/'")
    return found


def text_list(name: str, value: str) -> list[str]:
    """Comma-separated, non-empty items (audiences, ...)."""
    found = _items(value)
    if not found:
        raise SettingsError(name, "must list at least one value, comma-separated")
    return found


def https_url_list(name: str, value: str) -> list[str]:
    return [https_endpoint(name, item) for item in _items(value)]


def issuer_list(name: str, value: str) -> list[str]:
    """Comma-separated https:// token issuers, kept exactly as written: an issuer is compared
    character for character with a token's ``iss`` (v1 issuers end with a slash)."""
    found = _items(value)
    if not found:
        raise SettingsError(name, "must list at least one https:// URL, comma-separated")
    return [https_url(name, item) for item in found]


_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


def loopback_or_https_url(name: str, value: str) -> str:
    """An https:// URL, or plain http:// to this machine only (a local host in development,
    such as the local identity endpoint that publishes the devstack's signing keys)."""
    parts = urlsplit(value)
    if parts.scheme == "http" and parts.hostname in _LOOPBACK:
        if parts.username or parts.password or parts.query or parts.fragment:
            raise SettingsError(name, "must not carry credentials, a query or a #fragment")
        return value
    return https_url(name, value)


def default_scope(name: str, value: str) -> str:
    """A client-credentials scope: the resource's identifier and ``/.default`` (an app asks for
    the application permissions it was granted, never for named delegated ones)."""
    resource = value.removesuffix("/.default")
    if resource == value or not resource or any(c.isspace() for c in value):
        raise SettingsError(name, "must be the partner API's identifier followed by /.default")
    return value


def choice(*allowed: str) -> Parser[str]:
    def parse(name: str, value: str) -> str:
        if value.lower() not in allowed:
            raise SettingsError(name, f"must be one of {', '.join(allowed)}")
        return value.lower()

    return parse
