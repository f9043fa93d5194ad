"""A partner key that cannot be used is a configuration error, never sent and forgotten.

Values under 8 characters are not registered for scrubbing (they would mangle ordinary
text), so a key that short could leak unnoticed; under 16 it is refused outright. A key with
a line break, a blank or a control character is a pasting mistake: requests would refuse it
with a message quoting the value, or the partner would refuse it and the caller be told
"partner refused". Either way the client raises ``PartnerKeyError`` before anything is sent,
and calls ``on_invalid_key`` so the provider drops the cached value.
"""

from __future__ import annotations

import secrets

import pytest

from shared.outbound import OutboundClient, OutboundError, PartnerKeyError
from shared.outbound._placement import key_problem
from shared.redaction import Secret, scrub
from tests.support.scripted_partner import Partner


def _good() -> str:
    return secrets.token_urlsafe(12)  # 16 characters


BAD_KEYS = {
    "7 characters (never registered)": lambda: secrets.token_urlsafe(5)[:7],
    "15 characters": lambda: _good()[:15],
    "a trailing newline": lambda: _good() + "\n",
    "a CRLF and a header": lambda: _good() + "\r\nX-Injected: 1",
    "a space inside": lambda: _good()[:8] + " " + _good()[8:],
    "a leading tab": lambda: "\t" + _good(),
    "a NUL": lambda: _good() + "\x00",
    "a non-ASCII letter": lambda: _good() + "é",
    "a no-break space": lambda: _good() + "\u00a0",
}


@pytest.mark.parametrize("case", sorted(BAD_KEYS))
def test_an_unusable_key_is_refused_as_configuration_never_sent_and_forgotten(
    partner: Partner, case: str
) -> None:
    value = BAD_KEYS[case]()
    forgotten: list[bool] = []
    with (
        OutboundClient(
            partner.url,
            key_provider=lambda **_: Secret(value, name="partner-api-key"),
            on_invalid_key=lambda: forgotten.append(True),
        ) as client,
        pytest.raises(PartnerKeyError) as raised,
    ):
        client.post_json("/analyze", json={"text": "x"})
    assert partner.hits == []
    assert forgotten == [True]
    message = str(raised.value)
    assert "'partner-api-key'" in message
    assert "vault" in message
    assert value.strip() not in message
    assert value[:6] not in message
    assert raised.value.__context__ is None


def test_a_key_of_sixteen_visible_characters_is_used(partner: Partner) -> None:
    value = _good()
    with OutboundClient(partner.url, key_provider=lambda **_: Secret(value)) as client:
        assert client.post_json("/analyze", json={}) == {"ok": True}
    assert partner.hits[0].headers["X-Api-Key"] == value


def test_the_minimum_is_the_clients_keyword() -> None:
    assert key_problem("a" * 16, min_length=16) is None
    assert key_problem("a" * 16, min_length=32) == "is shorter than 32 characters"


def test_a_seven_character_value_is_not_scrubbed_which_is_why_it_is_refused() -> None:
    short = secrets.token_urlsafe(5)[:7]
    Secret(short)
    assert scrub(f"key={short}") == f"key={short}"
    assert key_problem(short, min_length=16) is not None


def test_the_error_is_an_outbound_error_for_callers_that_catch_those() -> None:
    assert issubclass(PartnerKeyError, OutboundError)
