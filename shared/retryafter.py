"""``Retry-After``, read once for every caller: the vault's, the partner's, storage's.

RFC 9110, section 10.2.3: the value is either a number of seconds (``delay-seconds``)
or an HTTP date. A date in the past means "now" (0 s); anything else is no hint at all.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a ``Retry-After`` value, or None when there is none to read."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now())
    except (TypeError, ValueError):
        return None
