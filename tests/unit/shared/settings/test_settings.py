"""shared.settings: declared once, validated early, never echoing a secret."""

from __future__ import annotations

import json
import random
import uuid
from typing import Any

import pytest

from devstack.runner import ROOT
from shared.settings import (
    POSTURE_ARM_ENDPOINT,
    POSTURE_GRAPH_ENABLED,
    POSTURE_GRAPH_ENDPOINT,
    POSTURE_RESOURCE_GROUPS,
    POSTURE_ROTATION_DAYS,
    POSTURE_SECRET_EXPIRY_DAYS,
    POSTURE_SUBSCRIPTION_IDS,
    Setting,
    SettingsError,
    declared_settings,
    load_settings,
)
from tests.support import secret_shapes


def sample_values() -> dict[str, str]:
    values: dict[str, str] = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    return values


def test_sample_settings_load() -> None:
    settings = load_settings(sample_values())
    assert settings.partner_api_key_secret_name == "partner-api-key"
    assert settings.secret_cache_ttl == 300
    assert settings.key_vault_uri is not None
    assert settings.key_vault_uri.startswith("https://")
    assert settings.partner_auth == "key"
    assert settings.entra is None


def test_sample_declares_exactly_the_local_settings() -> None:
    local = {s.name for s in declared_settings() if "local" in s.where}
    required = {s.name for s in declared_settings() if "local" in s.where and s.required}
    sample = set(sample_values())
    assert sample <= local, f"undeclared in shared/settings/: {sorted(sample - local)}"
    assert required <= sample, f"missing from the sample: {sorted(required - sample)}"


@pytest.mark.parametrize("name", ["KEY_VAULT_URI", "JobsStorage__queueServiceUri"])
def test_missing_setting_is_named(name: str) -> None:
    values = sample_values()
    del values[name]
    with pytest.raises(SettingsError) as error:
        load_settings(values)
    assert error.value.setting == name


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("KEY_VAULT_URI", "http://vault.example"),
        ("SECRET_CACHE_TTL_SECONDS", "soon"),
        ("SECRET_CACHE_TTL_SECONDS", "-1"),
        ("PARTNER_API_KEY_HEADER", "X Api Key"),
        ("PARTNER_API_KEY_SECRET_NAME", "bad_name!"),
        # Nothing may hide in a URL's fragment (it never reaches a server, but it reaches logs).
        ("KEY_VAULT_URI", "https://vault.example/#key"),
        ("PARTNER_API_URL", "https://partner.example/v1/#"),
        ("CALLER_TOKEN_ISSUERS", "https://login.example/t/v2.0,https://evil.example/#x"),
        ("CALLER_TOKEN_JWKS_URL", "http://keys.example/keys"),  # plain HTTP off loopback
        ("CALLER_TOKEN_JWKS_URL", "http://127.0.0.1:7072/keys#x"),
        ("CALLER_TOKEN_AUDIENCES", " , "),
        ("OUTBOX_RESEND_AFTER_SECONDS", "0"),
    ],
)
def test_malformed_setting_is_named(name: str, value: str) -> None:
    values = {**sample_values(), name: value}
    with pytest.raises(SettingsError) as error:
        load_settings(values)
    assert error.value.setting == name


@pytest.mark.parametrize(
    "make",
    [
        lambda rng: secret_shapes.storage_connection_string_planted(rng).text,
        lambda rng: secret_shapes.sas_url_planted(rng).text,
        secret_shapes.entra_client_secret,
    ],
    ids=["account-key", "sas", "client-secret"],
)
def test_secret_shaped_value_fails_without_echoing_it(make) -> None:
    secret = make(random.Random(7))
    values = {**sample_values(), "PARTNER_API_URL": secret}
    with pytest.raises(SettingsError) as error:
        load_settings(values)
    assert error.value.setting == "PARTNER_API_URL"
    assert secret not in str(error.value)
    assert secret[-12:] not in str(error.value)


def test_every_default_is_valid_for_its_own_parser() -> None:
    for spec in declared_settings():
        if spec.default is not None:
            assert spec.read({}) is not None, spec.name


def test_posture_settings_parse_to_typed_values() -> None:
    subscriptions = [str(uuid.UUID(int=n)) for n in (1, 2)]
    raw = f" {subscriptions[0]} ,{subscriptions[1]}, "
    assert POSTURE_SUBSCRIPTION_IDS.read({POSTURE_SUBSCRIPTION_IDS.name: raw}) == subscriptions
    assert POSTURE_SUBSCRIPTION_IDS.read({POSTURE_SUBSCRIPTION_IDS.name: "  "}) is None
    assert POSTURE_ARM_ENDPOINT.read({}) == "https://management.azure.com"
    graph = {POSTURE_GRAPH_ENDPOINT.name: "https://graph.example/"}
    assert POSTURE_GRAPH_ENDPOINT.read(graph) == "https://graph.example"
    assert POSTURE_GRAPH_ENABLED.read({POSTURE_GRAPH_ENABLED.name: "TRUE"}) is True
    assert POSTURE_GRAPH_ENABLED.read({}) is False
    assert POSTURE_ROTATION_DAYS.read({}) == 90


@pytest.mark.parametrize(
    ("setting", "value", "problem"),
    [
        (POSTURE_SUBSCRIPTION_IDS, "not-a-guid", "GUIDs"),
        (POSTURE_RESOURCE_GROUPS, "rg-app, rg'|x", "invalid group name"),
        (POSTURE_ARM_ENDPOINT, "http://management.azure.com", "https://"),
        (POSTURE_GRAPH_ENDPOINT, "graph.microsoft.com", "https://"),
        (POSTURE_ROTATION_DAYS, "0", "at least 1"),
        (POSTURE_SECRET_EXPIRY_DAYS, "soon", "whole number"),
    ],
)
def test_a_malformed_posture_setting_is_named_by_the_registry(
    setting: Setting[Any], value: str, problem: str
) -> None:
    with pytest.raises(SettingsError) as error:
        setting.read({setting.name: value})
    assert error.value.setting == setting.name
    assert problem in str(error.value)


# -- PARTNER_AUTH=entra (docs/partner-entra.md) -----------------------------------------------


def entra_values() -> dict[str, str]:
    """The sample, switched to entra, with no vault setting at all."""
    values = {**sample_values(), "PARTNER_AUTH": "entra"}
    del values["KEY_VAULT_URI"]
    return values


def test_entra_needs_no_vault_and_reads_the_partner_s_tenant() -> None:
    settings = load_settings(entra_values())
    assert (settings.partner_auth, settings.key_vault_uri) == ("entra", None)
    assert settings.entra is not None
    sample = sample_values()
    assert settings.entra.tenant_id == sample["PARTNER_TENANT_ID"]
    assert settings.entra.app_client_id == sample["PARTNER_APP_CLIENT_ID"]
    assert settings.entra.scope == sample["PARTNER_SCOPE"]
    assert settings.entra.authority_host == "https://127.0.0.1:7076"
    assert settings.entra.identity_client_id is None  # AZURE_CLIENT_ID: set in Azure only


def test_the_authority_defaults_to_the_public_cloud_s() -> None:
    values = entra_values()
    del values["PARTNER_AUTHORITY_HOST"]
    entra = load_settings(values).entra
    assert entra is not None
    assert entra.authority_host == "https://login.microsoftonline.com"


@pytest.mark.parametrize("name", ["PARTNER_TENANT_ID", "PARTNER_APP_CLIENT_ID", "PARTNER_SCOPE"])
def test_entra_names_each_setting_it_lacks(name: str) -> None:
    values = entra_values()
    del values[name]
    with pytest.raises(SettingsError) as error:
        load_settings(values)
    assert error.value.setting == name
    assert "PARTNER_AUTH=entra needs it" in str(error.value)
    load_settings({**values, "PARTNER_AUTH": "key", "KEY_VAULT_URI": "https://kv.example/"})


def test_the_key_still_needs_the_vault() -> None:
    values = sample_values()
    del values["KEY_VAULT_URI"]
    with pytest.raises(SettingsError) as error:
        load_settings(values)
    assert error.value.setting == "KEY_VAULT_URI"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("PARTNER_AUTH", "certificate"),
        ("PARTNER_TENANT_ID", "contoso.onmicrosoft.com"),
        ("PARTNER_APP_CLIENT_ID", "not-a-guid"),
        ("PARTNER_SCOPE", "api://partner-analysis/Analysis.Read"),
        ("PARTNER_SCOPE", "/.default"),
        ("PARTNER_SCOPE", "api://partner analysis/.default"),
        ("PARTNER_AUTHORITY_HOST", "http://login.microsoftonline.com"),
    ],
)
def test_a_malformed_entra_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(SettingsError) as error:
        load_settings({**entra_values(), name: value})
    assert error.value.setting == name


def test_a_declared_setting_is_read_only() -> None:
    """Every part of the app reads the same declaration: none may change it for the rest."""
    for setting in declared_settings():
        with pytest.raises(AttributeError, match=setting.name):
            setting.default = "changed"
        with pytest.raises(AttributeError):
            setting.extra = True
