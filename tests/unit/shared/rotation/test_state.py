"""The rotation's state blob is read through its schema: a damaged blob is named, never used.

A blob stands in for Storage (what ``StateStore`` calls: download, readall, upload). Every
field of the schema is spoiled in turn with values of the wrong type and shape, each must
be refused naming the field and not quoting the value; what was valid survives a salvage;
and a report reads a damaged blob as a failing rotation.
"""

from __future__ import annotations

from dataclasses import asdict, fields
from datetime import UTC, datetime

import pytest

from shared.rotation._state import MAX_TEXT, MAX_UNCONFIRMED, SCHEMA, RotationState, StateStore
from shared.rotation.errors import StateDamagedError
from tests.support.rotation_state import SECRET, FakeContainer

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def store(document: object = None) -> tuple[StateStore, FakeContainer]:
    container = FakeContainer(document)
    return StateStore(container, SECRET), container  # type: ignore[arg-type]


FULL = RotationState(
    SECRET,
    last_rotation_at="2026-05-01T00:00:00+00:00",
    last_rotated_by="rotation (timer)",
    last_version="ab" * 16,
    last_key_id="k7",
    next_due="2026-07-01T00:00:00+00:00",
    last_checked_at="2026-05-31T00:00:00+00:00",
    last_failure_at="2026-05-30T00:00:00+00:00",
    last_failure="PartnerKeyError: HTTP 503",
    failures_since_rotation=2,
    unconfirmed_keys=["k5", "k6"],
)

#: For each field, values the rotation never writes there.
SPOILED: dict[str, list[object]] = {
    "last_rotation_at": [5, "yesterday", ["2026-05-01"], "2026-05-01T00:00:00" + "0" * 80],
    "last_rotated_by": [5, {"by": "me"}, "x" * (MAX_TEXT + 1)],
    "last_version": [True, 3.5, ["v1"]],
    "last_key_id": [7, {}],
    "next_due": [1767225600, "soon"],
    "last_checked_at": [False],
    "last_failure_at": ["not a time"],
    "last_failure": [{"kind": "x"}, "y" * (MAX_TEXT + 1)],
    "failures_since_rotation": ["3", -1, 1.5, True, None, 2**40],
    "unconfirmed_keys": [5, "k5", None, [5], [""], ["k"] * (MAX_UNCONFIRMED + 1), {"k5": 1}],
}


def test_the_schema_covers_every_stored_field_and_each_has_a_spoiled_value() -> None:
    stored = {f.name for f in fields(RotationState)} - {"secret"}
    assert set(SCHEMA) == stored
    assert set(SPOILED) == stored


def test_what_the_rotation_writes_reads_back_the_same() -> None:
    states, container = store()
    states.write(FULL)
    assert states.read() == FULL
    assert container.document["unconfirmed_keys"] == ["k5", "k6"]


def test_no_blob_is_a_fresh_state_and_unknown_fields_are_ignored() -> None:
    assert store()[0].read() == RotationState(SECRET)
    later = {**asdict(FULL), "written_by_a_later_version": {"anything": 1}}
    assert store(later)[0].read() == FULL


@pytest.mark.parametrize(
    ("name", "value"), [(n, v) for n, values in SPOILED.items() for v in values]
)
def test_a_field_outside_the_schema_is_refused_naming_the_field(name: str, value: object) -> None:
    states, _ = store({**asdict(FULL), name: value})
    with pytest.raises(StateDamagedError, match=f"'{name}' is not") as raised:
        states.read()
    if isinstance(value, str) and len(value) >= 4:
        assert value not in str(raised.value)
    salvaged = states.salvage()
    assert getattr(salvaged, name) == getattr(RotationState(SECRET), name)  # the default
    others = {f: v for f, v in asdict(FULL).items() if f != name}
    assert {f: v for f, v in asdict(salvaged).items() if f != name} == others


@pytest.mark.parametrize("body", [b"{", b"[]", b'"text"', b"5", b"\xff\xfe", b"[" * 100_000])
def test_a_blob_that_is_not_a_json_object_is_damaged(body: bytes) -> None:
    states, container = store()
    container.blob.body = body
    with pytest.raises(StateDamagedError, match=r"not JSON|not a JSON object"):
        states.read()
    assert states.salvage() == RotationState(SECRET)


def test_a_report_reads_a_damaged_blob_as_a_failing_rotation() -> None:
    states, _ = store({**asdict(FULL), "failures_since_rotation": 0, "unconfirmed_keys": 5})
    reported = states.read_for_report(now=NOW)
    assert reported.failing
    assert "StateDamagedError" in (reported.last_failure or "")
    assert "'unconfirmed_keys'" in (reported.last_failure or "")
    assert reported.last_failure_at == FULL.last_failure_at  # the blob's own, still valid
    fresh, _ = store({"unconfirmed_keys": 5})
    assert fresh.read_for_report(now=NOW).last_failure_at == NOW.isoformat()
    healthy, _ = store(asdict(FULL))
    assert healthy.read_for_report(now=NOW) == FULL
