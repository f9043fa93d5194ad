"""shared.net: both forms of Retry-After (RFC 9110, section 10.2.3), and no hint."""

from __future__ import annotations

from email.utils import formatdate

import pytest

from shared.net import parse_retry_after

NOW = 1_700_000_000.0


def at(offset: float) -> str:
    return formatdate(NOW + offset, usegmt=True)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("0", 0.0),
        ("7", 7.0),
        (" 120 ", 120.0),
        (at(30), 30.0),
        (at(-30), 0.0),  # a date in the past: retry now
        (None, None),
        ("", None),
        ("soon", None),
        ("-5", None),
        ("1.5", None),
    ],
)
def test_delay_seconds_and_http_dates(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, now=lambda: NOW) == seconds
