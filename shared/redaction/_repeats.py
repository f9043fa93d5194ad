"""Texts the scrubbing left as they were, remembered for outputs where the same texts repeat.

Every span the app exports is scrubbed (:mod:`shared.tracing._scrub`), and a span's name,
attribute keys and most of its values are the same from one job to the next: scrubbing
them again each time was most of what tracing cost a submission. :class:`CleanTexts`
answers a repeat from memory, and only a text that scrubbing returned unchanged: a text it
changed held a secret and is never kept. A registration forgets everything (a text clean
before may hold the value just registered): the memory belongs to the registry's
generation it was filled at, read before each text was scrubbed, so a text scrubbed while
a value was being registered is never taken for clean afterwards.

At most ``limit`` texts are kept, and when one more comes the one used longest ago goes.
The texts that repeat are few (span names, keys, a few dozen values) and stay, because they
are used all the time; every job also brings texts that never come again (its id), and
those pass through. So the memory fills once and then holds its size: it neither grows with
the jobs nor falls back and refills, a saw tooth the host's heap would show as growth or
shrinkage depending on where it was read (P7 measures that growth).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable

from shared.redaction._secret import _REGISTRY, scrub

__all__ = ["CleanTexts"]


class CleanTexts:
    """Scrubbing with a memory of the texts that came out unchanged; thread-safe."""

    __slots__ = ("_generation", "_limit", "_lock", "_scrubbing", "_texts")

    def __init__(self, scrubbing: Callable[[str], str] = scrub, *, limit: int = 256) -> None:
        """:param scrubbing: what a text goes through (:func:`scrub`, or a function that
        calls it after a change of its own).
        :keyword limit: the most texts kept."""
        self._scrubbing, self._limit = scrubbing, limit
        self._lock = threading.Lock()
        self._generation = -1  # the registry's generation the texts were found clean at
        self._texts: OrderedDict[str, None] = OrderedDict()  # the last used at the end

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
        return self.batch_at()[1]

    def batch_at(self) -> tuple[int, Callable[[str], str]]:
        """:meth:`batch`, with the registry's generation it judges at: a memory of texts
        found clean by it (an encoder's fragments) belongs to that generation, and is
        forgotten at the next."""
        generation = _REGISTRY.generation()
        return generation, lambda text: self._one(text, generation)

    def _one(self, text: str, generation: int) -> str:
        if self._generation == generation:
            try:
                # One call that finds and refreshes the text, atomic as every call into the
                # ordered dict is: no lock on the way that almost every text takes. A text
                # found here was kept at this generation (a newer one empties the memory).
                self._texts.move_to_end(text)
            except KeyError:
                pass
            else:
                return text
        result = self._scrubbing(text)
        if result == text:
            self._keep(text, generation)
        return result

    def _keep(self, text: str, generation: int) -> None:
        with self._lock:
            if generation < self._generation:
                return  # found clean before a registration another text has seen: not kept
            if generation > self._generation:
                self._generation = generation
                self._texts.clear()
            self._texts[text] = None
            self._texts.move_to_end(text)
            if len(self._texts) > self._limit:
                self._texts.popitem(last=False)

    def __repr__(self) -> str:
        return f"<texts found clean: {len(self._texts)}>"
