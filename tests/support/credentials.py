"""Credentials for tests that prove a service refuses what it should."""

from __future__ import annotations

from azure.core.credentials import AccessToken


class StaticToken:
    """A credential that presents one fixed token (to prove the service refuses it)."""

    def __init__(self, token: str) -> None:
        self.token = token

    def get_token(self, *scopes: str, **kwargs: object) -> AccessToken:
        return AccessToken(self.token, 4_102_444_800)
