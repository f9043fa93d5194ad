"""shared.callers._verified: a repeated caller token proves the same caller without a second
verification, until it expires or the hold ends; the token itself is not kept.

The clock is a fake one; the leeway is the verifier's (``LEEWAY``), as PyJWT applies it to
``exp``. The verifier's use of it is held in test_token.py.
"""

from __future__ import annotations

from shared.callers import LEEWAY, Principal
from shared.callers._verified import VerifiedTokens

CALLER = Principal(object_id="0f0e0d0c-0b0a-4090-8070-605040302010", name="c", roles=frozenset())


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def test_a_token_is_remembered_until_it_expires_with_the_leeway() -> None:
    clock = Clock()
    memory = VerifiedTokens(leeway=LEEWAY, hold=3600, clock=clock)
    memory.put("a.b.c", CALLER, expires=clock.now + 120)
    assert memory.get("a.b.c") is CALLER
    assert memory.get("a.b.d") is None
    clock.now += 120 + LEEWAY
    assert memory.get("a.b.c") is CALLER
    clock.now += 1
    assert memory.get("a.b.c") is None


def test_a_token_is_remembered_no_longer_than_the_hold() -> None:
    clock = Clock()
    memory = VerifiedTokens(leeway=LEEWAY, hold=300, clock=clock)
    memory.put("a.b.c", CALLER, expires=clock.now + 3600)
    clock.now += 300
    assert memory.get("a.b.c") is CALLER
    clock.now += 1
    assert memory.get("a.b.c") is None


def test_memory_is_bounded_and_keeps_no_token() -> None:
    memory = VerifiedTokens(leeway=LEEWAY, limit=2)
    tokens = [f"header.payload-{n}.signature" for n in range(3)]
    for token in tokens:
        memory.put(token, CALLER, expires=4102444800)
    assert memory.get(tokens[0]) is None  # forgotten when the third came
    assert memory.get(tokens[2]) is CALLER
    assert "payload" not in repr(memory)
    assert not any("payload" in str(slot) for slot in memory.__slots__)
