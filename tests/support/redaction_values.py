"""Partner-key-like values for the redaction tests, drawn from a seeded RNG (assertion
messages carry :data:`SEED`), and the check that no piece of one reached an output."""

from __future__ import annotations

import random
import string

SEED = 8675309
MASK_PIECE = 5  # no run of this many characters of a value may appear in output


def seeded_rng(*parts: object) -> random.Random:
    return random.Random("-".join(map(str, (SEED, *parts))))


def key_value(rng: random.Random, length: int = 32) -> str:
    """A fresh partner-key-like value; special characters exercise every encoding."""
    alphabet = string.ascii_letters + string.digits + '-_+/=&?%"\\ é'
    return "pk" + "".join(rng.choices(alphabet, k=length))


def leaks(value: str, output: str) -> bool:
    return any(value[i : i + MASK_PIECE] in output for i in range(len(value) - MASK_PIECE + 1))


def chained_texts(exc: BaseException) -> str:
    """str and repr of an exception and of everything chained to it: where a value must not be."""
    parts = []
    seen: BaseException | None = exc
    while seen is not None:
        parts += [str(seen), repr(seen)]
        seen = seen.__cause__ or seen.__context__
    return "\n".join(parts)
