"""SecretProvider against the real SecretClient, with Key Vault scripted at the HTTP level.

The SDK runs unchanged (bearer challenge, request building, error mapping); only the
wire is replaced: a requests adapter answers like Key Vault does
(tests/support/scripted_vault.py). (Longer than most test modules on purpose: the cache,
single-flight and the outage policy are one contract over one scripted vault.)
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
import requests
from azure.keyvault.secrets import SecretClient

from shared.vault import (
    SecretDisabledError,
    SecretNotFoundError,
    SecretProvider,
    VaultAccessDeniedError,
    VaultError,
    VaultUnavailableError,
)
from tests.support.scripted_vault import FakeClock, FakeCredential, ScriptedVault, make_client

TTL = 300.0


@pytest.fixture
def vault() -> ScriptedVault:
    return ScriptedVault()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(vault: ScriptedVault) -> Iterator[SecretClient]:
    with make_client(vault) as c:
        yield c


@pytest.fixture
def provider(client: SecretClient, clock: FakeClock) -> SecretProvider:
    """A refresh's answer is always waited for (``stale_wait`` far past any scripted answer):
    with the default half second, a busy machine would have the provider serve its cached
    value with the refresh still in flight, and these tests judge the refresh's outcome."""
    return SecretProvider(client, ttl=TTL, clock=clock, stale_wait=60.0)


# -- the cache ------------------------------------------------------------------------


def test_second_get_within_ttl_is_served_from_cache(vault, client, provider, clock):
    value = vault.put(client.vault_url, "partner-api-key")
    assert provider.get("partner-api-key").reveal() == value
    clock.advance(TTL - 1)
    assert provider.get("partner-api-key").reveal() == value
    assert vault.count() == 1


def test_get_after_ttl_fetches_the_current_value(vault, client, provider, clock):
    vault.put(client.vault_url, "partner-api-key")
    provider.get("partner-api-key")
    rotated = vault.put(client.vault_url, "partner-api-key")
    clock.advance(TTL)
    assert provider.get("partner-api-key").reveal() == rotated
    assert vault.count() == 2


def test_max_age_overrides_ttl_for_one_call(vault, client, provider, clock):
    vault.put(client.vault_url, "k")
    provider.get("k")
    clock.advance(10)
    provider.get("k", max_age=60)
    assert vault.count() == 1
    provider.get("k", max_age=5)
    assert vault.count() == 2


def test_force_fetch_bypasses_the_cache_and_refreshes_it(vault, client, provider):
    vault.put(client.vault_url, "k")
    provider.get("k")
    rotated = vault.put(client.vault_url, "k")
    assert provider.get("k", force_fetch=True).reveal() == rotated
    assert provider.get("k").reveal() == rotated
    assert vault.count() == 2


def test_invalidate_one_name_keeps_the_others(vault, client, provider):
    vault.put(client.vault_url, "a")
    vault.put(client.vault_url, "b")
    provider.get("a")
    provider.get("b")
    provider.invalidate("a")
    provider.get("a")
    provider.get("b")
    assert (vault.count("a"), vault.count("b")) == (2, 1)


def test_invalidate_all(vault, client, provider):
    vault.put(client.vault_url, "a")
    vault.put(client.vault_url, "b")
    provider.get("a")
    provider.get("b")
    provider.invalidate()
    provider.get("a")
    provider.get("b")
    assert (vault.count("a"), vault.count("b")) == (2, 2)


def test_cache_key_includes_the_version(vault, client, provider):
    version = uuid.uuid4().hex
    latest = vault.put(client.vault_url, "k")
    pinned = vault.put(client.vault_url, "k", version)
    assert provider.get("k").reveal() == latest
    assert provider.get("k", version=version).reveal() == pinned
    assert provider.get("k").reveal() == latest
    assert provider.get("k", version=version).reveal() == pinned
    assert vault.count() == 2


def test_cache_key_includes_the_vault(vault, clock):
    with make_client(vault) as one, make_client(vault) as two:
        first = SecretProvider(one, clock=clock)
        second = SecretProvider(two, clock=clock)
        values = [vault.put(one.vault_url, "k"), vault.put(two.vault_url, "k")]
        assert [first.get("k").reveal(), second.get("k").reveal()] == values
        assert [first.get("k").reveal(), second.get("k").reveal()] == values
        assert first.vault_url != second.vault_url
        assert sorted(f[0] for f in vault.fetches) == sorted(
            urlsplit(u).netloc for u in (one.vault_url, two.vault_url)
        )


def test_invalid_names_are_refused_before_any_request(vault, provider):
    for name in ("", "a/b", "../k", "k?x=1", "x" * 128):
        with pytest.raises(ValueError, match="secret name"):
            provider.get(name)
    with pytest.raises(ValueError, match="secret version"):
        provider.get("k", version="v/1")
    assert vault.fetches == []


# -- single-flight --------------------------------------------------------------------


def _run_threads(count, target):
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker():
        barrier.wait()
        try:
            results.append(target())
        except Exception as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=10)
    return results, errors


def test_sixteen_concurrent_callers_share_one_fetch(vault, client, provider):
    value = vault.put(client.vault_url, "k")
    vault.gate = threading.Event()  # holds the fetch so the others arrive while it runs
    results, errors = _run_threads(16, lambda: provider.get("k").reveal())
    assert errors == []
    assert results == [value] * 16
    assert vault.count() == 1


def test_concurrent_forced_callers_share_one_fetch(vault, client, provider):
    vault.put(client.vault_url, "k")
    provider.get("k")
    rotated = vault.put(client.vault_url, "k")
    vault.gate = threading.Event()
    results, errors = _run_threads(8, lambda: provider.get("k", force_fetch=True).reveal())
    assert errors == []
    assert results == [rotated] * 8
    assert vault.count() == 2


def test_a_slow_fetch_does_not_block_other_names(vault, client, provider):
    vault.put(client.vault_url, "slow")
    fast = vault.put(client.vault_url, "fast")
    vault.gate, vault.held = threading.Event(), {"slow"}
    slow = threading.Thread(target=provider.get, args=("slow",))
    slow.start()
    try:
        while vault.count("slow") == 0:
            time.sleep(0.001)
        # Answered while the slow fetch is still held at the vault: nothing waited for it.
        assert provider.get("fast").reveal() == fast
        assert slow.is_alive()
    finally:
        vault.gate.set()
        slow.join()


def test_invalidate_during_a_fetch_keeps_its_result_out_of_the_cache(vault, client, provider):
    vault.put(client.vault_url, "k")
    vault.gate = threading.Event()
    caller = threading.Thread(target=provider.get, args=("k",))
    caller.start()
    while vault.count() == 0:
        time.sleep(0.001)
    provider.invalidate("k")
    vault.gate.set()
    caller.join()
    vault.gate = None
    provider.get("k")
    assert vault.count() == 2


# -- failures and the outage policy -----------------------------------------------------


def test_failures_are_not_cached(vault, client, provider):
    value = vault.put(client.vault_url, "k")
    vault.error = (500, {"error": {"code": "InternalError", "message": "boom"}}, {})
    with pytest.raises(VaultUnavailableError) as caught:
        provider.get("k")
    assert caught.value.status == 500
    vault.error = None
    assert provider.get("k").reveal() == value
    assert vault.count() == 2


TRANSIENT = [
    pytest.param((503, {"error": {"code": "ServiceUnavailable", "message": "x"}}, {}), id="503"),
    pytest.param((429, {"error": {"code": "Throttled", "message": "x"}}, {}), id="429"),
    pytest.param(requests.ConnectionError("unreachable"), id="unreachable"),
    pytest.param(requests.ReadTimeout("slow"), id="timeout"),
]


@pytest.mark.parametrize("error", TRANSIENT)
def test_transient_failure_serves_stale_value_within_grace(
    vault, client, provider, clock, caplog, error
):
    value = vault.put(client.vault_url, "partner-api-key")
    provider.get("partner-api-key")
    clock.advance(TTL + TTL - 1)  # past the TTL, inside the default grace (= ttl)
    vault.error = error
    with caplog.at_level(logging.WARNING, logger="shared.vault"):
        assert provider.get("partner-api-key").reveal() == value
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "partner-api-key" in warnings[0].getMessage()
    assert value not in caplog.text
    assert vault.count() == 2  # it did try the vault first


@pytest.mark.parametrize("error", TRANSIENT)
def test_transient_failure_without_usable_value_fails_fast(vault, client, provider, clock, error):
    vault.put(client.vault_url, "k")
    provider.get("k")
    clock.advance(TTL + TTL + 1)  # beyond the grace
    vault.error = error
    with pytest.raises(VaultUnavailableError):
        provider.get("k")


def test_stale_grace_zero_disables_stale_serving(vault, client, clock):
    stale_free = SecretProvider(client, ttl=TTL, stale_grace=0, clock=clock)
    vault.put(client.vault_url, "k")
    stale_free.get("k")
    clock.advance(TTL + 1)
    vault.error = requests.ConnectionError("unreachable")
    with pytest.raises(VaultUnavailableError):
        stale_free.get("k")


def test_force_fetch_never_serves_stale(vault, client, provider):
    vault.put(client.vault_url, "k")
    provider.get("k")  # fresh, even
    vault.error = requests.ConnectionError("unreachable")
    with pytest.raises(VaultUnavailableError):
        provider.get("k", force_fetch=True)


def test_retry_after_is_carried(vault, provider):
    vault.error = (429, {"error": {"code": "Throttled", "message": "x"}}, {"Retry-After": "7"})
    with pytest.raises(VaultUnavailableError) as caught:
        provider.get("k")
    assert (caught.value.status, caught.value.retry_after) == (429, 7.0)


DEFINITE = [
    pytest.param(
        (403, {"error": {"code": "Forbidden", "message": "Operation get is not allowed on a "
                         "disabled secret.", "innererror": {"code": "SecretDisabled"}}}, {}),
        SecretDisabledError, id="disabled",
    ),
    pytest.param(
        (403, {"error": {"code": "Forbidden", "message": "no get permission",
                         "innererror": {"code": "AccessDenied"}}}, {}),
        VaultAccessDeniedError, id="forbidden",
    ),
    pytest.param(
        (401, {"error": {"code": "Unauthorized", "message": "token rejected"}}, {}),
        VaultAccessDeniedError, id="unauthorized",
    ),
    pytest.param(
        (404, {"error": {"code": "SecretNotFound", "message": "gone"}}, {}),
        SecretNotFoundError, id="not-found",
    ),
    pytest.param(
        (400, {"error": {"code": "BadParameter", "message": "odd"}}, {}),
        VaultError, id="other",
    ),
]  # fmt: skip


@pytest.mark.parametrize(("error", "expected"), DEFINITE)
def test_vault_answers_map_to_specific_errors(vault, client, provider, error, expected):
    vault.error = error
    with pytest.raises(expected) as caught:
        provider.get("partner-api-key")
    assert type(caught.value) is expected
    assert caught.value.secret_name == "partner-api-key"
    assert caught.value.vault == urlsplit(client.vault_url).netloc
    assert not isinstance(caught.value, VaultUnavailableError)


def test_missing_secret_is_not_found(vault, provider):
    with pytest.raises(SecretNotFoundError, match="'nope' not found"):
        provider.get("nope")


@pytest.mark.parametrize(("error", "expected"), DEFINITE[:4])
def test_definite_answer_drops_the_cached_value(vault, client, provider, clock, error, expected):
    vault.put(client.vault_url, "k")
    provider.get("k")
    clock.advance(TTL)
    vault.error = error
    with pytest.raises(expected):
        provider.get("k")
    vault.error = requests.ConnectionError("unreachable")
    with pytest.raises(VaultUnavailableError):  # nothing stale left to serve
        provider.get("k")


def test_identity_without_token_is_access_denied_not_an_outage(vault, clock):
    credential = FakeCredential()
    with make_client(vault, credential=credential) as failing:
        credential.fail = True
        with pytest.raises(VaultAccessDeniedError, match="no token"):
            SecretProvider(failing, clock=clock).get("k")


def test_error_text_never_contains_the_value(vault, client, provider, clock):
    value = vault.put(client.vault_url, "k")
    provider.get("k")
    clock.advance(TTL)
    # A vault (or proxy) that echoes the value in its error body must not leak it to us.
    echo: dict[str, object] = {"error": {"code": "Forbidden", "message": f"denied for {value}"}}
    for status in (403, 503, 400):
        vault.error = (status, echo, {})
        provider.invalidate()
        with pytest.raises(VaultError) as caught:
            provider.get("k")
        assert value not in str(caught.value)
        assert value not in repr(caught.value)
        assert "'k'" in str(caught.value)
