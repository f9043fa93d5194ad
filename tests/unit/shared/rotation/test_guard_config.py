"""The lease guard takes turns and notices a lost lease; the settings refuse a short grace.

Blob leases: one holder at a time, others get 409 LeaseAlreadyPresent; renewing a lease
that expired and was taken is refused (409/412)
(learn.microsoft.com/rest/api/storageservices/lease-blob).
"""

from __future__ import annotations

import random
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError

from shared.rotation import LeaseGuard, load_rotation_config
from shared.rotation.errors import GuardBusyError, GuardLostError
from shared.settings import SettingsError
from tests.support.declared_settings import sample_env
from tests.support.secret_shapes import storage_account_key


def _http(status: int) -> HttpResponseError:
    error = HttpResponseError("lease")
    error.status_code = status
    return error


class Lease:
    def __init__(self, blob: Blob) -> None:
        self.blob = blob

    def renew(self) -> None:
        if self.blob.holder is not self:
            raise _http(409)

    def release(self) -> None:
        if self.blob.holder is self:
            self.blob.holder = None


class Blob:
    blob_name = "partner-api-key.lock"

    def __init__(self) -> None:
        self.holder: Lease | None = None
        self.uploads = 0

    def upload_blob(self, data: bytes, overwrite: bool) -> None:
        self.uploads += 1
        if self.uploads > 1:
            raise _http(409)

    def acquire_lease(self, lease_duration: int) -> Lease:
        if self.holder is not None:
            raise _http(409)
        self.holder = Lease(self)
        return self.holder


class Container:
    def __init__(self) -> None:
        self.blob = Blob()

    def get_blob_client(self, name: str) -> Blob:
        return self.blob


def guard(container: Container, **options: Any) -> LeaseGuard:
    clock = iter(range(1000))
    return LeaseGuard(
        container,  # type: ignore[arg-type]
        "partner-api-key",
        clock=lambda: float(next(clock)),
        sleep=lambda _: None,
        **options,
    )


def test_one_holder_at_a_time_and_the_next_gets_it_after_release() -> None:
    container = Container()
    with guard(container) as first:
        with (
            pytest.raises(GuardBusyError, match="will be retried"),
            guard(container, wait_seconds=3),
        ):
            pass
        first.renew()
    with guard(container) as second:
        second.renew()
        assert not second.waited
    assert container.blob.holder is None


def test_a_lease_taken_by_another_is_noticed_at_renewal() -> None:
    container = Container()
    with guard(container) as held:
        container.blob.holder = None  # it expired...
        container.blob.acquire_lease(60)  # ...and another run took it
        with pytest.raises(GuardLostError):
            held.renew()


def test_other_storage_errors_are_not_mistaken_for_a_busy_lease() -> None:
    container = Container()

    def refuse(lease_duration: int) -> Lease:
        raise _http(403)

    container.blob.acquire_lease = refuse  # type: ignore[method-assign]
    with pytest.raises(HttpResponseError), guard(container):
        pass


def test_the_sample_settings_make_a_valid_rotation_config() -> None:
    config = load_rotation_config(sample_env())
    assert config.grace_seconds > config.cache_ttl + config.skew_seconds
    assert config.state_container_url.endswith("/rotation")


KEYED = "AccountKey=" + storage_account_key(random.Random(7))


@pytest.mark.parametrize(
    ("changes", "setting"),
    [
        ({"ROTATION_GRACE_SECONDS": "600"}, "ROTATION_GRACE_SECONDS"),  # 600 = 300 + 300
        ({"ROTATION_WINDOW_DAYS": "90"}, "ROTATION_WINDOW_DAYS"),
        ({"ROTATION_STATE_CONTAINER_URL": ""}, "ROTATION_STATE_CONTAINER_URL"),
        (
            {"ROTATION_CLIENT_ID": "AccountKey=" + storage_account_key(random.Random(7))},
            "ROTATION_CLIENT_ID",
        ),
    ],
)
def test_bad_rotation_settings_stop_start_up_naming_the_setting(
    changes: dict[str, str], setting: str
) -> None:
    with pytest.raises(SettingsError) as caught:
        load_rotation_config(sample_env(**changes))
    assert caught.value.setting == setting
