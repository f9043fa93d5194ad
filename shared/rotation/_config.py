"""What a rotation needs to know, read from the declared settings (:mod:`shared.settings`).

The grace the old key keeps at the partner must outlast every instance's cached copy of
it: each instance refetches within ``SECRET_CACHE_TTL_SECONDS``, and clocks (ours and the
partner's) may disagree by ``ROTATION_CLOCK_SKEW_SECONDS``. A grace that does not exceed
both together could end the old key while an instance still sends it, so it is refused
at start-up, naming the settings.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from shared.settings import (
    KEY_VAULT_URI,
    PARTNER_API_KEY_HEADER,
    PARTNER_API_KEY_SECRET_NAME,
    PARTNER_API_URL,
    PARTNER_CONNECT_TIMEOUT,
    PARTNER_DEADLINE,
    PARTNER_READ_TIMEOUT,
    ROTATION_CLIENT_ID,
    ROTATION_CLOCK_SKEW_SECONDS,
    ROTATION_GRACE_SECONDS,
    ROTATION_KEY_LIFETIME_DAYS,
    ROTATION_STATE_CONTAINER_URL,
    ROTATION_WINDOW_DAYS,
    SECRET_CACHE_TTL,
    SettingsError,
    check_not_secret,
    declared_settings,
)


@dataclass(frozen=True, slots=True)
class RotationConfig:
    key_vault_uri: str
    secret_name: str
    partner_api_url: str
    key_header: str
    state_container_url: str
    client_id: str | None
    window_days: int
    lifetime_days: int
    grace_seconds: float
    skew_seconds: float
    cache_ttl: float
    connect_timeout: float
    read_timeout: float
    deadline: float


def load_rotation_config(environ: Mapping[str, str] | None = None) -> RotationConfig:
    """The rotation's settings, validated.

    :raises SettingsError: a setting is missing or malformed, or the grace is too short.
    """
    env = os.environ if environ is None else environ
    for spec in declared_settings():  # as load_settings: no secret-shaped value anywhere
        if env.get(spec.name):
            check_not_secret(spec.name, env[spec.name])
    config = RotationConfig(
        key_vault_uri=KEY_VAULT_URI.get(env),
        secret_name=PARTNER_API_KEY_SECRET_NAME.get(env),
        partner_api_url=PARTNER_API_URL.get(env),
        key_header=PARTNER_API_KEY_HEADER.get(env),
        state_container_url=ROTATION_STATE_CONTAINER_URL.get(env),
        client_id=ROTATION_CLIENT_ID.read(env),
        window_days=ROTATION_WINDOW_DAYS.get(env),
        lifetime_days=ROTATION_KEY_LIFETIME_DAYS.get(env),
        grace_seconds=ROTATION_GRACE_SECONDS.get(env),
        skew_seconds=ROTATION_CLOCK_SKEW_SECONDS.get(env),
        cache_ttl=SECRET_CACHE_TTL.get(env),
        connect_timeout=PARTNER_CONNECT_TIMEOUT.get(env),
        read_timeout=PARTNER_READ_TIMEOUT.get(env),
        deadline=PARTNER_DEADLINE.get(env),
    )
    if config.grace_seconds <= config.cache_ttl + config.skew_seconds:
        raise SettingsError(
            ROTATION_GRACE_SECONDS.name,
            f"must exceed {SECRET_CACHE_TTL.name} + {ROTATION_CLOCK_SKEW_SECONDS.name} "
            f"({config.cache_ttl:g} + {config.skew_seconds:g} s): instances still holding the "
            "old key would be refused",
        )
    if config.window_days >= config.lifetime_days:
        raise SettingsError(
            ROTATION_WINDOW_DAYS.name,
            f"must be shorter than {ROTATION_KEY_LIFETIME_DAYS.name}, or every new key is due",
        )
    return config
