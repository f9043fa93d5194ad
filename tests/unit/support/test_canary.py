"""The leak canary's fragment search: it finds a part of a key in each form it looks for, and
finds nothing in ordinary text.

Keys are drawn from a seeded generator in the partner's format (``pk_`` and 43 URL-safe
characters, devstack/partner/keys.py). The positives plant a random 12-character run of a
key, in each form, inside ordinary text; the false-positive check searches fifty keys'
fragments in every text file this repository tracks (its code, docs and tests: what the
stack's logs are made of) and in generated ordinary setting values.
"""

from __future__ import annotations

import base64
import random
import string
import subprocess

import pytest

from devstack.runner import ROOT
from tests.support import canary
from tests.support.secret_shapes import ordinary_values

SEED = 20261206
URLSAFE = string.ascii_letters + string.digits + "-_"


def key(rng: random.Random) -> str:
    return "pk_" + "".join(rng.choices(URLSAFE, k=43))


FORMS = {
    "raw": lambda run: run,
    "reversed": lambda run: run[::-1],
    "lower-case": lambda run: run.lower(),
    "upper-case hex": lambda run: run.encode().hex().upper(),
    "base32": lambda run: base64.b32encode(run.encode()).decode(),
    "base64": lambda run: base64.b64encode(run.encode()).decode(),
    "URL-safe base64": lambda run: base64.urlsafe_b64encode(run.encode()).decode(),
}


@pytest.mark.slow
@pytest.mark.parametrize("form", sorted(FORMS))
def test_a_twelve_character_run_is_found_in_each_form(form: str) -> None:
    rng = random.Random(f"{SEED}-{form}")
    for sample in range(20):
        value = key(rng)
        start = rng.randrange(len(value) - canary.WINDOW + 1)
        run = value[start : start + canary.WINDOW]
        before, after = ordinary_values(rng, 2)
        text = f"{before} {FORMS[form](run)} {after}"
        assert canary.leaks([value], {"output": text}) == ["output"], f"seed={SEED} {sample}"


def test_eleven_characters_are_not_a_fragment() -> None:
    value = key(random.Random(SEED))
    assert canary.leaks([value], {"output": f"x {value[5:16]} y"}) == []


def tracked_texts() -> dict[str, str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True
    ).stdout.decode()
    found = {}
    for name in listed.split("\0"):
        path = ROOT / name
        if name and path.is_file() and path.stat().st_size < 2_000_000:
            try:
                found[name] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                continue
    return found


@pytest.mark.slow
def test_fragments_of_random_keys_are_in_no_ordinary_text() -> None:
    """No false positive: fifty keys' fragments (some 9,000 needles) against every text file
    of the repository and a thousand ordinary values."""
    rng = random.Random(SEED)
    keys = [key(rng) for _ in range(50)]
    searched = tracked_texts()
    assert len(searched) > 300, "too few files: is this a git checkout?"
    searched["ordinary values"] = "\n".join(ordinary_values(rng, 1000))
    assert canary.leaks(keys, searched) == []
