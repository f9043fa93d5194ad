"""The devstack vault against Key Vault's REST contract, over real HTTP.

One uvicorn server per module; each test plugs a freshly built app (own store, own clock)
into it, and talks to it with ``requests``. Ids and links name the vault's configured origin,
which is not the address the server listens on here: that keeps the two apart on purpose.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

import pytest
from starlette.applications import Starlette

from devstack.tokens import TokenIssuer
from devstack.vault.store import VaultStore
from tests.unit.devstack.vault.vaulthttp import (
    API,
    DAY,
    ORIGIN,
    RESOURCE,
    T0,
    Clock,
    Http,
    error,
    put,
    value,
    wait_for,
)

# -- requests ---------------------------------------------------------------------------------


def test_api_version_is_required_but_any_value_is_accepted(client: Http) -> None:
    assert error(client.get("/secrets"))[:2] == (400, "BadParameter")
    for version in ("7.4", "2026-04-01", "2099-01-01-preview"):
        assert client.get("/secrets", params={"api-version": version}).status_code == 200


@pytest.mark.parametrize("name", ["under_score", "a" * 128, "dot.ted", "sp%20ace"])
def test_invalid_secret_names_are_bad_parameters(client: Http, name: str) -> None:
    assert error(client.get(f"/secrets/{name}", params=API))[:2] == (400, "BadParameter")
    response = client.put(f"/secrets/{name}", params=API, json={"value": value()})
    assert error(response)[:2] == (400, "BadParameter")


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {},
        {"value": 42},
        {"value": "v", "attributes": {"enabled": "yes"}},
        {"value": "v", "attributes": {"exp": "2030-01-01"}},
        {"value": "v", "tags": {f"t{i}": "x" for i in range(16)}},
        {"value": "v", "contentType": "x" * 256},
        {"value": "x" * (25 * 1024 + 1)},
    ],
)
def test_malformed_set_requests_are_bad_parameters(client: Http, body: Any) -> None:
    content = body if isinstance(body, str) else json.dumps(body)
    response = client.put("/secrets/ok-name", params=API, data=content)
    assert error(response)[:2] == (400, "BadParameter")


def test_unknown_routes_and_methods_answer_json_errors(client: Http) -> None:
    assert error(client.get("/keys/abc", params=API))[0] == 404
    assert error(client.post("/secrets/abc", params=API))[0] == 405


# -- secrets ----------------------------------------------------------------------------------


def test_set_then_get_latest_and_by_version_in_key_vaults_shape(client: Http) -> None:
    first, second = value(), value()
    created = put(client, "partner-api-key", first)
    version = created["id"].rsplit("/", 1)[1]
    assert re.fullmatch(r"[0-9a-f]{32}", version)
    assert created == {
        "value": first,
        "id": f"{ORIGIN}/secrets/partner-api-key/{version}",
        "attributes": {
            "enabled": True,
            "created": T0,
            "updated": T0,
            "recoveryLevel": "Recoverable+Purgeable",
            "recoverableDays": 90,
        },
    }
    newer = put(client, "partner-api-key", second)
    for path in ("/secrets/partner-api-key", "/secrets/partner-api-key/"):
        assert client.get(path, params=API).json() == newer
    assert client.get(f"/secrets/partner-api-key/{version}", params=API).json() == created


def test_optional_properties_round_trip(client: Http) -> None:
    tags = {"owner": "jobs", "rotation": "90d"}
    body = put(
        client,
        "with-props",
        value(),
        contentType="text/plain",
        tags=tags,
        attributes={"nbf": T0 - DAY, "exp": T0 + DAY},
    )
    assert body["contentType"] == "text/plain"
    assert body["tags"] == tags
    assert body["attributes"]["nbf"] == T0 - DAY
    assert body["attributes"]["exp"] == T0 + DAY
    assert client.get("/secrets/with-props", params=API).json() == body


@pytest.mark.parametrize("window", [{"exp": T0 - DAY}, {"nbf": T0 + DAY}])
def test_expired_and_not_yet_valid_secrets_are_still_returned(
    client: Http, window: dict[str, int]
) -> None:
    secret = value()
    put(client, "outside-window", secret, attributes=window)
    response = client.get("/secrets/outside-window", params=API)
    assert response.status_code == 200
    assert response.json()["value"] == secret
    assert window.items() <= response.json()["attributes"].items()


def test_a_disabled_version_is_forbidden_but_older_versions_stay_readable(
    client: Http, store: VaultStore
) -> None:
    older = put(client, "rotating", value())
    put(client, "rotating", value(), attributes={"enabled": False})
    response = client.get("/secrets/rotating", params=API)
    assert error(response) == (
        403,
        "Forbidden",
        "Operation get is not allowed on a disabled secret.",
    )
    assert response.json()["error"]["innererror"] == {"code": "SecretDisabled"}
    assert client.get(older["id"], params=API).json() == older
    assert store.current_value("rotating") is None


def test_unknown_secrets_and_versions_are_not_found(client: Http) -> None:
    put(client, "known", value())
    status, code, message = error(client.get("/secrets/unknown", params=API))
    assert (status, code) == (404, "SecretNotFound")
    assert message.startswith("A secret with (name/id) unknown was not found in this key vault.")
    for version in ("0" * 32, "not-a-version"):
        assert error(client.get(f"/secrets/known/{version}", params=API))[:2] == (
            404,
            "SecretNotFound",
        )


def test_names_are_case_insensitive_and_keep_their_first_spelling(client: Http) -> None:
    put(client, "Partner-Key", value())
    latest = value()
    put(client, "partner-key", latest)
    body = client.get("/secrets/PARTNER-KEY", params=API).json()
    assert body["value"] == latest
    assert "/secrets/Partner-Key/" in body["id"]


def test_update_changes_properties_and_never_returns_the_value(client: Http, clock: Clock) -> None:
    secret = value()
    first = put(client, "props", secret)
    put(client, "props", value())
    clock.now += 60
    response = client.patch(
        "/secrets/props/", params=API, json={"attributes": {"enabled": False}, "tags": {"a": "b"}}
    )
    assert response.status_code == 200
    assert "value" not in response.json()
    assert response.json()["attributes"]["enabled"] is False
    assert response.json()["attributes"]["updated"] == T0 + 60
    assert response.json()["tags"] == {"a": "b"}
    by_version = client.patch(first["id"], params=API, json={"contentType": "text/plain"})
    assert by_version.json()["contentType"] == "text/plain"
    assert client.get(first["id"], params=API).json()["value"] == secret
    refused = client.patch("/secrets/props", params=API, json={"value": value()})
    assert error(refused)[:2] == (400, "BadParameter")
    assert error(client.patch("/secrets/nope", params=API, json={}))[0] == 404


# -- lists ------------------------------------------------------------------------------------


def follow(client: Http, path: str, **params: Any) -> list[dict[str, Any]]:
    pages, url, query = [], path, {**API, **params}
    while url:
        response = client.get(url, params=query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        url, query = response.json()["nextLink"], {}
    return pages


def test_list_pages_with_absolute_next_links_and_no_values(client: Http) -> None:
    names = [f"paged-{i}" for i in range(7)]
    for name in reversed(names):
        put(client, name, value())
    pages = follow(client, "/secrets", maxresults="3")
    assert [len(p["value"]) for p in pages] == [3, 3, 1]
    for page in pages[:-1]:
        assert page["nextLink"].startswith(f"{ORIGIN}/secrets?api-version=2026-04-01&$skiptoken=")
        assert page["nextLink"].endswith("&maxresults=3")
    assert pages[-1]["nextLink"] is None
    items = [item for page in pages for item in page["value"]]
    assert [item["id"] for item in items] == [f"{ORIGIN}/secrets/{n}" for n in names]
    assert all("value" not in item and item["attributes"]["enabled"] for item in items)


def test_list_defaults_to_pages_of_25(client: Http, store: VaultStore) -> None:
    for i in range(27):
        store.set_secret(f"many-{i:02d}", value())
    assert [len(p["value"]) for p in follow(client, "/secrets")] == [25, 2]


@pytest.mark.parametrize("query", [{"maxresults": "0"}, {"maxresults": "26"}, {"maxresults": "x"}])
def test_out_of_range_maxresults_is_a_bad_parameter(client: Http, query: dict[str, str]) -> None:
    assert error(client.get("/secrets", params={**API, **query}))[:2] == (400, "BadParameter")


def test_a_forged_skiptoken_is_a_bad_parameter(client: Http) -> None:
    response = client.get("/secrets", params={**API, "$skiptoken": "not-a-token"})
    assert error(response)[:2] == (400, "BadParameter")


def test_versions_are_listed_oldest_first_with_their_ids(client: Http) -> None:
    ids = [put(client, "versioned", value())["id"] for _ in range(5)]
    pages = follow(client, "/secrets/versioned/versions", maxresults="2")
    assert [len(p["value"]) for p in pages] == [2, 2, 1]
    assert [item["id"] for page in pages for item in page["value"]] == ids
    assert error(client.get("/secrets/ghost/versions", params=API))[0] == 404


# -- soft delete ------------------------------------------------------------------------------


def test_soft_delete_recover_and_purge(client: Http, store: VaultStore, clock: Clock) -> None:
    secret = value()
    created = put(client, "doomed", secret)
    clock.now += 10
    deleted = client.delete("/secrets/doomed", params=API)
    assert deleted.status_code == 200
    assert deleted.json() == {
        "recoveryId": f"{ORIGIN}/deletedsecrets/doomed",
        "deletedDate": T0 + 10,
        "scheduledPurgeDate": T0 + 10 + 90 * DAY,
        "id": created["id"],
        "attributes": created["attributes"],
    }
    assert error(client.get("/secrets/doomed", params=API))[0] == 404
    assert client.get("/secrets", params=API).json()["value"] == []
    assert store.current_value("doomed") is None
    listed = client.get("/deletedsecrets", params=API).json()
    assert [item["recoveryId"] for item in listed["value"]] == [deleted.json()["recoveryId"]]
    assert listed["value"][0]["id"] == f"{ORIGIN}/secrets/doomed"
    assert client.get("/deletedsecrets/doomed", params=API).json() == deleted.json()

    conflict = client.put("/secrets/doomed", params=API, json={"value": value()})
    assert error(conflict)[:2] == (409, "Conflict")
    assert conflict.json()["error"]["innererror"] == {"code": "ObjectIsDeletedButRecoverable"}

    recovered = client.post("/deletedsecrets/doomed/recover", params=API)
    assert recovered.status_code == 200
    assert "value" not in recovered.json()
    assert client.get("/secrets/doomed", params=API).json()["value"] == secret

    client.delete("/secrets/doomed", params=API)
    assert client.delete("/deletedsecrets/doomed", params=API).status_code == 204
    gone = client.get("/deletedsecrets/doomed", params=API)
    assert error(gone) == (404, "SecretNotFound", "Deleted Secret not found: doomed")
    put(client, "doomed", value())  # the name is free again


def test_recover_purge_and_delete_of_unknown_names_are_not_found(client: Http) -> None:
    put(client, "alive", value())
    assert error(client.post("/deletedsecrets/alive/recover", params=API))[0] == 404
    assert error(client.delete("/deletedsecrets/alive", params=API))[0] == 404
    assert error(client.delete("/secrets/ghost", params=API))[0] == 404


# -- backdate, stats, health, logs ------------------------------------------------------------


def test_backdate_moves_the_latest_version_back(client: Http, store: VaultStore) -> None:
    put(client, "stale", value())
    response = client.post("/devstack/secrets/stale/backdate", params={"days": "200"})
    assert response.status_code == 200
    attributes = client.get("/secrets/stale", params=API).json()["attributes"]
    assert attributes["created"] == attributes["updated"] == T0 - 200 * DAY
    assert store.backdate("stale", days=0.5).updated == T0 - 200 * DAY - DAY // 2
    assert client.post("/devstack/secrets/stale/backdate").status_code == 400
    assert error(client.post("/devstack/secrets/ghost/backdate", params={"days": "1"}))[0] == 404


def test_stats_count_operations_and_refusals(
    anon: Http, control: Http, issuer: TokenIssuer
) -> None:
    anon.get("/secrets/x", params=API)  # refused: no token
    anon.headers["Authorization"] = f"Bearer {issuer.mint_for_app_identity(RESOURCE).token}"
    put(anon, "counted", value())
    anon.get("/secrets/counted", params=API)
    anon.get("/secrets/counted/", params=API)
    anon.get("/secrets", params=API)
    stats = control.get("/stats/vault").json()
    assert stats["get_secret"] == 2
    assert stats["set_secret"] == 1
    assert stats["list"] == 1
    assert stats["unauthorized"] == 1
    assert stats["total"] == 4
    assert control.delete("/stats/vault").status_code == 204
    assert control.get("/stats/vault").json()["total"] == 0


def test_health_names_the_accepted_audience(anon: Http, app: Starlette) -> None:
    assert anon.get("/devstack/health").json() == {"status": "ok", "resource": RESOURCE}
    assert app.state.resource == RESOURCE


def test_logs_carry_no_value_token_or_query(client: Http, caplog: pytest.LogCaptureFixture) -> None:
    secret = value()
    with caplog.at_level(logging.DEBUG, logger="devstack.vault"):
        put(client, "logged", secret)
        client.get("/secrets/logged", params=API)
        client.get("/secrets/logged", params=API, headers={"Authorization": "Bearer bad"})

        def vault_log() -> str:
            return "\n".join(r.getMessage() for r in caplog.records if r.name == "devstack.vault")

        assert wait_for(lambda: "GET /secrets/logged -> 401" in vault_log())
    token = str(client.headers["Authorization"]).split()[1]
    assert "PUT /secrets/logged -> 200" in vault_log()
    for needle in (secret, token, "api-version", "Bearer"):
        assert needle not in vault_log()


# -- faults -----------------------------------------------------------------------------------


def test_an_outage_window_strikes_key_vault_routes_but_not_the_devstack_ones(
    client: Http, anon: Http, control: Http
) -> None:
    put(client, "partner-key", value())
    fault = control.put("/faults/vault", json={"mode": "status", "retry_after": 2, "seconds": 30})
    assert fault.status_code == 200, fault.text
    refused = client.get("/secrets/partner-key", params=API)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "2"
    assert anon.get("/devstack/health").status_code == 200
    assert control.get("/stats/vault").json()["faults"] == 1
    assert control.delete("/faults/vault").status_code == 204
    assert client.get("/secrets/partner-key", params=API).status_code == 200
