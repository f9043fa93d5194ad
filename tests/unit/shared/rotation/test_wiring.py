"""The rotator is built from the settings with the app's one builder of each client.

A vault client built with retry settings of its own would sleep for whatever a throttled
vault asks (azure-core's default policy); :func:`shared.vault.secret_client` is the one
that does not (tests/unit/shared/vault/test_client.py). The rotation goes through it, and
through :func:`shared.storage.container_at` for its state container.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import shared.storage
import shared.vault
from shared.rotation import _wiring
from tests.support.declared_settings import sample_env
from tests.support.scripted_vault import FakeCredential


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[tuple[Any, ...]]]]:
    for name, value in sample_env().items():
        monkeypatch.setenv(name, value)
    calls: dict[str, list[tuple[Any, ...]]] = {"vault": [], "container": []}
    real_vault, real_container = shared.vault.secret_client, shared.storage.container_at

    def vault(url: str, credential: Any) -> Any:
        calls["vault"].append((url, credential))
        return real_vault(url, credential)

    def container(url: str, *, credential: Any) -> Any:
        calls["container"].append((url, credential))
        return real_container(url, credential=credential)

    monkeypatch.setattr(shared.vault, "secret_client", vault)
    monkeypatch.setattr(shared.storage, "container_at", container)
    _wiring.reset()
    yield calls
    _wiring.reset()


def test_the_rotator_takes_its_clients_from_the_one_builder_of_each(
    built: dict[str, list[tuple[Any, ...]]],
) -> None:
    _wiring.rotator()
    env = sample_env()
    credential = _wiring.rotation_credential()
    assert built["vault"] == [(env["KEY_VAULT_URI"], credential)]
    assert built["container"] == [(env["ROTATION_STATE_CONTAINER_URL"], credential)]


def test_the_posture_checkers_state_store_reads_through_the_storage_builder(
    built: dict[str, list[tuple[Any, ...]]],
) -> None:
    credential = FakeCredential()
    url = "https://127.0.0.1:1/devstoreaccount1/rotation"
    _wiring.state_store(credential, url, "partner-api-key")
    assert built["container"] == [(url, credential)]
