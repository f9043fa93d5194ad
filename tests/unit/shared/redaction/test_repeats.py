"""shared.redaction._repeats: a repeated text costs no second scrub, and nothing the
scrubbing would now redact is ever answered from memory.

The scrubbing is the real :func:`shared.redaction.scrub`, counted; the secrets are made at
run time from a seeded RNG (tests/support/redaction_values.py).
"""

from __future__ import annotations

import threading

import pytest

from shared.redaction import REDACTED, CleanTexts, register, scrub
from tests.support import secret_shapes as ss
from tests.support.redaction_values import key_value, seeded_rng


class Counted:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def __call__(self, text: str) -> str:
        self.calls.append(text)
        return scrub(text)


def test_a_clean_text_is_scrubbed_once_while_nothing_is_registered() -> None:
    counted = Counted()
    texts = CleanTexts(counted)
    for _ in range(5):
        assert texts("messaging.destination.name") == "messaging.destination.name"
    assert counted.calls == ["messaging.destination.name"]


def test_a_text_the_scrubbing_changed_is_never_remembered() -> None:
    counted = Counted()
    texts = CleanTexts(counted)
    planted = ss.jwt_planted(seeded_rng("repeats", "jwt"))
    token = planted.value
    for _ in range(3):
        assert token not in texts(planted.text)
    assert len(counted.calls) == 3
    assert token not in repr(texts)


def test_a_value_registered_after_a_text_was_found_clean_is_redacted_at_once() -> None:
    value = key_value(seeded_rng("repeats", "registered later"))
    texts = CleanTexts()
    text = f"the answer held {value}"
    assert texts(text) == text  # nothing registered holds it yet: clean, and remembered
    assert texts(text) == text
    register(value)
    assert texts(text) == f"the answer held {REDACTED}"


def test_memory_is_bounded_and_keeps_the_texts_in_use_while_one_time_texts_pass() -> None:
    counted = Counted()
    texts = CleanTexts(counted, limit=4)
    for job in range(50):
        for text in ("partner POST", "app.job.id", f"job-{job}"):
            assert texts(text) == text
    # The two texts every job repeats were scrubbed once; each job's own text once.
    assert counted.calls.count("partner POST") == counted.calls.count("app.job.id") == 1
    assert len(counted.calls) == 2 + 50
    assert repr(texts) == "<texts found clean: 4>"  # full, and no fuller
    texts("job-48")
    assert counted.calls[-1] == "job-49"  # still held: among the last four used
    texts("job-0")
    assert counted.calls[-1] == "job-0"  # gone long ago: scrubbed again


@pytest.mark.slow
def test_concurrent_registrations_leave_no_value_unredacted() -> None:
    """Texts scrubbed while their values are being registered: once every registration has
    returned, no text answers in clear (a text found clean under an older generation is
    never taken for clean under a newer one)."""
    rng = seeded_rng("repeats", "concurrent")
    values = [key_value(rng) for _ in range(40)]
    texts = CleanTexts()
    stop = threading.Event()

    def scrubbing() -> None:
        while not stop.is_set():
            for value in values:
                texts(f"held {value}")

    workers = [threading.Thread(target=scrubbing) for _ in range(4)]
    for worker in workers:
        worker.start()
    for value in values:
        register(value)
    stop.set()
    for worker in workers:
        worker.join(timeout=60)
    assert all(texts(f"held {value}") == f"held {REDACTED}" for value in values)


def test_a_batch_scrubs_each_new_text_once_and_answers_repeats_from_memory() -> None:
    counted = Counted()
    texts = CleanTexts(counted)
    one = texts.batch()
    for _ in range(3):
        assert one("app.job.id") == "app.job.id"
        assert texts("app.job.id") == "app.job.id"  # the same memory, called alone
    assert counted.calls == ["app.job.id"]


def test_a_registration_after_a_batch_began_still_reaches_what_it_scrubs() -> None:
    value = key_value(seeded_rng("repeats", "mid-batch"))
    counted = Counted()
    texts = CleanTexts(counted)
    one = texts.batch()
    register(value)
    assert one(f"held {value}") == f"held {REDACTED}"  # a new text meets the registry as it is


def test_a_text_a_batch_found_clean_is_scrubbed_again_in_a_batch_after_a_registration() -> None:
    value = key_value(seeded_rng("repeats", "next batch"))
    texts = CleanTexts()
    text = f"the answer held {value}"
    first = texts.batch()
    assert first(text) == text  # nothing registered holds it yet: clean, and remembered
    assert first(text) == text
    register(value)
    assert texts.batch()(text) == f"the answer held {REDACTED}"
    assert texts(text) == f"the answer held {REDACTED}"


def test_a_batch_says_the_generation_it_judges_at_and_a_registration_moves_it() -> None:
    """What an encoder keeps beside the memory belongs to the generation read here."""
    value = key_value(seeded_rng("repeats", "generation"))
    texts = CleanTexts()
    generation, one = texts.batch_at()
    assert texts.batch_at()[0] == generation  # nothing registered between the two
    register(value)
    after, _ = texts.batch_at()
    assert after > generation
    assert one(f"held {value}") == f"held {REDACTED}"
