"""devstack.traces.otlp: the exporter's protobuf requests, decoded; anything else refused.

The requests are made by the real exporter's own encoder (opentelemetry-exporter-otlp-proto-
common), from spans the SDK ended, so the receiver is held to what the app sends.
"""

from __future__ import annotations

import gzip
import tracemalloc
import zlib

import pytest

from devstack.traces import otlp
from devstack.traces.otlp import PROTOBUF, OtlpError, decode_request, iso
from tests.support.otlp_requests import sdk_request


def test_an_export_request_becomes_spans() -> None:
    inner, outer = decode_request(sdk_request(), content_type=PROTOBUF)
    assert outer["name"] == "outer"
    assert outer["parent_id"] == ""
    assert inner["parent_id"] == outer["span_id"]
    assert inner["trace_id"] == outer["trace_id"]
    assert len(outer["trace_id"]) == 32
    assert outer["attributes"] == {"n": 3, "l": ["a", "b"]}
    assert outer["events"][0]["name"] == "happened"
    assert outer["service"] == "svc"
    assert inner["status"] == "error"
    assert inner["status_message"] == "it broke"
    assert outer["start"].endswith("Z")
    assert outer["start"] <= inner["start"] <= inner["end"] <= outer["end"]


def test_gzip_is_taken() -> None:
    spans = decode_request(gzip.compress(sdk_request()), content_type=PROTOBUF, encoding="gzip")
    assert len(spans) == 2


def test_gzip_of_several_members_is_taken_whole() -> None:
    body = sdk_request()
    half = len(body) // 2
    joined = gzip.compress(body[:half]) + gzip.compress(body[half:])
    assert len(decode_request(joined, content_type=PROTOBUF, encoding="gzip")) == 2


def test_gzip_cut_short_is_refused() -> None:
    with pytest.raises(OtlpError) as refused:
        decode_request(gzip.compress(sdk_request())[:-12], content_type=PROTOBUF, encoding="gzip")
    assert refused.value.status == 400


def test_gzip_that_inflates_past_the_limit_is_refused_before_it_is_held(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    limit = 64 * 1024
    monkeypatch.setattr(otlp, "MAX_BODY_BYTES", limit)
    squeezed = zlib.compress(b"\0" * (64 * 1024 * 1024), 9, wbits=31)  # 64 MiB in ~64 KiB
    tracemalloc.start()
    try:
        with pytest.raises(OtlpError) as refused:
            decode_request(squeezed, content_type=PROTOBUF, encoding="gzip")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert refused.value.status == 413
    assert peak < 8 * limit + 2 * len(squeezed)  # never the 64 MiB


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "status"),
    [
        (b"{}", "application/json", "", 415),
        (b"\xff\xff\xff", PROTOBUF, "", 400),
        (b"not gzip", PROTOBUF, "gzip", 400),
        (b"", PROTOBUF, "br", 415),
    ],
)
def test_anything_else_is_refused_with_a_4xx(
    body: bytes, content_type: str, encoding: str, status: int
) -> None:
    with pytest.raises(OtlpError) as refused:
        decode_request(body, content_type=content_type, encoding=encoding)
    assert refused.value.status == status


@pytest.mark.parametrize(
    "unix_nano",
    [
        0,
        999,
        1_000,
        999_999_999,
        1_000_000_000,
        1_765_000_000_123_456_789,
        4_102_444_799_999_999_999,
    ],
)
def test_a_time_is_written_as_the_datetime_module_writes_it(unix_nano: int) -> None:
    import datetime as dt

    moment = dt.datetime(1970, 1, 1, tzinfo=dt.UTC) + dt.timedelta(microseconds=unix_nano // 1000)
    expected = moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
    assert iso(unix_nano) == expected
    assert iso(unix_nano + 1_000) != expected  # the kept second does not freeze the microseconds
