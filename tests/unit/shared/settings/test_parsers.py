"""The parsers the posture settings added: each accepts its kind and names the setting otherwise."""

from __future__ import annotations

import pytest

from shared.settings import SettingsError
from shared.settings._parsers import choice, guid, https_url_list, loopback_or_https_url, path_list


def test_guid() -> None:
    assert (
        guid("S", "3d8f2a61-5b7c-4e94-a0d3-6c1e9f2b8a04") == "3d8f2a61-5b7c-4e94-a0d3-6c1e9f2b8a04"
    )
    with pytest.raises(SettingsError, match="app setting S: must be a GUID"):
        guid("S", "log-app")


def test_path_list() -> None:
    assert path_list("S", " /api/health , /api/openapi.json,") == [
        "/api/health",
        "/api/openapi.json",
    ]
    with pytest.raises(SettingsError, match="starting with '/'"):
        path_list("S", "/api/health,api/jobs")


def test_https_url_list_drops_trailing_slashes_and_refuses_plain_http() -> None:
    assert https_url_list("S", "https://a.example/, https://b.example") == [
        "https://a.example",
        "https://b.example",
    ]
    with pytest.raises(SettingsError, match="https://"):
        https_url_list("S", "https://a.example,http://b.example")


@pytest.mark.parametrize(
    "url", ["https://func-app.azurewebsites.net/api/posture", "http://127.0.0.1:7071/api/posture"]
)
def test_loopback_or_https_accepts(url: str) -> None:
    assert loopback_or_https_url("S", url) == url


@pytest.mark.parametrize("url", ["http://func-app.example/api", "ftp://127.0.0.1/x", "127.0.0.1"])
def test_loopback_or_https_refuses(url: str) -> None:
    with pytest.raises(SettingsError, match="app setting S"):
        loopback_or_https_url("S", url)


def test_choice_is_case_insensitive_and_names_the_choices() -> None:
    parse = choice("private", "public")
    assert parse("S", "Private") == "private"
    with pytest.raises(SettingsError, match="one of private, public"):
        parse("S", "hybrid")
