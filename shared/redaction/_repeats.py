"""Texts the scrubbing left as they were, remembered for outputs where the same texts repeat.

Every span the app exports is scrubbed (:mod:`shared.tracing._scrub`), and a span's name,
attribute keys and most of its values are the same from one job to the next: scrubbing
them again each time was most of what tracing cost a submission. :class:`CleanTexts`
answers a repeat from memory, and only a text that scrubbing returned unchanged: a text it
changed held a secret and is never kept. A registration forgets everything (a text clean
before may hold the value just registered): each text is remembered with the registry's
generation it was found clean at, read before it was scrubbed, so a text scrubbed while a
value was being registered is never taken for clean afterwards. At most ``limit`` texts
are kept; then memory starts afresh. The limit is small on purpose: the texts that repeat
are few (span names, keys, a few dozen values), while every job brings texts that never
come again (its id); a large memory would only hold more of those, and the host's heap
would grow with it until the next fresh start (P7 measures that growth).
"""

from __future__ import annotations

from collections.abc import Callable

from shared.redaction._secret import _REGISTRY, scrub

__all__ = ["CleanTexts"]


class CleanTexts:
    """Scrubbing with a memory of the texts that came out unchanged; thread-safe."""

    __slots__ = ("_held", "_limit", "_scrubbing")

    def __init__(self, scrubbing: Callable[[str], str] = scrub, *, limit: int = 256) -> None:
        """:param scrubbing: what a text goes through (:func:`scrub`, or a function that
        calls it after a change of its own).
        :keyword limit: the most texts kept."""
        self._scrubbing, self._limit = scrubbing, limit
        # (generation, texts): replaced whole, never changed in place but by adding texts
        # found clean at that generation, so no thread adds to another generation's set.
        self._held: tuple[int, set[str]] = (-1, set())

    def __call__(self, text: str) -> str:
        return self._one(text, _REGISTRY.generation())

    def batch(self) -> Callable[[str], str]:
        """The same scrubbing for texts handled together (an export batch's spans), with the
        registry's generation read once for all of them instead of once a text: the read
        takes the registry's lock, and was most of what a remembered text cost. Every text
        is then judged as it would have been had the whole batch been handled at the moment
        this was called: a text not remembered is scrubbed against the registry as it stands,
        and is remembered under the generation read first, so any later registration
        forgets it."""
        generation = _REGISTRY.generation()
        return lambda text: self._one(text, generation)

    def _one(self, text: str, generation: int) -> str:
        held = self._held
        if held[0] == generation and text in held[1]:
            return text
        result = self._scrubbing(text)
        if result == text:
            if held[0] != generation or len(held[1]) >= self._limit:
                held = (generation, set())
                self._held = held
            held[1].add(text)
        return result

    def __repr__(self) -> str:
        return f"<texts found clean: {len(self._held[1])}>"
