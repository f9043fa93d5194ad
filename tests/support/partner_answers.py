"""Partner answers drawn from a seeded RNG: valid analyses, and key-like values to spoil them
with (the partner-answer and worker tests share the draws)."""

from __future__ import annotations

import random
import string
import uuid
from typing import Any

from shared.partner import SENTIMENTS

#: The seed of every draw (each assertion message carries it).
SEED = 20261122


def valid_answer(rng: random.Random) -> dict[str, Any]:
    region = "".join(rng.choices(string.ascii_uppercase, k=2))
    return {
        "analysis_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "language": rng.choice(["en", "nl", "pt-BR", "zh-Hant-TW", f"de-{region}", None]),
        "sentiment": rng.choice([*sorted(SENTIMENTS), None]),
        "word_count": rng.randint(0, 99),
        "keywords": rng.sample(["alpha", "beta", "gamma", "delta"], 2),
        "debug": {"anything": "at all"},
    }


def key_like(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_letters + string.digits + "-_", k=43))
