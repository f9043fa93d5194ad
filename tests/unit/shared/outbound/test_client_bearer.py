"""OutboundClient carrying an Entra token (``PARTNER_AUTH=entra``): ``Authorization: Bearer``.

RFC 6750 section 2.1 gives the header (``Bearer`` and the token, one space between); the key
path's guarantees hold alike: the token in that one header and nowhere else, a fresh token
once after a 401/403, a second refusal named as the token's, an answer echoing the token
refused. The scripted partner is this directory's (conftest.py).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from shared.outbound import (
    KeyPlacementError,
    OutboundClient,
    PartnerAnswerError,
    PartnerAuthError,
    PartnerTokenRejectedError,
)
from tests.support.redaction_values import chained_texts
from tests.support.scripted_partner import FAST, Keys, Partner, Reply


@pytest.fixture
def tokens() -> Keys:
    return Keys()


@pytest.fixture
def client(partner: Partner, tokens: Keys) -> Iterator[OutboundClient]:
    with OutboundClient(
        partner.url + "/v1",
        key_provider=tokens,
        header_name="Authorization",
        scheme="Bearer",
        **FAST,
    ) as c:
        yield c


def test_the_token_travels_as_a_bearer_credential_only(
    partner: Partner, tokens: Keys, client: OutboundClient
) -> None:
    assert client.post_json("/analyze", json={"text": "hi"}) == {"ok": True}
    (hit,) = partner.hits
    assert hit.headers["Authorization"] == f"Bearer {tokens.current}"
    others = {k: v for k, v in hit.headers.items() if k != "Authorization"}
    assert tokens.current not in json.dumps(others)
    assert tokens.current not in hit.path
    assert tokens.current.encode() not in hit.body
    assert "X-Api-Key" not in hit.headers


def test_a_401_gets_one_fresh_token(partner: Partner, tokens: Keys, client: OutboundClient) -> None:
    partner.then(Reply(401, {"error": "invalid_token"}))
    assert client.post_json("/analyze", json={"text": "hi"}) == {"ok": True}
    assert tokens.calls == [False, True]
    assert [h.headers["Authorization"] for h in partner.hits] == [
        f"Bearer {value}" for value in tokens.values
    ]


@pytest.mark.parametrize("status", [401, 403])
def test_refused_twice_is_the_token_s_rejection(
    partner: Partner, tokens: Keys, client: OutboundClient, status: int
) -> None:
    partner.default = Reply(status, {"error": "invalid_token"})
    with pytest.raises(PartnerTokenRejectedError) as caught:
        client.request("POST", "/analyze", json={"text": "hi"})
    assert isinstance(caught.value, PartnerAuthError)  # an auth failure, as the key's is
    assert "freshly obtained token" in str(caught.value)
    assert caught.value.status == status
    assert tokens.calls == [False, True]
    assert all(value not in chained_texts(caught.value) for value in tokens.values)


def test_an_answer_echoing_the_token_is_refused(
    partner: Partner, tokens: Keys, client: OutboundClient
) -> None:
    partner.then(Reply(200, {"analysis_id": tokens.current}))
    with pytest.raises(PartnerAnswerError):
        client.post_json("/analyze", json={"text": "hi"})


def test_the_token_may_not_be_placed_elsewhere(client: OutboundClient, tokens: Keys) -> None:
    with pytest.raises(KeyPlacementError):
        client.request("GET", "/analyze", headers={"Authorization": "Basic x"})
    with pytest.raises(KeyPlacementError):
        client.request("POST", "/analyze", json={"echo": tokens.current})


@pytest.mark.parametrize(
    ("header", "scheme"), [("X-Api-Key", "Bearer"), ("Authorization", "Bea rer")]
)
def test_a_scheme_goes_in_the_authorization_header_only(header: str, scheme: str) -> None:
    with pytest.raises(KeyPlacementError):
        OutboundClient(
            "https://partner.example", key_provider=Keys(), header_name=header, scheme=scheme
        )
