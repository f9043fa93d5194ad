"""The registry of secret forms: what it finds, against a plain search, and what one
registration may cost it (the keys one regex compiles).

Values come from a seeded RNG (tests/support/redaction_values.py); messages carry the seed.
"""

from __future__ import annotations

import math
import random

import pytest

from shared.redaction import _registry
from shared.redaction._registry import (
    KEY,
    Registry,
    encodings,
    fold,
    level_sizes,
    pattern_count,
)
from tests.support.redaction_values import SEED, key_value, seeded_rng


def plain_spans(forms: set[str], text: str) -> list[tuple[int, int]]:
    """What the registry must report: at each offset, the longest form starting there."""
    folded = fold(text)
    found = []
    for start in range(len(folded)):
        ends = [start + len(f) for f in forms if folded.startswith(f, start)]
        if ends:
            found.append((start, max(ends)))
    return found


def pieces_text(rng: random.Random, values: list[str]) -> str:
    """Whole values, cut ones, encoded ones and values with a changed tail, among words."""
    parts = []
    for _ in range(12):
        value = rng.choice(values)
        form = rng.choice(sorted(encodings(value)))
        cut = rng.randrange(len(form) + 1)
        parts += [
            rng.choice(["call", "with", "and", "É", "=", ""]),
            rng.choice([form, form[:cut], form[cut:], form[:cut] + "#tail", value.upper()]),
        ]
    return " ".join(parts)


def test_spans_are_those_a_plain_search_finds() -> None:
    rng = seeded_rng("registry-plain")
    registry = Registry()
    # Values that share their first KEY characters: one key, several forms behind it.
    shared_start = key_value(rng, KEY)
    values = [key_value(rng, rng.randint(8, 50)) for _ in range(6)]
    values += [shared_start + key_value(rng, n)[2:] for n in (3, 9, 30)]
    forms: set[str] = set()
    for value in values:
        registry.add(encodings(value))
        forms |= {fold(f) for f in encodings(value)}
    for _ in range(20):  # each text is searched for every form at every offset
        text = pieces_text(rng, values)
        assert registry.spans(text) == plain_spans(forms, text), f"seed={SEED}"
        assert registry.holds(text) == bool(plain_spans(forms, text)), f"seed={SEED}"


def test_a_form_whose_key_matches_but_whose_tail_does_not_is_not_reported() -> None:
    value = key_value(seeded_rng("registry-tail"), 40)
    registry = Registry()
    registry.add({value})
    text = f"<{value[:30]}#{value[31:]}>"
    assert registry.spans(text) == []
    assert not registry.holds(text)
    assert registry.spans(f"<{value}>") == [(1, 1 + len(value))]


def test_no_regex_holds_more_keys_than_the_cap_and_every_value_is_still_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cap = 64
    monkeypatch.setattr(_registry, "MAX_LEVEL", cap)
    rng = seeded_rng("registry-cap")
    registry = Registry()
    values = [key_value(rng, 40) for _ in range(30)]
    for value in values[:20]:  # one by one, a search after each: the merges happen
        registry.add(encodings(value))
        assert not registry.holds("a search compiles what is pending")
    for value in values[20:]:  # many at once: more pending keys than one regex may hold
        registry.add(encodings(value))
    sizes = level_sizes(registry)
    assert sizes
    assert max(sizes) <= cap, sizes
    keys = sum(sizes)
    # Full regexes, at least half the cap each two by two, and a binary counter's tail.
    assert len(sizes) <= 2 * math.ceil(keys / cap) + 2 * math.log2(cap) + 1, sizes
    for value in values:
        assert registry.spans(f"({value})")[0] == (1, 1 + len(value)), f"seed={SEED}"


def test_without_the_cap_the_regexes_merge_as_a_binary_counter() -> None:
    rng = seeded_rng("registry-levels")
    registry = Registry()
    known: set[str] = set()
    for _ in range(64):
        forms = encodings(key_value(rng))
        known |= {fold(form) for form in forms}
        registry.add(forms)
        registry.holds("compile what is pending")
    sizes = level_sizes(registry)
    assert pattern_count(registry) == len(sizes)
    assert len(registry) == len(known)
    assert sum(sizes) <= _registry.MAX_LEVEL  # the cap is not what shaped these
    assert len(sizes) <= 2 * math.log2(sum(sizes)) + 1, sizes


def test_a_regex_holds_keys_not_whole_forms() -> None:
    """What makes registering a long value cheap: its forms are thousands of characters
    (hex, base32, base64, shifted), the regex sees at most KEY of each."""
    rng = seeded_rng("registry-keys")
    value = key_value(rng, 800)
    registry = Registry()
    registry.add(encodings(value))
    assert max(len(f) for f in encodings(value)) > 1000
    assert sum(level_sizes(registry)) == len({fold(f)[:KEY] for f in encodings(value)})
    assert registry.spans(f"<{value}>")[0] == (1, 1 + len(value))
