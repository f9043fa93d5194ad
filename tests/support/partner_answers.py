"""Partner answers drawn from a seeded RNG: valid analyses, and key-like values to spoil them
with (the partner-answer and worker tests share the draws)."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

from shared.partner import DETECTED_LANGUAGES, SENTIMENTS

#: The seed of every draw (each assertion message carries it).
SEED = 20261122


def valid_answer(rng: random.Random, asked: str | None = None) -> dict[str, Any]:
    """A valid answer to a job that asked for ``asked`` (the partner's letter case may
    differ), with the fields the app drops (its id, counts, keywords, a debug object)."""
    said = asked if asked is None else rng.choice([asked, asked.lower(), asked.upper()])
    language = said if asked else rng.choice([*sorted(DETECTED_LANGUAGES), "EN", None])
    return {
        "analysis_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "language": language,
        "sentiment": rng.choice([*sorted(SENTIMENTS), None]),
        "word_count": rng.randint(0, 99),
        "keywords": rng.sample(["alpha", "beta", "gamma", "delta"], 2),
        "debug": {"anything": "at all"},
    }


def key_like(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=43))
